"""Helpers that take applications through the real services to later stages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit
from core import clock
from funding.models import Category
from ledger import services as ledger
from ledger.models import BankAccount, BudgetLine
from projects import closing, contracts, services
from projects.models import Application
from reviews import services as reviews
from reviews.models import Assignment, Panel, Rubric

from .conftest import award_call, checked, project_call, refresh, user

D = Decimal


def money() -> dict[str, Any]:
    """Budget lines of both programmes for 2026, funded bank accounts of the city and of 西湖区."""
    city, xihu = OrgUnit.objects.get(code="330100"), OrgUnit.objects.get(code="330106")
    finance = user("finance")
    day = dt.date(2026, 1, 10)
    lines = {}
    for instrument, programme, amount in (
        ("grant", "KJJH", "5000000"),
        ("repayable", "KJJH", "2000000"),
        ("award", "KPHN", "1000000"),
    ):
        lines[instrument] = ledger.budget_line_create(
            year=2026,
            funding_source=BudgetLine.Source.CITY_SPECIAL,
            instrument=instrument,
            programme_code=programme,
            name=f"2026 {programme} {instrument}",
            scope_path=city.path,
            amount=D(amount),
            value_date=day,
            actor=finance,
        )
    bank = ledger.bank_account_open(
        name="市财政专户",
        bank_name="工商银行杭州分行",
        account_number="1202020000000001",
        scope_path=city.path,
        actor=finance,
    )
    ledger.bank_funding_record(
        bank_account=bank,
        amount=D("8000000"),
        value_date=day,
        actor=finance,
        idempotency_key="test-funding-city",
    )
    district_bank = ledger.bank_account_open(
        name="西湖区财政专户",
        bank_name="农业银行西湖支行",
        account_number="1903030000000002",
        scope_path=xihu.path,
        actor=finance,
    )
    ledger.bank_funding_record(
        bank_account=district_bank,
        amount=D("500000"),
        value_date=day,
        actor=finance,
        idempotency_key="test-funding-xihu",
    )
    return {"lines": lines, "bank": bank, "district_bank": district_bank}


def acceptance_rubric() -> Rubric:
    return Rubric.objects.filter(code="ACC").first() or reviews.rubric_create(
        code="ACC",
        name="项目验收评价指标",
        total_threshold=D("60"),
        criteria=[
            {"code": "tasks", "name": "任务完成情况", "max_score": D("70")},
            {"code": "funds", "name": "资金使用情况", "max_score": D("20")},
            {"code": "other", "name": "其他", "max_score": D("10")},
        ],
    )


def city_rubric() -> Rubric:
    return Rubric.objects.filter(code="CITY").first() or reviews.rubric_create(
        code="CITY",
        name="终审指标",
        total_threshold=D("60"),
        criteria=[
            {"code": "a", "name": "综合评价", "max_score": D("100")},
        ],
    )


def panel_through(
    apps: list[Application], *, stage: str, rubric: Rubric, score: dict[str, str]
) -> Panel:
    """A one-expert panel over ``apps``, opened, scored from paper sheets, closed."""
    officer = user("city_officer")
    panel = reviews.panel_create(
        call=apps[0].call,
        stage=stage,
        name=f"{stage} panel",
        unit=OrgUnit.objects.get(code="330100"),
        rubric=rubric,
        deadline=clock.today() + dt.timedelta(days=10),
        actor=officer,
        applications=apps,
        size=1,
    )
    reviews.panel_draw(panel=panel, actor=officer, seed=7)
    reviews.panel_open(panel=panel, actor=officer)
    for a in Assignment.objects.filter(panel=panel):
        reviews.scores_save(
            assignment=a,
            actor=officer,
            offline=True,
            submit=True,
            comment="纸质评分表",
            values=score,
        )
    reviews.panel_close(panel=panel, actor=officer)
    return panel


def acceptance_through(
    application: Application,
    contract: Any,
    *,
    actuals: list[str],
    score: dict[str, str],
    text: str = "全部完成任务书指标。",
    spending: dict[str, Decimal] | None = None,
) -> Any:
    """The applicant requests acceptance with the indicator ``actuals`` (in the contract's
    order), a one-expert panel scores it with ``score``, finance passes the financial
    acceptance and the city officer concludes; the concluded acceptance."""
    indicators = list(contract.indicators.all())
    acceptance = closing.acceptance_request(
        application=application,
        actor=user("applicant"),
        text=text,
        fund_usage="专款专用，结余0元。",
        actuals={i.pk: Decimal(v) for i, v in zip(indicators, actuals, strict=True)},
        spending=spending or {},
    )
    panel_through(
        [Application.objects.get(pk=application.pk)],
        stage=Panel.Stage.ACCEPTANCE,
        rubric=acceptance_rubric(),
        score=score,
    )
    closing.acceptance_finance_record(
        acceptance=acceptance, actor=user("finance"), passed=True, note=""
    )
    return reviews.acceptance_conclude(acceptance=acceptance, actor=user("city_officer"))


def approved_project(*, grant: str = "300000.00", repayable: str = "200000.00") -> Application:
    """A 西湖区 project asking for a grant and repayable funding, approved on 2026-11-30."""
    applicant = user("applicant")
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        application = services.application_create(
            call=project_call(),
            category=Category.objects.get(programme__code="KJJH", code="agriculture"),
            title="稻渔综合种养技术集成与示范",
            organisation=Organisation.objects.get(name="杭州西湖智慧农业科技有限公司"),
            actor=applicant,
        )
        total = D(grant) + D(repayable)
        funding = {"grant": D(grant)} | ({"repayable": D(repayable)} if D(repayable) else {})
        services.application_update(
            application=application,
            actor=applicant,
            funding=funding,
            budget_items={"equipment": total * 6 / 10, "materials": total * 4 / 10},
        )
        services.application_submit(application=application, actor=applicant)
        services.application_formal_check(application=application, actor=user("district_officer"))
        rec = services.recommendation_list_create(
            call=application.call,
            district=application.district,
            applications=[application],
            actor=user("district_officer"),
        )
        services.recommendation_submit(recommendation_list=rec, actor=user("district_officer"))
        panel = panel_through(
            [application], stage=Panel.Stage.CITY, rubric=city_rubric(), score={"a": "88"}
        )
        notice = reviews.decision_publish(
            panel=panel, actor=user("city_officer"), starts_on=dt.date(2026, 11, 2)
        )
    with clock.frozen(dt.datetime(2026, 11, 30, 10, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    return Application.objects.get(pk=application.pk)


REPAY_TERMS = {
    "term_months": 24,
    "grace_months": 0,
    "period_months": 6,
    "method": "equal_principal",
    "fee_rate": D("0.02"),
    "overdue_rate": D("0.0005"),
}


def signed_contract(application: Application) -> Any:
    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0)):
        contract = contracts.contract_draft(
            application=application,
            actor=user("city_officer"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2028, 12, 31),
            payee_account="6222 0212 0200 1234 567",
            payee_bank="工商银行西湖支行",
            indicators=[
                {"name": "示范面积", "unit": "亩", "target": D("500")},
                {"name": "培训农民", "unit": "人次", "target": D("1000")},
            ],
            repay_terms=REPAY_TERMS,
        )
        contracts.contract_confirm(contract=contract, actor=user("applicant"))
        return contracts.contract_sign(contract=contract, actor=user("city_officer"))


_refs = iter(range(1, 10_000))


def pay(
    disbursement: Any,
    bank: BankAccount,
    day: dt.date,
    maker: str = "finance",
    checker: str = "finance_checker",
) -> Any:
    # approved and paid on the payment day (no payment is dated after its booking day)
    with clock.frozen(dt.datetime.combine(day, dt.time(10, 0))):
        d = ledger.disbursement_submit(disbursement=disbursement, actor=user(maker))
        d = ledger.disbursement_approve(disbursement=d, actor=user(checker))
        return ledger.disbursement_pay(
            disbursement=d,
            bank_account=bank,
            paid_on=day,
            bank_reference=f"TEST{day:%Y%m%d}{next(_refs):05d}",
            actor=user(maker),
        )


def award_approved(
    *, person: str = "俞根土", amount: str = "50000.00", start: dt.date = dt.date(2026, 11, 20)
) -> Application:
    """A 科普惠农兴村 nomination of 西湖区 taken from draft to approved by the city: the
    district notice from ``start`` (10 calendar days), the co-signed list and the city
    panel 11 days later, the city notice then, and the approval 25 days after ``start``
    (2026-11-20 → 2026-12-15 by default)."""
    from projects import services as projects

    def at(days: int) -> Any:
        return clock.frozen(dt.datetime.combine(start + dt.timedelta(days=days), dt.time(9, 0)))

    officer, finance = user("district_officer"), user("district_finance")
    with at(0):
        nomination = checked(
            call=award_call(),
            category="leader",
            actor="applicant_nt",
            organisation="杭州市西湖区农业技术推广中心",
            person=person,
            amount=amount,
        )
        projects.notice_publish(
            level="district",
            call=award_call(),
            unit=nomination.district,
            applications=[nomination],
            starts_on=start,
            actor=officer,
        )
        rec = projects.recommendation_list_create(
            call=award_call(),
            district=nomination.district,
            applications=[refresh(nomination)],
            actor=officer,
        )
        projects.recommendation_cosign(recommendation_list=rec, actor=finance)
    with at(11):
        projects.recommendation_submit(recommendation_list=rec, actor=officer)
        panel = panel_through(
            [refresh(nomination)],
            stage=Panel.Stage.CITY,
            rubric=city_rubric(),
            score={"a": "90"},
        )
        notice = reviews.decision_publish(
            panel=panel, actor=user("city_officer"), starts_on=start + dt.timedelta(days=11)
        )
    with at(25):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    return Application.objects.get(pk=nomination.pk)
