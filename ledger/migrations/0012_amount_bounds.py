"""One domain maximum for money (core.money.MAX_FEN, 100 亿元): a CHECK on every amount
column of the ledger. SQLite rebuilds a table to add a constraint, and a rebuilt table
loses its triggers: the UPDATE guard of ledger_leg (0007) is put back at the end (and on
the way back)."""

from importlib import import_module

from django.conf import settings
from django.db import migrations, models


def sqlite_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        guards = import_module("ledger.migrations.0007_sqlite_guards_again")
        for sql in guards.INSTALL:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0011_penalty_exact_in_units'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_guards, elidable=False),
        migrations.AddConstraint(
            model_name='bankstatement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('opening_balance_fen__gte', -1000000000000), ('opening_balance_fen__lte', 1000000000000)), ('opening_balance_fen__isnull', True), _connector='OR'), name='ledger_statement_opening_balance_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='bankstatement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('closing_balance_fen__gte', -1000000000000), ('closing_balance_fen__lte', 1000000000000)), ('closing_balance_fen__isnull', True), _connector='OR'), name='ledger_statement_closing_balance_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='bankstatement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('ledger_balance_fen__gte', -1000000000000), ('ledger_balance_fen__lte', 1000000000000)), ('ledger_balance_fen__isnull', True), _connector='OR'), name='ledger_statement_ledger_balance_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='budgetadjustment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_adjustment_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='budgetindicator',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_indicator_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='disbursement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_disbursement_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('principal_due_fen__gte', -1000000000000), ('principal_due_fen__lte', 1000000000000)), ('principal_due_fen__isnull', True), _connector='OR'), name='ledger_instalment_principal_due_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fee_due_fen__gte', -1000000000000), ('fee_due_fen__lte', 1000000000000)), ('fee_due_fen__isnull', True), _connector='OR'), name='ledger_instalment_fee_due_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('principal_paid_fen__gte', -1000000000000), ('principal_paid_fen__lte', 1000000000000)), ('principal_paid_fen__isnull', True), _connector='OR'), name='ledger_instalment_principal_paid_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='instalment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fee_paid_fen__gte', -1000000000000), ('fee_paid_fen__lte', 1000000000000)), ('fee_paid_fen__isnull', True), _connector='OR'), name='ledger_instalment_fee_paid_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='leg',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount__gte', -1000000000000), ('amount__lte', 1000000000000)), ('amount__isnull', True), _connector='OR'), name='ledger_leg_amount_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayableaccount',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('principal_fen__gte', -1000000000000), ('principal_fen__lte', 1000000000000)), ('principal_fen__isnull', True), _connector='OR'), name='ledger_repayable_principal_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_repayment_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('penalty_fen__gte', -1000000000000), ('penalty_fen__lte', 1000000000000)), ('penalty_fen__isnull', True), _connector='OR'), name='ledger_repayment_penalty_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fee_fen__gte', -1000000000000), ('fee_fen__lte', 1000000000000)), ('fee_fen__isnull', True), _connector='OR'), name='ledger_repayment_fee_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('principal_fen__gte', -1000000000000), ('principal_fen__lte', 1000000000000)), ('principal_fen__isnull', True), _connector='OR'), name='ledger_repayment_principal_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='repayment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('recovery_fen__gte', -1000000000000), ('recovery_fen__lte', 1000000000000)), ('recovery_fen__isnull', True), _connector='OR'), name='ledger_repayment_recovery_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='statementline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_fen__gte', -1000000000000), ('amount_fen__lte', 1000000000000)), ('amount_fen__isnull', True), _connector='OR'), name='ledger_statementline_amount_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('principal_fen__gte', -1000000000000), ('principal_fen__lte', 1000000000000)), ('principal_fen__isnull', True), _connector='OR'), name='ledger_writeoff_principal_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fee_fen__gte', -1000000000000), ('fee_fen__lte', 1000000000000)), ('fee_fen__isnull', True), _connector='OR'), name='ledger_writeoff_fee_fen_bounded'),
        ),
        migrations.AddConstraint(
            model_name='writeoff',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('penalty_fen__gte', -1000000000000), ('penalty_fen__lte', 1000000000000)), ('penalty_fen__isnull', True), _connector='OR'), name='ledger_writeoff_penalty_fen_bounded'),
        ),
        migrations.RunPython(sqlite_guards, migrations.RunPython.noop, elidable=False),
]
