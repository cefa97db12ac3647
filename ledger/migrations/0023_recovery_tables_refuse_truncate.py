"""The recovery tables of 0018 refuse TRUNCATE as every ledger table does (0014)."""

from django.db import migrations

TABLES = ("ledger_dunningstep", "ledger_legalcase")


def guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();"
        )


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0022_entry_and_account_kinds_with_surplus")]

    operations = [migrations.RunPython(guard, unguard)]
