"""The quota's allotment is an amount of money too: bounded by core.money.MAX_FEN."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('funding', '0005_callmgmt_quota_allotment_required'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='quota',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('allotted_amount_fen__gte', -1000000000000), ('allotted_amount_fen__lte', 1000000000000)), ('allotted_amount_fen__isnull', True), _connector='OR'), name='funding_quota_allotted_amount_fen_bounded'),
        ),
    ]
