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
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
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


class Builder:
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

    def experts(self) -> None:
        """The expert pool (§9: 500 experts): a person, a user holding the expert role in
        their city, and an expert profile each; employed by one of the organisations of
        their district (so the draw has conflicts to avoid)."""
        from django.contrib.auth.hashers import make_password

        from accounts.models import Person, RoleMembership, User
        from demo.codes import id_number
        from reviews.models import ExpertProfile

        rng, n = self.rng, max(self.scale.experts, 10)
        persons = []
        for e in range(n):
            district = self.districts[e % len(self.districts)]
            birth = f"{1960 + e % 30}{1 + e % 12:02d}{1 + e % 28:02d}"
            persons.append(
                Person(
                    name=f"专家{e:03d}",
                    id_number=id_number(division=district.code, birth=birth, seq=e % 1000),
                    region=district,
                    organisation_id=rng.choice(self.orgs_of[district.pk]),
                    mobile=f"139{e:08d}",
                )
            )
        _bulk(Person, persons)
        persons = list(Person.objects.filter(name__startswith="专家").order_by("pk"))
        password = make_password("bench-only")  # one hash for all: hashing 500 takes minutes
        _bulk(
            User,
            [
                User(username=f"expert{e:03d}", full_name=p.name, person=p, password=password)
                for e, p in enumerate(persons)
            ],
        )
        users = dict(User.objects.filter(person__isnull=False).values_list("person_id", "pk"))
        _bulk(
            RoleMembership,
            [
                RoleMembership(
                    user_id=users[p.pk],
                    role="expert",
                    org_unit=self.cities[self.city_of[p.region_id]],
                )
                for p in persons
            ],
        )
        titles = ["senior", "associate", "intermediate"]
        specialties = ["电子信息、软件", "生物医药", "现代农业、种植", "新材料", "节能环保",
                       "农业机械", "食品加工", "科普教育"]  # fmt: skip
        _bulk(
            ExpertProfile,
            [
                ExpertProfile(
                    person=p,
                    title=titles[e % 3],
                    specialties=specialties[e % len(specialties)],
                    load_cap=20,
                )
                for e, p in enumerate(persons)
            ],
        )
        self.experts_pool = list(
            ExpertProfile.objects.order_by("pk").values_list("pk", "person__organisation_id")
        )
        self.log(f"  experts: {len(self.experts_pool)} (with users and the expert role)")

    def panels(self) -> None:
        """One closed city 终审 panel per call with every application that reached the
        city; five experts drawn per item (a few released after declaring a conflict, the
        rest submitted), a score per criterion of every submitted assignment, and the
        item's mean, spread and rank frozen from them, as closing a panel leaves them."""
        from django.db import transaction

        from reviews.models import Assignment, Criterion, Draw, Panel, PanelItem, Score

        rng = self.rng
        criteria = _bulk(
            Criterion,
            [
                Criterion(rubric=self.rubric, code=code, name=name, max_score=Decimal(top),
                          order=n)
                for n, (code, name, top) in enumerate(CRITERIA)
            ],
        )  # fmt: skip
        criteria = list(Criterion.objects.filter(rubric=self.rubric).order_by("order"))
        closed = dt.datetime(YEAR, 7, 1, 10, tzinfo=dt.UTC)
        panels = _bulk(
            Panel,
            [
                Panel(
                    call=call,
                    stage="city",
                    name=f"{call.title} 终审",
                    unit=self.cities[city],
                    rubric=self.rubric,
                    deadline=D(YEAR, 6, 30),
                    status="closed",
                    created_by=self.user,
                    created_at=closed,
                    closed_at=closed,
                )
                for (flow, city), call in self.calls.items()
            ],
        )
        panel_of = {p.call_id: p.pk for p in Panel.objects.all()}
        assert len(panel_of) == len(panels)
        _bulk(
            Draw,
            [
                Draw(panel_id=pk, seed=rng.randrange(2**40), made_by=self.user,
                     made_at=closed - dt.timedelta(days=30), purpose="draw")
                for pk in panel_of.values()
            ],
        )  # fmt: skip
        draw_of = dict(Draw.objects.values_list("panel_id", "pk"))
        org_of = {info["pk"]: info["organisation"] for info in self.app_info}

        # Each expert's totals around the item's merit; the item's score is their mean.
        by_panel: dict[int, list[tuple[Decimal, int, list[Any]]]] = defaultdict(list)
        for info in self.app_info:
            if not info["reached_city"]:
                continue
            call = self.calls[(info["flow"], info["city"])]
            merit = rng.randrange(50_00, 95_00) / 100
            picks = []
            while len(picks) < 5:
                expert, employer = self.experts_pool[rng.randrange(len(self.experts_pool))]
                if employer != org_of[info["pk"]] and expert not in (p[0] for p in picks):
                    picks.append((expert, rng.random() < 0.04))  # (expert, released?)
            opinions = []
            for expert, released in picks:
                if released:
                    opinions.append((expert, None))
                    continue
                values = []
                for _code, _name, top in CRITERIA:
                    share = Decimal(top) * Decimal(min(max(merit + rng.gauss(0, 6), 0), 100))
                    values.append((share / 100).quantize(Decimal("0.01")))
                opinions.append((expert, values))
            totals = [sum(v, Decimal(0)) for _e, v in opinions if v is not None]
            mean = sum(totals, Decimal(0)) / len(totals)
            by_panel[panel_of[call.pk]].append((mean, info["pk"], opinions))

        items = []
        for panel, scored in by_panel.items():
            scored.sort(key=lambda s: (-s[0], s[1]))
            for rank, (mean, app, opinions) in enumerate(scored, start=1):
                totals = [sum(v, Decimal(0)) for _e, v in opinions if v is not None]
                avg = sum(totals, Decimal(0)) / len(totals)
                sd = (sum((t - avg) ** 2 for t in totals) / len(totals)).sqrt()
                marks = [v for _e, v in opinions if v is not None]
                means = {
                    code: str(
                        (sum((m[c] for m in marks), Decimal(0)) / len(marks)).quantize(
                            Decimal("0.0001"), rounding=ROUND_HALF_UP
                        )
                    )
                    for c, (code, _name, _top) in enumerate(CRITERIA)
                }
                items.append(
                    PanelItem(
                        panel_id=panel,
                        application_id=app,
                        score=mean.quantize(Decimal("0.0001")),
                        mean=mean.quantize(Decimal("0.0001")),
                        spread_sd=sd.quantize(Decimal("0.0001")),
                        spread_range=max(totals) - min(totals),
                        n_scores=len(totals),
                        flagged=max(totals) - min(totals) > 20,
                        passes=mean >= 60,
                        rank=rank,
                        criterion_means=means,
                    )
                )
        _bulk(PanelItem, items)
        self.log(f"  panel items: {len(items)}")
        item_of = {
            (panel, app): pk
            for pk, panel, app in PanelItem.objects.values_list("pk", "panel_id", "application_id")
        }
        submitted = closed - dt.timedelta(days=5)
        assignments = scores = 0
        work = [(panel, app, opinions) for panel, scored in by_panel.items()
                for _m, app, opinions in scored]  # fmt: skip
        for start in range(0, len(work), 4_000):
            chunk = work[start : start + 4_000]
            rows, values = [], []
            for panel, app, opinions in chunk:
                for expert, marks in opinions:
                    rows.append(
                        Assignment(
                            panel_id=panel,
                            item_id=item_of[(panel, app)],
                            expert_id=expert,
                            draw_id=draw_of[panel],
                            status="declined" if marks is None else "submitted",
                            declared_at=submitted - dt.timedelta(days=10),
                            release_reason="专家声明存在利益冲突" if marks is None else "",
                            conflict_declared=marks is None,
                            comment="" if marks is None else "同意推荐。",
                            total=None if marks is None else sum(marks, Decimal(0)),
                            marks={}
                            if marks is None
                            else {
                                code: str(v)
                                for (code, _name, _top), v in zip(CRITERIA, marks, strict=True)
                            },
                            submitted_at=None if marks is None else submitted,
                        )
                    )
                    values.append(marks)
            with transaction.atomic():
                made = Assignment.objects.bulk_create(rows, batch_size=BATCH)
                Score.objects.bulk_create(
                    [
                        Score(assignment_id=a.pk, criterion=c, value=v)
                        for a, marks in zip(made, values, strict=True)
                        if marks is not None
                        for c, v in zip(criteria, marks, strict=True)
                    ],
                    batch_size=BATCH * 2,
                )
            assignments += len(rows)
            scores += sum(len(m) for m in values if m is not None)
        self.log(f"  assignments: {assignments}, criterion scores: {scores}")

    def open_panel(self) -> None:
        """The second largest panel is still open for scoring (the pages bench measures
        the live ranking of a large panel): its items without frozen results, and one
        in ten of its submitted assignments declared but not scored yet. Works on the rows
        already written, so it can also be applied to a database built before it."""
        from django.db.models import Count

        from reviews.models import Assignment, Panel, PanelItem, Score

        panels = Panel.objects.annotate(n=Count("items")).order_by("-n", "pk")[:2]
        if len(panels) < 2:
            return
        panel = panels[1]
        Panel.objects.filter(pk=panel.pk).update(status="open", closed_at=None)
        PanelItem.objects.filter(panel=panel).update(
            score=None, mean=None, spread_sd=None, spread_range=None, n_scores=None,
            flagged=False, passes=False, rank=None, criterion_means={},
        )  # fmt: skip
        pending = list(
            Assignment.objects.filter(panel=panel, status="submitted")
            .order_by("pk")
            .values_list("pk", flat=True)[::10]
        )
        Score.objects.filter(assignment_id__in=pending).delete()
        Assignment.objects.filter(pk__in=pending).update(
            status="accepted", total=None, submitted_at=None, comment="", marks={}
        )
        self.log(f"  open panel: {panel.name} ({panel.n} items, {len(pending)} not scored yet)")

    # --- money -----------------------------------------------------------------------

    def money_plan(self) -> None:
        rng = self.rng
        funded = [i for i in self.app_info if i["amount"] is not None]
        project = [i for i in funded if i["flow"] == "project"]
        repayable = set(id(i) for i in rng.sample(project, min(self.scale.repayable, len(project))))
        for info in funded:
            amount = info["amount"]
            info["repay"] = amount * 2 // 5 if id(info) in repayable else 0
            info["grant"] = amount - info["repay"]
            late = info["status"] not in ("approved",)
            finished = info["status"] in ("accepted", "failed", "closed", "acceptance_review")
            first = info["grant"] * 3 // 5 if info["flow"] == "project" else info["grant"]
            tranches = []
            if late:
                tranches.append((first, rng.choice(["paid", "reconciled"])))
                rest = info["grant"] - first
                if rest and finished:
                    tranches.append((rest, "paid"))
                elif rest and rng.random() < 0.2:
                    tranches.append((rest, "approved"))
            info["tranches"] = tranches
            info["repay_paid"] = bool(info["repay"]) and late
        self.plan.funded = funded
        self.log(f"  funded: {len(funded)}, repayable: {len(repayable)}")

    def budget_lines(self) -> None:
        from ledger.models import BudgetLine

        need: dict[tuple[str, int], int] = defaultdict(int)
        for info in self.plan.funded:
            if info["flow"] == "project":
                need[("grant", info["city"])] += info["grant"]
                need[("repayable", info["city"])] += info["repay"]
            else:
                need[("district_award", info["district"].pk)] += info["grant"]
                need[("award", info["city"])] += info["grant"]
        rows = []
        for c, city in enumerate(self.cities):
            for kind, instrument, source, code in (
                ("grant", "grant", "sci_tech", f"KJ{c + 1:02d}"),
                ("repayable", "repayable", "sci_tech", f"KJ{c + 1:02d}"),
                ("award", "award", "city_special", f"KP{c + 1:02d}"),
            ):
                rows.append(
                    BudgetLine(
                        code=f"{YEAR}-{code}-{instrument}-{source}-{city.code}",
                        name=f"{YEAR}年{city.name}{dict(grant='科技计划项目经费', repayable='有偿使用资金', award='科普惠农兴村奖补资金')[kind]}",
                        year=YEAR,
                        funding_source=source,
                        instrument=instrument,
                        programme_code=code,
                        scope_path=city.path,
                        created_by=self.user,
                    )
                )
        for district in self.districts:
            code = f"KP{self.city_of[district.pk] + 1:02d}"
            rows.append(
                BudgetLine(
                    code=f"{YEAR}-{code}-award-transfer-{district.code}",
                    name=f"{district.name} {YEAR}年科普惠农兴村奖补资金",
                    year=YEAR,
                    funding_source="transfer",
                    instrument="award",
                    programme_code=code,
                    scope_path=district.path,
                    created_by=self.user,
                )
            )
        _bulk(BudgetLine, rows)
        by_code = {line.code: line for line in BudgetLine.objects.all()}
        for c, city in enumerate(self.cities):
            for kind, instrument, source, code in (
                ("grant", "grant", "sci_tech", f"KJ{c + 1:02d}"),
                ("repayable", "repayable", "sci_tech", f"KJ{c + 1:02d}"),
                ("award", "award", "city_special", f"KP{c + 1:02d}"),
            ):
                line = by_code[f"{YEAR}-{code}-{instrument}-{source}-{city.code}"]
                self.plan.lines[(kind, c)] = line
                line.bench_amount = need[(kind, c)] * 5 // 4 + 100_000_00  # type: ignore[attr-defined]
        for district in self.districts:
            code = f"KP{self.city_of[district.pk] + 1:02d}"
            line = by_code[f"{YEAR}-{code}-award-transfer-{district.code}"]
            self.plan.lines[("district_award", district.pk)] = line
            line.bench_amount = need[("district_award", district.pk)] * 11 // 10 + 1_000_00  # type: ignore[attr-defined]

    def entities(self) -> None:
        """Everything with an account of its own: bank accounts, commitments, repayable
        accounts. The accounts themselves come with their balances, after the flows."""
        from ledger.models import RepayableAccount, aging_bucket

        rng = self.rng
        accounts = []
        for info in self.plan.funded:
            if not info["repay"]:
                continue
            status = rng.choices(["active", "overdue", "repaid"], [65, 30, 5])[0]
            days = rng.randrange(1, 700) if status == "overdue" else 0
            info["repay_status"] = status
            accounts.append(
                RepayableAccount(
                    number=f"YC{YEAR}{len(accounts):07d}",
                    project_ref=info["number"],
                    borrower_name=f"借款单位{info['organisation']}",
                    budget_line=self.plan.lines[("repayable", info["city"])],
                    scope_path=info["district"].path,
                    principal_fen=info["repay"],
                    start_date=D(YEAR - 1, 1 + len(accounts) % 12, 1),
                    term_months=36,
                    grace_months=0,
                    period_months=1,
                    method="equal_principal",
                    fee_rate=Decimal("0.02"),
                    overdue_rate=Decimal("0.0005"),
                    status=status if info["repay_paid"] else "scheduled",
                    days_overdue=days,
                    aging=aging_bucket(days),
                    aged_as_of=D(YEAR, 11, 20),
                    created_by=self.user,
                )
            )
        _bulk(RepayableAccount, accounts)
        pks = dict(RepayableAccount.objects.values_list("project_ref", "pk"))
        for info in self.plan.funded:
            if info["repay"]:
                info["repayable_pk"] = pks[info["number"]]
        self.log(f"  repayable accounts: {len(accounts)}")

    # --- journal -----------------------------------------------------------------------

    def flows(self) -> Iterator[tuple[str, dt.date, list[tuple[tuple[Any, ...], int]], Any]]:
        """(entry kind, value date, legs as (account key, signed fen), what it books).
        Deterministic: run twice, it yields the same entries."""
        rng = random.Random(7)
        plan = self.plan
        for (kind, _where), line in plan.lines.items():
            if kind == "district_award":
                continue
            amount = line.bench_amount
            yield (
                "budget_issue",
                D(YEAR, 1, 10),
                [
                    (("line", line.pk, "available"), amount),
                    (("line", line.pk, "appropriation"), -amount),
                ],
                None,
            )
        for (kind, where), line in plan.lines.items():
            if kind != "district_award":
                continue
            city_line = plan.lines[("award", self.city_of[where])]
            amount = line.bench_amount
            yield (
                "indicator",
                D(YEAR, 2, 1),
                [
                    (("line", city_line.pk, "transferred"), amount),
                    (("line", city_line.pk, "available"), -amount),
                    (("line", line.pk, "available"), amount),
                    (("line", line.pk, "appropriation"), -amount),
                ],
                None,
            )
        for info in plan.funded:
            line = (
                plan.lines[("grant", info["city"])]
                if info["flow"] == "project"
                else plan.lines[("district_award", info["district"].pk)]
            )
            info["line"] = line
            yield (
                "commit",
                D(YEAR, 7, 20),
                [
                    (("commit", info["number"]), info["grant"]),
                    (("line", line.pk, "available"), -info["grant"]),
                ],
                None,
            )
            bank = ("bank", info["city"], "bank")
            for n, (amount, status) in enumerate(info["tranches"]):
                yield (
                    "approve",
                    D(YEAR, 8, 1),
                    [
                        (("line", line.pk, "approved"), amount),
                        (("commit", info["number"]), -amount),
                    ],
                    ("disbursement", info, n, "approve"),
                )
                if status != "approved":
                    yield (
                        "pay",
                        D(YEAR, 8, 5 + n),
                        [
                            (("line", line.pk, "disbursed"), amount),
                            (("line", line.pk, "approved"), -amount),
                            (("line", line.pk, "grant_expense"), amount),
                            (bank, -amount),
                        ],
                        ("disbursement", info, n, "pay"),
                    )
            if info["repay"] and info["repay_paid"]:
                repay_line = plan.lines[("repayable", info["city"])]
                account = info["repayable_pk"]
                amount = info["repay"]
                yield (
                    "approve",
                    D(YEAR, 8, 1),
                    [
                        (("line", repay_line.pk, "approved"), amount),
                        (("line", repay_line.pk, "available"), -amount),
                    ],
                    ("disbursement", info, -1, "approve"),
                )
                yield (
                    "pay",
                    D(YEAR, 8, 6),
                    [
                        (("line", repay_line.pk, "disbursed"), amount),
                        (("line", repay_line.pk, "approved"), -amount),
                        (("rep", account, "receivable"), amount),
                        (bank, -amount),
                    ],
                    ("disbursement", info, -1, "pay"),
                )
                months = rng.randrange(0, 6)
                fee = amount * 2 // 100 // 12
                for m in range(months):
                    yield (
                        "fee",
                        D(YEAR, 9 + m % 4, 1),
                        [
                            (("rep", account, "fee_receivable"), fee),
                            (("rep", account, "usage_fee_income"), -fee),
                        ],
                        None,
                    )
                status = info["repay_status"]
                if status == "repaid" or (status == "active" and months and rng.random() < 0.5):
                    principal = amount if status == "repaid" else amount // 36 * months
                    fees = fee * months
                    if principal + fees:
                        yield (
                            "repayment",
                            D(YEAR, 11, 1),
                            [
                                (bank, principal + fees),
                                (("rep", account, "receivable"), -principal),
                                *([(("rep", account, "fee_receivable"), -fees)] if fees else []),
                            ],
                            ("repayment", info, principal, fees),
                        )

    def journal(self) -> None:
        """Two passes over the flows: balances first (so the accounts are made with
        them), then the entries and legs, in chunks."""
        from ledger.chain import CURRENT_HASH_VERSION
        from ledger.models import Account, BankAccount, Commitment, Entry, Leg

        balances: dict[tuple[Any, ...], int] = defaultdict(int)
        real = 0
        for _kind, _date, legs, _what in self.flows():
            real += 1
            for key, amount in legs:
                balances[key] += amount
        padding = max(self.scale.entries - real, 0)
        for n in range(padding):
            city = n % len(self.cities)
            balances[("bank", city, "bank")] += 1_000_00
            balances[("bank", city, "fiscal_revenue")] -= 1_000_00
        self.log(f"  journal: {real} entries from the rows, {padding} bank-funding entries")

        # The chart, with the balances.
        rules = {
            "appropriation": ("budget", "credit", False),
            "available": ("budget", "debit", True),
            "committed": ("budget", "debit", True),
            "approved": ("budget", "debit", True),
            "disbursed": ("budget", "debit", False),
            "transferred": ("budget", "debit", False),
            "grant_expense": ("cash", "debit", False),
            "bank": ("cash", "debit", False),
            "fiscal_revenue": ("cash", "credit", False),
            "receivable": ("cash", "debit", True),
            "fee_receivable": ("cash", "debit", True),
            "penalty_receivable": ("cash", "debit", True),
            "usage_fee_income": ("cash", "credit", False),
            "penalty_income": ("cash", "credit", False),
            "write_off": ("cash", "debit", False),
            "recovery_income": ("cash", "credit", False),
        }
        accounts: dict[tuple[Any, ...], Account] = {}

        def account(key: tuple[Any, ...], code: str, kind: str, scope: str, **kw: Any) -> None:
            book, side, floor = rules[kind]
            accounts[key] = Account(
                code=code,
                name=code,
                book=book,
                side=side,
                floor_zero=floor,
                kind=kind,
                scope_path=scope,
                balance=balances.get(key, 0),
                **kw,
            )

        for line in self.plan.lines.values():
            for kind in ("appropriation", "available", "approved", "disbursed", "transferred",
                         "grant_expense"):  # fmt: skip
                account(("line", line.pk, kind), f"{line.code}:{kind}", kind, line.scope_path,
                        budget_line=line)  # fmt: skip
        for info in self.plan.funded:
            line = info["line"]
            account(("commit", info["number"]), f"{line.code}:committed:{info['number']}",
                    "committed", line.scope_path, budget_line=line,
                    project_ref=info["number"])  # fmt: skip
            if info["repay"]:
                pk = info["repayable_pk"]
                for kind in ("receivable", "fee_receivable", "penalty_receivable",
                             "usage_fee_income", "penalty_income", "write_off",
                             "recovery_income"):  # fmt: skip
                    account(("rep", pk, kind), f"repayable:{pk}:{kind}", kind,
                            info["district"].path, repayable_id=pk,
                            project_ref=info["number"])  # fmt: skip
        for c, city in enumerate(self.cities):
            account(("bank", c, "bank"), f"bank:{city.code}", "bank", city.path)
            account(("bank", c, "fiscal_revenue"), f"revenue:{city.code}", "fiscal_revenue",
                    city.path)  # fmt: skip
        assert all(k in accounts for k in balances), "a flow posts to an account not made"
        _bulk(Account, list(accounts.values()))
        pk_of = {a.code: a.pk for a in Account.objects.only("pk", "code")}
        ids = {key: pk_of[a.code] for key, a in accounts.items()}
        self.log(f"  accounts: {len(ids)}")

        _bulk(
            BankAccount,
            [
                BankAccount(
                    name=f"{city.name}财政局零余额账户",
                    bank_name="基准银行",
                    account_number=f"BENCH{city.code}",
                    scope_path=city.path,
                    account_id=ids[("bank", c, "bank")],
                    revenue_account_id=ids[("bank", c, "fiscal_revenue")],
                )
                for c, city in enumerate(self.cities)
            ],
        )
        bank_of = dict(BankAccount.objects.values_list("account_id", "pk"))
        _bulk(
            Commitment,
            [
                Commitment(
                    budget_line=info["line"],
                    project_ref=info["number"],
                    payee_name=f"单位{info['organisation']}",
                    account_id=ids[("commit", info["number"])],
                    scope_path=info["district"].path,
                    created_by=self.user,
                )
                for info in self.plan.funded
            ],
        )
        commitment_of = dict(Commitment.objects.values_list("project_ref", "pk"))

        # The entries and legs, chunk by chunk; disbursements and repayments remember
        # their entries.
        seq = 0
        entry_rows: list[Entry] = []
        leg_rows: list[list[tuple[int, int]]] = []
        booked: list[Any] = []
        disbursements: dict[tuple[str, int], dict[str, Any]] = {}
        repayments: list[dict[str, Any]] = []

        def flush() -> None:
            if not entry_rows:
                return
            from django.db import transaction

            with transaction.atomic():
                made = Entry.objects.bulk_create(entry_rows, batch_size=BATCH)
                Leg.objects.bulk_create(
                    [
                        Leg(entry_id=entry.pk, account_id=acc, amount=amount)
                        for entry, legs in zip(made, leg_rows, strict=True)
                        for acc, amount in legs
                    ],
                    batch_size=BATCH * 2,
                )
            for entry, what in zip(made, booked, strict=True):
                if what is None:
                    continue
                if what[0] == "disbursement":
                    _tag, info, n, step = what
                    disbursements.setdefault((info["number"], n), {"info": info, "n": n})[step] = (
                        entry.pk
                    )
                elif what[0] == "repayment":
                    _tag, info, principal, fees = what
                    repayments.append(
                        {"info": info, "principal": principal, "fee": fees, "entry": entry.pk}
                    )
            entry_rows.clear()
            leg_rows.clear()
            booked.clear()

        def add(kind: str, day: dt.date, legs: list[tuple[int, int]], what: Any) -> None:
            nonlocal seq
            seq += 1
            entry_rows.append(
                Entry(
                    idempotency_key=f"bench:{seq}",
                    kind=kind,
                    value_date=day,
                    memo="基准测试数据",
                    hash_version=CURRENT_HASH_VERSION,
                )
            )
            leg_rows.append(legs)
            booked.append(what)
            if len(entry_rows) >= 10_000:
                flush()

        for kind, day, legs, what in self.flows():
            add(kind, day, [(ids[key], amount) for key, amount in legs], what)
        for n in range(padding):
            c = n % len(self.cities)
            add(
                "bank_funding",
                D(YEAR, 1 + n % 12, 1 + n % 28),
                [
                    (ids[("bank", c, "bank")], 1_000_00),
                    (ids[("bank", c, "fiscal_revenue")], -1_000_00),
                ],
                None,
            )
        flush()
        self.log(f"  entries: {seq}")
        self._disbursements(disbursements, ids, commitment_of, bank_of)
        self._repayments(repayments, ids, bank_of)

    def _disbursements(
        self, found: dict[Any, dict[str, Any]], ids: dict[Any, int], commitment_of: Any,
        bank_of: Any,
    ) -> None:  # fmt: skip
        from ledger.models import Disbursement

        rows = []
        for (number, n), row in sorted(found.items()):
            info = row["info"]
            bank = bank_of[ids[("bank", info["city"], "bank")]]
            if n == -1:  # the repayable tranche
                amount, status = info["repay"], "paid"
                line = self.plan.lines[("repayable", info["city"])]
                extra: dict[str, Any] = {"repayable_id": info["repayable_pk"]}
            else:
                amount, status = info["tranches"][n]
                line = info["line"]
                extra = {"commitment_id": commitment_of[number]}
            paid = status in ("paid", "reconciled")
            rows.append(
                Disbursement(
                    number=f"BF{YEAR}{len(rows):07d}",
                    budget_line=line,
                    project_ref=number,
                    tranche_no=max(n, 0) + 1,
                    payee_name=f"单位{info['organisation']}",
                    payee_account=f"6222{info['organisation']:012d}",
                    amount_fen=amount,
                    scope_path=line.scope_path,
                    status=status,
                    maker=self.user,
                    approver=self.checker,
                    bank_account_id=bank if paid else None,
                    paid_on=D(YEAR, 8, 5) if paid else None,
                    bank_reference=f"BENCHREF{len(rows):09d}" if paid else "",
                    approve_entry_id=row.get("approve"),
                    pay_entry_id=row.get("pay"),
                    **extra,
                )
            )
        _bulk(Disbursement, rows)
        self.log(f"  disbursements: {len(rows)}")

    def _repayments(self, found: list[dict[str, Any]], ids: dict[Any, int], bank_of: Any) -> None:
        from ledger.models import Repayment

        _bulk(
            Repayment,
            [
                Repayment(
                    number=f"HK{YEAR}{n:07d}",
                    account_id=row["info"]["repayable_pk"],
                    value_date=D(YEAR, 11, 1),
                    amount_fen=row["principal"] + row["fee"],
                    fee_fen=row["fee"],
                    principal_fen=row["principal"],
                    scope_path=row["info"]["district"].path,
                    bank_account_id=bank_of[ids[("bank", row["info"]["city"], "bank")]],
                    entry_id=row["entry"],
                    recorded_by=self.user,
                )
                for n, row in enumerate(found)
            ],
        )
        self.log(f"  repayments: {len(found)}")

    def instalments(self) -> None:
        from ledger.models import Instalment

        rows = []
        for info in self.plan.funded:
            if not info["repay"]:
                continue
            monthly = info["repay"] // 36
            for m in range(36):
                due = D(YEAR + m // 12, 1 + m % 12, 28)
                principal = monthly if m < 35 else info["repay"] - monthly * 35
                rows.append(
                    Instalment(
                        account_id=info["repayable_pk"],
                        seq=m + 1,
                        due_date=due,
                        principal_due_fen=principal,
                        fee_due_fen=info["repay"] * 2 // 100 // 12,
                    )
                )
        for start in range(0, len(rows), 20_000):
            _bulk(Instalment, rows[start : start + 20_000])
        self.log(f"  instalments: {len(rows)}")

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
