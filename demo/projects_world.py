"""This year's applications in every state of the road to recommendation, built through
the real services with the clock set to the day each step happened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, Person, User
from core import clock
from funding.models import Call, Category
from projects import services as projects
from projects.models import Application, Objection

from .log import Log


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(day: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(day))


def _draft(
    log: Log,
    *,
    call: Call,
    category: str,
    title: str,
    actor: str,
    org: str,
    person: str | None = None,
    facts: dict[str, Any],
    funding: dict[str, str],
    items: dict[str, str],
    summary: str,
) -> Application:
    user = _u(actor)
    application = log.created(
        projects.application_create(
            call=call,
            category=Category.objects.get(programme=call.programme, code=category),
            title=title,
            organisation=Organisation.objects.get(name=org),
            person=Person.objects.get(name=person) if person else None,
            contact_name=user.full_name,
            contact_phone="0571-8765" + str(1000 + call.pk),
            actor=user,
        )
    )
    return projects.application_update(
        application=application,
        actor=user,
        summary=summary,
        facts=facts,
        funding={k: Decimal(v) for k, v in funding.items()},
        budget_items={k: Decimal(v) for k, v in items.items()},
    )


def build(log: Log) -> None:
    if Application.objects.exists():
        return
    award = Call.objects.get(programme__code="KPHN", year=2026)
    project = Call.objects.get(programme__code="KJJH", year=2026)
    officer, finance = _u("district_officer"), _u("district_finance")

    with _at("2026-10-20T09:30"):
        _draft(
            log,
            call=project,
            category="agriculture",
            title="设施蔬菜智能水肥一体化系统研发与示范",
            actor="applicant",
            org="杭州西湖智慧农业科技有限公司",
            facts={},
            funding={"grant": "300000.00"},
            items={"equipment": "180000.00", "materials": "70000.00", "labour": "50000.00"},
            summary="研发适用于连栋大棚的智能水肥一体化控制系统，在转塘街道建设示范点2个。",
        )
    with _at("2026-10-28T10:00"):
        p_submitted = _draft(
            log,
            call=project,
            category="industry",
            title="茶叶加工装备视觉分拣模块研制",
            actor="applicant",
            org="杭州西湖智慧农业科技有限公司",
            facts={},
            funding={"grant": "200000.00", "interest_subsidy": "50000.00"},
            items={
                "equipment": "120000.00",
                "testing": "60000.00",
                "travel": "20000.00",
                "labour": "50000.00",
            },
            summary="基于机器视觉的茶叶色选与分级模块，贷款购置生产线申请贴息。",
        )
        from .subsidy_world import state_loan

        state_loan(p_submitted)
        projects.application_submit(application=p_submitted, actor=_u("applicant"))
    with _at("2026-10-29T14:00"):
        p_returned = _draft(
            log,
            call=project,
            category="agriculture",
            title="西湖龙井茶园病虫害绿色防控技术集成",
            actor="applicant_nt",
            org="杭州市西湖区农业技术推广中心",
            facts={},
            funding={"grant": "150000.00"},
            items={"materials": "90000.00", "travel": "30000.00", "consulting": "30000.00"},
            summary="集成理化诱控、生物防治技术，在双浦镇建立示范区500亩。",
        )
        projects.application_submit(application=p_returned, actor=_u("applicant_nt"))
    with _at("2026-11-02T16:20"):
        projects.application_return(
            application=p_returned,
            actor=officer,
            reason="预算说明不完整：专家咨询费请附咨询专家名单及标准；请补充示范区土地流转证明。",
        )
    with _at("2026-10-30T11:00"):
        p_recommended = _draft(
            log,
            call=project,
            category="social",
            title="社区老年人跌倒风险智能监测服务示范",
            actor="applicant",
            org="杭州西湖智慧农业科技有限公司",
            facts={},
            funding={"grant": "250000.00", "repayable": "500000.00"},
            items={
                "equipment": "450000.00",
                "materials": "100000.00",
                "testing": "80000.00",
                "labour": "120000.00",
            },
            summary="毫米波雷达跌倒监测终端在10个社区试点，有偿使用资金用于量产。",
        )
        projects.application_submit(application=p_recommended, actor=_u("applicant"))
    with _at("2026-11-03T09:00"):
        projects.application_formal_check(application=p_recommended, actor=officer)
        rec = projects.recommendation_list_create(
            call=project,
            district=p_recommended.district,
            applications=[p_recommended],
            actor=officer,
        )
        log.created(rec)
        projects.recommendation_submit(recommendation_list=rec, actor=officer)

    # Award flow: a notice that has ended (one objection dismissed, one upheld), and one running now.
    with _at("2026-11-02T10:00"):
        leader = _draft(
            log,
            call=award,
            category="leader",
            title="俞根土：带领双浦镇农户发展高效茶园",
            actor="applicant_nt",
            org="杭州市西湖区农业技术推广中心",
            person="俞根土",
            facts={"years_rural_popsci": 8, "trainings_held": 24},
            funding={"award": "50000.00"},
            items={"training": "30000.00", "popsci_materials": "20000.00"},
            summary="连续8年在双浦镇开展茶叶种植技术培训，年培训农民600余人次。",
        )
        guide = _draft(
            log,
            call=award,
            category="tech_guide",
            title="沈建明：转塘街道蔬菜专业技术指导",
            actor="applicant_nt",
            org="杭州市西湖区农业技术推广中心",
            person="沈建明",
            facts={"years_grassroots_service": 5},
            funding={"award": "30000.00"},
            items={"training": "20000.00", "popsci_materials": "10000.00"},
            summary="驻村开展蔬菜栽培技术指导5年，联系农户120户。",
        )
        for application in (leader, guide):
            projects.application_submit(application=application, actor=_u("applicant_nt"))
    with _at("2026-11-04T09:00"):
        for application in (leader, guide):
            projects.application_formal_check(application=application, actor=officer)
        notice = projects.notice_publish(
            level="district",
            call=award,
            unit=leader.district,
            applications=[leader, guide],
            starts_on=dt.date(2026, 11, 4),
            actor=officer,
        )
    with _at("2026-11-06T15:00"):
        dismissed = projects.objection_file(
            notice=notice,
            application=leader,
            name="李先生",
            contact="13905710001",
            content="听说该同志培训人次有夸大，请核实。",
        )
        upheld = projects.objection_file(
            notice=notice,
            application=guide,
            name="匿名村民",
            contact="guide-objection@example.cn",
            content="沈建明2024年才调入转塘街道，基层服务年限不足。",
        )
    with _at("2026-11-10T10:00"):
        projects.objection_handle(
            objection=dismissed,
            actor=officer,
            upheld=False,
            resolution="经核对培训签到表，2023—2026年累计培训2410人次，与申报材料一致。",
        )
        projects.objection_handle(
            objection=upheld,
            actor=officer,
            upheld=True,
            outcome=Objection.Outcome.RETURNED,
            resolution="经核实，其在本街道服务不足3年，但此前在双浦镇服务2年，请补充前任单位证明后重新申报。",
        )
    with _at("2026-11-16T09:30"):
        award_list = projects.recommendation_list_create(
            call=award, district=leader.district, applications=[leader], actor=officer
        )
        log.created(award_list)
    with _at("2026-11-16T15:00"):
        projects.recommendation_cosign(recommendation_list=award_list, actor=finance)
    with _at("2026-11-17T09:00"):
        projects.recommendation_submit(recommendation_list=award_list, actor=officer)

    with _at("2026-11-12T10:00"):
        base = _draft(
            log,
            call=award,
            category="base",
            title="双浦镇农村科普示范基地",
            actor="applicant_nt",
            org="杭州市西湖区农业技术推广中心",
            facts={
                "named_base": "district",
                "beneficiary_person_times": 1850,
                "trainings_held": 36,
            },
            funding={"award": "80000.00"},
            items={
                "popsci_materials": "40000.00",
                "training": "25000.00",
                "exhibition": "15000.00",
            },
            summary="区科协命名的农村科普示范基地，2025年接待农民及青少年1850人次。",
        )
        projects.application_submit(application=base, actor=_u("applicant_nt"))
    with _at("2026-11-18T09:00"):
        projects.application_formal_check(application=base, actor=officer)
        projects.notice_publish(
            level="district",
            call=award,
            unit=base.district,
            applications=[base],
            starts_on=dt.date(2026, 11, 18),
            actor=officer,
        )
        pending = projects.recommendation_list_create(
            call=award, district=base.district, applications=[base], actor=officer
        )
        log.created(pending)

    with _at("2026-11-09T10:00"):
        coop = _draft(
            log,
            call=award,
            category="coop",
            title="径山茶叶专业合作社科普惠农项目",
            actor="applicant_yh",
            org="杭州余杭径山茶叶专业合作社",
            facts={
                "registered_and_inspected": True,
                "member_households": 236,
                "member_avg_income": "61200.00",
            },
            funding={"award": "100000.00"},
            items={"training": "60000.00", "popsci_materials": "40000.00"},
            summary="合作社会员236户，统一技术规程，年举办茶叶种植与加工培训12期。",
        )
        projects.application_submit(application=coop, actor=_u("applicant_yh"))
    with _at("2026-11-11T10:00"):
        withdrawn = _draft(
            log,
            call=project,
            category="soft",
            title="区域科技创新券政策绩效评估研究",
            actor="applicant",
            org="杭州西湖智慧农业科技有限公司",
            facts={},
            funding={"grant": "80000.00"},
            items={"consulting": "30000.00", "conference": "20000.00", "labour": "30000.00"},
            summary="（申报单位认为方向不符，已撤回）",
        )
        projects.application_withdraw(
            application=withdrawn, actor=_u("applicant"), reason="研究方向与本批次指南不符。"
        )
    with _at("2026-11-05T10:00"):
        rejected = _draft(
            log,
            call=project,
            category="industry",
            title="小型农机具电动化改装",
            actor="applicant_nt",
            org="杭州市西湖区农业技术推广中心",
            facts={},
            funding={"grant": "120000.00"},
            items={"equipment": "100000.00", "materials": "20000.00"},
            summary="对微耕机、小型收割机进行电动化改装。",
        )
        projects.application_submit(application=rejected, actor=_u("applicant_nt"))
    with _at("2026-11-09T11:00"):
        projects.application_reject(
            application=rejected,
            actor=officer,
            reason="申报单位为事业单位，本批次工业领域仅受理企业申报。",
        )
