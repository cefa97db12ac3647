"""项目变更 (延期 / 承担单位 / 指标) and 中期检查 (合格 / 整改 / 不合格), through the real
services and pages: what an applicant, an officer or an auditor would notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Organisation
from core import clock
from core.confirm import CONFIRMED
from ledger import services as ledger
from ledger.errors import LedgerError
from ledger.models import Disbursement
from projects import changes, contracts, documents, midterm
from projects.changes import ChangeError
from projects.contracts import ContractError
from projects.models import (
    Application,
    ChangeRequest,
    ExtensionRule,
    MidtermFinding,
    ReminderSent,
    Tranche,
    TransitionLog,
)

from .conftest import refresh, user
from .lifecycle import approved_project, money, pay, signed_contract

pytestmark = pytest.mark.django_db
S = Application.Status
Kind = ChangeRequest.Kind


def at(day: dt.date) -> clock.frozen:
    return clock.frozen(dt.datetime.combine(day, dt.time(10, 0)))


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def _extend(contract, new_end: dt.date, *, day=dt.date(2027, 3, 1), approve=True):
    with at(day):
        change = changes.change_request(
            contract=contract,
            kind=Kind.EXTENSION,
            reason="示范基地受台风影响，需延长实施期",
            new_end_date=new_end,
            actor=user("applicant"),
        )
        if approve:
            change = changes.change_decide(
                change=change, approve=True, reason="理由充分", actor=user("city_officer")
            )
    return change


def test_an_extension_moves_the_end_the_report_due_dates_and_keeps_both_versions(world):
    money()
    application = approved_project()
    contract = signed_contract(application)
    reports = {r.kind: r for r in contract.reports.all()}
    assert reports["final"].due_on == dt.date(2028, 12, 31)
    mid_before = reports["progress"].due_on
    # when
    _extend(contract, dt.date(2029, 6, 30))
    # then the end date (the acceptance deadline) and the final report move to it, and
    # the mid-term report to the middle of the new term
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2029, 6, 30)
    reports = {r.kind: r for r in contract.reports.all()}
    assert reports["final"].due_on == dt.date(2029, 6, 30)
    assert reports["progress"].due_on == dt.date(2028, 3, 31) > mid_before
    # the 任务书 has two versions: as signed and as extended, each printable
    versions = list(contract.versions.order_by("number"))
    assert [(v.number, v.content["end_date"]) for v in versions] == [
        (1, "2028-12-31"),
        (2, "2029-06-30"),
    ]
    v1 = _pdf_text(documents.contract_pdf(contract, versions[0]))
    v2 = _pdf_text(documents.contract_pdf(contract, versions[1]))
    assert "第1版" in v1 and "2028年12月31日" in v1
    assert "第2版" in v2 and "2029年06月30日" in v2 and "延期" in v2
    # both steps are in the 状态记录, in words
    trail = [
        (log.get_transition_display(), log.reason)
        for log in TransitionLog.objects.filter(application=application).order_by("pk")
    ][-2:]
    assert trail[0][0] == "提出项目变更" and "2029-06-30" in trail[0][1]
    assert trail[1][0] == "批准项目变更" and "理由充分" in trail[1][1]


def test_the_reminder_follows_the_moved_due_date(world):
    money()
    contract = signed_contract(approved_project())
    call_command("send_reminders", "--date", "2028-12-10", stdout=StringIO())
    final = contract.reports.get(kind="final")
    assert ReminderSent.objects.filter(key__startswith=f"soon:{final.pk}:").count() == 1
    _extend(contract, dt.date(2029, 6, 30), day=dt.date(2028, 12, 11))
    # nothing is due within 30 days any more; near the new date the applicant is reminded again
    call_command("send_reminders", "--date", "2028-12-12", stdout=StringIO())
    assert ReminderSent.objects.filter(key__startswith=f"soon:{final.pk}:").count() == 1
    call_command("send_reminders", "--date", "2029-06-10", stdout=StringIO())
    reminders = ReminderSent.objects.filter(key__startswith=f"soon:{final.pk}:")
    assert reminders.count() == 2
    assert "2029-06-30" in reminders.order_by("-pk").first().subject


def test_a_second_extension_is_refused_by_the_default_rule(world):
    money()
    contract = signed_contract(approved_project())
    _extend(contract, dt.date(2029, 3, 31))
    contract.refresh_from_db()
    with pytest.raises(ChangeError, match="已经延期 1 次"):
        _extend(contract, dt.date(2029, 6, 30), approve=False)
    assert contract.change_requests.count() == 1


def test_an_extension_over_twelve_months_is_refused(world):
    money()
    contract = signed_contract(approved_project())
    with pytest.raises(ChangeError, match="2029-12-31"):
        _extend(contract, dt.date(2030, 1, 1), approve=False)
    # exactly twelve months is allowed
    _extend(contract, dt.date(2029, 12, 31))
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2029, 12, 31)


def test_a_programme_rule_allows_two_extensions_within_its_months(world):
    money()
    application = approved_project()
    contract = signed_contract(application)
    ExtensionRule.objects.create(
        programme=application.call.programme, max_extensions=2, max_months=18
    )
    _extend(contract, dt.date(2029, 6, 30))
    contract.refresh_from_db()
    _extend(contract, dt.date(2030, 6, 30), day=dt.date(2027, 4, 1))
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2030, 6, 30)
    # 18 months from the end as signed is reached: a third one is refused
    with pytest.raises(ChangeError, match="2 次"):
        _extend(contract, dt.date(2030, 7, 31), day=dt.date(2027, 5, 1), approve=False)


def test_the_new_organisation_must_be_eligible_and_the_project_passes_to_it(world):
    money()
    application = approved_project()
    contract = signed_contract(application)

    def ask(name: str) -> ChangeRequest:
        return changes.change_request(
            contract=contract,
            kind=Kind.ORGANISATION,
            reason="原单位业务调整，由区农技推广中心承担",
            new_organisation=Organisation.objects.get(name=name),
            actor=user("applicant"),
        )

    with at(dt.date(2027, 3, 1)):
        with pytest.raises(ChangeError, match="不在西湖区"):
            ask("杭州余杭径山茶叶专业合作社")
        with pytest.raises(ChangeError, match="已是"):
            ask("杭州西湖智慧农业科技有限公司")
        change = ask("杭州市西湖区农业技术推广中心")
        # the district bureau (a government body) may never take a project
        bureau = Organisation.objects.get(name="杭州市上城区科学技术协会")
        bureau.region = application.district
        bureau.save()
        with pytest.raises(ChangeError, match="政府机关"):
            ask("杭州市上城区科学技术协会")
        # the applicant cannot approve their own change
        with pytest.raises(ChangeError):
            changes.change_decide(
                change=change, approve=True, reason="同意", actor=user("applicant")
            )
        changes.change_decide(
            change=change, approve=True, reason="同意变更", actor=user("city_officer")
        )
    assert refresh(application).organisation.name == "杭州市西湖区农业技术推广中心"
    latest = contract.versions.order_by("-number").first()
    assert latest.number == 2
    assert "杭州市西湖区农业技术推广中心" in _pdf_text(documents.contract_pdf(contract, latest))


def test_indicator_targets_change_only_when_approved(world):
    money()
    contract = signed_contract(approved_project())
    area = contract.indicators.get(name="示范面积")
    with at(dt.date(2027, 3, 1)):
        with pytest.raises(ChangeError, match="大于 0"):
            changes.change_request(
                contract=contract,
                kind=Kind.INDICATORS,
                reason="x",
                targets={area.pk: "0"},
                actor=user("applicant"),
            )
        change = changes.change_request(
            contract=contract,
            kind=Kind.INDICATORS,
            reason="受耕地调整影响，示范面积调减",
            targets={area.pk: "400"},
            actor=user("applicant"),
        )
        area.refresh_from_db()
        assert area.target == D("500")
        changes.change_decide(
            change=change, approve=True, reason="同意", actor=user("city_officer")
        )
    area.refresh_from_db()
    assert area.target == D("400")
    assert ["示范面积", "亩", "400.00"] in contract.versions.get(number=2).content["indicators"]
    assert ["示范面积", "亩", "500.00"] in contract.versions.get(number=1).content["indicators"]


def test_a_rejected_change_changes_nothing(world):
    money()
    contract = signed_contract(approved_project())
    change = _extend(contract, dt.date(2029, 6, 30), approve=False)
    with at(dt.date(2027, 3, 2)):
        with pytest.raises(ChangeError, match="理由"):
            changes.change_decide(
                change=change, approve=False, reason=" ", actor=user("city_officer")
            )
        changes.change_decide(
            change=change, approve=False, reason="理由不充分", actor=user("city_officer")
        )
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2028, 12, 31)
    assert not contract.versions.exists()
    assert refresh_change(change).get_status_display() == "已驳回"


# --- 中期检查 ---------------------------------------------------------------------------


def _round(application: Application):
    with at(dt.date(2027, 6, 1)):
        return midterm.midterm_check_create(
            programme=application.call.programme,
            year=application.call.year,
            title="2027年度科技计划项目中期检查",
            check_date=dt.date(2027, 6, 1),
            actor=user("city_officer"),
        )


def _rectify_finding(application: Application, check_round) -> MidtermFinding:
    with at(dt.date(2027, 6, 2)):
        return midterm.midterm_finding_record(
            check_round=check_round,
            application=application,
            result=MidtermFinding.Result.RECTIFY,
            to_fix="补齐设备采购台账",
            rectify_due=dt.date(2027, 7, 31),
            actor=user("city_officer"),
        )


def test_a_rectification_finding_holds_the_tranche_until_accepted(world, client):
    books = money()
    application = approved_project()
    contract = signed_contract(application)
    check_round = _round(application)
    assert application in midterm.projects_to_check(check_round)
    finding = _rectify_finding(application, check_round)
    first = contract.tranches.get(seq=1)
    # the tranche service refuses, with the reason
    with at(dt.date(2027, 6, 3)), pytest.raises(ContractError, match="补齐设备采购台账"):
        contracts.tranche_order(tranche=first, actor=user("finance"))
    # so does the web form (the message on the contract page)
    client.force_login(user("finance"))
    with at(dt.date(2027, 6, 3)):
        response = client.post(
            reverse("contract_action", args=[contract.pk, "order"]),
            {"tranche": first.pk},
            follow=True,
        )
    page = response.content.decode()
    assert "中期检查" in page and "补齐设备采购台账" in page
    assert refresh_tranche(first).status == Tranche.Status.PLANNED
    # the applicant reports, the officer accepts: the tranche may be paid
    with at(dt.date(2027, 7, 1)):
        with pytest.raises(midterm.MidtermError):
            midterm.midterm_rectification_accept(finding=finding, actor=user("city_officer"))
        midterm.midterm_rectification_report(
            finding=finding, text="台账已补齐并经区科协核对", actor=user("applicant")
        )
        assert midterm_hold_reason(application)
        midterm.midterm_rectification_accept(finding=finding, actor=user("city_officer"))
    order = contracts.tranche_order(tranche=first, actor=user("finance"))
    paid = pay(order, books["bank"], dt.date(2027, 7, 2))
    assert paid.status == Disbursement.Status.PAID
    labels = [
        log.get_transition_display()
        for log in TransitionLog.objects.filter(application=application).order_by("pk")
    ]
    assert [label for label in labels if label.startswith("中期检查")] == [
        "中期检查结论",
        "中期检查整改已报",
        "中期检查整改通过",
    ]


def refresh_tranche(tranche: Tranche) -> Tranche:
    return Tranche.objects.get(pk=tranche.pk)


def midterm_hold_reason(application: Application) -> str | None:
    from projects.payments import payment_refusal

    return payment_refusal(refresh(application))


def test_the_hold_stops_an_order_made_before_the_finding(world):
    money()
    application = approved_project()
    contract = signed_contract(application)
    with at(dt.date(2027, 1, 5)):
        order = contracts.tranche_order(tranche=contract.tranches.get(seq=1), actor=user("finance"))
    _rectify_finding(application, _round(application))
    with at(dt.date(2027, 6, 3)), pytest.raises(LedgerError, match="补齐设备采购台账"):
        ledger.disbursement_submit(disbursement=order, actor=user("finance"))


def test_a_failed_finding_terminates_and_cancels_open_orders(world):
    money()
    application = approved_project()
    contract = signed_contract(application)
    with at(dt.date(2027, 1, 5)):
        order = contracts.tranche_order(tranche=contract.tranches.get(seq=1), actor=user("finance"))
        order = ledger.disbursement_submit(disbursement=order, actor=user("finance"))
    check_round = _round(application)
    with at(dt.date(2027, 6, 2)):
        with pytest.raises(midterm.MidtermError):
            midterm.midterm_finding_record(
                check_round=check_round,
                application=application,
                result=MidtermFinding.Result.FAIL,
                actor=user("city_officer"),
            )
        midterm.midterm_finding_record(
            check_round=check_round,
            application=application,
            result=MidtermFinding.Result.FAIL,
            note="项目未实质开展",
            actor=user("city_officer"),
        )
    assert refresh(application).status == S.TERMINATED
    assert Disbursement.objects.get(pk=order.pk).status == Disbursement.Status.CANCELLED
    assert set(contract.tranches.values_list("status", flat=True)) <= {
        Tranche.Status.STOPPED,
        Tranche.Status.ORDERED,
    }
    last = TransitionLog.objects.filter(application=application).order_by("pk").last()
    assert last.get_transition_display() == "终止" and order.number in last.reason


def test_pages_request_and_approve_an_extension_and_record_a_finding(world, client):
    money()
    application = approved_project()
    contract = signed_contract(application)
    client.force_login(user("applicant"))
    with at(dt.date(2027, 3, 1)):
        page = client.get(reverse("change_new", args=[contract.pk]))
        assert page.status_code == 200 and "<title>" in page.content.decode()
        response = client.post(
            reverse("change_new", args=[contract.pk]),
            {
                "kind": "extension",
                "new_end_date": "2029-06-30",
                "reason": "需延长实施期",
                CONFIRMED: "1",
            },
        )
    change = ChangeRequest.objects.get(contract=contract)
    assert response.status_code == 302
    client.force_login(user("city_officer"))
    with at(dt.date(2027, 3, 2)):
        # without the confirmation, nothing happens yet
        client.post(
            reverse("change_detail", args=[change.pk]), {"decision": "approve", "reason": "同意"}
        )
        assert refresh_change(change).status == "requested"
        client.post(
            reverse("change_detail", args=[change.pk]),
            {"decision": "approve", "reason": "同意", CONFIRMED: "1"},
        )
    assert refresh_change(change).status == "approved"
    client.force_login(user("applicant"))
    detail = client.get(reverse("application_detail", args=[application.pk])).content.decode()
    assert "2029-06-30" in detail
    contract_page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
    assert "第2版" in contract_page
    pdf = client.get(reverse("contract_version_pdf", args=[contract.pk, 2]))
    assert "第2版" in _pdf_text(pdf.content)


def refresh_change(change: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.get(pk=change.pk)


def test_pages_open_a_check_record_rectification_and_release_it(world, client):
    money()
    application = approved_project()
    contract = signed_contract(application)
    client.force_login(user("city_officer"))
    with at(dt.date(2027, 6, 1)):
        listing = client.get(reverse("midterm_list"))
        assert "<title>中期检查" in listing.content.decode()
        client.post(
            reverse("midterm_list"),
            {
                "programme": application.call.programme.pk,
                "year": "2026",
                "title": "2026年度科技计划项目中期检查",
                "check_date": "2027-06-01",
                CONFIRMED: "1",
            },
        )
        check_round = midterm_round_of(application)
        page = client.get(reverse("midterm_detail", args=[check_round.pk])).content.decode()
        assert application.number in page
        # a rectification without its deadline is refused by the form, nothing is recorded
        client.post(
            reverse("midterm_detail", args=[check_round.pk]),
            {
                "application": application.pk,
                "result": "rectify",
                "to_fix": "补齐台账",
                CONFIRMED: "1",
            },
        )
        assert not MidtermFinding.objects.exists()
        client.post(
            reverse("midterm_detail", args=[check_round.pk]),
            {
                "application": application.pk,
                "result": "rectify",
                "to_fix": "补齐设备采购台账",
                "rectify_due": "2027-07-31",
                CONFIRMED: "1",
            },
        )
    finding = MidtermFinding.objects.get()
    assert finding.is_holding
    client.force_login(user("applicant"))
    with at(dt.date(2027, 7, 1)):
        contract_page = client.get(reverse("contract_detail", args=[contract.pk])).content.decode()
        assert "整改完成前暂停拨付" in contract_page
        client.post(
            reverse("finding_detail", args=[finding.pk]),
            {"text": "台账已补齐", CONFIRMED: "1"},
        )
    client.force_login(user("city_officer"))
    with at(dt.date(2027, 7, 2)):
        client.post(reverse("finding_detail", args=[finding.pk]), {"accept": "1", CONFIRMED: "1"})
    finding.refresh_from_db()
    assert not finding.is_holding and finding.rectification == "台账已补齐"
    assert midterm_hold_reason(application) is None


def midterm_round_of(application: Application):
    from projects.models import MidtermCheck

    return MidtermCheck.objects.get(programme=application.call.programme, year=2026)


def test_the_city_officer_sets_the_programmes_extension_rule_on_its_page(world, client):
    money()
    application = approved_project()
    contract = signed_contract(application)
    programme = application.call.programme
    # the applicant may not
    client.force_login(user("applicant"))
    assert client.get(reverse("extension_rules")).status_code == 403
    client.force_login(user("city_officer"))
    page = client.get(reverse("extension_rules")).content.decode()
    assert "<title>延期规则" in page and "按默认规则执行" in page
    # out of bounds: refused by the form, no rule
    client.post(
        reverse("extension_rules"),
        {"programme": programme.pk, "max_extensions": "6", "max_months": "18", CONFIRMED: "1"},
    )
    assert not ExtensionRule.objects.exists()
    client.post(
        reverse("extension_rules"),
        {"programme": programme.pk, "max_extensions": "2", "max_months": "18", CONFIRMED: "1"},
    )
    assert changes.extension_limits(application) == (2, 18)
    _extend(contract, dt.date(2029, 6, 30))
    contract.refresh_from_db()
    _extend(contract, dt.date(2030, 6, 30), day=dt.date(2027, 4, 1))
    contract.refresh_from_db()
    assert contract.end_date == dt.date(2030, 6, 30)
