"""The ledger's side of expert fees (ledger.services.expert_fees): the reservation is the
checker's, the payment splits the gross into the bank's net and the tax withheld, and
both are idempotent by the sheet's reference."""

from __future__ import annotations

import pytest

from core import clock
from ledger import services
from ledger.errors import LedgerError
from ledger.models import Account, Leg

from .conftest import D, figures

pytestmark = pytest.mark.django_db
DAY = D(2026, 3, 2)


def test_approval_reserves_the_gross_and_refuses_the_maker(line, bank, maker, checker):
    before = figures(line)
    with clock.frozen(DAY):
        with pytest.raises(LedgerError):
            services.expert_fees_approve(
                budget_line=line,
                gross_fen=450_000,
                reference="ZJF2026000001",
                maker_id=maker.pk,
                actor=maker,
                value_date=DAY,
            )
        entry = services.expert_fees_approve(
            budget_line=line,
            gross_fen=450_000,
            reference="ZJF2026000001",
            maker_id=maker.pk,
            actor=checker,
            value_date=DAY,
        )
        again = services.expert_fees_approve(
            budget_line=line,
            gross_fen=450_000,
            reference="ZJF2026000001",
            maker_id=maker.pk,
            actor=checker,
            value_date=DAY,
        )
    assert again.pk == entry.pk
    after = figures(line)
    assert after["available"] == before["available"] - 450_000
    assert after["approved"] == before["approved"] + 450_000


def test_payment_legs_and_refusals(line, bank, maker, checker):
    with clock.frozen(DAY):
        services.expert_fees_approve(
            budget_line=line,
            gross_fen=450_000,
            reference="ZJF2026000002",
            maker_id=maker.pk,
            actor=checker,
            value_date=DAY,
        )
        for gross, tax in ((450_000, 450_000), (0, 0), (450_000, -1)):
            with pytest.raises(LedgerError):
                services.expert_fees_pay(
                    budget_line=line,
                    gross_fen=gross,
                    tax_fen=tax,
                    bank_account=bank,
                    paid_on=DAY,
                    reference="ZJF2026000002",
                    actor=maker,
                )
        entry = services.expert_fees_pay(
            budget_line=line,
            gross_fen=450_000,
            tax_fen=72_000,
            bank_account=bank,
            paid_on=DAY,
            reference="ZJF2026000002",
            actor=maker,
        )
    legs = {
        leg.account.kind: leg.amount
        for leg in Leg.objects.filter(entry=entry).select_related("account")
    }
    assert legs == {
        "disbursed": 450_000,
        "approved": -450_000,
        "expert_fee_expense": 450_000,
        "bank": -378_000,
        "tax_payable": -72_000,
    }
    payable = Account.objects.get(budget_line=line, kind="tax_payable")
    assert payable.normal_balance == 72_000 and payable.floor_zero
    assert figures(line)["approved"] == 0
