"""One domain maximum for money (core.money.MAX_FEN, 100 亿元): a CHECK on every amount column."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('funding', '0003_amount_bounds'),
        ('ledger', '0012_amount_bounds'),
        ('projects', '0003_contracts_and_acceptance'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='application',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_requested_fen__gte', -1000000000000), ('amount_requested_fen__lte', 1000000000000)), ('amount_requested_fen__isnull', True), _connector='OR'), name='projects_application_amount_requested_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='application',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('approved_amount_fen__gte', -1000000000000), ('approved_amount_fen__lte', 1000000000000)), ('approved_amount_fen__isnull', True), _connector='OR'), name='projects_application_approved_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='applicationbudgetitem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_budgetitem_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='applicationfunding',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_funding_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='budgetchange',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('new_amount_fen__gte', -1000000000000), ('new_amount_fen__lte', 1000000000000)), ('new_amount_fen__isnull', True), _connector='OR'), name='projects_budgetchange_new_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='contract',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_contract_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='contract',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('repay_principal_fen__gte', -1000000000000), ('repay_principal_fen__lte', 1000000000000)), ('repay_principal_fen__isnull', True), _connector='OR'), name='projects_contract_repay_principal_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='contractbudgetitem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_contractitem_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='spending',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_spending_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='tranche',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='projects_tranche_amount_fen_bounded'),
        ),
    ]
