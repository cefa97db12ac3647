"""Acceptance 2 on the demo: the demo's books verify and the trial balance sums to zero;
the demo has what finance staff need to try every page."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ledger.models import (
    AgingBucket,
    BudgetLine,
    Disbursement,
    Leg,
    RepayableAccount,
    StatementLine,
    WriteOff,
)

from .test_verify import tamper, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo", stdout=io.StringIO())


def test_ledger_verify_passes_on_the_demo_and_the_trial_balance_sums_to_zero(demo):
    code, out, err = verify()
    assert code == 0, err
    total = next(line for line in out.splitlines() if line.strip().startswith(("合计", "Total")))
    debit, credit = total.split()[-2:]
    assert debit == credit
    assert "0.00" in out.splitlines()[-2]
    # and after a leg is altered behind the services' back it names the entry
    leg = Leg.objects.order_by("-pk").first()
    tamper("UPDATE ledger_leg SET amount = amount - 100 WHERE id = %s", [leg.pk])
    code, _out, err = verify()
    tamper("UPDATE ledger_leg SET amount = amount + 100 WHERE id = %s", [leg.pk])
    assert code == 1
    assert f"#{leg.entry.seq} ({leg.entry.idempotency_key})" in err


def test_the_demo_has_every_state_and_bucket(demo):
    assert set(BudgetLine.objects.filter(year=2026).values_list("programme_code", flat=True)) >= {
        "KPHN",
        "KJJH",
    }
    assert set(Disbursement.objects.values_list("status", flat=True)) == set(
        Disbursement.Status.values
    )
    overdue = RepayableAccount.objects.filter(status=RepayableAccount.Status.OVERDUE)
    assert set(overdue.values_list("aging", flat=True)) == set(AgingBucket.values) - {
        AgingBucket.CURRENT
    }
    assert WriteOff.objects.filter(status="approved").exists()
    assert set(StatementLine.objects.values_list("status", flat=True)) == {
        "matched",
        "ambiguous",
        "unmatched",
    }
