"""Last year's (2025) projects and awards carried on through contracts, payments, reports,
acceptance and closing, so that a newcomer sees whole life cycles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit, Person, User
from core import clock
from funding import services as funding
from funding.models import Call, Category, Programme
from ledger import services as ledger
from ledger.models import BankAccount, BudgetLine
from projects import awards, closing, contracts
from projects import services as projects
from projects.models import Application, Contract, Tranche
from reviews import services as reviews
from reviews.models import Assignment, Panel, Rubric

from .ledger_world import CITY_BANK, XIHU_BANK
from .log import Log

D = Decimal


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


class _Bank:
    def __init__(self) -> None:
        self.n = 0

    def ref(self, day: dt.date) -> str:
        self.n += 1
        return f"DEMO2025{day:%m%d}{self.n:04d}"


def _pay(
    bank_refs: _Bank, order: Any, bank: BankAccount, day: dt.date, maker: str = "finance"
) -> Any:
    d = ledger.disbursement_submit(disbursement=order, actor=_u(maker))
    d = ledger.disbursement_approve(disbursement=d, actor=_u("finance_checker"))
    return ledger.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=day,
        bank_reference=bank_refs.ref(day),
        actor=_u(maker),
    )


def _lines_2025(log: Log) -> None:
    city = OrgUnit.objects.get(code="330100")
    for instrument, programme, amount, name in (
        ("grant", "KJJH", "3000000.00", "2025年市级科技计划项目专项（无偿资助）"),
        ("repayable", "KJJH", "1000000.00", "2025年市级科技计划项目专项（有偿使用）"),
        ("award", "KPHN", "500000.00", "2025年科普惠农兴村计划奖补资金"),
    ):
        if not BudgetLine.objects.filter(
            year=2025, programme_code=programme, instrument=instrument, scope_path=city.path
        ).exists():
            log.created(
                ledger.budget_line_create(
                    year=2025,
                    funding_source=BudgetLine.Source.CITY_SPECIAL,
                    instrument=instrument,
                    programme_code=programme,
                    name=name,
                    scope_path=city.path,
                    amount=D(amount),
                    value_date=dt.date(2025, 1, 10),
                    actor=_u("finance"),
                    document_no="杭财教〔2025〕2号",
                )
            )


def _acceptance_panel(
    log: Log, apps: list[Application], rubric: Rubric, day: str, scores: list[dict[str, str]]
) -> None:
    officer = _u("city_officer")
    with _at(day):
        panel = log.created(
            reviews.panel_create(
                call=apps[0].call,
                stage=Panel.Stage.ACCEPTANCE,
                name=f"{apps[0].call.title}验收专家组",
                unit=OrgUnit.objects.get(code="330100"),
                rubric=rubric,
                deadline=clock.today() + dt.timedelta(days=10),
                actor=officer,
                applications=apps,
                size=3,
            )
        )
        reviews.panel_draw(panel=panel, actor=officer, seed=int(clock.today().strftime("%Y%m%d")))
        reviews.panel_open(panel=panel, actor=officer)
        by_app = {a.pk: s for a, s in zip(apps, scores, strict=True)}
        for a in Assignment.objects.filter(panel=panel).select_related("item").order_by("pk"):
            reviews.scores_save(
                assignment=a,
                actor=officer,
                offline=True,
                submit=True,
                comment="（纸质验收评分表录入）资料齐全。",
                values=by_app[a.item.application_id],
            )
        reviews.panel_close(panel=panel, actor=officer)


def _projects_2025(log: Log, bank: BankAccount, refs: _Bank, rubric: Rubric) -> None:
    approved = list(
        Application.objects.filter(
            call__programme__code="KJJH", call__year=2025, status=Application.Status.APPROVED
        ).order_by("pk")
    )
    signed: list[Contract] = []
    for n, application in enumerate(approved):
        with _at(f"2025-07-{10 + n:02d}T10:00"):
            contract = log.created(
                contracts.contract_draft(
                    application=application,
                    actor=_u("city_officer"),
                    start_date=dt.date(2025, 8, 1),
                    end_date=dt.date(2026, 7, 31),
                    payee_account=f"6222021202{n:09d}",
                    payee_bank="中国工商银行杭州分行",
                    indicators=[
                        {"name": "示范推广面积", "unit": "亩", "target": D("300")},
                        {"name": "培训农民", "unit": "人次", "target": D("500")},
                        {"name": "申请专利", "unit": "件", "target": D("2")},
                    ],
                    repay_terms={
                        "term_months": 24,
                        "grace_months": 0,
                        "period_months": 6,
                        "method": "equal_principal",
                        "fee_rate": D("0.02"),
                        "overdue_rate": D("0.0005"),
                    },
                )
            )
            contracts.contract_confirm(contract=contract, actor=_u(_applicant_user(application)))
            contract = contracts.contract_sign(contract=contract, actor=_u("city_officer"))
        with _at(f"2025-07-{20 + n:02d}T10:00"):
            for tranche in contract.tranches.filter(trigger=Tranche.Trigger.ON_SIGNING):
                _pay(
                    refs,
                    contracts.tranche_order(tranche=tranche, actor=_u("finance")),
                    bank,
                    clock.today(),
                )
        with _at("2026-01-25T10:00"):
            contracts.report_submit(
                report=contract.reports.get(kind="progress"),
                actor=_u(_applicant_user(application)),
                text="已完成示范基地建设和首轮培训，设备已到位。",
                actuals={contract.indicators.get(order=1).pk: D("180")},
                spending={"equipment": D(contract.amount_fen) / 100 * D("0.45")},
            )
        signed.append(contract)
    # acceptance requests in August 2026: the first two complete everything, the third 85 %
    actuals = [("320", "560", "2"), ("300", "520", "3"), ("260", "430", "1")]
    requested = []
    for n, (contract, (area, people, patents)) in enumerate(zip(signed, actuals, strict=False)):
        application = contract.application
        # the second spent 1 万元 less on labour than budgeted: its 结余 (surplus_world)
        unspent = {"labour": D("10000")} if n == 1 else {}
        with _at("2026-08-20T10:00"):
            indicators = list(contract.indicators.order_by("order"))
            closing.acceptance_request(
                application=application,
                actor=_u(_applicant_user(application)),
                text="项目按任务书完成，详见验收报告及附件。",
                fund_usage="经费专款专用，支出与预算基本一致。",
                actuals={
                    indicators[0].pk: D(area),
                    indicators[1].pk: D(people),
                    indicators[2].pk: D(patents),
                },
                spending={
                    b.item: D(b.amount_fen) / 100 - unspent.get(b.item, 0)
                    for b in contract.budget.all()
                },
            )
        requested.append(Application.objects.get(pk=application.pk))
    if not requested:
        return
    scores = [
        {"tasks": "63", "funds": "18", "other": "8"},
        {"tasks": "60", "funds": "17", "other": "8"},
        {"tasks": "52", "funds": "15", "other": "7"},
    ][: len(requested)]
    _acceptance_panel(log, requested, rubric, "2026-09-10T09:00", scores)
    for application in requested:
        acceptance = application.acceptances.get(round=1)
        with _at("2026-09-20T10:00"):
            closing.acceptance_finance_record(
                acceptance=acceptance, actor=_u("finance"), passed=True, note="账目清楚，票据齐全。"
            )
            reviews.acceptance_conclude(acceptance=acceptance, actor=_u("city_officer"))
    # the first accepted project gets its last tranche and is closed; the second waits for payment
    accepted = [
        c
        for c in signed
        if Application.objects.get(pk=c.application_id).status == Application.Status.ACCEPTED
    ]
    if accepted:
        first = accepted[0]
        with _at("2026-10-10T10:00"):
            for tranche in first.tranches.filter(trigger=Tranche.Trigger.AFTER_ACCEPTANCE):
                _pay(
                    refs,
                    contracts.tranche_order(tranche=tranche, actor=_u("finance")),
                    bank,
                    clock.today(),
                )
        if first.repayable_id is None:
            with _at("2026-10-15T10:00"):
                closing.project_close(application=first.application, actor=_u("city_officer"))
    if len(accepted) > 1:
        with _at("2026-10-12T10:00"):
            for tranche in accepted[1].tranches.filter(trigger=Tranche.Trigger.AFTER_ACCEPTANCE):
                contracts.tranche_order(tranche=tranche, actor=_u("finance"))


def _applicant_user(application: Application) -> str:
    user = (
        User.objects.filter(memberships__organisation=application.organisation)
        .order_by("pk")
        .first()
    )
    return user.username if user else "applicant"


def _awards_2025(log: Log, refs: _Bank, rubric: Rubric) -> None:
    programme = Programme.objects.get(code="KPHN")
    if Call.objects.filter(programme=programme, year=2025).exists():
        return
    xihu = OrgUnit.objects.get(code="330106")
    officer, finance, city = _u("district_officer"), _u("district_finance"), _u("city_officer")
    call = log.created(
        funding.call_create(
            programme=programme,
            categories=list(programme.categories.all()),
            year=2025,
            title="2025年度杭州市科普惠农兴村计划",
            doc_number="杭科协发〔2025〕21号",
            opens_on=dt.date(2025, 7, 1),
            closes_on=dt.date(2025, 8, 10),
            district_deadline=dt.date(2025, 8, 20),
            publicity_days=10,
            publicity_day_kind="calendar",
            budget_envelope_fen=50_000_000,
        )
    )
    for category in programme.categories.all():
        log.created(
            funding.quota_set(
                call=call, district=xihu, category=category, max_count=3, max_amount_fen=15_000_000
            )
        )
    with clock.frozen(call.opens_on):
        funding.call_open(call=call)
    nominations = []
    with _at("2025-07-20T10:00"):
        org = Organisation.objects.get(name="杭州市西湖区农业技术推广中心")
        for code, title, person, facts, amount in (
            (
                "tech_guide",
                "潘桂英：双浦镇茶叶生产技术指导",
                "潘桂英",
                {"years_grassroots_service": 6},
                "30000.00",
            ),
            (
                "base",
                "转塘街道农村科普示范基地",
                None,
                {"named_base": "district", "beneficiary_person_times": 1600},
                "80000.00",
            ),
        ):
            application = log.created(
                projects.application_create(
                    call=call,
                    category=Category.objects.get(programme=programme, code=code),
                    title=title,
                    organisation=org,
                    person=Person.objects.get(name=person) if person else None,
                    actor=_u("applicant_nt"),
                    contact_name="王丽",
                )
            )
            projects.application_update(
                application=application,
                actor=_u("applicant_nt"),
                facts=facts,
                funding={"award": D(amount)},
                budget_items={"training": D(amount)},
            )
            nominations.append(
                projects.application_submit(application=application, actor=_u("applicant_nt"))
            )
    with _at("2025-07-28T09:00"):
        for a in nominations:
            projects.application_formal_check(application=a, actor=officer)
        projects.notice_publish(
            level="district",
            call=call,
            unit=xihu,
            applications=nominations,
            starts_on=dt.date(2025, 7, 28),
            actor=officer,
        )
        rec = log.created(
            projects.recommendation_list_create(
                call=call,
                district=xihu,
                applications=[Application.objects.get(pk=a.pk) for a in nominations],
                actor=officer,
            )
        )
    with _at("2025-08-10T09:00"):
        projects.recommendation_cosign(recommendation_list=rec, actor=finance)
    with _at("2025-08-15T09:00"):
        projects.recommendation_submit(recommendation_list=rec, actor=officer)
        funding.call_advance(call=call, name="close")
        funding.call_advance(call=call, name="start_review")
    award_rubric = Rubric.objects.get(code="KPHN-CITY", version=1)
    apps = [Application.objects.get(pk=a.pk) for a in nominations]
    with _at("2025-09-01T09:00"):
        panel = log.created(
            reviews.panel_create(
                call=call,
                stage=Panel.Stage.CITY,
                name="2025年度科普惠农兴村计划市级终审组",
                unit=OrgUnit.objects.get(code="330100"),
                rubric=award_rubric,
                deadline=dt.date(2025, 9, 15),
                actor=city,
                applications=apps,
                size=3,
            )
        )
        reviews.panel_draw(panel=panel, actor=city, seed=2025090101)
        reviews.panel_open(panel=panel, actor=city)
        for a in Assignment.objects.filter(panel=panel).order_by("pk"):
            reviews.scores_save(
                assignment=a,
                actor=city,
                offline=True,
                submit=True,
                comment="（纸质评分表录入）示范作用明显。",
                values={"demonstration": "30", "popsci": "29", "recognition": "26"},
            )
        reviews.panel_close(panel=panel, actor=city)
        notice = reviews.decision_publish(panel=panel, actor=city, starts_on=dt.date(2025, 9, 20))
    with _at("2025-10-08T09:00"):
        reviews.decision_approve(notice=notice, actor=city)
        funding.call_advance(call=call, name="decide")
    # early next year: the budget indicator to 西湖区, which pays the awardees
    with _at("2026-01-15T09:00"):
        log.created(
            awards.award_indicator_issue(
                call=call,
                district=xihu,
                actor=_u("finance"),
                value_date=dt.date(2026, 1, 15),
                document_no="杭财教〔2026〕5号",
            )
        )
    district_bank = BankAccount.objects.get(account_number=XIHU_BANK)
    with _at("2026-02-10T09:00"):
        for n, application in enumerate(apps):
            order = awards.award_pay_order(
                application=Application.objects.get(pk=application.pk),
                actor=finance,
                payee_account=f"62284800{n:011d}",
                payee_bank="中国农业银行西湖支行",
            )
            _pay(refs, order, district_bank, clock.today(), maker="district_finance")
    # the acceptance and fund-usage reports by 31 October, acceptance in November
    requested = []
    with _at("2026-10-20T10:00"):
        for application in apps:
            closing.acceptance_request(
                application=Application.objects.get(pk=application.pk),
                actor=_u("applicant_nt"),
                text="全年开展科普培训与现场指导，受益群众逾2000人次。",
                fund_usage="奖补资金全部用于科普资料和培训。",
                actuals={},
                spending={},
            )
            requested.append(Application.objects.get(pk=application.pk))
    _acceptance_panel(
        log,
        requested,
        rubric,
        "2026-11-02T09:00",
        [
            {"tasks": "64", "funds": "18", "other": "9"},
            {"tasks": "58", "funds": "17", "other": "8"},
        ],
    )
    with _at("2026-11-12T10:00"):
        first = requested[0].acceptances.get(round=1)
        closing.acceptance_finance_record(
            acceptance=first, actor=_u("finance"), passed=True, note="支出凭证齐全。"
        )
        reviews.acceptance_conclude(acceptance=first, actor=city)


def build(log: Log) -> None:
    if Contract.objects.exists():
        return
    _lines_2025(log)
    bank = BankAccount.objects.get(account_number=CITY_BANK)
    refs = _Bank()
    rubric = Rubric.objects.get(code="ACCEPTANCE", version=1)
    _projects_2025(log, bank, refs, rubric)
    _awards_2025(log, refs, rubric)
