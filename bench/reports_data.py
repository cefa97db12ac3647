"""BENCH-ONLY DATA for bench/reports.py: a province-year at the scale of DESIGN §9,
written with ``bulk_create`` into a throw-away database.

Going through the services would take hours at this size, so the rows are made
directly, in the shapes the services leave behind:

* 15 cities × 10 districts, 20 000 organisations, two programmes per city (科技计划项目,
  project flow; 科普惠农兴村, award flow) with one call each in the bench year;
* 50 000 applications (20 000 funded), one city panel per call with every application
  that reached the city: closed with the frozen score and rank of each, except the
  second largest, still open for scoring (one in ten of its assignments not scored yet);
* budget lines (city grant, repayable and award lines; every district's award line),
  commitments, 任务书 with three indicators each, disbursements, 5 000 repayable
  accounts with monthly instalments, repayments, acceptances with the indicator actuals;
* 300 000 journal entries (``--entries``): the budget issues, indicators, commitments,
  approvals, payments, usage fees and repayments that those rows stand for, padded with
  bank-funding entries. Every entry balances and the account balances are the sums of
  their legs (so the ledger's reads are right); the entries are inserted unsealed, as
  postings leave them, and sealed in blocks by ``ledger.services.sealing.ledger_seal``
  at the end. The rows are not what the services would have checked: never run this
  against real data.
* 500 experts (a person, a user with the expert role in their city, a profile each) and,
  on every city panel, five experts drawn per item (about 4 % released after declaring a
  conflict, the rest submitted) with a score on each of the rubric's four criteria; the
  item's mean, spread and rank are frozen from those scores. §9 plans for 250 000
  criterion scores; five experts on every city item give more (about 660 000 at
  ``--scale 1``), so pages are measured on at least §9's load.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from reports_data_base import (
    AT_CITY,
    AWARD_CATEGORIES,
    CITY_NAMES,
    CONCLUDED,
    FUNDED_AWARD,
    FUNDED_PROJECT,
    INDICATORS,
    NOT_FUNDED,
    PROJECT_CATEGORIES,
    YEAR,
    D,
    Plan,
    Scale,
    _bulk,
)
from reports_data_ledger import LedgerData
from reports_data_reviews import ReviewsData

__all__ = ["Builder", "Scale"]


class Builder(ReviewsData, LedgerData):
    def __init__(self, scale: Scale, seed: int = 2026, log: Any = print) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.log = log
        self.plan = Plan()

    # --- the world around the money --------------------------------------------------

    def regions(self) -> None:
        from accounts.models import OrgUnit, User

        self.user = User.objects.create_user("bench", full_name="基准测试")
        self.checker = User.objects.create_user("bench_checker", full_name="基准复核")
        province = OrgUnit.objects.create(
            code="330000", name="浙江省", level="province", path="/330000/"
        )
        cities = _bulk(
            OrgUnit,
            [
                OrgUnit(
                    code=f"33{c + 1:02d}00",
                    name=f"{name}市",
                    level="city",
                    parent=province,
                    path=f"/330000/33{c + 1:02d}00/",
                )
                for c, name in enumerate(CITY_NAMES)
            ],
        )
        self.cities = list(OrgUnit.objects.filter(level="city").order_by("path"))
        assert len(cities) == len(self.cities)
        self.districts = _bulk(
            OrgUnit,
            [
                OrgUnit(
                    code=f"{city.code[:4]}{d + 1:02d}",
                    name=f"{city.name[:-1]}第{d + 1}区",
                    level="district",
                    parent=city,
                    path=f"{city.path}{city.code[:4]}{d + 1:02d}/",
                )
                for city in self.cities
                for d in range(10)
            ],
        )
        self.districts = list(OrgUnit.objects.filter(level="district").order_by("path"))
        self.city_of = {d.pk: i for i, c in enumerate(self.cities) for d in self.districts
                        if d.parent_id == c.pk}  # fmt: skip

    def organisations(self) -> None:
        from accounts.models import Organisation
        from demo.codes import credit_code

        n = self.scale.organisations
        rows = []
        for i in range(n):
            district = self.districts[i % len(self.districts)]
            rows.append(
                Organisation(
                    credit_code=credit_code(
                        authority="91", division=district.code, seed=f"bench-{i}"
                    ),
                    name=f"{district.name}第{i}号科技有限公司",
                    org_type="enterprise",
                    region=district,
                )
            )
        _bulk(Organisation, rows)
        by_region: dict[int, list[int]] = defaultdict(list)
        for pk, region in Organisation.objects.values_list("pk", "region_id"):
            by_region[region].append(pk)
        self.orgs_of = by_region

    def programmes(self) -> None:
        from funding.models import Call, Category, Programme
        from reviews.models import Rubric

        self.rubric = Rubric.objects.create(code="bench", name="基准评分标准")
        programmes = []
        for c, city in enumerate(self.cities):
            programmes.append(
                Programme(
                    code=f"KJ{c + 1:02d}",
                    name=f"{city.name}科技计划项目",
                    flow="project",
                    instruments=["grant", "repayable"],
                    owner_unit=city,
                )
            )
            programmes.append(
                Programme(
                    code=f"KP{c + 1:02d}",
                    name=f"{city.name}科普惠农兴村计划",
                    flow="award",
                    instruments=["award"],
                    owner_unit=city,
                )
            )
        _bulk(Programme, programmes)
        programmes = list(Programme.objects.order_by("code"))
        categories = []
        for p in programmes:
            kinds = PROJECT_CATEGORIES if p.flow == "project" else AWARD_CATEGORIES
            categories += [
                Category(programme=p, code=code, name=name, order=n)
                for n, (code, name) in enumerate(kinds)
            ]
        _bulk(Category, categories)
        self.categories: dict[int, list[Any]] = defaultdict(list)
        for category in Category.objects.order_by("pk"):
            self.categories[category.programme_id].append(category)
        _bulk(
            Call,
            [
                Call(
                    programme=p,
                    year=YEAR,
                    title=f"{YEAR}年度{p.name}",
                    opens_on=D(YEAR, 3, 1),
                    closes_on=D(YEAR, 4, 30),
                    district_deadline=D(YEAR, 5, 31),
                    budget_envelope_fen=10**12,  # core.money.MAX_FEN
                    status="decided",
                )
                for p in programmes
            ],
        )
        self.calls = {}
        for call in Call.objects.select_related("programme"):
            city = int(call.programme.code[2:]) - 1
            self.calls[(call.programme.flow, city)] = call
            call.categories.set(self.categories[call.programme_id])

    # --- applications and review -----------------------------------------------------

    def applications(self) -> None:
        from projects.models import Application

        rng, n = self.rng, self.scale.applications
        funded = set(rng.sample(range(n), self.scale.funded))
        rows = []
        self.app_info: list[dict[str, Any]] = []
        for i in range(n):
            district = self.districts[rng.randrange(len(self.districts))]
            city = self.city_of[district.pk]
            flow = "project" if rng.random() < 0.7 else "award"
            call = self.calls[(flow, city)]
            category = rng.choice(self.categories[call.programme_id])
            if i in funded:
                status = rng.choice(FUNDED_PROJECT if flow == "project" else FUNDED_AWARD)
                stage = ""
                amount = (
                    rng.randrange(10_000_000, 200_000_000, 100)
                    if flow == "project"
                    else rng.randrange(1_000_000, 10_000_000, 100)
                )
            else:
                status, stage = rng.choice(NOT_FUNDED)
                amount = None
            organisation = rng.choice(self.orgs_of[district.pk])
            number = f"{call.programme.code}-{YEAR}-{i:05d}"
            rows.append(
                Application(
                    number=number,
                    call=call,
                    category=category,
                    title=f"基准项目 {i}",
                    organisation_id=organisation,
                    district=district,
                    amount_requested_fen=amount or 5_000_000,
                    approved_amount_fen=amount,
                    status=status,
                    rejected_stage=stage,
                    created_by=self.user,
                )
            )
            self.app_info.append(
                {
                    "number": number,
                    "flow": flow,
                    "city": city,
                    "district": district,
                    "status": status,
                    "amount": amount,
                    "organisation": organisation,
                    "reached_city": i in funded
                    or status in AT_CITY
                    or stage in ("reviewed", "publicity"),
                }
            )
        self.log(f"  applications: {n}")
        for start in range(0, len(rows), 10_000):
            _bulk(Application, rows[start : start + 10_000])
        pks = dict(Application.objects.values_list("number", "pk"))
        for info in self.app_info:
            info["pk"] = pks[info["number"]]

    # --- contracts and acceptance ------------------------------------------------------

    def contracts(self) -> None:
        from projects.models import (
            Acceptance,
            Contract,
            ContractIndicator,
            IndicatorActual,
            ProgressReport,
        )

        rng = self.rng
        drafted = dt.datetime(YEAR, 7, 10, 10, tzinfo=dt.UTC)
        project = [i for i in self.plan.funded if i["flow"] == "project"]
        _bulk(
            Contract,
            [
                Contract(
                    application_id=info["pk"],
                    number=f"RW{info['number']}",
                    start_date=D(YEAR, 7, 15),
                    end_date=D(YEAR + 2, 7, 14),
                    amount_fen=info["amount"],
                    budget_line=info["line"],
                    repay_budget_line=self.plan.lines[("repayable", info["city"])]
                    if info["repay"]
                    else None,
                    status="signed",
                    repay_principal_fen=info["repay"],
                    repay_term_months=36 if info["repay"] else None,
                    repay_grace_months=0 if info["repay"] else None,
                    repay_period_months=1 if info["repay"] else None,
                    repay_method="equal_principal" if info["repay"] else "",
                    fee_rate=Decimal("0.02") if info["repay"] else None,
                    overdue_rate=Decimal("0.0005") if info["repay"] else None,
                    payee_account=f"6222{info['organisation']:012d}",
                    drafted_by=self.user,
                    drafted_at=drafted,
                    signed_by=self.user,
                    signed_at=drafted,
                    repayable_id=info.get("repayable_pk"),
                )
                for info in project
            ],
        )
        contract_of = dict(Contract.objects.values_list("application_id", "pk"))
        _bulk(
            ContractIndicator,
            [
                ContractIndicator(
                    contract_id=contract_of[info["pk"]],
                    name=name,
                    unit=unit,
                    target=Decimal(target),
                    order=n,
                )
                for info in project
                for n, (name, unit, target) in enumerate(INDICATORS)
            ],
        )
        indicators: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        for pk, contract, target in ContractIndicator.objects.values_list(
            "pk", "contract_id", "target"
        ).order_by("pk"):
            indicators[contract].append((pk, target))
        in_acceptance = [
            i for i in self.plan.funded
            if i["status"] in ("acceptance_review", "accepted", "failed", "closed")
        ]  # fmt: skip
        submitted = dt.datetime(YEAR, 9, 1, 10, tzinfo=dt.UTC)
        _bulk(
            ProgressReport,
            [
                ProgressReport(
                    application_id=info["pk"],
                    contract_id=contract_of.get(info["pk"]),
                    kind="final",
                    title="验收报告",
                    due_on=D(YEAR, 8, 31),
                    submitted_at=submitted,
                    submitted_by=self.user,
                )
                for info in in_acceptance
            ],
        )
        report_of = dict(
            ProgressReport.objects.filter(kind="final").values_list("application_id", "pk")
        )
        acceptances = []
        actuals = []
        for info in in_acceptance:
            conclusion = CONCLUDED.get(info["status"], "")
            report = report_of[info["pk"]]
            rates = []
            for indicator, target in indicators.get(contract_of.get(info["pk"], -1), []):
                value = (target * Decimal(rng.randrange(60, 130)) / 100).quantize(Decimal("0.01"))
                actuals.append(
                    IndicatorActual(report_id=report, indicator_id=indicator, value=value)
                )
                rates.append(min(value / target, Decimal(1)))
            pct = (sum(rates, Decimal(0)) * 100 / len(rates)) if rates else Decimal(95)
            acceptances.append(
                Acceptance(
                    application_id=info["pk"],
                    report_id=report,
                    fund_usage="按任务书使用",
                    requested_at=submitted,
                    conclusion=conclusion,
                    completion_pct=pct.quantize(Decimal("0.01")) if conclusion else None,
                    concluded_at=dt.datetime(YEAR, 11, 10, 2, tzinfo=dt.UTC)
                    if conclusion
                    else None,
                )
            )
        _bulk(Acceptance, acceptances)
        _bulk(IndicatorActual, actuals)
        self.log(
            f"  contracts: {len(project)}, indicators: {3 * len(project)}, "
            f"acceptances: {len(acceptances)}, actuals: {len(actuals)}"
        )

    def build(self) -> None:
        from django.db import transaction

        steps = [
            self.regions,
            self.organisations,
            self.programmes,
            self.applications,
            self.experts,
            self.panels,
            self.open_panel,
            self.money_plan,
            self.budget_lines,
            self.entities,
        ]
        with transaction.atomic():
            for step in steps:
                step()
        self.journal()  # commits chunk by chunk
        with transaction.atomic():
            self.instalments()
            self.contracts()
        self.seal()

    def seal(self) -> None:
        """The entries were inserted unsealed, as postings leave them; the ledger's own
        sealing gives them their place and hash in chained blocks."""
        import time

        from ledger.services.sealing import ledger_seal

        began = time.perf_counter()
        result = ledger_seal()
        self.log(
            f"  sealed: {result.entries} entries in {len(result.blocks)} blocks "
            f"({time.perf_counter() - began:.0f} s)"
        )
