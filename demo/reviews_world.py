"""Rubrics; last year's (2025) calls taken through review, notice and approval; and this
year's city panel in progress, with the demo expert's items waiting for him."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit, User
from core import clock
from funding import services as funding
from funding.models import Call, Category, Programme
from projects import services as projects
from projects.models import Application
from reviews import services as reviews
from reviews.models import Assignment, ExpertProfile, Panel, Rubric

from .log import Log

RUBRICS = [
    (
        "KJJH-CITY",
        "科技计划项目评审指标",
        Decimal("60"),
        [
            {
                "code": "innovation",
                "name": "创新性与先进性",
                "max_score": Decimal("30"),
                "weight": Decimal("1"),
            },
            {
                "code": "feasibility",
                "name": "技术路线可行性",
                "max_score": Decimal("25"),
                "min_score": Decimal("12"),
            },
            {"code": "benefit", "name": "经济社会效益", "max_score": Decimal("25")},
            {"code": "capacity", "name": "承担单位基础与团队", "max_score": Decimal("20")},
        ],
    ),
    (
        "KPHN-CITY",
        "科普惠农兴村计划终审指标",
        Decimal("70"),
        [
            {"code": "demonstration", "name": "示范带动作用", "max_score": Decimal("35")},
            {"code": "popsci", "name": "科普活动成效", "max_score": Decimal("35")},
            {"code": "recognition", "name": "群众认可度", "max_score": Decimal("30")},
        ],
    ),
    (
        "ACCEPTANCE",
        "项目验收评价指标",
        Decimal("60"),
        [
            {"code": "tasks", "name": "任务完成情况", "max_score": Decimal("70")},
            {"code": "funds", "name": "资金使用情况", "max_score": Decimal("20")},
            {"code": "other", "name": "其他（档案、成果转化）", "max_score": Decimal("10")},
        ],
    ),
]

PROJECTS_2025 = [
    # applicant user, organisation, category, title, amount, (innovation, feasibility, benefit, capacity) base
    (
        "applicant",
        "杭州西湖智慧农业科技有限公司",
        "agriculture",
        "茶园土壤墒情物联网监测系统",
        "300000.00",
        (26, 21, 20, 16),
    ),
    (
        "applicant",
        "杭州西湖智慧农业科技有限公司",
        "industry",
        "小型茶叶揉捻机节能改造",
        "180000.00",
        (22, 19, 18, 15),
    ),
    (
        "applicant_nt",
        "杭州市西湖区农业技术推广中心",
        "agriculture",
        "西湖龙井茶树良种繁育技术推广",
        "250000.00",
        (24, 22, 22, 17),
    ),
    (
        "applicant_nt",
        "杭州市西湖区农业技术推广中心",
        "social",
        "农村老年人数字技能科普服务",
        "120000.00",
        (18, 15, 16, 12),
    ),
    (
        "applicant_yh",
        "杭州余杭径山茶叶专业合作社",
        "agriculture",
        "径山茶机采与加工标准化示范",
        "400000.00",
        (25, 20, 21, 14),
    ),
]
DISTRICT_OFFICER = {
    "applicant": "district_officer",
    "applicant_nt": "district_officer",
    "applicant_yh": "district_officer_yh",
}


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def _calls_2025(log: Log) -> Call:
    programme = Programme.objects.get(code="KJJH")
    call = Call.objects.filter(programme=programme, year=2025).first()
    if call is not None:
        return call
    call = log.created(
        funding.call_create(
            programme=programme,
            categories=list(programme.categories.all()),
            year=2025,
            title="2025年度杭州市科技计划项目",
            doc_number="杭科发〔2025〕12号",
            opens_on=dt.date(2025, 3, 1),
            closes_on=dt.date(2025, 4, 30),
            district_deadline=dt.date(2025, 5, 20),
            publicity_days=5,
            publicity_day_kind="working",
            budget_envelope_fen=100_000_000,
        )
    )
    hangzhou = OrgUnit.objects.get(code="330100")
    for district in OrgUnit.objects.filter(parent=hangzhou):
        for category in programme.categories.all():
            log.created(
                funding.quota_set(
                    call=call,
                    district=district,
                    category=category,
                    max_count=5,
                    max_amount_fen=200_000_000,
                )
            )
    with clock.frozen(call.opens_on):
        funding.call_open(call=call)
    return call


def _score_sheet(base: tuple[int, ...], n: int) -> dict[str, str]:
    """A plausible paper sheet: the item's base scores, nudged per expert."""
    nudges = [(0, 0, 0, 0), (2, -1, 1, 0), (-3, 1, -2, 1), (1, 2, 0, -1), (-1, -2, 2, 1)]
    codes = ["innovation", "feasibility", "benefit", "capacity"]
    caps = [30, 25, 25, 20]
    return {
        code: str(max(0, min(cap, b + d)))
        for code, cap, b, d in zip(codes, caps, base, nudges[n % len(nudges)], strict=True)
    }


def _cycle_2025(log: Log, rubric: Rubric) -> None:
    if Application.objects.filter(call__year=2025).exists():
        return
    call = _calls_2025(log)
    city = _u("city_officer")
    apps: list[tuple[Application, tuple[int, ...]]] = []
    with _at("2025-04-10T10:00"):
        for username, org, category, title, amount, base in PROJECTS_2025:
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
            big = Decimal(amount)
            projects.application_update(
                application=application,
                actor=user,
                summary=f"{title}：项目实施期一年。",
                # the cooperative's line of machines is half repayable funding (有偿使用)
                funding={"grant": big / 2, "repayable": big / 2}
                if "径山" in title
                else {"grant": big},
                budget_items={
                    "equipment": big * 6 / 10,
                    "materials": big * 2 / 10,
                    "labour": big * 2 / 10,
                },
            )
            apps.append((projects.application_submit(application=application, actor=user), base))
    with _at("2025-05-12T09:00"):
        by_district: dict[str, list[Application]] = {}
        for (application, _base), row in zip(apps, PROJECTS_2025, strict=True):
            officer = _u(DISTRICT_OFFICER[row[0]])
            projects.application_formal_check(application=application, actor=officer)
            by_district.setdefault(DISTRICT_OFFICER[row[0]], []).append(application)
        for username, group in by_district.items():
            rec = log.created(
                projects.recommendation_list_create(
                    call=call, district=group[0].district, applications=group, actor=_u(username)
                )
            )
            projects.recommendation_submit(recommendation_list=rec, actor=_u(username))
        funding.call_advance(call=call, name="close")
        funding.call_advance(call=call, name="start_review")
    with _at("2025-06-02T09:00"):
        panel = log.created(
            reviews.panel_create(
                call=call,
                stage=Panel.Stage.CITY,
                name="2025年度科技计划项目市级评审组",
                unit=OrgUnit.objects.get(code="330100"),
                rubric=rubric,
                deadline=dt.date(2025, 6, 20),
                actor=city,
                size=5,
                aggregation=Panel.Aggregation.TRIMMED_MEAN,
                spread_threshold=Decimal("15"),
            )
        )
        reviews.panel_draw(panel=panel, actor=city, seed=2025060201)
        reviews.panel_open(panel=panel, actor=city)
    with _at("2025-06-18T16:00"):
        base_by_app = {a.pk: base for a, base in apps}
        for n, assignment in enumerate(
            Assignment.objects.filter(panel=panel).select_related("item").order_by("pk")
        ):
            reviews.scores_save(
                assignment=assignment,
                actor=city,
                offline=True,
                submit=True,
                values=_score_sheet(base_by_app[assignment.item.application_id], n),
                comment="（纸质评分表录入）技术路线基本可行，建议加强成果推广。",
            )
        reviews.panel_close(panel=panel, actor=city)
    with _at("2025-06-23T09:00"):
        notice = reviews.decision_publish(panel=panel, actor=city, starts_on=dt.date(2025, 6, 23))
    with _at("2025-07-02T10:00"):
        reviews.decision_approve(notice=notice, actor=city)
        funding.call_advance(call=call, name="decide")


def _panel_2026(log: Log, rubric: Rubric) -> None:
    call = Call.objects.get(programme__code="KJJH", year=2026)
    if Panel.objects.filter(call=call).exists():
        return
    city = _u("city_officer")
    expert = ExpertProfile.objects.get(person__user__username="expert")
    with _at("2026-11-18T10:00"):
        panel = log.created(
            reviews.panel_create(
                call=call,
                stage=Panel.Stage.CITY,
                name="2026年度科技计划项目（第二批）市级评审组",
                unit=OrgUnit.objects.get(code="330100"),
                rubric=rubric,
                deadline=dt.date(2026, 12, 10),
                actor=city,
                size=5,
                blind=True,
            )
        )
        items = list(panel.items.values_list("pk", flat=True))
        missing = {pk: panel.size for pk in items}
        # a seed whose draw includes the demo expert, so that a newcomer logging in as
        # "expert" has items waiting (searched, then recorded like any other seed)
        seed = next(
            s
            for s in range(20261118, 20261118 + 500)
            if any(
                expert.pk in e for e in reviews.draw_plan(panel, seed=s, missing=missing).values()
            )
        )
        reviews.panel_draw(panel=panel, actor=city, seed=seed)
        reviews.panel_open(panel=panel, actor=city)
    with _at("2026-11-19T15:00"):
        others = Assignment.objects.filter(panel=panel).exclude(expert=expert).order_by("pk")
        for n, assignment in enumerate(others[:2]):
            reviews.scores_save(
                assignment=assignment,
                actor=city,
                offline=True,
                submit=True,
                values=_score_sheet((24, 20, 19, 15), n),
                comment="（纸质评分表录入）同意推荐。",
            )


def build(log: Log) -> None:
    existing = {r.code: r for r in Rubric.objects.filter(version=1)}
    for code, name, threshold, criteria in RUBRICS:
        if code not in existing:
            existing[code] = log.created(
                reviews.rubric_create(
                    code=code, name=name, total_threshold=threshold, criteria=criteria
                )
            )
    _cycle_2025(log, existing["KJJH-CITY"])
    _panel_2026(log, existing["KJJH-CITY"])
