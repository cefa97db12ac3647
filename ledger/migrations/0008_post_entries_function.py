"""PostgreSQL: ``ledger_post_entries(...)`` posts many entries in one call, in order, by
calling ``ledger_post_entry`` (migration 0005) for each; it stops at the first entry
that would take a ``floor_zero`` account below zero and returns that refusal, and
``ledger.services.entries_post`` then rolls the whole batch back."""

from django.db import migrations

INSTALL = r"""
CREATE OR REPLACE FUNCTION ledger_post_entries(
    p_keys text[],
    p_kinds text[],
    p_dates date[],
    p_memos text[],
    p_actor bigint,
    p_leg_start integer[],
    p_leg_count integer[],
    p_accounts bigint[],
    p_amounts bigint[]
) RETURNS TABLE (
    o_index integer,
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
    i integer;
    first integer;
    last integer;
    r record;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
        first := p_leg_start[i];
        last := p_leg_start[i] + p_leg_count[i] - 1;
        SELECT * INTO r FROM ledger_post_entry(
            p_keys[i], p_kinds[i], p_dates[i], p_memos[i], p_actor, NULL,
            p_accounts[first:last], p_amounts[first:last]);
        o_index := i;
        o_entry_id := r.o_entry_id;
        o_seq := r.o_seq;
        o_hash := r.o_hash;
        o_recorded_at := r.o_recorded_at;
        o_created := r.o_created;
        o_short_account := r.o_short_account;
        o_short_balance := r.o_short_balance;
        o_short_needed := r.o_short_needed;
        RETURN NEXT;
        EXIT WHEN r.o_short_account IS NOT NULL;
    END LOOP;
END;
$$;
"""

REMOVE = """
DROP FUNCTION IF EXISTS ledger_post_entries(
    text[], text[], date[], text[], bigint, integer[], integer[], bigint[], bigint[]);
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_sqlite_guards_again")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
