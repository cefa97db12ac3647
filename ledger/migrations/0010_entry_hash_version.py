"""Hash recipe 2: the hash of a new entry also covers its actor, the time it was
recorded and its memo (``ledger.chain``), so that changing them behind the services'
back is found by ``ledger_verify``.

Entries keep the recipe they were hashed with: ``Entry.hash_version`` is 1 for every
entry already posted (the column's default), and ``verify_ledger`` checks each entry
with its own recipe. They are not rehashed: a new hash over today's content would
vouch for whatever had been changed in them before this migration.

PostgreSQL: ``ledger_post_entry`` (as in 0009: same signature, locks, refusals and
answers) now writes recipe 2, with the same text as ``ledger.chain.entry_hash``, and
marks the entry ``hash_version = 2``; the reverse puts back the function of 0009.
SQLite rebuilds ``ledger_entry`` to add the column, which loses its UPDATE guard: it is
put back here (and again after the column is dropped, on the way back).

Going back drops the column, so the entries posted with recipe 2 meanwhile are no longer
marked as such (applied again, the column says 1 for all): the code of 0009 could not
check them anyway. Going back is for a database that posted nothing since.
"""

from importlib import import_module

from django.db import migrations, models

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
    v_prev text;
    v_recorded timestamptz := clock_timestamp();
    v_found record;
    v_head record;
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

    -- 2. Lock the chain head (appends are serialised on this row): the previous link.
    SELECT h.seq, h.hash INTO v_head FROM ledger_chainhead h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ledger_chainhead (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash INTO v_head FROM ledger_chainhead h WHERE h.id = 1 FOR UPDATE;
    END IF;

    -- 3. In a statement of its own, so that it sees what the previous holder of the head
    -- committed: the entry already posted under the key; and the legs as
    -- ledger.chain.entry_hash writes them.
    SELECT k.id AS k_id, k.seq AS k_seq, k.hash AS k_hash, k.recorded_at AS k_recorded_at,
           (SELECT string_agg(acc::text || ':' || amt::text, ';' ORDER BY acc, amt)
              FROM unnest(p_accounts, p_amounts) AS u(acc, amt)) AS legs
      INTO v_found
      FROM (SELECT 1) AS one
      LEFT JOIN ledger_entry k ON k.idempotency_key = p_key;
    IF v_found.k_id IS NOT NULL THEN
        o_entry_id := v_found.k_id;
        o_seq := v_found.k_seq;
        o_hash := v_found.k_hash;
        o_recorded_at := v_found.k_recorded_at;
        o_created := false;
        o_short_account := NULL;
        o_short_balance := NULL;
        o_short_needed := NULL;
        RETURN NEXT;
        RETURN;
    END IF;
    o_created := false;
    IF o_short_account IS NOT NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;

    -- 4. The next link of the chain: recipe 2 of ledger.chain.entry_hash, the same text
    -- (texts with their length first; the recorded time in UTC to the microsecond).
    o_seq := v_head.seq + 1;
    v_prev := CASE WHEN v_head.hash = '' THEN repeat('0', 64) ELSE v_head.hash END;
    o_hash := encode(sha256(convert_to(concat_ws('|',
        'v2', v_prev, o_seq::text,
        length(p_key)::text || ':' || p_key,
        length(p_kind)::text || ':' || p_kind,
        to_char(p_value_date, 'YYYY-MM-DD'),
        coalesce(p_reverses::text, ''), v_found.legs,
        coalesce(p_actor::text, ''),
        to_char(v_recorded AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        length(coalesce(p_memo, ''))::text || ':' || coalesce(p_memo, '')), 'UTF8')), 'hex');

    -- 5. Entry, legs, running balances and chain head in one statement.
    WITH new_entry AS (
        INSERT INTO ledger_entry (seq, idempotency_key, kind, value_date, recorded_at, memo,
                                  actor_id, reverses_id, prev_hash, hash, hash_version)
        VALUES (o_seq, p_key, p_kind, p_value_date, v_recorded, p_memo, p_actor, p_reverses,
                v_prev, o_hash, 2)
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
         WHERE a.id = d.acc
        RETURNING 1
    ), head AS (
        UPDATE ledger_chainhead SET seq = o_seq, hash = o_hash WHERE id = 1 RETURNING 1
    )
    SELECT id INTO o_entry_id FROM new_entry;

    o_recorded_at := v_recorded;
    o_created := true;
    RETURN NEXT;
END;
$$;
"""


def install_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POST_ENTRY, params=None)


def restore_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = import_module("ledger.migrations.0009_post_entry_generic_plans")
        schema_editor.execute(previous.POST_ENTRY, params=None)


def sqlite_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        guards = import_module("ledger.migrations.0007_sqlite_guards_again")
        for sql in guards.INSTALL:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_post_entry_generic_plans")]

    operations = [
        # on the way back, after the column is dropped (which rebuilds the table again)
        migrations.RunPython(migrations.RunPython.noop, sqlite_guards, elidable=False),
        migrations.AddField(
            model_name="entry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(db_default=1, verbose_name="hash recipe"),
        ),
        migrations.RunPython(sqlite_guards, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(install_function, restore_function, elidable=False),
    ]
