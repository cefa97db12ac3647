"""BENCH-ONLY DATA: the experts, the city panels and their scores of the province-year
(``bench/reports_data.py``; the builder's part on review)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reports_data_base import (
    BATCH,
    CRITERIA,
    YEAR,
    D,
    _bulk,
)


class ReviewsData:
    """The experts and panels of ``Builder`` (its state is the builder's)."""

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
