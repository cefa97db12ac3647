"""The database refuses what only ledger.services may do, whoever asks.

PostgreSQL: UPDATE and DELETE of posted entries and legs raise; an entry whose legs do
not sum to zero (or that has fewer than two legs) fails at COMMIT through deferred
constraint triggers. SQLite: UPDATE of entries and legs raises (DELETE stays possible so
that test databases can be flushed; the services never delete). Zero amounts are a
check constraint on both (migration 0001).
"""

from django.db import migrations

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: % of a posted row of % is not allowed; post a reversing entry',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE TRIGGER ledger_leg_immutable BEFORE UPDATE OR DELETE ON ledger_leg
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
    DECLARE
        entry bigint;
        total numeric;
        legs integer;
    BEGIN
        IF TG_TABLE_NAME = 'ledger_entry' THEN
            entry := NEW.id;
        ELSE
            entry := NEW.entry_id;
        END IF;
        SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, legs
            FROM ledger_leg WHERE entry_id = entry;
        IF legs < 2 THEN
            RAISE EXCEPTION 'ledger: entry % has % leg(s); an entry needs at least two', entry, legs
                USING ERRCODE = 'check_violation';
        END IF;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger: entry % does not balance: its legs sum to % fen', entry, total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_leg_balanced AFTER INSERT ON ledger_leg
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
    """,
]

PG_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_leg_balanced ON ledger_leg;",
    "DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced();",
    "DROP TRIGGER IF EXISTS ledger_leg_immutable ON ledger_leg;",
    "DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;",
    "DROP FUNCTION IF EXISTS ledger_refuse_change();",
]

SQLITE_INSTALL = [
    """
    CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
    BEGIN SELECT RAISE(ABORT, 'ledger: posted entries cannot be changed'); END;
    """,
    """
    CREATE TRIGGER ledger_leg_no_update BEFORE UPDATE ON ledger_leg
    BEGIN SELECT RAISE(ABORT, 'ledger: posted legs cannot be changed'); END;
    """,
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_leg_no_update;",
    "DROP TRIGGER IF EXISTS ledger_entry_no_update;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


install = _run({"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL})
remove = _run({"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
