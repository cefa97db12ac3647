"""PostgreSQL: a cheaper ``ledger_post_entry`` (same signature, same answers).

Profiled with perf on the backend under bench/ledger.py's workload, the function of
0005 spent about a quarter of its time planning: PL/pgSQL kept choosing custom plans
for its statements over ``unnest(p_accounts, p_amounts)`` (a custom plan knows the
array has two elements; the generic plan guesses ten), so every statement was planned
again on every call. The function now runs with ``plan_cache_mode =
force_generic_plan``: each statement is planned once per session.

A generic plan is chosen without the arrays, on statistics gathered before the
transaction started; it may then prefer a hash join over a sequential scan of
``ledger_account``, and a transaction that posts many entries leaves many row versions
of the accounts it moved, which such a scan reads every time. Every row this function
reads or locks is found by a key (accounts by primary key, the head by its id, an entry
by its idempotency key), so it also runs with ``enable_seqscan = off``: its plans are
index plans whatever the statistics say.

Also: the idempotency look-up is a statement of its own after the head is locked (in
0005 it shared the locking statement's snapshot, so a key committed by the transaction
that held the lock was not seen); the text of the legs for the hash is built in that
same statement; the answer is returned through the OUT parameters (no extra query).
Lock order (accounts in pk order, then the head), the refusal of an overdraft, the
entry returned for a known key, the hash and the chain head are as in 0005. The reverse
puts back the function of 0005.
"""

from importlib import import_module

from django.db import migrations

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

    -- 4. The next link of the chain (the same text as ledger.chain.entry_hash).
    o_seq := v_head.seq + 1;
    v_prev := CASE WHEN v_head.hash = '' THEN repeat('0', 64) ELSE v_head.hash END;
    o_hash := encode(sha256(convert_to(concat_ws('|',
        v_prev, o_seq::text, p_key, p_kind, to_char(p_value_date, 'YYYY-MM-DD'),
        coalesce(p_reverses::text, ''), v_found.legs), 'UTF8')), 'hex');

    -- 5. Entry, legs, running balances and chain head in one statement.
    WITH new_entry AS (
        INSERT INTO ledger_entry (seq, idempotency_key, kind, value_date, recorded_at, memo,
                                  actor_id, reverses_id, prev_hash, hash)
        VALUES (o_seq, p_key, p_kind, p_value_date, v_recorded, p_memo, p_actor, p_reverses,
                v_prev, o_hash)
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

def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POST_ENTRY, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # the function of 0005 (CREATE OR REPLACE also drops this one's SET options)
        previous = import_module("ledger.migrations.0005_post_entry_function")
        schema_editor.execute(previous.INSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_post_entries_function")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
