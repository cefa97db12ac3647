"""贷款贴息 as its own instrument: the loan on the application, the commitment on the
subsidy's own line, the subsidy computed from bank interest certificates and capped
(share, benchmark, approved amount), refusals with their reason; and 核减 with the
re-spread of the budget before the 任务书 is signed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from core import clock
from ledger.models import Disbursement
from projects import closing, contracts, cuts, services, subsidy
from projects.contracts import ContractError
from projects.models import Application, ApplicationFunding, Tranche, TransitionLog
from projects.services import ApplicationError
from projects.subsidy import SubsidyError

from .conftest import refresh, user
from .lifecycle import money, pay
from .subsidy_world import (
    approved,
    draft,
    drafted_contract,
    line_figures,
    signed,
    subsidy_line,
    subsidy_rule,
)

pytestmark = pytest.mark.django_db
CLAIM_DAY = dt.datetime(2026, 12, 2, 10, 0)


@pytest.fixture
def books(world):
    setup = money()
    subsidy_line()
    return setup


def claim(contract, number, start, end, interest, amount=None):
    with clock.frozen(CLAIM_DAY):
        return subsidy.subsidy_claim(
            contract=contract,
            actor=user("finance"),
            number=number,
            period_from=start,
            period_to=end,
            interest_paid=D(interest),
            amount=D(amount) if amount is not None else None,
        )


def test_the_contract_commits_grant_and_subsidy_each_on_its_own_line(books):
    # given a project asking 200 000 grant + 50 000 贴息
    application = approved(funding={"grant": "200000.00", "interest_subsidy": "50000.00"})
    # when the 任务书 is signed
    contract = signed(application)
    # then the grant line holds 200 000 and the subsidy line 50 000, not 250 000 on one
    assert line_figures("grant").committed_fen == 20_000_000
    assert line_figures("interest_subsidy").committed_fen == 5_000_000
    assert contract.subsidy.amount_fen == 5_000_000
    assert contract.subsidy.commitment.budget_line.instrument == "interest_subsidy"
    # and the tranches pay the grant only (the subsidy is paid against certificates)
    assert sum(t.amount_fen for t in contract.tranches.all()) == 20_000_000
    assert not contract.tranches.filter(repayable=True).exists()


def test_a_subsidy_application_must_state_its_loan(world):
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        application = draft(funding={"grant": "100000.00", "interest_subsidy": "30000.00"})
        application.loan.delete()
        problems = services.submission_problems(refresh(application), day=clock.today())
    assert any("贷款" in p or "loan" in p for p in problems), problems
    # and more subsidy than the loan's whole interest is refused too
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        greedy = draft(
            funding={"interest_subsidy": "200000.00"},
            loan={
                "bank": "农业银行",
                "contract_no": "农银2026-77",
                "principal": D("500000"),
                "annual_rate": D("0.05"),
                "start_date": dt.date(2026, 6, 1),
                "term_months": 12,
            },
            title="贴息过多",
        )
        problems = services.submission_problems(refresh(greedy), day=clock.today())
    # 500 000 × 5 % × 365 / 360 = 25 347.22 yuan of interest in the year
    assert any("25,347.22" in p for p in problems), problems


def test_the_subsidy_is_the_share_of_the_interest_capped_at_the_benchmark(books):
    # given 50 % of the interest, no more than the interest at 4.35 %
    subsidy_rule(share="50", benchmark="0.0435")
    application = approved(funding={"grant": "200000.00", "interest_subsidy": "50000.00"})
    contract = signed(application)
    # when a certificate shows 15 000 yuan of interest for 90 days on 1 000 000 at 6 %
    cert = claim(contract, "YH-2026-0001", dt.date(2026, 6, 1), dt.date(2026, 8, 29), "15000.00")
    # then the share binds: 7 500 (benchmark: 1 000 000 × 4.35 % × 90 / 360 = 10 875)
    assert cert.share_fen == 750_000
    assert cert.benchmark_fen == 1_087_500
    assert cert.subsidy_fen == 750_000
    # with the whole interest subsidised, the benchmark binds
    subsidy_rule(share="100", benchmark="0.0435")
    second = claim(
        contract, "YH-2026-0002", dt.date(2026, 8, 30), dt.date(2026, 11, 27), "15000.00"
    )
    assert second.subsidy_fen == 1_087_500
    # the payment order is on the subsidy line against its commitment, through the ledger
    order = second.disbursement
    assert order.budget_line.instrument == "interest_subsidy"
    assert order.commitment == contract.subsidy.commitment
    pay(order, books["bank"], dt.date(2026, 12, 2))
    pay(cert.disbursement, books["bank"], dt.date(2026, 12, 2))
    assert line_figures("interest_subsidy").disbursed_fen == 750_000 + 1_087_500
    assert line_figures("grant").disbursed_fen == 0
    # the first paid money starts the project
    assert refresh(application).status == Application.Status.IN_PROGRESS


def test_above_the_cap_is_refused_with_the_reason_and_the_approved_amount_caps(books):
    subsidy_rule(share="100")
    application = approved(funding={"grant": "100000.00", "interest_subsidy": "10000.00"})
    contract = signed(application)
    # asking one fen more than the interest paid is refused, naming the rule
    with pytest.raises(SubsidyError) as refused:
        claim(contract, "YH-1", dt.date(2026, 6, 1), dt.date(2026, 8, 29), "7500.00", "7500.01")
    assert "7,500.01" in str(refused.value) and "7,500.00" in str(refused.value)
    first = claim(contract, "YH-1", dt.date(2026, 6, 1), dt.date(2026, 8, 29), "7500.00")
    assert first.subsidy_fen == 750_000
    # the second certificate gets only what is left of the 10 000 approved
    second = claim(contract, "YH-2", dt.date(2026, 8, 30), dt.date(2026, 11, 27), "7500.00")
    assert second.subsidy_fen == 250_000
    with pytest.raises(SubsidyError) as used_up:
        claim(contract, "YH-3", dt.date(2026, 11, 28), dt.date(2026, 12, 1), "300.00")
    assert "0.00" in str(used_up.value)
    # a rejected order gives its money back to the subsidy
    with clock.frozen(CLAIM_DAY):
        from ledger import services as ledger

        ledger.disbursement_submit(disbursement=second.disbursement, actor=user("finance"))
        ledger.disbursement_reject(
            disbursement=second.disbursement, actor=user("finance_checker"), note="凭证不清"
        )
    third = claim(contract, "YH-3", dt.date(2026, 11, 28), dt.date(2026, 12, 1), "300.00")
    assert third.subsidy_fen == 30_000


def test_a_certificate_is_paid_once_and_only_for_the_loan_period(books):
    application = approved(funding={"grant": "100000.00", "interest_subsidy": "50000.00"})
    contract = signed(application)
    claim(contract, "YH-9", dt.date(2026, 6, 1), dt.date(2026, 6, 30), "5000.00")
    with pytest.raises(SubsidyError, match="YH-9"):  # the same certificate again
        claim(contract, "YH-9", dt.date(2026, 7, 1), dt.date(2026, 7, 31), "5000.00")
    with pytest.raises(SubsidyError) as before:  # before the loan started
        claim(contract, "YH-10", dt.date(2026, 5, 1), dt.date(2026, 5, 31), "5000.00")
    assert "2026-06-01" in str(before.value) and "2028-05-31" in str(before.value)
    with pytest.raises(SubsidyError, match="YH-9"):  # interest subsidised twice
        claim(contract, "YH-11", dt.date(2026, 6, 15), dt.date(2026, 7, 14), "5000.00")
    with pytest.raises(SubsidyError):  # not yet paid
        claim(contract, "YH-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31), "5000.00")
    assert contract.subsidy.certificates.count() == 1
    assert Disbursement.objects.filter(project_ref=application.number).count() == 1


def test_closing_gives_back_the_subsidy_not_claimed_and_the_ledger_verifies(books):
    application = approved(funding={"interest_subsidy": "20000.00"})
    contract = signed(application)
    assert not contract.tranches.exists()
    cert = claim(contract, "YH-77", dt.date(2026, 6, 1), dt.date(2026, 8, 29), "15000.00")
    pay(cert.disbursement, books["bank"], dt.date(2026, 12, 2))
    with clock.frozen(dt.datetime(2026, 12, 3, 10, 0)):
        closing.project_terminate(
            application=refresh(application), actor=user("city_officer"), reason="贷款提前结清"
        )
        closing.project_close(application=refresh(application), actor=user("city_officer"))
    line = line_figures("interest_subsidy")
    assert line.committed_fen == 0 and line.disbursed_fen == 1_500_000
    call_command("ledger_verify", "--quiet-accounts", stdout=StringIO())


# --- 核减 and the re-spread ------------------------------------------------------------


def test_the_officer_cuts_within_bounds_and_the_cut_is_in_the_trail(books):
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        from .subsidy_world import to_notice

        application = draft(funding={"grant": "300000.00", "interest_subsidy": "50000.00"})
        notice = to_notice([application])
        officer = user("city_officer")
        for amounts, reason, message in (
            ({"grant": D("300000.01")}, "偏高", "300,000.00"),
            ({"grant": D("0")}, "偏高", "0"),
            ({"grant": D("-1")}, "偏高", "0"),
            ({"grant": D("250000")}, "  ", "核减"),
        ):
            with pytest.raises(ApplicationError, match=message):
                cuts.approval_cut(
                    application=application, amounts=amounts, reason=reason, actor=officer
                )
        with pytest.raises(ApplicationError):
            cuts.approval_cut(
                application=application,
                amounts={"grant": D("250000")},
                reason="偏高",
                actor=user("applicant"),
            )
        cuts.approval_cut(
            application=application,
            amounts={"grant": D("250000.00"), "interest_subsidy": D("40000.00")},
            reason="设备单价偏高",
            actor=officer,
        )
    log = TransitionLog.objects.get(application=application, transition="cut")
    assert "300,000.00 → 250,000.00" in log.reason and "设备单价偏高" in log.reason
    from reviews import services as reviews

    with clock.frozen(dt.datetime(2026, 11, 30, 10, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    application = refresh(application)
    assert application.approved_amount_fen == 29_000_000
    assert dict(
        ApplicationFunding.objects.filter(application=application).values_list(
            "instrument", "approved_fen"
        )
    ) == {"grant": 25_000_000, "interest_subsidy": 4_000_000}


def test_after_a_cut_the_budget_is_re_spread_before_the_contract_is_signed(books):
    application = approved(
        funding={"grant": "300000.00", "interest_subsidy": "50000.00"},
        items={"equipment": "200000.00", "materials": "100000.00", "testing": "50000.00"},
        cut={"grant": "250000.00"},
    )
    contract = drafted_contract(application)
    # the items are as asked (350 000) and the 任务书 cannot be confirmed
    assert sum(b.amount_fen for b in contract.budget.all()) == 35_000_000
    with pytest.raises(ContractError) as refused:
        contracts.contract_confirm(contract=contract, actor=user("applicant"))
    assert "350,000.00" in str(refused.value) and "300,000.00" in str(refused.value)
    applicant = user("applicant")
    # a re-spread that does not add up, or raises an item above its request, is refused
    with pytest.raises(ApplicationError, match="300,000.00"):
        cuts.contract_budget_respread(
            contract=contract,
            items={"equipment": D("150000"), "materials": D("100000")},
            actor=applicant,
        )
    with pytest.raises(ApplicationError, match="100,000.00"):
        cuts.contract_budget_respread(
            contract=contract,
            items={"equipment": D("150000"), "materials": D("120000"), "testing": D("30000")},
            actor=applicant,
        )
    with pytest.raises(ApplicationError):  # officers do not re-spread for the applicant
        cuts.contract_budget_respread(
            contract=contract,
            items={"equipment": D("150000"), "materials": D("100000"), "testing": D("50000")},
            actor=user("city_officer"),
        )
    cuts.contract_budget_respread(
        contract=contract,
        items={"equipment": D("150000"), "materials": D("100000"), "testing": D("50000")},
        actor=applicant,
    )
    assert TransitionLog.objects.filter(application=application, transition="respread").exists()
    with clock.frozen(dt.datetime(2026, 12, 1, 11, 0)):
        contracts.contract_confirm(contract=contract, actor=applicant)
        contracts.contract_sign(contract=contract, actor=user("city_officer"))
    # each instrument committed at its approved amount
    assert line_figures("grant").committed_fen == 25_000_000
    assert line_figures("interest_subsidy").committed_fen == 5_000_000
    assert sum(t.amount_fen for t in Tranche.objects.filter(contract=contract)) == 25_000_000
