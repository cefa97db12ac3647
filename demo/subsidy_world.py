"""The 2024 batch of the 科技计划项目 (the district report's 贷款贴息 and 核减): a
project whose bank loan is subsidised, with one bank interest certificate paid, and a
project granted less than it asked (核减) whose applicant re-spread the budget before
the 任务书 was signed. Built through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit, User
from core import clock
from funding import services as funding
from funding.models import Call, Category, Programme
from ledger import services as ledger
from ledger.models import BankAccount, BudgetLine
from projects import contracts, cuts, subsidy
from projects import services as projects
from projects.models import Application, Tranche
from reviews import services as reviews
from reviews.models import Assignment, Panel, Rubric

from .ledger_world import CITY_BANK
from .log import Log

D = Decimal
TITLE = "2024年度杭州市科技计划项目（贷款贴息）"
ORG = "杭州西湖智慧农业科技有限公司"


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def state_loan(application: Application) -> None:
    """The bank loan behind the 2026 demo application that asks for a 贴息."""
    subsidy.loan_save(
        application=application,
        actor=_u("applicant"),
        bank="中国建设银行杭州西湖支行",
        contract_no="建杭西借〔2026〕第0312号",
        principal=D("1500000.00"),
        annual_rate=D("0.0435"),
        start_date=dt.date(2026, 9, 1),
        term_months=24,
    )


def _pay(order: Any, bank: BankAccount, day: dt.date, n: int) -> None:
    with clock.frozen(dt.datetime.combine(day, dt.time(10, 0))):
        order = ledger.disbursement_submit(disbursement=order, actor=_u("finance"))
        order = ledger.disbursement_approve(disbursement=order, actor=_u("finance_checker"))
        ledger.disbursement_pay(
            disbursement=order,
            bank_account=bank,
            paid_on=day,
            bank_reference=f"DEMOTX{clock.iso_date(day).replace('-', '')}{n:04d}",
            actor=_u("finance"),
        )


def _call(log: Log, programme: Programme) -> Call:
    call = log.created(
        funding.call_create(
            programme=programme,
            categories=list(programme.categories.all()),
            year=2024,
            title=TITLE,
            doc_number="杭科发〔2024〕31号",
            opens_on=dt.date(2024, 8, 1),
            closes_on=dt.date(2024, 8, 31),
            district_deadline=dt.date(2024, 9, 10),
            publicity_days=5,
            publicity_day_kind="working",
            budget_envelope_fen=100_000_000,
        )
    )
    xihu = OrgUnit.objects.get(code="330106")
    for category in programme.categories.all():
        log.created(
            funding.quota_set(
                call=call, district=xihu, category=category, max_count=3, max_amount_fen=100_000_000
            )
        )
    with clock.frozen(call.opens_on):
        funding.call_open(call=call)
    return call


def _application(
    log: Log, call: Call, category: str, title: str, funding_: dict[str, str], items: dict[str, str]
) -> Application:
    applicant = _u("applicant")
    application = log.created(
        projects.application_create(
            call=call,
            category=Category.objects.get(programme=call.programme, code=category),
            title=title,
            organisation=Organisation.objects.get(name=ORG),
            actor=applicant,
            contact_name=applicant.full_name,
        )
    )
    return projects.application_update(
        application=application,
        actor=applicant,
        summary=f"{title}：项目实施期一年。",
        funding={k: D(v) for k, v in funding_.items()},
        budget_items={k: D(v) for k, v in items.items()},
    )


def _review(call: Call, apps: list[Application]) -> Any:
    """Recommended by 西湖区, scored by a three-expert city panel, on the city notice."""
    officer, city = _u("district_officer"), _u("city_officer")
    with _at("2024-09-05T09:00"):
        for application in apps:
            projects.application_formal_check(application=application, actor=officer)
        rec = projects.recommendation_list_create(
            call=call, district=apps[0].district, applications=apps, actor=officer
        )
        projects.recommendation_submit(recommendation_list=rec, actor=officer)
        funding.call_advance(call=call, name="close")
        funding.call_advance(call=call, name="start_review")
    with _at("2024-09-15T09:00"):
        panel = reviews.panel_create(
            call=call,
            stage=Panel.Stage.CITY,
            name="2024年度科技计划项目（贷款贴息）市级评审组",
            unit=OrgUnit.objects.get(code="330100"),
            rubric=Rubric.objects.get(code="KJJH-CITY", version=1),
            deadline=dt.date(2024, 9, 30),
            actor=city,
            size=3,
        )
        reviews.panel_draw(panel=panel, actor=city, seed=2024091501)
        reviews.panel_open(panel=panel, actor=city)
    with _at("2024-09-22T16:00"):
        for assignment in Assignment.objects.filter(panel=panel).order_by("pk"):
            reviews.scores_save(
                assignment=assignment,
                actor=city,
                offline=True,
                submit=True,
                values={"innovation": "25", "feasibility": "21", "benefit": "20", "capacity": "16"},
                comment="（纸质评分表录入）贷款项目落实，同意立项。",
            )
        reviews.panel_close(panel=panel, actor=city)
    with _at("2024-09-24T09:00"):
        return reviews.decision_publish(panel=panel, actor=city, starts_on=dt.date(2024, 9, 24))


def build(log: Log) -> None:
    programme = Programme.objects.get(code="KJJH")
    if Call.objects.filter(programme=programme, title=TITLE).exists():
        return
    city = OrgUnit.objects.get(code="330100")
    for instrument, name, amount in (
        ("grant", "2024年科技计划项目经费", "2000000.00"),
        ("interest_subsidy", "2024年科技计划项目贷款贴息", "1000000.00"),
    ):
        if not BudgetLine.objects.filter(
            year=2024, programme_code="KJJH", instrument=instrument, scope_path=city.path
        ).exists():
            log.created(
                ledger.budget_line_create(
                    year=2024,
                    funding_source=BudgetLine.Source.SCI_TECH,
                    instrument=instrument,
                    programme_code="KJJH",
                    name=name,
                    scope_path=city.path,
                    amount=D(amount),
                    value_date=dt.date(2024, 1, 10),
                    actor=_u("finance"),
                    document_no="杭财教〔2024〕3号",
                )
            )
    call = _call(log, programme)
    with _at("2024-08-12T10:00"):
        with_loan = _application(
            log,
            call,
            "industry",
            "茶饮料无菌冷灌装生产线技术改造（贷款贴息）",
            {"grant": "150000.00", "interest_subsidy": "80000.00"},
            {"equipment": "180000.00", "testing": "30000.00", "labour": "20000.00"},
        )
        subsidy.loan_save(
            application=with_loan,
            actor=_u("applicant"),
            bank="中国工商银行杭州西湖支行",
            contract_no="工银杭借〔2024〕第0207号",
            principal=D("2000000.00"),
            annual_rate=D("0.0435"),
            start_date=dt.date(2024, 3, 1),
            term_months=36,
        )
        cut = _application(
            log,
            call,
            "agriculture",
            "高山茶园病虫害绿色防控技术示范",
            {"grant": "400000.00"},
            {"equipment": "200000.00", "materials": "120000.00", "travel": "80000.00"},
        )
        apps = [
            projects.application_submit(application=a, actor=_u("applicant"))
            for a in (with_loan, cut)
        ]
    notice = _review(call, apps)
    with _at("2024-09-25T10:00"):
        cuts.approval_cut(
            application=cut,
            amounts={"grant": D("320000.00")},
            reason="差旅费偏高，设备按政府采购询价核减",
            actor=_u("city_officer"),
        )
    with _at("2024-10-20T10:00"):
        reviews.decision_approve(notice=notice, actor=_u("city_officer"))
        funding.call_advance(call=call, name="decide")
    signed = {}
    for n, application in enumerate(apps):
        with _at(f"2024-10-{22 + n:02d}T10:00"):
            contract = log.created(
                contracts.contract_draft(
                    application=Application.objects.get(pk=application.pk),
                    actor=_u("city_officer"),
                    start_date=dt.date(2024, 11, 1),
                    end_date=dt.date(2025, 10, 31),
                    payee_account=f"62220212027{n:08d}",
                    payee_bank="中国工商银行杭州西湖支行",
                    indicators=[
                        {"name": "新增产值", "unit": "万元", "target": D("800")},
                        {"name": "申请专利", "unit": "件", "target": D("2")},
                    ],
                )
            )
            if application.pk == cut.pk:
                cuts.contract_budget_respread(
                    contract=contract,
                    items={
                        "equipment": D("180000.00"),
                        "materials": D("110000.00"),
                        "travel": D("30000.00"),
                    },
                    actor=_u("applicant"),
                )
            contracts.contract_confirm(contract=contract, actor=_u("applicant"))
            signed[application.pk] = contracts.contract_sign(
                contract=contract, actor=_u("city_officer")
            )
    bank = BankAccount.objects.get(account_number=CITY_BANK)
    subsidised = signed[with_loan.pk]
    with _at("2024-10-28T10:00"):
        tranche = subsidised.tranches.get(seq=1, trigger=Tranche.Trigger.ON_SIGNING)
        order = contracts.tranche_order(tranche=tranche, actor=_u("finance"))
        certificate = subsidy.subsidy_claim(
            contract=subsidised,
            actor=_u("finance"),
            number="工银付息〔2024〕西湖0831号",
            period_from=dt.date(2024, 3, 1),
            period_to=dt.date(2024, 8, 31),
            interest_paid=D("44466.67"),
        )
    _pay(order, bank, dt.date(2024, 10, 30), 1)
    _pay(certificate.disbursement, bank, dt.date(2024, 10, 30), 2)
