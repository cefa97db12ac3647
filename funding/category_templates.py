"""Ready-made category sets a city officer applies to a call in one step, then edits.

* ``award``: the five 科普惠农兴村 categories with the thresholds of the seed rules
  (DESIGN §4): 农民专业合作组织, 农村科普示范基地, 农村科普致富带头人, 农业科技服务专家,
  专业技术指导员.
* ``project``: the four domains of a 科技计划项目 call (工业, 农业, 社会发展, 软科学).

Names and rule messages are data in Chinese, as an officer would type them: once
applied they are the programme's own records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    applicant_kind: str = "organisation"
    rules: tuple[dict[str, Any], ...] = ()
    extra_facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryTemplate:
    key: str
    label: str | Promise
    flow: str
    categories: tuple[CategorySpec, ...] = field(default_factory=tuple)


TEMPLATES: dict[str, CategoryTemplate] = {
    t.key: t
    for t in (
        CategoryTemplate(
            "award",
            _("科普惠农兴村: the five award categories and their thresholds"),
            "award",
            tuple(
                CategorySpec(code, name, kind, tuple(rules), ("trainings_held",))
                for code, name, kind, rules in AWARD_CATEGORIES
            ),
        ),
        CategoryTemplate(
            "project",
            _("Sci-tech projects: the four domains"),
            "project",
            tuple(CategorySpec(code, name) for code, name in PROJECT_DOMAINS),
        ),
    )
}


def templates_for(flow: str) -> list[CategoryTemplate]:
    return [t for t in TEMPLATES.values() if t.flow == flow]
