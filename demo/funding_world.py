"""The demo programmes: 科普惠农兴村计划 (award flow, five categories with the seed rules)
and 科技计划项目 (project flow, four domains), this year's calls, quotas, statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Organisation, OrgUnit
from core import clock
from funding import services as funding
from funding.category_templates import AWARD_CATEGORIES, PROJECT_DOMAINS
from funding.models import Call, Category, DistrictStatistic, Programme, Quota

from .log import Log

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

    # Published once the categories have their quotas, on the day each call opens.
    for call in (award_call, project_call):
        if call.status == Call.Status.DRAFT:
            with clock.frozen(call.opens_on):
                funding.call_open(call=call)
