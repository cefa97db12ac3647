"""Expert fees (issue 15, item 6): the fee sheet of a closed panel is computed from the
assignments actually submitted, tax is withheld by the 劳务报酬 rule, a second person (the
finance checker) approves, the payment posts expense, bank and tax-payable legs to the
fen, the books verify, and the 发放表 reads back with the sheet's totals."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import OrgUnit, Person, RoleMembership
from accounts.roles import Role
from core import clock
from core.confirm import CONFIRMED
from ledger import services as ledger
from ledger.models import Account, BankAccount, BudgetLine, Leg
from reviews import fees, services
from reviews.fee_models import ExpertFeeSheet, FeeBasis
from reviews.fee_tax import labour_remuneration_tax
from reviews.models import Assignment, Panel
from reviews.services import ReviewError

from .conftest import TODAY, city_panel, recommended, user

pytestmark = pytest.mark.django_db
RATE = Decimal("1500.00")
CITY_BANK = "6222 0212 0200 1234 567"


def _fen(yuan: Decimal) -> int:
    return int(yuan * 100)


def _city() -> str:
    return OrgUnit.objects.get(code="330100").path


def _line(programme: str = "KJJH", amount: str = "200000.00") -> BudgetLine:
    return ledger.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.SCI_TECH,
        instrument="grant",
        programme_code=programme,
        name=f"2026年{programme}评审经费",
        scope_path=_city(),
        amount=Decimal(amount),
        value_date=dt.date(2026, 1, 10),
        actor=user("finance"),
    )


def _bank() -> BankAccount:
    bank = ledger.bank_account_open(
        name="杭州市科技局基本户",
        bank_name="中国工商银行杭州分行",
        account_number=CITY_BANK,
        scope_path=_city(),
    )
    ledger.bank_funding_record(
        bank_account=bank,
        amount=Decimal("500000.00"),
        value_date=dt.date(2026, 1, 5),
        actor=user("finance"),
        idempotency_key="funding:fees-test",
    )
    return bank


def _closed_panel(n_items: int = 3, size: int = 2) -> tuple[Panel, int]:
    """A closed city panel where one expert was released (replaced) before scoring;
    returns the panel and the released expert's id."""
    apps = recommended(n_items)
    panel = city_panel(apps, size=size)
    officer = user("city_officer")
    services.panel_draw(panel=panel, actor=officer, seed=7)
    first = Assignment.objects.filter(panel=panel).order_by("pk").first()
    services.assignment_replace(assignment=first, actor=officer, reason="与申报单位存在合作关系")
    services.panel_open(panel=panel, actor=officer)
    for a in Assignment.objects.live().filter(panel=panel):
        services.scores_save(
            assignment=a,
            actor=officer,
            offline=True,
            submit=True,
            comment="意见",
            values={"innov": "30", "feas": "20", "benefit": "20"},
        )
    services.panel_close(panel=panel, actor=officer)
    return Panel.objects.get(pk=panel.pk), first.expert_id


def _rate(basis: str = FeeBasis.PER_ITEM, amount: Decimal = RATE) -> None:
    panel_programme = user("city_officer")
    from funding.models import Programme

    fees.fee_rate_set(
        programme=Programme.objects.get(code="KJJH"),
        basis=basis,
        amount=amount,
        actor=panel_programme,
        note="杭科计〔2026〕3号",
    )


@pytest.fixture
def closed(world, today):
    panel, released = _closed_panel()
    _rate()
    return panel, released


def test_the_sheet_pays_submitted_assignments_only(closed):
    panel, released = closed
    line = _line()
    sheet = fees.fee_sheet_prepare(
        panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("city_officer")
    )
    submitted = Counter(
        Assignment.objects.filter(panel=panel, status="submitted").values_list(
            "expert_id", flat=True
        )
    )
    declined = Assignment.objects.get(panel=panel, expert_id=released, status="declined")
    assert declined.status == Assignment.Status.DECLINED
    lines = {line.expert_id: line for line in sheet.lines.all()}
    assert set(lines) == set(submitted)
    # the released expert is paid only for what they submitted elsewhere on the panel
    assert lines.get(released) is None or lines[released].items == submitted[released]
    for expert_id, fee_line in lines.items():
        assert fee_line.items == fee_line.units == submitted[expert_id]
        gross = RATE * submitted[expert_id]
        tax = labour_remuneration_tax(gross)
        assert fee_line.gross_fen == _fen(gross)
        assert fee_line.tax_fen == _fen(tax.tax)
        assert fee_line.taxable_fen == _fen(tax.taxable)
        assert fee_line.net_fen == _fen(gross - tax.tax)
    assert sheet.gross_fen == sum(x.gross_fen for x in lines.values())
    assert sheet.tax_fen == sum(x.tax_fen for x in lines.values())
    assert sheet.net_fen == sheet.gross_fen - sheet.tax_fen
    assert sheet.number.startswith("ZJF2026")
    # one sheet per panel while it stands
    with pytest.raises(ReviewError, match="已有"):
        fees.fee_sheet_prepare(
            panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("finance")
        )


def test_half_day_basis_pays_each_expert_the_sessions(closed):
    panel, _released = closed
    _rate(FeeBasis.HALF_DAY, Decimal("2000.00"))
    with pytest.raises(ReviewError, match="半天"):
        fees.fee_sheet_prepare(
            panel=panel,
            budget_line=_line(),
            basis=FeeBasis.HALF_DAY,
            actor=user("finance"),
        )
    sheet = fees.fee_sheet_prepare(
        panel=panel,
        budget_line=BudgetLine.objects.get(programme_code="KJJH", name__contains="评审经费"),
        basis=FeeBasis.HALF_DAY,
        half_days=3,
        actor=user("finance"),
    )
    experts = set(
        Assignment.objects.filter(panel=panel, status="submitted").values_list(
            "expert_id", flat=True
        )
    )
    assert {line.expert_id for line in sheet.lines.all()} == experts
    for line in sheet.lines.all():
        # 3 × 2 000 = 6 000 > 4 000: taxable 4 800, tax 960
        assert (line.units, line.gross_fen, line.taxable_fen, line.tax_fen) == (
            3,
            600_000,
            480_000,
            96_000,
        )


def test_refusals_name_the_reason_in_chinese(world, today):
    apps = recommended(1)
    panel = city_panel(apps, size=1)
    line = _line()
    with pytest.raises(ReviewError, match="评审尚未结束"):
        fees.fee_sheet_prepare(
            panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("city_officer")
        )
    closed_panel, _released = _closed_panel(n_items=1, size=1)
    with pytest.raises(ReviewError, match="没有专家费标准"):
        fees.fee_sheet_prepare(
            panel=closed_panel,
            budget_line=line,
            basis=FeeBasis.PER_ITEM,
            actor=user("city_officer"),
        )
    _rate()
    other = _line(programme="KPHN")
    with pytest.raises(ReviewError, match="不是"):
        fees.fee_sheet_prepare(
            panel=closed_panel,
            budget_line=other,
            basis=FeeBasis.PER_ITEM,
            actor=user("city_officer"),
        )
    poor = ledger.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="grant",
        programme_code="KJJH",
        name="2026年评审经费（余额不足）",
        scope_path=_city(),
        amount=Decimal("100.00"),
        value_date=dt.date(2026, 1, 10),
        actor=user("finance"),
    )
    with pytest.raises(ReviewError, match="可用"):
        fees.fee_sheet_prepare(
            panel=closed_panel,
            budget_line=poor,
            basis=FeeBasis.PER_ITEM,
            actor=user("city_officer"),
        )
    with pytest.raises(ReviewError):
        fees.fee_sheet_prepare(
            panel=closed_panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("expert")
        )
    assert not ExpertFeeSheet.objects.filter(panel=closed_panel).exists()


def test_the_maker_cannot_approve_their_own_sheet(closed):
    panel, _released = closed
    checker = user("finance_checker")
    # the checker also keeps the books as maker in this region, and prepares the sheet
    RoleMembership.objects.create(
        user=checker, role=Role.FINANCE, org_unit=OrgUnit.objects.get(code="330100")
    )
    sheet = fees.fee_sheet_prepare(
        panel=panel, budget_line=_line(), basis=FeeBasis.PER_ITEM, actor=checker
    )
    with pytest.raises(ReviewError, match="第二人|另一人|second|复核"):
        fees.fee_sheet_approve(sheet=sheet, actor=checker)
    with pytest.raises(ReviewError):  # the maker role alone does not approve
        fees.fee_sheet_approve(sheet=sheet, actor=user("finance"))
    sheet.refresh_from_db()
    assert sheet.status == ExpertFeeSheet.Status.PREPARED and sheet.approve_entry_id is None


def test_payment_posts_gross_net_and_tax_to_the_fen_and_the_books_verify(closed):
    panel, _released = closed
    line = _line()
    bank = _bank()
    before = BudgetLine.objects.with_figures().get(pk=line.pk)
    bank_before = Account.objects.get(pk=bank.account_id).balance
    sheet = fees.fee_sheet_prepare(
        panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("city_officer")
    )
    with pytest.raises(ReviewError):  # not before approval
        fees.fee_sheet_pay(
            sheet=sheet,
            bank_account=bank,
            paid_on=TODAY,
            bank_reference="ICBC202611200001",
            actor=user("finance"),
        )
    fees.fee_sheet_approve(sheet=sheet, actor=user("finance_checker"), note="同意")
    reserved = BudgetLine.objects.with_figures().get(pk=line.pk)
    assert reserved.available_fen == before.available_fen - sheet.gross_fen
    assert reserved.approved_fen == sheet.gross_fen
    with pytest.raises(ReviewError, match="早于|之前|before"):
        fees.fee_sheet_pay(
            sheet=sheet,
            bank_account=bank,
            paid_on=TODAY - dt.timedelta(days=1),
            bank_reference="ICBC202611190001",
            actor=user("finance"),
        )
    sheet = fees.fee_sheet_pay(
        sheet=sheet,
        bank_account=bank,
        paid_on=TODAY,
        bank_reference="ICBC202611200001",
        actor=user("finance"),
    )
    assert sheet.status == ExpertFeeSheet.Status.PAID and sheet.is_locked
    legs = {
        (leg.account.kind, leg.account.budget_line_id or leg.account_id): leg.amount
        for leg in Leg.objects.filter(entry=sheet.pay_entry).select_related("account")
    }
    gross, tax = sheet.gross_fen, sheet.tax_fen
    assert tax == sum(x.tax_fen for x in sheet.lines.all()) and tax > 0
    assert legs == {
        ("disbursed", line.pk): gross,
        ("approved", line.pk): -gross,
        ("expert_fee_expense", line.pk): gross,
        ("bank", bank.account_id): -(gross - tax),
        ("tax_payable", line.pk): -tax,
    }
    after = BudgetLine.objects.with_figures().get(pk=line.pk)
    assert after.disbursed_fen == before.disbursed_fen + gross
    assert after.approved_fen == 0
    assert Account.objects.get(pk=bank.account_id).balance == bank_before - (gross - tax)
    # idempotent: the ledger answers a second posting under the sheet's key with the first
    again = ledger.expert_fees_pay(
        budget_line=line,
        gross_fen=gross,
        tax_fen=tax,
        bank_account=bank,
        paid_on=TODAY,
        reference=sheet.number,
        actor=user("finance"),
    )
    assert again.pk == sheet.pay_entry_id
    # locked: no second payment, no rejection, no change of a bank account
    for attempt in (
        lambda: fees.fee_sheet_pay(
            sheet=sheet,
            bank_account=bank,
            paid_on=TODAY,
            bank_reference="ICBC202611200002",
            actor=user("finance"),
        ),
        lambda: fees.fee_sheet_reject(sheet=sheet, actor=user("finance_checker"), note="重复"),
        lambda: fees.fee_line_set_account(
            line=sheet.lines.order_by("pk")[0],
            account="6222020200112233",
            actor=user("city_officer"),
        ),
    ):
        with pytest.raises(ReviewError):
            attempt()
    out, err = io.StringIO(), io.StringIO()
    call_command("ledger_verify", stdout=out, stderr=err)
    assert not err.getvalue().strip()


def test_rejection_needs_a_reason_and_frees_the_panel(closed):
    panel, _released = closed
    line = _line()
    sheet = fees.fee_sheet_prepare(
        panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("city_officer")
    )
    with pytest.raises(ReviewError, match="理由|原因"):
        fees.fee_sheet_reject(sheet=sheet, actor=user("finance_checker"), note=" ")
    fees.fee_sheet_reject(sheet=sheet, actor=user("finance_checker"), note="评审天数有误")
    again = fees.fee_sheet_prepare(
        panel=panel, budget_line=line, basis=FeeBasis.PER_ITEM, actor=user("city_officer")
    )
    assert again.pk != sheet.pk and again.status == ExpertFeeSheet.Status.PREPARED


def _read_back(content: bytes) -> tuple[list[str], list[tuple], tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    total_at = next(i for i, row in enumerate(rows) if row and row[0] == "合计")
    money_formats = {
        ws.cell(row=total_at + 1, column=col).number_format for col in range(7, 11)
    } | {ws.cell(row=header_at + 2, column=col).number_format for col in range(7, 11)}
    assert money_formats == {"#,##0.00"}
    return list(rows[header_at]), rows[header_at + 1 : total_at], rows[total_at]


def test_the_payroll_sheet_reads_back_with_the_sheet_totals(closed):
    panel, _released = closed
    sheet = fees.fee_sheet_prepare(
        panel=panel, budget_line=_line(), basis=FeeBasis.PER_ITEM, actor=user("city_officer")
    )
    # a name that looks like a formula stays text in the download
    first = sheet.lines.order_by("pk")[0].expert.person
    Person.objects.filter(pk=first.pk).update(name='=HYPERLINK("http://x","y")')
    client = Client()
    client.force_login(user("finance"))
    response = client.get(reverse("reviews:fee_sheet_download", args=[sheet.pk]))
    assert response.status_code == 200
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(response.content)).active for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == '=HYPERLINK("http://x","y")' and c.data_type == "s" for c in cells)
    headers, body, total = _read_back(response.content)
    assert headers[:4] == ["序号", "姓名", "身份证号", "工作单位"]
    assert "签名" in headers
    col = {name: i for i, name in enumerate(headers)}
    lines = list(sheet.lines.select_related("expert__person"))
    assert len(body) == len(lines)
    for row, line in zip(body, lines, strict=True):
        person = line.expert.person
        assert row[col["姓名"]] == person.name
        assert row[col["身份证号"]] == person.id_number_masked != person.id_number
        assert row[col["签名"]] is None
    for header, fen in (
        ("应发金额（元）", sheet.gross_fen),
        ("代扣个人所得税（元）", sheet.tax_fen),
        ("实发金额（元）", sheet.net_fen),
    ):
        assert Decimal(str(total[col[header]])) == Decimal(fen) / 100
        assert sum(Decimal(str(row[col[header]])) for row in body) == Decimal(fen) / 100
    # no cell shows a full ID number
    every = " ".join(str(v) for row in body for v in row if v is not None)
    assert not any(line.expert.person.id_number in every for line in lines)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def test_the_pages_take_a_sheet_from_preparing_to_paid(closed):
    panel, _released = closed
    line = _line()
    bank = _bank()
    officer = _client("city_officer")
    page = officer.get(reverse("reviews:panel_fees", args=[panel.pk]))
    assert page.status_code == 200 and "准备专家劳务费" in page.content.decode()
    prepare = reverse("reviews:panel_fees_prepare", args=[panel.pk])
    asked = officer.post(prepare, {"budget_line": line.pk, "basis": FeeBasis.PER_ITEM})
    assert asked.status_code == 200 and not ExpertFeeSheet.objects.filter(panel=panel).exists()
    officer.post(prepare, {"budget_line": line.pk, "basis": FeeBasis.PER_ITEM, CONFIRMED: "1"})
    sheet = ExpertFeeSheet.objects.get(panel=panel)
    detail = officer.get(reverse("reviews:fee_sheet", args=[sheet.pk])).content.decode()
    assert sheet.number in detail and "等待财务复核" in detail
    checker = _client("finance_checker")
    url = reverse("reviews:fee_sheet_action", args=[sheet.pk, "approve"])
    asked = checker.post(url, {"decision_note": "同意"})
    assert asked.status_code == 200  # the confirmation page; nothing done yet
    sheet.refresh_from_db()
    assert sheet.status == ExpertFeeSheet.Status.PREPARED
    checker.post(url, {"decision_note": "同意", CONFIRMED: "1"})
    sheet.refresh_from_db()
    assert sheet.status == ExpertFeeSheet.Status.APPROVED
    finance = _client("finance")
    finance.post(
        reverse("reviews:fee_sheet_action", args=[sheet.pk, "pay"]),
        {
            "bank_account": bank.pk,
            "paid_on": clock.today().isoformat(),
            "bank_reference": "ICBC202611200009",
            CONFIRMED: "1",
        },
    )
    sheet.refresh_from_db()
    assert sheet.status == ExpertFeeSheet.Status.PAID
    assert officer.get(reverse("reviews:fee_sheet_download", args=[sheet.pk])).status_code == 200
    # an applicant sees neither the sheet nor its 发放表
    applicant = _client("applicant_nt")
    assert applicant.get(reverse("reviews:fee_sheet", args=[sheet.pk])).status_code == 404
    assert applicant.get(reverse("reviews:fee_sheet_download", args=[sheet.pk])).status_code == 404
