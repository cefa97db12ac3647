"""One domain maximum for money (core.money.MAX_FEN, 100 亿元): a CHECK on every amount column."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('funding', '0002_quotacut'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='call',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('budget_envelope_fen__gte', -1000000000000), ('budget_envelope_fen__lte', 1000000000000)), ('budget_envelope_fen__isnull', True), _connector='OR'), name='funding_call_budget_envelope_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='quota',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('max_amount_fen__gte', -1000000000000), ('max_amount_fen__lte', 1000000000000)), ('max_amount_fen__isnull', True), _connector='OR'), name='funding_quota_max_amount_fen_bounded'),
        ),
    ]
