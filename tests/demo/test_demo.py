"""Acceptance 5 of the foundation: ``demo`` is idempotent."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def _dump() -> str:
    out = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--exclude",
        "contenttypes",
        "--exclude",
        "auth.permission",
        "--exclude",
        "sessions",
        "--exclude",
        "axes",
        stdout=out,
    )
    return out.getvalue()


def test_demo_twice_creates_nothing_the_second_time():
    first = io.StringIO()
    call_command("demo", stdout=first)
    assert "Demo world built" in first.getvalue()
    before = _dump()
    second = io.StringIO()
    call_command("demo", stdout=second)
    assert "Nothing created" in second.getvalue()
    assert _dump() == before


def test_demo_world_has_what_the_readme_promises():
    from accounts.identifiers import validate_credit_code, validate_id_number
    from accounts.models import Organisation, OrgUnit, Person, User
    from accounts.roles import Role
    from reviews.models import ExpertProfile

    call_command("demo", stdout=io.StringIO())
    assert OrgUnit.objects.filter(level="province").count() == 1
    assert OrgUnit.objects.filter(level="city").count() == 2
    assert OrgUnit.objects.filter(level="district").count() == 6
    assert set(Organisation.objects.values_list("org_type", flat=True)) == set(
        Organisation.Type.values
    )
    for org in Organisation.objects.all():
        validate_credit_code(org.credit_code)
    for person in Person.objects.all():
        validate_id_number(person.id_number)
    assert ExpertProfile.objects.count() == 30
    held = set(User.objects.values_list("memberships__role", flat=True))
    assert held >= set(Role.values)
    assert all(u.check_password("Demo@2026") for u in User.objects.all())


def test_demo_world_shows_an_account_chased_and_one_in_court():
    from django.db.models import Sum

    from ledger.models import DunningStep, Entry, Leg, LegalCase, RecoveryPath, Repayment

    call_command("demo", stdout=io.StringIO())
    # an account chased, with its 催收通知书, and money recovered by 催收
    notice = DunningStep.objects.get(account__project_ref="KJ2026-YC-021", kind="notice")
    assert notice.letter_no and notice.pay_by and notice.owed_fen > 0
    chased = Repayment.objects.get(account__project_ref="KJ2026-YC-021")
    assert chased.path == RecoveryPath.DUNNING
    # an account in court (judged), part of it recovered through the court
    case = LegalCase.objects.get(account__project_ref="KJ2026-YC-022")
    assert case.stage == LegalCase.Stage.JUDGED and case.case_number
    sued = Repayment.objects.get(account__project_ref="KJ2026-YC-022")
    assert sued.path == RecoveryPath.COURT
    # the ledger tells the two apart
    court_entries = Leg.objects.filter(
        entry__kind=Entry.Kind.REPAYMENT_COURT, account__kind="bank"
    ).aggregate(fen=Sum("amount"))
    assert court_entries["fen"] == sued.amount_fen
    out = io.StringIO()
    call_command("ledger_verify", "--quiet-accounts", stdout=out)


def test_demo_world_has_a_closed_panel_with_a_paid_expert_fee_sheet():
    from ledger.models import Leg
    from reviews.fee_models import ExpertFeeSheet
    from reviews.fee_tax import labour_remuneration_tax
    from reviews.models import Assignment

    call_command("demo", stdout=io.StringIO())
    sheet = ExpertFeeSheet.objects.get(status=ExpertFeeSheet.Status.PAID)
    assert sheet.panel.status == "closed"
    paid = set(
        Assignment.objects.filter(panel=sheet.panel, status="submitted").values_list(
            "expert_id", flat=True
        )
    )
    lines = list(sheet.lines.all())
    assert {line.expert_id for line in lines} == paid
    for line in lines:
        tax = labour_remuneration_tax(Decimal(line.gross_fen) / 100)
        assert line.tax_fen == int(tax.tax * 100) and line.net_fen == line.gross_fen - line.tax_fen
    assert sum(line.net_fen for line in lines) == sheet.net_fen
    legs = dict(Leg.objects.filter(entry=sheet.pay_entry).values_list("account__kind", "amount"))
    assert legs["expert_fee_expense"] == sheet.gross_fen
    assert legs["tax_payable"] == -sheet.tax_fen
    assert legs["bank"] == -sheet.net_fen


def test_demo_world_has_inbox_messages_and_a_change_history():
    from notices.models import Message
    from projects.models import Application, ChangeRequest

    call_command("demo", stdout=io.StringIO())
    # several people find something in their inbox: the applicant, an expert, a district
    # officer, a city officer and finance
    titles = {
        username: list(
            Message.objects.filter(user__username=username).values_list("title", flat=True)
        )
        for username in ("applicant", "expert", "district_officer", "city_officer", "finance")
    }
    assert all(titles.values()), titles
    assert any(t.startswith("项目变更已批准") and t.endswith("负责人") for t in titles["applicant"])
    assert any("整改" in t for t in titles["finance"])
    assert any("公示" in t for t in titles["city_officer"])
    # a project whose 变更 history has a 延期 and a 负责人 change, each a 任务书 version
    project = Application.objects.get(title="西湖区茶园智能灌溉系统示范")
    history = ChangeRequest.objects.filter(contract__application=project).order_by("decided_at")
    assert [(c.get_kind_display(), c.get_status_display()) for c in history] == [
        ("延期", "已批准"),
        ("负责人", "已批准"),
    ]
    assert project.team.leads().get().person.name == "郑伟"
    versions = project.contract.versions.order_by("number")
    assert [v.content["team"][0][1] for v in versions] == ["赵立群", "赵立群", "郑伟"]


def test_demo_world_has_a_surplus_returned_and_matched_from_the_bank():
    from ledger.models import Account, StatementLine, SurplusReturn
    from ledger.verify import verify_ledger
    from projects.models import Application, ClosingSurplus

    call_command("demo", stdout=io.StringIO())
    record = ClosingSurplus.objects.get(application__title="西湖龙井茶树良种繁育技术推广")
    assert record.application.status == Application.Status.CLOSED
    assert (record.paid_fen, record.spent_fen, record.surplus_fen) == (
        25_000_000,
        24_000_000,
        1_000_000,
    )
    due = SurplusReturn.objects.get(pk=record.surplus_return_id)
    assert due.status == SurplusReturn.Status.RETURNED and due.amount_fen == 1_000_000
    assert due.statement_line.method == StatementLine.Method.REFERENCE
    assert Account.objects.get(pk=due.account_id).balance == 0
    assert verify_ledger().ok


def test_demo_world_has_a_loan_interest_subsidy_paid_and_a_cut_project():
    from ledger.models import Disbursement
    from projects.models import ApprovalCut, InterestCertificate, Loan

    call_command("demo", stdout=io.StringIO())
    # a 贴息 project: its bank loan, the subsidy committed on its own line, a certificate paid
    certificate = InterestCertificate.objects.select_related("subsidy__contract").first()
    assert certificate is not None
    subsidy = certificate.subsidy
    loan = Loan.objects.get(application=subsidy.contract.application_id)
    assert loan.principal_fen > 0 and loan.bank
    assert subsidy.budget_line.instrument == "interest_subsidy"
    assert certificate.subsidy_fen <= min(certificate.share_fen, subsidy.amount_fen)
    assert certificate.disbursement.status in (
        Disbursement.Status.PAID,
        Disbursement.Status.RECONCILED,
    )
    # a 核减 project: approved less than asked, with the reason the applicant sees
    cut = ApprovalCut.objects.select_related("application").first()
    assert cut is not None and cut.approved_fen < cut.requested_fen and cut.reason
