"""BENCH-ONLY DATA: the constants, the scale and the plan shared by the parts of
``bench/reports_data.py`` (the province-year builder)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

YEAR = 2026
D = dt.date
BATCH = 2000

CITY_NAMES = [
    "杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州",
    "舟山", "台州", "丽水", "东阳", "义乌", "海宁", "慈溪",
]  # fmt: skip
PROJECT_CATEGORIES = [("industry", "工业"), ("agriculture", "农业"), ("social", "社会发展"),
                      ("soft", "软科学")]  # fmt: skip
AWARD_CATEGORIES = [("coop", "农民专业合作组织"), ("base", "农村科普示范基地")]
CRITERIA = [("innovation", "创新性", 30), ("feasibility", "技术可行性", 25),
            ("benefit", "经济社会效益", 25), ("team", "承担单位基础", 20)]  # fmt: skip
INDICATORS = [("示范推广面积", "亩", 300), ("培训农民", "人次", 500), ("申请专利", "件", 2)]

FUNDED_PROJECT = ["approved", "contracted", "in_progress", "acceptance_requested",
                  "acceptance_review", "accepted", "failed", "closed"]  # fmt: skip
FUNDED_AWARD = ["approved", "in_progress", "acceptance_review", "accepted", "closed"]
CONCLUDED = {"accepted": "accept", "failed": "fail", "closed": "accept"}
NOT_FUNDED = [("submitted", ""), ("returned", ""), ("district_publicity", ""),
              ("recommended", ""), ("under_review", ""), ("reviewed", ""),
              ("rejected", "submitted"), ("rejected", "reviewed"), ("rejected", "publicity"),
              ("withdrawn", "")]  # fmt: skip
AT_CITY = {"recommended", "under_review", "reviewed", "publicity"}


@dataclass
class Scale:
    applications: int = 50_000
    funded: int = 20_000
    repayable: int = 5_000
    organisations: int = 20_000
    entries: int = 300_000
    experts: int = 500

    def scaled(self, factor: float) -> Scale:
        return Scale(*(max(int(getattr(self, f) * factor), 1) for f in self.__dataclass_fields__))


@dataclass
class Plan:
    """What the money flows need to know about the rows (indexes into the lists)."""

    funded: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[tuple[str, int], Any] = field(default_factory=dict)  # (kind, city or district)
    district_awards: dict[int, int] = field(default_factory=dict)  # district pk → fen
    banks: dict[int, Any] = field(default_factory=dict)  # city index → BankAccount


def _bulk(model: Any, rows: list[Any]) -> list[Any]:
    return model.objects.bulk_create(rows, batch_size=BATCH)
