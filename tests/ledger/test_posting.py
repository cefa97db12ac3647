"""The journal: balanced, append-only, idempotent, chained; balances are running sums."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from ledger import services
from ledger.errors import LedgerError
from ledger.models import Account, Entry, Leg
from ledger.services import Posting

from .conftest import D, figures, yuan

pytestmark = pytest.mark.django_db


def test_a_new_budget_line_is_all_available(line):
    assert figures(line) == {
        "appropriation": 100_000_000,
        "available": 100_000_000,
        "committed": 0,
        "approved": 0,
        "disbursed": 0,
        "transferred": 0,
    }


def test_the_same_idempotency_key_twice_gives_one_entry(line, maker):
    # given a commitment posted under a key
    first = services.commitment_post(
        budget_line=line,
        project_ref="KJ2026-001",
        amount=yuan("100000"),
        value_date=D(2026, 3, 1),
        actor=maker,
        idempotency_key="contract:KJ2026-001",
    )
    entries = Entry.objects.count()
    # when the caller retries with the same key
    second = services.commitment_post(
        budget_line=line,
        project_ref="KJ2026-001",
        amount=yuan("100000"),
        value_date=D(2026, 3, 1),
        actor=maker,
        idempotency_key="contract:KJ2026-001",
    )
    # then nothing more is posted and the line is charged once
    assert second == first
    assert Entry.objects.count() == entries
    assert Entry.objects.filter(idempotency_key="contract:KJ2026-001").count() == 1
    assert figures(line)["committed"] == 10_000_000
    assert figures(line)["available"] == 90_000_000


def test_unbalanced_or_zero_legs_are_refused_by_the_service(line, maker):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    with pytest.raises(LedgerError, match="不平衡|不平"):
        services.entry_post(
            idempotency_key="bad-1",
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 1, 1),
            legs=[Posting(available, 100), Posting(appropriation, -99)],
            actor=maker,
        )
    with pytest.raises(LedgerError):
        services.entry_post(
            idempotency_key="bad-2",
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 1, 1),
            legs=[Posting(available, 0), Posting(appropriation, 0)],
            actor=maker,
        )
    assert not Entry.objects.filter(idempotency_key__startswith="bad-").exists()


def test_available_cannot_go_below_zero(line, maker):
    # given a line of 1,000,000.00 with 900,000.00 committed
    services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("900000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    # when another 100,000.01 is committed
    with pytest.raises(LedgerError) as error:
        services.commitment_post(
            budget_line=line,
            project_ref="P2",
            amount=yuan("100000.01"),
            value_date=D(2026, 3, 2),
            actor=maker,
        )
    # then it is refused with the figures, and nothing moved
    assert "100,000.00" in str(error.value) and "100,000.01" in str(error.value)
    assert figures(line)["available"] == 10_000_000


def test_a_reversal_points_to_the_original_and_restores_balances(line, maker):
    commitment = services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("5000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    original = Entry.objects.get(kind=Entry.Kind.COMMIT)
    reversal = services.entry_reverse(entry=original, value_date=D(2026, 3, 2), actor=maker)
    assert reversal.reverses == original
    assert figures(line)["available"] == 100_000_000
    commitment.account.refresh_from_db()
    assert commitment.account.balance == 0
    with pytest.raises(LedgerError):
        services.entry_reverse(entry=original, value_date=D(2026, 3, 3), actor=maker)


def test_entries_are_chained_and_balances_equal_their_legs(line, maker):
    services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("5000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    # posted entries wait, unsealed, for the sealing
    assert not Entry.objects.filter(seq__isnull=False).exists()
    sealed = services.ledger_seal()
    entries = list(Entry.objects.order_by("seq"))
    assert sealed.entries == len(entries) > 0
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert sealed.last_block.last_entry_hash == entries[-1].hash
    for account in Account.objects.all():
        assert account.balance == sum(leg.amount for leg in Leg.objects.filter(account=account))


def test_commitment_release_gives_back_what_is_left(line, maker):
    commitment = services.commitment_post(
        budget_line=line,
        project_ref="P1",
        amount=yuan("5000"),
        value_date=D(2026, 3, 1),
        actor=maker,
    )
    services.commitment_release(
        commitment=commitment, amount=yuan("2000"), value_date=D(2026, 4, 1), actor=maker
    )
    assert figures(line)["committed"] == 300_000
    services.commitment_release(commitment=commitment, value_date=D(2026, 4, 2), actor=maker)
    assert figures(line)["committed"] == 0
    assert figures(line)["available"] == 100_000_000
    assert (
        services.commitment_release(commitment=commitment, value_date=D(2026, 4, 3), actor=maker)
        is None
    )


def test_the_posted_entry_returned_is_the_stored_one(line, maker):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    entry = services.entry_post(
        idempotency_key="adjust:1",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=D(2026, 2, 1),
        legs=[Posting(available, 100), Posting(appropriation, -100)],
        actor=maker,
        memo="调增",
    )
    stored = Entry.objects.get(pk=entry.pk)
    fields = ("seq", "hash", "prev_hash", "memo", "recorded_at", "value_date", "kind", "actor_id")
    assert [getattr(entry, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert entry.recorded_at.tzinfo is not None


def test_a_replay_is_answered_with_the_entry_even_when_it_would_now_overdraw(line, maker):
    # given 100 yuan moved out of the line's available balance under a key …
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    whole = figures(line)["available"]
    legs = [Posting(available, -whole), Posting(appropriation, whole)]
    first = services.entry_post(
        idempotency_key="adjust:replay",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=D(2026, 2, 1),
        legs=legs,
        actor=maker,
    )
    assert figures(line)["available"] == 0
    # … when the same posting is sent again (a retry), the account cannot cover it …
    again = services.entry_post(
        idempotency_key="adjust:replay",
        kind=Entry.Kind.BUDGET_ADJUST,
        value_date=D(2026, 2, 1),
        legs=legs,
        actor=maker,
    )
    # … then the answer is the entry already posted, and nothing moved twice
    assert again.pk == first.pk
    assert Entry.objects.filter(idempotency_key="adjust:replay").count() == 1
    assert figures(line)["available"] == 0
    # while a new key for the same movement is refused, naming the account
    with pytest.raises(LedgerError, match="not enough|不足"):
        services.entry_post(
            idempotency_key="adjust:replay-2",
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 2, 1),
            legs=legs,
            actor=maker,
        )


def test_a_refused_posting_leaves_every_account_as_it_was(line, maker):
    # given a movement whose first account (in lock order) may go negative and whose
    # second, the available balance, cannot cover it
    available = services.line_account(line, Account.Kind.AVAILABLE)
    appropriation = services.line_account(line, Account.Kind.APPROPRIATION)
    assert appropriation.pk < available.pk
    before = figures(line)
    too_much = before["available"] + 1
    # when it is posted, inside the caller's transaction
    with transaction.atomic():
        with pytest.raises(LedgerError, match="not enough|不足"):
            services.entry_post(
                idempotency_key="adjust:too-much",
                kind=Entry.Kind.BUDGET_ADJUST,
                value_date=D(2026, 2, 1),
                legs=[Posting(appropriation, too_much), Posting(available, -too_much)],
                actor=maker,
            )
        # then, in that same transaction, neither account has moved and nothing is posted
        assert figures(line) == before
        assert not Entry.objects.filter(idempotency_key="adjust:too-much").exists()
        # and the transaction goes on: a movement that fits is posted
        services.entry_post(
            idempotency_key="adjust:fits",
            kind=Entry.Kind.BUDGET_ADJUST,
            value_date=D(2026, 2, 1),
            legs=[Posting(appropriation, 100), Posting(available, -100)],
            actor=maker,
        )
    assert figures(line)["available"] == before["available"] - 100
    assert figures(line)["appropriation"] == before["appropriation"] - 100


def test_many_entries_in_one_call_all_or_none(line, maker):
    available = services.line_account(line, Account.Kind.AVAILABLE)
    approved = services.line_account(line, Account.Kind.APPROVED)

    def spec(n: int, fen: int) -> services.EntrySpec:
        return services.EntrySpec(
            idempotency_key=f"batch:{n}",
            kind=Entry.Kind.APPROVE,
            value_date=D(2026, 5, 1),
            legs=[Posting(approved, fen), Posting(available, -fen)],
        )

    # given three entries that fit
    posted = services.entries_post(entries=[spec(1, 100), spec(2, 200), spec(3, 300)], actor=maker)
    # then they are posted in order, and sealed in that order, and the balances moved
    assert [e.idempotency_key for e in posted] == ["batch:1", "batch:2", "batch:3"]
    assert [e.pk for e in posted] == sorted(e.pk for e in posted)
    services.ledger_seal()
    seqs = [Entry.objects.get(pk=e.pk).seq for e in posted]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    available.refresh_from_db()
    assert available.balance == 100_000_000 - 600
    # a replay posts nothing new
    again = services.entries_post(entries=[spec(1, 100), spec(2, 200)], actor=maker)
    assert [e.pk for e in again] == [posted[0].pk, posted[1].pk]
    # and a batch whose last entry would overdraw the line is refused as a whole
    count = Entry.objects.count()
    with pytest.raises(LedgerError, match="999,990.00"):
        services.entries_post(entries=[spec(4, 400), spec(5, 100_000_000_000)], actor=maker)
    assert Entry.objects.count() == count
    available.refresh_from_db()
    assert available.balance == 100_000_000 - 600
