"""Acceptance of the contract issue: one end-to-end test per flow through the real
services (ledger_verify clean after each), the conclusion thresholds at their
boundaries, spending beyond the allowed adjustment, the PDFs and the reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import BytesIO, StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from accounts import services as accounts
from accounts.models import OrgUnit
from core import clock
from ledger import services as ledger
from ledger.models import RepayableAccount
from ledger.verify import verify_ledger
from projects import awards, closing, contracts, documents
from projects.closing import completion_pct
from projects.contracts import ContractError
from projects.models import Acceptance, Application, ContractIndicator, Tranche
from reviews import services as reviews
from reviews.models import Panel

from .conftest import award_call, refresh, user
from .lifecycle import (
    acceptance_rubric,
    acceptance_through,
    approved_project,
    award_approved,
    money,
    panel_through,
    pay,
    signed_contract,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def _verify_clean() -> None:
    """``manage.py ledger_verify`` exits 0 (it exits 1 naming the first bad entry)."""
    out = StringIO()
    call_command(
        "ledger_verify", "--quiet-accounts", stdout=out
    )  # raises SystemExit on a bad ledger
    result = verify_ledger()
    assert result.ok and result.total_debit_fen == result.total_credit_fen, out.getvalue()


def test_a_repayable_project_from_draft_to_closed(world):
    books = money()
    application = approved_project()
    assert application.status == S.APPROVED and application.approved_amount_fen == 50_000_000
    contract = signed_contract(application)
    assert refresh(application).status == S.CONTRACTED
    assert [(t.trigger, t.amount_fen, t.repayable) for t in contract.tranches.all()] == [
        ("on_signing", 18_000_000, False),
        ("on_signing", 20_000_000, True),
        ("after_acceptance", 12_000_000, False),
    ]
    assert closing.remaining_commitment_fen(contract) == 30_000_000
    first, repayable, last = contract.tranches.all()
    # finance orders the first tranches; a second person approves; the bank pays: in progress
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        with pytest.raises(ContractError):
            contracts.tranche_order(
                tranche=last, actor=user("finance")
            )  # not due before acceptance
        pay(
            contracts.tranche_order(tranche=first, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
        assert refresh(application).status == S.IN_PROGRESS
        pay(
            contracts.tranche_order(tranche=repayable, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    assert RepayableAccount.objects.get(pk=contract.repayable_id).status == "active"
    # mid-term report within the budget
    mid = contract.reports.get(kind="progress")
    with clock.frozen(dt.datetime(2027, 12, 20, 10, 0)):
        contracts.report_submit(
            report=mid,
            actor=user("applicant"),
            text="完成示范面积300亩。",
            actuals={contract.indicators.first().pk: D("300")},
            spending={"equipment": D("150000"), "materials": D("80000")},
        )
    # acceptance: the applicant asks, the panel scores, finance checks, the officer concludes
    with clock.frozen(dt.datetime(2029, 1, 10, 10, 0)):
        indicators = list(contract.indicators.all())
        acceptance = closing.acceptance_request(
            application=application,
            actor=user("applicant"),
            text="全部完成任务书指标。",
            fund_usage="专款专用，结余0元。",
            actuals={indicators[0].pk: D("520"), indicators[1].pk: D("1000")},
            spending={"equipment": D("300000"), "materials": D("200000")},
        )
        panel_through(
            [refresh(application)],
            stage=Panel.Stage.ACCEPTANCE,
            rubric=acceptance_rubric(),
            score={"tasks": "62", "funds": "18", "other": "8"},
        )
        assert refresh(application).status == S.ACCEPTANCE_REVIEW
        closing.acceptance_finance_record(
            acceptance=acceptance, actor=user("finance"), passed=True, note=""
        )
        acceptance = reviews.acceptance_conclude(acceptance=acceptance, actor=user("city_officer"))
    assert acceptance.conclusion == "accept" and acceptance.completion_pct == D("100.00")
    assert refresh(application).status == S.ACCEPTED
    # the last tranche is released after acceptance
    with clock.frozen(dt.datetime(2029, 1, 20, 10, 0)):
        pay(
            contracts.tranche_order(tranche=last, actor=user("finance")),
            books["bank"],
            dt.date(2029, 1, 20),
        )
    assert closing.remaining_commitment_fen(contract) == 0
    # the repayable money comes back: the whole balance paid at once
    account = RepayableAccount.objects.get(pk=contract.repayable_id)
    with clock.frozen(dt.datetime(2029, 2, 1, 10, 0)):
        with pytest.raises(ContractError):  # not repaid yet
            closing.project_close(application=application, actor=user("city_officer"))
        # early repayment: all the principal, and the fees of instalments already due (none yet)
        owed = sum(
            i.principal_due_fen
            - i.principal_paid_fen
            + (i.fee_due_fen - i.fee_paid_fen if i.due_date <= dt.date(2029, 2, 1) else 0)
            for i in account.instalments.all()
        )
        assert owed == 20_000_000
        ledger.repayment_record(
            account=account,
            amount=D(owed) / 100,
            value_date=dt.date(2029, 2, 1),
            bank_account=books["bank"],
            actor=user("finance"),
            bank_reference="REPAY20290201",
        )
        assert RepayableAccount.objects.get(pk=account.pk).status == "repaid"
        closing.project_close(application=application, actor=user("city_officer"))
    assert refresh(application).status == S.CLOSED
    _verify_clean()


def test_an_award_from_nomination_to_accepted(world):
    books = money()
    finance = user("district_finance")
    nomination = award_approved()
    nomination = refresh(nomination)
    assert nomination.status == S.APPROVED
    # the acceptance and fund-usage report is due on 31 October of the next year
    report = nomination.reports.get()
    assert report.due_on == dt.date(2027, 10, 31) and report.kind == "final"
    # early next year the city issues the budget indicator to the district, which pays
    xihu = OrgUnit.objects.get(code="330106")
    with clock.frozen(dt.datetime(2027, 1, 15, 9, 0)):
        indicator = awards.award_indicator_issue(
            call=award_call(),
            district=xihu,
            actor=user("finance"),
            value_date=dt.date(2027, 1, 15),
            document_no="杭财教〔2027〕3号",
        )
        assert indicator.amount_fen == 5_000_000
        second = accounts.user_create(
            username="district_finance_2", password=None, full_name="西湖区财政局 复核"
        )
        accounts.membership_grant(user=second, role="district_finance", org_unit=xihu)
        for intruder in ("applicant_nt", "city_officer", "district_officer", "finance"):
            with pytest.raises(ContractError):  # only the district's finance bureau pays
                awards.award_pay_order(
                    application=nomination,
                    actor=user(intruder),
                    payee_account="6228480000000000001",
                )
        order = awards.award_pay_order(
            application=nomination, actor=finance, payee_account="6228480000000000001"
        )
        with pytest.raises(ContractError) as twice:  # a double click makes no second order
            awards.award_pay_order(
                application=nomination, actor=finance, payee_account="6228480000000000001"
            )
        assert order.number in str(twice.value)
        pay(
            order,
            books["district_bank"],
            dt.date(2027, 1, 20),
            maker="district_finance",
            checker="district_finance_2",
        )
    assert refresh(nomination).status == S.IN_PROGRESS
    # the report before 31 October, the acceptance review, financial acceptance, conclusion
    with clock.frozen(dt.datetime(2027, 10, 20, 9, 0)):
        acceptance = closing.acceptance_request(
            application=nomination,
            actor=user("applicant_nt"),
            text="全年开展培训24期，受益2600人次。",
            fund_usage="购置科普资料2万元，培训讲座3万元。",
            actuals={},
            spending={},
        )
        panel_through(
            [refresh(nomination)],
            stage=Panel.Stage.ACCEPTANCE,
            rubric=acceptance_rubric(),
            score={"tasks": "65", "funds": "18", "other": "9"},
        )
        closing.acceptance_finance_record(
            acceptance=acceptance, actor=user("finance"), passed=True, note=""
        )
        acceptance = reviews.acceptance_conclude(acceptance=acceptance, actor=user("city_officer"))
    assert acceptance.conclusion == "accept" and acceptance.completion_pct == D(
        "92.00"
    )  # 92 of 100 points
    assert refresh(nomination).status == S.ACCEPTED
    _verify_clean()


class _Programme:
    acceptance_fail_below_pct = D("80")
    acceptance_rectify_below_pct = D("90")
    acceptance_overdue_fail_months = 6


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("799", "fail"),  # 79.9 %
        ("800", "rectify"),  # 80 %
        ("899", "rectify"),  # 89.9 %
        ("900", "accept"),  # 90 %
    ],
)
def test_conclusion_thresholds_at_their_boundaries(actual, expected):
    indicator = ContractIndicator(pk=1, name="x", unit="个", target=D("1000"))
    completion = completion_pct({1: D(actual)}, [indicator])
    assert completion == D(actual) / 10
    conclusion, _reasons = reviews.acceptance_outcome(
        completion=completion,
        programme=_Programme(),
        false_data=False,
        months_late=0,
        disputed=[],
        round_=1,
    )
    assert conclusion == expected


def test_false_data_or_six_months_late_fails_and_a_second_rectification_fails():
    outcome = reviews.acceptance_outcome
    assert (
        outcome(
            completion=D(100),
            programme=_Programme(),
            false_data=True,
            months_late=0,
            disputed=[],
            round_=1,
        )[0]
        == "fail"
    )
    assert (
        outcome(
            completion=D(100),
            programme=_Programme(),
            false_data=False,
            months_late=7,
            disputed=[],
            round_=1,
        )[0]
        == "fail"
    )
    assert (
        outcome(
            completion=D(100),
            programme=_Programme(),
            false_data=False,
            months_late=6,
            disputed=[],
            round_=1,
        )[0]
        == "accept"
    )
    assert (
        outcome(
            completion=D(85),
            programme=_Programme(),
            false_data=False,
            months_late=0,
            disputed=[],
            round_=2,
        )[0]
        == "fail"
    )


def test_spending_beyond_the_allowed_adjustment_needs_an_approved_change(world):
    money()
    contract = signed_contract(approved_project(grant="100000.00", repayable="0"))
    # equipment is budgeted at 60,000 yuan; the programme allows 10 % more without a change
    report = contract.reports.get(kind="progress")
    with clock.frozen(dt.datetime(2027, 6, 1, 10, 0)):
        with pytest.raises(ContractError) as info:
            contracts.report_submit(
                report=report,
                actor=user("applicant"),
                text="进展",
                actuals={},
                spending={"equipment": D("66000.01")},
            )
        assert "66,000.00" in str(info.value) and "设备费" in str(info.value)
        with pytest.raises(ContractError):  # the total may not grow: lower another item first
            contracts.budget_change_request(
                contract=contract,
                item="equipment",
                new_amount=D("70000"),
                reason="设备涨价",
                actor=user("applicant"),
            )
        lower = contracts.budget_change_request(
            contract=contract,
            item="materials",
            new_amount=D("30000"),
            reason="材料费结余调出",
            actor=user("applicant"),
        )
        contracts.budget_change_decide(change=lower, approve=True, actor=user("city_officer"))
        change = contracts.budget_change_request(
            contract=contract,
            item="equipment",
            new_amount=D("70000"),
            reason="设备涨价",
            actor=user("applicant"),
        )
        with pytest.raises(ContractError):  # a change only counts once approved
            contracts.report_submit(
                report=report,
                actor=user("applicant"),
                text="进展",
                actuals={},
                spending={"equipment": D("70000")},
            )
        contracts.budget_change_decide(change=change, approve=True, actor=user("city_officer"))
        contracts.report_submit(
            report=report,
            actor=user("applicant"),
            text="进展",
            actuals={},
            spending={"equipment": D("77000")},
        )  # 70,000 + 10 %
    assert report.spending.get().amount_fen == 7_700_000


def test_two_budget_changes_that_fit_alone_cannot_both_be_approved(world):
    money()
    contract = signed_contract(approved_project(grant="100000.00", repayable="0"))
    officer = user("city_officer")
    with clock.frozen(dt.datetime(2027, 6, 1, 10, 0)):
        lower = contracts.budget_change_request(
            contract=contract,
            item="materials",
            new_amount=D("30000"),
            reason="材料费结余调出",
            actor=user("applicant"),
        )
        contracts.budget_change_decide(change=lower, approve=True, actor=officer)
        # equipment 60,000 → 70,000 fits (70,000 + 30,000); so does materials 30,000 → 40,000
        # (60,000 + 40,000); both together would be 110,000 on a 100,000 contract
        up_equipment, up_materials = (
            contracts.budget_change_request(
                contract=contract,
                item=item,
                new_amount=D(amount),
                reason="调剂",
                actor=user("applicant"),
            )
            for item, amount in (("equipment", "70000"), ("materials", "40000"))
        )
        contracts.budget_change_decide(change=up_equipment, approve=True, actor=officer)
        with pytest.raises(ContractError) as info:
            contracts.budget_change_decide(change=up_materials, approve=True, actor=officer)
    assert "110,000.00" in str(info.value) and "100,000.00" in str(info.value)
    up_materials.refresh_from_db()
    assert up_materials.status == "requested"  # still waiting: it can be rejected


def test_the_contract_and_certificate_pdfs_contain_their_chinese_text(world):
    from pypdf import PdfReader

    money()
    contract = signed_contract(approved_project())
    text = "".join(
        p.extract_text() for p in PdfReader(BytesIO(documents.contract_pdf(contract))).pages
    )
    for phrase in (
        "项目任务书",
        contract.number,
        "考核指标",
        "示范面积",
        "有偿使用资金还款条款",
        "稻渔综合种养技术集成与示范",
    ):
        assert phrase in text, phrase
    acceptance = Acceptance(
        application=contract.application,
        certificate_number="YSZS-2026-0001",
        conclusion="accept",
        completion_pct=D("95.00"),
        concluded_at=clock.now(),
    )
    text = PdfReader(BytesIO(documents.certificate_pdf(acceptance))).pages[0].extract_text()
    for phrase in ("验收证书", "YSZS-2026-0001", "通过验收", "95.00%", "同意通过验收"):
        assert phrase in text, phrase


def test_running_the_reminders_twice_on_a_day_sends_each_once(
    world, django_capture_on_commit_callbacks
):
    money()
    contract = signed_contract(approved_project())
    mid = contract.reports.get(kind="progress")
    day = mid.due_on - dt.timedelta(days=10)
    first, second = StringIO(), StringIO()

    def call_command(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            globals()["call_command"](*args, **kwargs)

    call_command("send_reminders", "--date", day.isoformat(), stdout=first)
    sent = len(mail.outbox)
    assert sent >= 1 and "1 reminders sent" in first.getvalue()
    call_command("send_reminders", "--date", day.isoformat(), stdout=second)
    assert len(mail.outbox) == sent and "0 reminders sent" in second.getvalue()
    # overdue: a new reminder (to the applicant and the officer), once
    late = mid.due_on + dt.timedelta(days=3)
    call_command("send_reminders", "--date", late.isoformat(), stdout=StringIO())
    after = len(mail.outbox)
    assert after > sent
    call_command("send_reminders", "--date", late.isoformat(), stdout=StringIO())
    assert len(mail.outbox) == after


def _paid_out_and_in_acceptance(books):
    """A repayable project with its first two tranches paid, at acceptance on 2029-01-10
    with 85 % of its indicators done (a rectify conclusion)."""
    application = approved_project()
    contract = signed_contract(application)
    first, repayable, _last = contract.tranches.all()
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        for tranche in (first, repayable):
            pay(
                contracts.tranche_order(tranche=tranche, actor=user("finance")),
                books["bank"],
                dt.date(2027, 1, 5),
            )
    with clock.frozen(dt.datetime(2029, 1, 10, 10, 0)):
        acceptance = acceptance_through(
            application,
            contract,
            actuals=["350", "1000"],
            score={"tasks": "55", "funds": "18", "other": "8"},
            text="示范面积完成350亩。",
        )
    return application, contract, acceptance


def test_when_the_rectification_period_runs_out_the_money_stops_and_falls_due(world):
    books = money()
    application, contract, acceptance = _paid_out_and_in_acceptance(books)
    assert acceptance.conclusion == "rectify" and acceptance.completion_pct == D("85.00")
    assert acceptance.rectify_due == dt.date(2029, 4, 10)
    assert closing.remaining_commitment_fen(contract) == 12_000_000  # the last tranche
    # the day after the period ends, the daily reminder run fails the project
    call_command("send_reminders", "--date", "2029-04-10", stdout=StringIO())
    assert refresh(application).status == S.RECTIFYING
    with clock.frozen(dt.datetime(2029, 4, 11, 8, 0)):
        call_command("send_reminders", "--date", "2029-04-11", stdout=StringIO())
    assert refresh(application).status == S.FAILED
    # as a failed conclusion does: the last tranche stops, its commitment is released,
    # and the repayable money (200,000.00, nothing repaid yet) falls due on that day
    assert contract.tranches.get(seq=3).status == Tranche.Status.STOPPED
    assert closing.remaining_commitment_fen(contract) == 0
    account = RepayableAccount.objects.get(pk=contract.repayable_id)
    due_now = [
        i.principal_due_fen - i.principal_paid_fen
        for i in account.instalments.all()
        if i.due_date == dt.date(2029, 4, 11)
    ]
    assert due_now == [20_000_000]
    _verify_clean()


def test_an_accepted_project_is_not_reminded_of_a_report_it_never_filed(
    world, django_capture_on_commit_callbacks
):
    books = money()
    application, contract, _acceptance = _paid_out_and_in_acceptance(books)
    mid = contract.reports.get(kind="progress")
    assert mid.submitted_at is None and mid.due_on < dt.date(2029, 1, 10)
    # as if accepted at once (the conclusions themselves are tested above)
    Application.objects.filter(pk=application.pk).update(status=S.ACCEPTED)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "2029-02-01", stdout=StringIO())
    assert [m.subject for m in mail.outbox] == []


def test_terminating_releases_the_unpaid_commitment(world):
    books = money()
    application = approved_project()
    contract = signed_contract(application)
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        first = contract.tranches.get(seq=1)
        pay(
            contracts.tranche_order(tranche=first, actor=user("finance")),
            books["bank"],
            dt.date(2027, 1, 5),
        )
    with clock.frozen(dt.datetime(2027, 6, 1, 10, 0)):
        closing.project_terminate(
            application=refresh(application), actor=user("city_officer"), reason="承担单位停产"
        )
    assert refresh(application).status == S.TERMINATED
    assert closing.remaining_commitment_fen(contract) == 0
    assert set(contract.tranches.values_list("status", flat=True)) == {
        Tranche.Status.ORDERED,
        Tranche.Status.STOPPED,
    }
    _verify_clean()


def test_the_home_pages_queue_the_contract_stage(world, client):
    from django.urls import reverse

    from .lifecycle import REPAY_TERMS

    money()
    application = approved_project()

    def home(username: str) -> str:
        client.force_login(user(username))
        return client.get(reverse("home")).content.decode()

    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0)):
        contract = contracts.contract_draft(
            application=application,
            actor=user("city_officer"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2028, 12, 31),
            payee_account="6222020200001234567",
            indicators=[{"name": "示范面积", "unit": "亩", "target": D("500")}],
            repay_terms=REPAY_TERMS,
        )
        assert contract.number in home("applicant") and "待确认的任务书" in home("applicant")
        contracts.contract_confirm(contract=contract, actor=user("applicant"))
        assert contract.number in home("city_officer") and "待签订" in home("city_officer")
        contracts.contract_sign(contract=contract, actor=user("city_officer"))
        page = home("finance")
        assert f"{contract.number} #1" in page and "待生成拨付单" in page
        assert "中期进展报告" in home("applicant")
