"""The demo programmes: 科普惠农兴村计划 (award flow, five categories with the seed rules)
and 科技计划项目 (project flow, four domains), this year's calls, quotas, statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Organisation, OrgUnit
from funding import services as funding
from funding.models import Call, Category, DistrictStatistic, Programme, Quota

from .log import Log

AWARD_CATEGORIES = [
    (
        "coop",
        "农民专业合作组织",
        "organisation",
        [
            {
                "fact": "registered_and_inspected",
                "operator": "true",
                "value": "",
                "message": "须为正式登记并通过年检的农民专业合作组织。",
            },
            {
                "fact": "member_households",
                "operator": "gte",
                "value": "100",
                "message": "会员农户须在100户以上。",
            },
            {
                "fact": "member_income_above_district_pct",
                "operator": "gte",
                "value": "20",
                "message": "会员年均纯收入须高于本区县农民年均纯收入20%以上。",
            },
        ],
    ),
    (
        "base",
        "农村科普示范基地",
        "organisation",
        [
            {
                "fact": "named_base",
                "operator": "in",
                "value": "city,district",
                "message": "须为经市、区（县）科协正式批准命名的农村科普示范基地。",
            },
            {
                "fact": "beneficiary_person_times",
                "operator": "gte",
                "value": "1000",
                "message": "每年受益群众须在1000人次以上。",
            },
        ],
    ),
    (
        "leader",
        "农村科普致富带头人",
        "person",
        [
            {
                "fact": "years_rural_popsci",
                "operator": "gte",
                "value": "3",
                "message": "须在农村开展科普工作连续3年以上。",
            },
        ],
    ),
    (
        "agri_expert",
        "农业科技服务专家",
        "person",
        [
            {
                "fact": "years_serving_agri",
                "operator": "gte",
                "value": "2",
                "message": "须服务“三农”工作连续2年以上。",
            },
            {
                "fact": "title_level",
                "operator": "in",
                "value": "senior,associate",
                "message": "须具有高级专业技术职称（正高或副高）。",
            },
        ],
    ),
    (
        "tech_guide",
        "专业技术指导员",
        "person",
        [
            {
                "fact": "years_grassroots_service",
                "operator": "gte",
                "value": "3",
                "message": "须在基层开展专业技术服务工作3年以上。",
            },
        ],
    ),
]
PROJECT_DOMAINS = [
    ("industry", "工业"),
    ("agriculture", "农业"),
    ("social", "社会发展"),
    ("soft", "软科学"),
]

STATISTICS = [
    ("330102", "52600.00"),
    ("330106", "46500.00"),
    ("330110", "45800.00"),
    ("330502", "43900.00"),
    ("330503", "42100.00"),
    ("330521", "44700.00"),
]


def build(log: Log) -> None:
    hangzhou = OrgUnit.objects.get(code="330100")
    association = Organisation.objects.get(name="杭州市科学技术协会")

    award = Programme.objects.filter(code="KPHN").first()
    if award is None:
        award = log.created(
            funding.programme_create(
                code="KPHN",
                name="杭州市科普惠农兴村计划",
                flow="award",
                instruments=["award"],
                owner_unit=hangzhou,
                lead_body=association,
                debarment_years=3,
                fraud_quota_cut_pct=20,
            )
        )
    project = Programme.objects.filter(code="KJJH").first()
    if project is None:
        project = log.created(
            funding.programme_create(
                code="KJJH",
                name="杭州市科技计划项目",
                flow="project",
                instruments=["grant", "interest_subsidy", "repayable"],
                owner_unit=hangzhou,
                lead_body=association,
            )
        )

    existing = set(Category.objects.values_list("programme__code", "code"))
    for order, (code, name, kind, rules) in enumerate(AWARD_CATEGORIES, start=1):
        if ("KPHN", code) not in existing:
            log.created(
                funding.category_create(
                    programme=award,
                    code=code,
                    name=name,
                    applicant_kind=kind,
                    rules=rules,
                    order=order,
                    extra_facts=["trainings_held"],
                )
            )
    for order, (code, name) in enumerate(PROJECT_DOMAINS, start=1):
        if ("KJJH", code) not in existing:
            log.created(
                funding.category_create(programme=project, code=code, name=name, order=order)
            )

    known = set(DistrictStatistic.objects.values_list("district__code", "year"))
    for code, income in STATISTICS:
        if (code, 2025) not in known:
            log.created(
                funding.district_statistic_set(
                    district=OrgUnit.objects.get(code=code),
                    year=2025,
                    farmer_avg_income=Decimal(income),
                )
            )

    award_call = Call.objects.filter(programme=award, year=2026).first()
    if award_call is None:
        award_call = log.created(
            funding.call_create(
                programme=award,
                categories=list(award.categories.all()),
                year=2026,
                title="2026年度杭州市科普惠农兴村计划",
                doc_number="杭科协发〔2026〕18号",
                opens_on=dt.date(2026, 11, 1),
                closes_on=dt.date(2026, 12, 31),
                district_deadline=dt.date(2027, 1, 20),
                publicity_days=10,
                publicity_day_kind="calendar",
                budget_envelope_fen=200_000_000,
            )
        )
        funding.call_open(call=award_call)
    project_call = Call.objects.filter(programme=project, year=2026).first()
    if project_call is None:
        project_call = log.created(
            funding.call_create(
                programme=project,
                categories=list(project.categories.all()),
                year=2026,
                title="2026年度杭州市科技计划项目（第二批）",
                doc_number="杭科发〔2026〕45号",
                opens_on=dt.date(2026, 10, 15),
                closes_on=dt.date(2026, 12, 15),
                district_deadline=dt.date(2026, 12, 25),
                publicity_days=5,
                publicity_day_kind="working",
                budget_envelope_fen=1_000_000_000,
            )
        )
        funding.call_open(call=project_call)

    have = set(Quota.objects.values_list("call_id", "district_id", "category_id"))
    for district in OrgUnit.objects.filter(parent=hangzhou):
        for category in award.categories.all():
            if (award_call.pk, district.pk, category.pk) not in have:
                log.created(
                    funding.quota_set(
                        call=award_call,
                        district=district,
                        category=category,
                        max_count=3,
                        max_amount_fen=15_000_000,
                    )
                )
        for category in project.categories.all():
            if (project_call.pk, district.pk, category.pk) not in have:
                log.created(
                    funding.quota_set(
                        call=project_call,
                        district=district,
                        category=category,
                        max_count=5,
                        max_amount_fen=300_000_000,
                    )
                )
