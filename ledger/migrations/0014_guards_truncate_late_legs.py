"""The database refuses two more things the application never does (issue 12).

TRUNCATE (PostgreSQL): every table of the ledger refuses TRUNCATE, by a statement-level
``BEFORE TRUNCATE`` trigger. PostgreSQL fires it for the tables a ``CASCADE`` reaches
too, so ``TRUNCATE ledger_leg, ledger_entry CASCADE`` (which would also empty the
disbursements, repayments, statement lines and the projects' tranches that refer to
entries) is refused as a whole, whoever asks: the tables' owner and a superuser as well
(a superuser can still lift the guard, deliberately). Row-level triggers do not fire on
TRUNCATE, which is why the UPDATE/DELETE guards of 0002 did not cover it.

The one exception is a session that sets ``kjfund.allow_truncate = on``: Django's flush
between transactional tests TRUNCATEs every table, and only the test settings set it
(``config/settings/test.py``). In production the app's role has no TRUNCATE privilege
at all (``manage.py database_roles``); the trigger also stops the owner's accident.

Legs after their entry (PostgreSQL): a leg may be inserted only into an entry inserted
by the same transaction (savepoints included). The statement-level trigger reads the
entry's ``xmin``: a visible row whose inserting transaction is still in progress is this
transaction's own (another transaction's uncommitted rows are invisible), anything else
was posted before. This is what stops a balanced pair of legs being added to a posted
entry (the deferred balance check of 0002 lets a balanced pair through).

Legs after their entry (SQLite): SQLite has no transaction ids to compare, so the rule
there is the chain head: a leg may be inserted only into an entry beyond the head. The
services insert an entry's legs and then move the head, in one transaction, so an entry
is closed from the moment its posting is complete. SQLite cannot refuse TRUNCATE (it has
none) nor DELETE without also refusing the test database's flush: the services never
delete, and ``ledger_verify`` with a checkpoint finds what was removed.
"""

from django.db import migrations

# Every table of the ledger at this migration; a new one gets its guard in its own
# migration (tests/ledger/test_database_guards.py fails until it does).
LEDGER_TABLES = (
    "ledger_account",
    "ledger_bankaccount",
    "ledger_bankstatement",
    "ledger_budgetadjustment",
    "ledger_budgetindicator",
    "ledger_budgetline",
    "ledger_chainhead",
    "ledger_commitment",
    "ledger_disbursement",
    "ledger_entry",
    "ledger_indicatorsupplement",
    "ledger_instalment",
    "ledger_leg",
    "ledger_repayableaccount",
    "ledger_repayment",
    "ledger_reschedule",
    "ledger_statementline",
    "ledger_writeoff",
)

PG_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF current_setting('kjfund.allow_truncate', true) = 'on' THEN
            RETURN NULL;  -- a test database's flush (config/settings/test.py)
        END IF;
        RAISE EXCEPTION 'ledger: TRUNCATE of % is not allowed; the books are append-only',
            TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    # Whether a transaction id (a row's xmin) is this transaction's or one of its
    # subtransactions': xmin is 32 bits, pg_xact_status wants the full 64-bit id, so the
    # epoch is taken from the current id (the nearest one: subtransactions come later).
    # Frozen and special ids (below 3) and ids too old to know are not ours.
    """
    CREATE OR REPLACE FUNCTION ledger_xid_is_current(p_xid xid) RETURNS boolean
    LANGUAGE plpgsql AS $$
    DECLARE
        v_current bigint := pg_current_xact_id()::text::bigint;
        v_low bigint := p_xid::text::bigint;
        v_full bigint;
    BEGIN
        IF v_low < 3 THEN
            RETURN false;
        END IF;
        v_full := (v_current & ~4294967295::bigint) | v_low;
        IF v_full - v_current > 2147483648 THEN
            v_full := v_full - 4294967296;
        ELSIF v_current - v_full > 2147483648 THEN
            v_full := v_full + 4294967296;
        END IF;
        IF v_full < 3 THEN
            RETURN false;
        END IF;
        RETURN coalesce(pg_xact_status(v_full::text::xid8) = 'in progress', false);
    END;
    $$;
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_late_legs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        v_seq bigint;
    BEGIN
        SELECT e.seq INTO v_seq
          FROM (SELECT DISTINCT entry_id FROM new_legs) n
          JOIN ledger_entry e ON e.id = n.entry_id
         WHERE NOT ledger_xid_is_current(e.xmin)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger: entry #% was posted by an earlier transaction; '
                'no leg may be added to it', v_seq USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END;
    $$;
    """,
]

PG_LATE_LEGS_TRIGGER = """
CREATE TRIGGER ledger_leg_entry_open AFTER INSERT ON ledger_leg
    REFERENCING NEW TABLE AS new_legs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_late_legs();
"""

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS ledger_leg_entry_open BEFORE INSERT ON ledger_leg
    WHEN EXISTS (
        SELECT 1 FROM ledger_entry e, ledger_chainhead h
         WHERE e.id = NEW.entry_id AND h.id = 1 AND e.seq <= h.seq
    )
    BEGIN
        SELECT RAISE(ABORT, 'ledger: that entry is already posted; no leg may be added to it');
    END;
    """,
]


def truncate_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();"
    )


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_FUNCTIONS:
            schema_editor.execute(sql, params=None)
        for table in LEDGER_TABLES:
            schema_editor.execute(truncate_trigger(table), params=None)
        schema_editor.execute(PG_LATE_LEGS_TRIGGER, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_INSTALL:
            schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_leg_entry_open ON ledger_leg;")
        for table in LEDGER_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_late_legs();")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_xid_is_current(xid);")
        schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_truncate();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_leg_entry_open;")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0013_indicator_once")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
