"""Sealed blocks (issue 16): postings no longer queue on the chain head.

A posting inserts its entry unsealed (``seq``, ``prev_hash``, ``hash`` NULL);
``ledger.services.ledger_seal`` later gives the entries their place and hash in id order
and records them as a ``Block`` chained to the previous block. What the database now
refuses:

* PostgreSQL: UPDATE of an entry, sealed or not, except setting its seal once, from NULL,
  with nothing else changed (``ledger_entry_seal_once``); DELETE of entries, legs and
  blocks; UPDATE of blocks; TRUNCATE of ``ledger_block`` (as of every ledger table,
  0014); a leg added to an entry posted by an earlier transaction or already sealed.
  ``ledger_post_entry`` (same signature and answers as 0010) no longer locks the chain
  head nor computes a hash: it locks the accounts in pk order, refuses an overdraft,
  returns the entry already posted under the key, and inserts the entry unsealed (``ON
  CONFLICT`` on the key, so two postings of one key at once answer with the one that
  won). ``ledger_seal_entries`` (SECURITY DEFINER: the app role may only SELECT and
  INSERT the journal, see ``ledger.database_roles``) sets the seals of a block, only
  where they are still NULL.
* SQLite: the same UPDATE rule on entries; UPDATE of blocks; a leg added to an entry
  already sealed or at or below ``ChainHead.closed_entry_id``, which the SQLite posting
  moves past its entry once its legs are in (SQLite has one writer at a time).

Entries sealed one by one before this migration are recorded as block 1, so that every
sealed entry belongs to a block. Going back is for a database that posted nothing since
(unsealed entries cannot be put back under the old NOT NULL columns).
"""

from importlib import import_module

import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from ledger.chain import GENESIS, block_hash

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

    -- 2. In a statement of its own (it sees what the previous holders of the accounts
    -- committed): the entry already posted under the key.
    SELECT k.id, k.seq, k.hash, k.recorded_at INTO v_found
      FROM ledger_entry k WHERE k.idempotency_key = p_key;
    IF FOUND THEN
        o_entry_id := v_found.id;
        o_seq := v_found.seq;
        o_hash := v_found.hash;
        o_recorded_at := v_found.recorded_at;
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

    -- 3. Entry (unsealed), legs and running balances in one statement; nothing at all
    -- when a posting of the same key committed meanwhile.
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

PG_INSTALL = [
    # every change of an entry is refused but its seal, set once from NULL
    r"""
    CREATE OR REPLACE FUNCTION ledger_entry_seal_once() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
           AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
           AND (to_jsonb(NEW) - ARRAY['seq', 'prev_hash', 'hash'])
               = (to_jsonb(OLD) - ARRAY['seq', 'prev_hash', 'hash']) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'ledger: % of a posted row of % is not allowed; post a reversing entry '
            '(only sealing sets an entry''s place in the chain, once)',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    "DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_entry;",
    """
    CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE TRIGGER ledger_entry_seal_once BEFORE UPDATE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_seal_once();
    """,
    """
    CREATE TRIGGER ledger_block_immutable BEFORE UPDATE OR DELETE ON ledger_block
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
    """
    CREATE TRIGGER ledger_block_no_truncate BEFORE TRUNCATE ON ledger_block
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
    """,
    # a leg goes only into an unsealed entry inserted by this very transaction
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_late_legs() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        v_id bigint;
    BEGIN
        SELECT e.id INTO v_id
          FROM (SELECT DISTINCT entry_id FROM new_legs) n
          JOIN ledger_entry e ON e.id = n.entry_id
         WHERE e.seq IS NOT NULL OR NOT ledger_xid_is_current(e.xmin)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger: entry id % was posted by an earlier transaction or is '
                'sealed; no leg may be added to it', v_id USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END;
    $$;
    """,
    # the one way to seal, for the app role too (it may not UPDATE the journal)
    """
    CREATE OR REPLACE FUNCTION ledger_seal_entries(
        p_ids bigint[], p_seqs bigint[], p_prev text[], p_hashes text[]
    ) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
        WITH sealed AS (
            UPDATE ledger_entry e SET seq = s.seq, prev_hash = s.prev, hash = s.hash
              FROM unnest(p_ids, p_seqs, p_prev, p_hashes) AS s(id, seq, prev, hash)
             WHERE e.id = s.id AND e.seq IS NULL
            RETURNING 1
        )
        SELECT count(*) FROM sealed;
    $$;
    """,
    POST_ENTRY,
]

PG_REMOVE = [
    "DROP FUNCTION IF EXISTS ledger_seal_entries(bigint[], bigint[], text[], text[]);",
    "DROP TRIGGER IF EXISTS ledger_block_no_truncate ON ledger_block;",
    "DROP TRIGGER IF EXISTS ledger_block_immutable ON ledger_block;",
    "DROP TRIGGER IF EXISTS ledger_entry_seal_once ON ledger_entry;",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete ON ledger_entry;",
    "DROP FUNCTION IF EXISTS ledger_entry_seal_once();",
    """
    CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
    """,
]

_SAME_CONTENT = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "idempotency_key",
        "kind",
        "value_date",
        "recorded_at",
        "memo",
        "actor_id",
        "reverses_id",
        "hash_version",
    )
)

SQLITE_INSTALL = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update;",
    f"""
    CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
    WHEN NOT (OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
              AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
              AND {_SAME_CONTENT})
    BEGIN
        SELECT RAISE(ABORT, 'ledger: posted entries cannot be changed');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS ledger_leg_no_update BEFORE UPDATE ON ledger_leg
    BEGIN SELECT RAISE(ABORT, 'ledger: posted legs cannot be changed'); END;
    """,
    "DROP TRIGGER IF EXISTS ledger_leg_entry_open;",
    """
    CREATE TRIGGER ledger_leg_entry_open BEFORE INSERT ON ledger_leg
    WHEN EXISTS (
        SELECT 1 FROM ledger_entry e
         WHERE e.id = NEW.entry_id
           AND (e.seq IS NOT NULL OR e.id <= coalesce(
                (SELECT h.closed_entry_id FROM ledger_chainhead h WHERE h.id = 1), 0))
    )
    BEGIN
        SELECT RAISE(ABORT, 'ledger: that entry is already posted; no leg may be added to it');
    END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS ledger_block_no_update BEFORE UPDATE ON ledger_block
    BEGIN SELECT RAISE(ABORT, 'ledger: sealed blocks cannot be changed'); END;
    """,
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_INSTALL:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_INSTALL:
            schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_REMOVE:
            schema_editor.execute(sql, params=None)
        earlier = import_module("ledger.migrations.0010_entry_hash_version")
        schema_editor.execute(earlier.POST_ENTRY, params=None)
        guards = import_module("ledger.migrations.0014_guards_truncate_late_legs")
        schema_editor.execute(guards.PG_FUNCTIONS[2], params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_block_no_update;")


def sqlite_guards_back(apps, schema_editor):
    """On the way back, after the columns are NOT NULL again (SQLite rebuilt the table)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update;")
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_leg_entry_open;")
        for sql in import_module("ledger.migrations.0007_sqlite_guards_again").INSTALL:
            schema_editor.execute(sql, params=None)
        guards = import_module("ledger.migrations.0014_guards_truncate_late_legs")
        for sql in guards.SQLITE_INSTALL:
            schema_editor.execute(sql, params=None)


def sqlite_drop_leg_guard(apps, schema_editor):
    """SQLite rebuilds ledger_chainhead to add its column, which a trigger on ledger_leg
    reads: that trigger goes first (``install`` puts the new one in)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_leg_entry_open;")


def legacy_block(apps, schema_editor):
    """The entries sealed one by one before blocks existed become block 1; SQLite's
    marker closes them to legs."""
    Entry = apps.get_model("ledger", "Entry")
    Block = apps.get_model("ledger", "Block")
    ChainHead = apps.get_model("ledger", "ChainHead")
    sealed = Entry.objects.filter(seq__isnull=False)
    last = sealed.order_by("-seq").values_list("seq", "hash").first()
    if last is None:
        return
    first_seq = sealed.order_by("seq").values_list("seq", flat=True).first()
    last_seq, last_hash = last
    count = last_seq - first_seq + 1
    sealed_at = timezone.now()
    Block.objects.create(
        number=1,
        first_seq=first_seq,
        last_seq=last_seq,
        entry_count=count,
        prev_hash=GENESIS,
        last_entry_hash=last_hash,
        hash=block_hash(
            number=1,
            prev_block_hash=GENESIS,
            first_seq=first_seq,
            last_seq=last_seq,
            entry_count=count,
            last_entry_hash=last_hash,
            sealed_at=sealed_at,
        ),
        sealed_at=sealed_at,
    )
    newest = Entry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ChainHead.objects.filter(pk=1).update(closed_entry_id=newest)

class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0015_clock_defaults'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(sqlite_drop_leg_guard, sqlite_guards_back, elidable=False),
        migrations.CreateModel(
            name='Block',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.BigIntegerField(unique=True, verbose_name='block number')),
                ('first_seq', models.BigIntegerField(verbose_name='first sequence')),
                ('last_seq', models.BigIntegerField(unique=True, verbose_name='last sequence')),
                ('entry_count', models.PositiveIntegerField(verbose_name='entries')),
                ('prev_hash', models.CharField(max_length=64, verbose_name='previous block hash')),
                ('last_entry_hash', models.CharField(max_length=64, verbose_name='hash of the last entry')),
                ('hash', models.CharField(max_length=64, verbose_name='block hash')),
                ('sealed_at', models.DateTimeField(verbose_name='sealed at')),
            ],
            options={
                'verbose_name': 'sealed block',
                'verbose_name_plural': 'sealed blocks',
                'ordering': ['number'],
            },
        ),
        migrations.AlterModelOptions(
            name='entry',
            options={'ordering': ['id'], 'verbose_name': 'journal entry', 'verbose_name_plural': 'journal entries'},
        ),
        migrations.AddField(
            model_name='chainhead',
            name='closed_entry_id',
            field=models.BigIntegerField(default=0, verbose_name='last entry closed to legs'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name='hash'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name='previous hash'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name='sequence'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('hash__isnull', True), ('prev_hash__isnull', True), ('seq__isnull', True)), models.Q(('hash__isnull', False), ('prev_hash__isnull', False), ('seq__isnull', False)), _connector='OR'), name='ledger_entry_sealed_whole'),
        ),
        migrations.AddConstraint(
            model_name='block',
            constraint=models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='ledger_block_number_positive'),
        ),
        migrations.AddConstraint(
            model_name='block',
            constraint=models.CheckConstraint(condition=models.Q(('first_seq__gte', 1), ('last_seq__gte', models.F('first_seq')), ('entry_count', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('last_seq'), '-', models.F('first_seq')), '+', models.Value(1)))), name='ledger_block_range'),
        ),
        migrations.RunPython(install, remove, elidable=False),
        migrations.RunPython(legacy_block, migrations.RunPython.noop, elidable=False),
    ]
