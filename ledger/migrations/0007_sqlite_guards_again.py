"""SQLite rebuilds a table to alter a column (migration 0006 did, for ledger_entry and
ledger_leg), and a rebuilt table loses its triggers: put the UPDATE guards of 0002 back.
Any later migration that alters these two tables on SQLite must do the same;
tests/ledger/test_sqlite_guards.py fails if it does not."""

from django.db import migrations

INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS ledger_entry_no_update BEFORE UPDATE ON ledger_entry
    BEGIN SELECT RAISE(ABORT, 'ledger: posted entries cannot be changed'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS ledger_leg_no_update BEFORE UPDATE ON ledger_leg
    BEGIN SELECT RAISE(ABORT, 'ledger: posted legs cannot be changed'); END;
    """,
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in INSTALL:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_leaner_posting_indexes")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop, elidable=False)]
