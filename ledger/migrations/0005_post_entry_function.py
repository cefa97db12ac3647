"""PostgreSQL: ``ledger_post_entry(...)`` posts one entry in a single round trip.

It does on the server exactly what ``ledger.services.entry_post`` does in Python on
SQLite: lock the entry's accounts in pk order, lock the chain head, return the entry
already posted under the idempotency key, refuse (by returning the short account) a
posting that would take a ``floor_zero`` account below zero, then insert the entry and
its legs, move the running balances and advance the hash chain. The hash is the same
SHA-256 as ``ledger.chain.entry_hash`` (``ledger_verify`` recomputes it in Python).
"""

from django.db import migrations

INSTALL = r"""
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
) LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_prev text;
    v_hash text;
    v_entry bigint;
    v_recorded timestamptz := clock_timestamp();
    v_existing record;
    v_short_account bigint;
    v_short_balance bigint;
    v_short_needed bigint;
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
        IF v_short_account IS NULL AND r.floor_zero AND (
            (r.side = 'debit' AND r.balance + r.delta < 0)
            OR (r.side = 'credit' AND r.balance + r.delta > 0)) THEN
            v_short_account := r.id;
            v_short_balance := CASE WHEN r.side = 'debit' THEN r.balance ELSE -r.balance END;
            v_short_needed := CASE WHEN r.side = 'debit' THEN -r.delta ELSE r.delta END;
        END IF;
    END LOOP;

    -- 2. Lock the chain head; an entry already posted under the key is the answer.
    SELECT h.seq, h.hash, e.id AS entry_id, e.seq AS entry_seq, e.hash AS entry_hash,
           e.recorded_at AS entry_recorded_at
      INTO v_existing
      FROM ledger_chainhead h
      LEFT JOIN ledger_entry e ON e.idempotency_key = p_key
     WHERE h.id = 1
       FOR UPDATE OF h;
    IF NOT FOUND THEN
        INSERT INTO ledger_chainhead (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash, e.id AS entry_id, e.seq AS entry_seq, e.hash AS entry_hash,
               e.recorded_at AS entry_recorded_at
          INTO v_existing
          FROM ledger_chainhead h
          LEFT JOIN ledger_entry e ON e.idempotency_key = p_key
         WHERE h.id = 1
           FOR UPDATE OF h;
    END IF;
    IF v_existing.entry_id IS NOT NULL THEN
        RETURN QUERY SELECT v_existing.entry_id, v_existing.entry_seq,
            v_existing.entry_hash::text, v_existing.entry_recorded_at, false,
            NULL::bigint, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
    IF v_short_account IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::bigint, NULL::text, NULL::timestamptz, false,
            v_short_account, v_short_balance, v_short_needed;
        RETURN;
    END IF;

    -- 3. The next link of the chain (the same text as ledger.chain.entry_hash).
    v_seq := v_existing.seq + 1;
    v_prev := CASE WHEN v_existing.hash = '' THEN repeat('0', 64) ELSE v_existing.hash END;
    v_hash := encode(sha256(convert_to(concat_ws('|',
        v_prev, v_seq::text, p_key, p_kind, to_char(p_value_date, 'YYYY-MM-DD'),
        coalesce(p_reverses::text, ''),
        (SELECT string_agg(acc::text || ':' || amt::text, ';' ORDER BY acc, amt)
           FROM unnest(p_accounts, p_amounts) AS u(acc, amt))), 'UTF8')), 'hex');

    -- 4. Entry, legs, running balances and chain head in one statement.
    WITH new_entry AS (
        INSERT INTO ledger_entry (seq, idempotency_key, kind, value_date, recorded_at, memo,
                                  actor_id, reverses_id, prev_hash, hash)
        VALUES (v_seq, p_key, p_kind, p_value_date, v_recorded, p_memo, p_actor, p_reverses,
                v_prev, v_hash)
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
        UPDATE ledger_chainhead SET seq = v_seq, hash = v_hash WHERE id = 1 RETURNING 1
    )
    SELECT id INTO v_entry FROM new_entry;

    RETURN QUERY SELECT v_entry, v_seq, v_hash, v_recorded, true,
        NULL::bigint, NULL::bigint, NULL::bigint;
END;
$$;
"""

REMOVE = """
DROP FUNCTION IF EXISTS ledger_post_entry(text, text, date, text, bigint, bigint, bigint[], bigint[]);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_statement_direction_labels")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
