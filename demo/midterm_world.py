"""Two 2024 projects still under way, to show 项目变更 and 中期检查: one was extended
(延期, approved in October 2026, so its 任务书 has two versions and its final report is
due on the new date); the other pays in three tranches and its mid-term check found
things to rectify (整改), so its second tranche — due since the mid-term report — is
held until the city officer accepts the rectification."""

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
from projects import changes, contracts, midterm, team
from projects import services as projects
from projects.models import Application, ChangeRequest, MidtermFinding, Tranche
from reviews import services as reviews
from reviews.models import Assignment, Panel, Rubric

from .codes import id_number
from .ledger_world import CITY_BANK
from .log import Log

D = Decimal
# The call is of the 2023 batch, opened in March 2024: the programme's one call for 2024
# is the loan-interest call of ``subsidy_world`` (one call per programme and year).
CALL_YEAR = 2023
CALL_TITLE = "2023年度杭州市科技计划项目"

# the team named on the application (the 负责人 is changed later: people_changes_world)
TEAMS = {
    "西湖区茶园智能灌溉系统示范": [
        ("赵立群", "19750308", 421, "lead", "高级工程师", "项目总体负责"),
        ("孙晓", "19900522", 422, "member", "工程师", "灌溉控制软件"),
    ],
}

PROJECTS_2024 = [
    # applicant user, organisation, category, title, amount (yuan)
    (
        "applicant",
        "杭州西湖智慧农业科技有限公司",
        "agriculture",
        "西湖区茶园智能灌溉系统示范",
        "200000.00",
    ),
    (
        "applicant_nt",
        "杭州市西湖区农业技术推广中心",
        "agriculture",
        "龙井茶鲜叶分级加工工艺研究",
        "160000.00",
    ),
]


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def _call_2024(log: Log) -> Call:
    programme = Programme.objects.get(code="KJJH")
    city = OrgUnit.objects.get(code="330100")
    log.created(
        ledger.budget_line_create(
            year=CALL_YEAR,
            funding_source=BudgetLine.Source.CITY_SPECIAL,
            instrument="grant",
            programme_code="KJJH",
            name="2023年度批次市级科技计划项目专项（无偿资助）",
            scope_path=city.path,
            amount=D("1000000.00"),
            value_date=dt.date(2024, 1, 10),
            actor=_u("finance"),
            document_no="杭财教〔2024〕3号",
        )
    )
    call = log.created(
        funding.call_create(
            programme=programme,
            categories=list(programme.categories.all()),
            year=CALL_YEAR,
            title=CALL_TITLE,
            doc_number="杭科发〔2024〕9号",
            opens_on=dt.date(2024, 3, 1),
            closes_on=dt.date(2024, 4, 30),
            district_deadline=dt.date(2024, 5, 20),
            publicity_days=5,
            publicity_day_kind="working",
            budget_envelope_fen=50_000_000,
        )
    )
    for district in OrgUnit.objects.filter(parent=city):
        for category in programme.categories.all():
            log.created(
                funding.quota_set(
                    call=call,
                    district=district,
                    category=category,
                    max_count=3,
                    max_amount_fen=100_000_000,
                )
            )
    with clock.frozen(call.opens_on):
        funding.call_open(call=call)
    return call


def _approved_2024(log: Log, call: Call) -> list[Application]:
    city = _u("city_officer")
    apps = []
    with _at("2024-04-10T10:00"):
        for username, org, category, title, amount in PROJECTS_2024:
            user = _u(username)
            application = log.created(
                projects.application_create(
                    call=call,
                    category=Category.objects.get(programme=call.programme, code=category),
                    title=title,
                    organisation=Organisation.objects.get(name=org),
                    actor=user,
                    contact_name=user.full_name,
                )
            )
            big = D(amount)
            projects.application_update(
                application=application,
                actor=user,
                summary=f"{title}：项目实施期两年半。",
                funding={"grant": big},
                budget_items={
                    "equipment": big * 5 / 10,
                    "materials": big * 3 / 10,
                    "labour": big * 2 / 10,
                },
            )
            for name, birth, seq, kind, role, duty in TEAMS.get(title, []):
                log.created(
                    team.team_person_create(
                        application=application,
                        name=name,
                        id_number=id_number(division="330106", birth=birth, seq=seq),
                        kind=kind,
                        title=role,
                        duty=duty,
                        actor=user,
                    )
                )
            apps.append(projects.application_submit(application=application, actor=user))
    with _at("2024-05-12T09:00"):
        officer = _u("district_officer")
        for application in apps:
            projects.application_formal_check(application=application, actor=officer)
        rec = log.created(
            projects.recommendation_list_create(
                call=call, district=apps[0].district, applications=apps, actor=officer
            )
        )
        projects.recommendation_submit(recommendation_list=rec, actor=officer)
        funding.call_advance(call=call, name="close")
        funding.call_advance(call=call, name="start_review")
    rubric = Rubric.objects.get(code="KJJH-CITY", version=1)
    with _at("2024-06-03T09:00"):
        panel = log.created(
            reviews.panel_create(
                call=call,
                stage=Panel.Stage.CITY,
                name="2023年度科技计划项目市级评审组",
                unit=OrgUnit.objects.get(code="330100"),
                rubric=rubric,
                deadline=dt.date(2024, 6, 20),
                actor=city,
                size=3,
            )
        )
        reviews.panel_draw(panel=panel, actor=city, seed=2024060301)
        reviews.panel_open(panel=panel, actor=city)
    with _at("2024-06-18T16:00"):
        criteria = list(rubric.criteria.order_by("pk"))
        for n, assignment in enumerate(Assignment.objects.filter(panel=panel).order_by("pk")):
            reviews.scores_save(
                assignment=assignment,
                actor=city,
                offline=True,
                submit=True,
                values={c.code: str(c.max_score * (80 + n % 3) // 100) for c in criteria},
                comment="（纸质评分表录入）方案可行，示范效果明确。",
            )
        reviews.panel_close(panel=panel, actor=city)
    with _at("2024-06-24T09:00"):
        notice = reviews.decision_publish(panel=panel, actor=city, starts_on=dt.date(2024, 6, 24))
    with _at("2024-07-03T10:00"):
        reviews.decision_approve(notice=notice, actor=city)
        funding.call_advance(call=call, name="decide")
    return [Application.objects.get(pk=a.pk) for a in apps]


def _signed(log: Log, application: Application, n: int, end: dt.date, plan: Any = None) -> Any:
    amount = application.approved_amount_fen or 0
    with _at(f"2024-07-{10 + n:02d}T10:00"):
        contract = log.created(
            contracts.contract_draft(
                application=application,
                actor=_u("city_officer"),
                start_date=dt.date(2024, 8, 1),
                end_date=end,
                payee_account=f"6222021203{n:09d}",
                payee_bank="中国工商银行杭州分行",
                indicators=[
                    {"name": "示范推广面积", "unit": "亩", "target": D("400")},
                    {"name": "培训农民", "unit": "人次", "target": D("600")},
                ],
                tranche_plan=plan(amount) if plan else None,
            )
        )
        username = "applicant" if n == 0 else "applicant_nt"
        contracts.contract_confirm(contract=contract, actor=_u(username))
        contract = contracts.contract_sign(contract=contract, actor=_u("city_officer"))
    with _at(f"2024-07-{20 + n:02d}T10:00"):
        first = contract.tranches.get(seq=1)
        order = contracts.tranche_order(tranche=first, actor=_u("finance"))
        order = ledger.disbursement_submit(disbursement=order, actor=_u("finance"))
        order = ledger.disbursement_approve(disbursement=order, actor=_u("finance_checker"))
        ledger.disbursement_pay(
            disbursement=order,
            bank_account=BankAccount.objects.get(account_number=CITY_BANK),
            paid_on=clock.today(),
            bank_reference=f"DEMO2024072{n}0001",
            actor=_u("finance"),
        )
    return contract


def _three_tranches(amount: int) -> list[dict[str, Any]]:
    first, second = amount * 40 // 100, amount * 30 // 100
    return [
        {"trigger": Tranche.Trigger.ON_SIGNING, "amount_fen": first, "repayable": False},
        {"trigger": Tranche.Trigger.MIDTERM, "amount_fen": second, "repayable": False},
        {
            "trigger": Tranche.Trigger.AFTER_ACCEPTANCE,
            "amount_fen": amount - first - second,
            "repayable": False,
        },
    ]


def build(log: Log) -> None:
    if Call.objects.filter(programme__code="KJJH", year=CALL_YEAR).exists():
        return
    call = _call_2024(log)
    extended, checked = _approved_2024(log, call)
    extended_contract = _signed(log, extended, 0, dt.date(2026, 12, 31))
    checked_contract = _signed(log, checked, 1, dt.date(2027, 1, 31), _three_tranches)
    for contract, username in (
        (extended_contract, "applicant"),
        (checked_contract, "applicant_nt"),
    ):
        report = contract.reports.get(kind="progress")
        with clock.frozen(dt.datetime.combine(report.due_on, dt.time(10, 0))):
            contracts.report_submit(
                report=report,
                actor=_u(username),
                text="示范基地建设完成，设备安装调试到位，完成首轮技术培训。",
                actuals={contract.indicators.get(order=1).pk: D("220")},
                spending={"equipment": D(contract.amount_fen) / 100 * D("0.35")},
            )
    # the first project: 延期 by six months, approved by the city officer
    with _at("2026-10-12T10:00"):
        change = log.created(
            changes.change_request(
                contract=extended_contract,
                kind=ChangeRequest.Kind.EXTENSION,
                reason="2026年夏季持续高温干旱，灌溉示范数据不足一个完整生长季，申请延期六个月。",
                new_end_date=dt.date(2027, 6, 30),
                actor=_u("applicant"),
            )
        )
    with _at("2026-10-20T10:00"):
        changes.change_decide(
            change=change,
            approve=True,
            reason="经核实，受极端天气影响属实，同意延期至2027年6月30日。",
            actor=_u("city_officer"),
        )
    # the 中期检查 of the 2024 projects: the first passes, the second must rectify
    with _at("2026-11-10T10:00"):
        check_round = log.created(
            midterm.midterm_check_create(
                programme=call.programme,
                year=CALL_YEAR,
                title="2023年度科技计划项目中期检查",
                check_date=dt.date(2026, 11, 10),
                actor=_u("city_officer"),
            )
        )
        log.created(
            midterm.midterm_finding_record(
                check_round=check_round,
                application=extended,
                result=MidtermFinding.Result.PASS,
                note="进度符合任务书要求，经费使用规范。",
                actor=_u("city_officer"),
            )
        )
        log.created(
            midterm.midterm_finding_record(
                check_round=check_round,
                application=checked,
                result=MidtermFinding.Result.RECTIFY,
                note="设备购置已完成，但经费支出凭证不全。",
                to_fix="补齐设备采购合同及发票，建立经费支出明细台账",
                rectify_due=dt.date(2027, 1, 15),
                actor=_u("city_officer"),
            )
        )
