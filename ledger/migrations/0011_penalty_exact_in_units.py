"""The exact overdue fee of a repayable account is a whole number of 1e-8 fen
(``penalty_exact_e8``) instead of a DecimalField, which SQLite keeps as a float (REAL):
123456789.12345678 fen read back as 123456789.12345700.

Each stored value is carried over: on PostgreSQL it was exact (numeric); on SQLite it is
carried over as it reads now (whatever the float had already lost cannot be found
again, but nothing more is lost from here on). The way back writes the Decimal again.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models


def to_units(apps, schema_editor):
    RepayableAccount = apps.get_model("ledger", "RepayableAccount")
    rows = RepayableAccount.objects.exclude(penalty_exact=0).values_list("pk", "penalty_exact")
    for pk, fen in rows.iterator():
        units = int(Decimal(fen).scaleb(8).to_integral_value(rounding=ROUND_HALF_UP))
        RepayableAccount.objects.filter(pk=pk).update(penalty_exact_e8=units)


def to_decimal(apps, schema_editor):
    RepayableAccount = apps.get_model("ledger", "RepayableAccount")
    rows = RepayableAccount.objects.exclude(penalty_exact_e8=0).values_list(
        "pk", "penalty_exact_e8"
    )
    for pk, units in rows.iterator():
        RepayableAccount.objects.filter(pk=pk).update(
            penalty_exact=Decimal(units).scaleb(-8)
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_entry_hash_version")]

    operations = [
        migrations.AddField(
            model_name="repayableaccount",
            name="penalty_exact_e8",
            field=models.BigIntegerField(
                default=0, verbose_name="overdue fee accrued, exact (1e-8 fen)"
            ),
        ),
        migrations.RunPython(to_units, to_decimal, elidable=False),
        migrations.RemoveField(model_name="repayableaccount", name="penalty_exact"),
    ]
