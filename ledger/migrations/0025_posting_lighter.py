"""A lighter posting on PostgreSQL (issue 16: one writer, one entry per transaction).

Same signature, locks, refusals and answers as 0016; less work on the way:

* ``ledger_post_entry`` no longer looks the idempotency key up before every insert. The
  insert itself is ``ON CONFLICT (idempotency_key) DO NOTHING``, so a key posted before
  (or by a concurrent posting that won) inserts nothing — no legs, no balance moved —
  and only then is the existing entry read and returned. A refused overdraft still
  answers with the entry already posted under the key when there is one (a replay of a
  posting that went through is never refused).
* ``ledger_refuse_late_legs`` (0014/0016) first compares the entry's ``xmin`` with the
  transaction's own id; only a row written by a subtransaction (a savepoint) asks
  ``ledger_xid_is_current`` (a look-up in the commit log).
* The second index Django made on ``ledger_entry.idempotency_key`` (``varchar_pattern_ops``,
  for LIKE) is dropped: nothing filters keys by pattern outside a test (which scans its
  few rows), and every posting paid for inserting into it. The unique index stays.
"""

from importlib import import_module

from django.db import migrations

earlier = import_module("ledger.migrations.0016_sealed_blocks")

POST_ENTRY = r"""
CREATE OR REPLACE FUNCTION ledger_post_entry(
    p_key text,
    p_kind text,
    p_value_date date,
    p_memo text,
    p_actor bigint,
    p_reverses bigint,
    p_accounts bigint[],
    p_amounts bigint[]
) RETURNS TABLE (
    o_entry_id bigint,
    o_seq bigint,
    o_hash text,
    o_recorded_at timestamptz,
    o_created boolean,
    o_short_account bigint,
    o_short_balance bigint,
    o_short_needed bigint
) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
    v_recorded timestamptz := clock_timestamp();
    v_found record;
    r record;
BEGIN
    IF coalesce(array_length(p_accounts, 1), 0) < 2
       OR array_length(p_accounts, 1) <> array_length(p_amounts, 1) THEN
        RAISE EXCEPTION 'ledger: an entry needs at least two legs' USING ERRCODE = 'check_violation';
    END IF;

    -- 1. Lock the accounts in pk order and find the first that would go below zero.
    FOR r IN
        SELECT a.id, a.balance, a.side, a.floor_zero, d.delta
          FROM ledger_account a
          JOIN (SELECT acc, sum(amt)::bigint AS delta
                  FROM unnest(p_accounts, p_amounts) AS u(acc, amt) GROUP BY acc) d
            ON d.acc = a.id
         ORDER BY a.id
           FOR UPDATE OF a
    LOOP
        IF o_short_account IS NULL AND r.floor_zero AND (
            (r.side = 'debit' AND r.balance + r.delta < 0)
            OR (r.side = 'credit' AND r.balance + r.delta > 0)) THEN
            o_short_account := r.id;
            o_short_balance := CASE WHEN r.side = 'debit' THEN r.balance ELSE -r.balance END;
            o_short_needed := CASE WHEN r.side = 'debit' THEN -r.delta ELSE r.delta END;
        END IF;
    END LOOP;
    o_created := false;

    -- 2. An overdraft: refused, unless the key was posted already (then that entry).
    IF o_short_account IS NOT NULL THEN
        SELECT k.id, k.seq, k.hash, k.recorded_at INTO v_found
          FROM ledger_entry k WHERE k.idempotency_key = p_key;
        IF FOUND THEN
            o_entry_id := v_found.id;
            o_seq := v_found.seq;
            o_hash := v_found.hash;
            o_recorded_at := v_found.recorded_at;
            o_short_account := NULL;
            o_short_balance := NULL;
            o_short_needed := NULL;
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;

    -- 3. Entry (unsealed), legs and running balances in one statement; nothing at all
    -- when the key was posted before or by a posting that committed meanwhile.
    WITH new_entry AS (
        INSERT INTO ledger_entry (idempotency_key, kind, value_date, recorded_at, memo,
                                  actor_id, reverses_id, hash_version)
        VALUES (p_key, p_kind, p_value_date, v_recorded, p_memo, p_actor, p_reverses, 2)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    ), new_legs AS (
        INSERT INTO ledger_leg (entry_id, account_id, amount)
        SELECT new_entry.id, u.acc, u.amt
          FROM new_entry, unnest(p_accounts, p_amounts) WITH ORDINALITY AS u(acc, amt, n)
         ORDER BY u.n
        RETURNING 1
    ), balances AS (
        UPDATE ledger_account a SET balance = a.balance + d.delta
          FROM (SELECT acc, sum(amt)::bigint AS delta
                  FROM unnest(p_accounts, p_amounts) AS u(acc, amt) GROUP BY acc) d
         WHERE a.id = d.acc AND EXISTS (SELECT 1 FROM new_entry)
        RETURNING 1
    )
    SELECT id INTO o_entry_id FROM new_entry;

    IF o_entry_id IS NULL THEN
        -- 4. In a statement of its own (it sees what the winner committed).
        SELECT k.id, k.seq, k.hash, k.recorded_at INTO v_found
          FROM ledger_entry k WHERE k.idempotency_key = p_key;
        o_entry_id := v_found.id;
        o_seq := v_found.seq;
        o_hash := v_found.hash;
        o_recorded_at := v_found.recorded_at;
        RETURN NEXT;
        RETURN;
    END IF;
    o_seq := NULL;
    o_hash := NULL;
    o_recorded_at := v_recorded;
    o_created := true;
    RETURN NEXT;
END;
$$;
"""

LATE_LEGS = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_late_legs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
    v_xid xid := pg_current_xact_id()::xid;
BEGIN
    SELECT e.id INTO v_id
      FROM (SELECT DISTINCT entry_id FROM new_legs) n
      JOIN ledger_entry e ON e.id = n.entry_id
     WHERE e.seq IS NOT NULL
        OR (e.xmin <> v_xid AND NOT ledger_xid_is_current(e.xmin))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger: entry id % was posted by an earlier transaction or is '
            'sealed; no leg may be added to it', v_id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""

LIKE_INDEXES = """
SELECT indexname FROM pg_indexes
 WHERE tablename = 'ledger_entry' AND indexdef LIKE '%%(idempotency_key varchar_pattern_ops)%%'
"""
LIKE_INDEX_BACK = (
    "CREATE INDEX IF NOT EXISTS ledger_entry_idempotency_key_d7fe082d_like"
    " ON ledger_entry (idempotency_key varchar_pattern_ops);"
)


def _late_legs_0016() -> str:
    return next(sql for sql in earlier.PG_INSTALL if "ledger_refuse_late_legs()" in sql)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(POST_ENTRY, params=None)
    schema_editor.execute(LATE_LEGS, params=None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(LIKE_INDEXES)
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}";')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(earlier.POST_ENTRY, params=None)
    schema_editor.execute(_late_legs_0016(), params=None)
    schema_editor.execute(LIKE_INDEX_BACK)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0024_instalment_unpaid_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
