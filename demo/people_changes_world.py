"""A 负责人 change in a project's 变更 history, and the inbox messages the calendar's
reminders leave for the people who would get them.

* The project extended in ``midterm_world`` (西湖区茶园智能灌溉系统示范, led by 赵立群
  as signed): in November 2026 the applicant asks to hand the lead to 郑伟, a colleague
  not yet recorded (his 身份证号 given on the request), and the city officer approves:
  the 任务书 gets its third version, led by him, and the decision is in the applicant's
  inbox.
* ``jobs.reminders`` run as of the days the data makes them due: ten days before the
  first unpaid instalment of a repayable account linked to a 任务书 (the applicant's
  inbox) and the day after the last 公示 each officer published ended (that officer's).

Each reminder is recorded once by its key and the change is made once, so a second run
creates nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import User
from core import clock
from jobs import reminders
from ledger.aging import OPEN, UNPAID
from ledger.models import Instalment
from projects import changes
from projects.models import Application, ChangeRequest, Contract, Notice

from .codes import id_number
from .log import Log

PROJECT = "西湖区茶园智能灌溉系统示范"
COMPANY = "杭州西湖智慧农业科技有限公司"


def _u(username: str) -> User:
    return User.objects.get(username=username)


def _at(moment: str) -> Any:
    return clock.frozen(dt.datetime.fromisoformat(moment))


def _leader_change(log: Log) -> None:
    if ChangeRequest.objects.filter(kind=ChangeRequest.Kind.LEADER).exists():
        return
    application = Application.objects.filter(title=PROJECT).first()
    contract = Contract.objects.filter(application=application).first()
    if application is None or contract is None:
        return
    with _at("2026-11-16T10:00"):
        change = log.created(
            changes.change_request(
                contract=contract,
                kind=ChangeRequest.Kind.LEADER,
                reason="原项目负责人赵立群调任公司生产部门，由技术总监郑伟接任项目负责人。",
                leader={
                    "name": "郑伟",
                    "id_number": id_number(division="330106", birth="19790612", seq=411),
                    "mobile": "13905710411",
                    "title": "正高级工程师",
                    "duty": "项目总体负责",
                },
                actor=_u("applicant"),
            )
        )
    with _at("2026-11-19T10:00"):
        changes.change_decide(
            change=change,
            approve=True,
            reason="郑伟具备相应专业资质，在研项目未超过限项，同意变更项目负责人。",
            actor=_u("city_officer"),
        )


def _reminder_days() -> list[tuple[dt.date, str]]:
    days: list[tuple[dt.date, str]] = []
    instalment = (
        Instalment.objects.filter(
            account__status__in=OPEN,
            account_id__in=Contract.objects.filter(repayable__isnull=False).values("repayable_id"),
        )
        .filter(UNPAID)
        .order_by("due_date", "pk")
        .first()
    )
    if instalment is not None:
        days.append((instalment.due_date - dt.timedelta(days=10), "instalments"))
    # the last 公示 each officer published that has ended
    latest: dict[int, dt.date] = {}
    for publisher, ends_on in Notice.objects.filter(ends_on__lt=clock.today()).values_list(
        "published_by_id", "ends_on"
    ):
        latest[publisher] = max(ends_on, latest.get(publisher, ends_on))
    for ends_on in sorted(set(latest.values())):
        days.append((ends_on + dt.timedelta(days=1), "notices"))
    return days


def build(log: Log) -> None:
    _leader_change(log)
    for day, which in _reminder_days():
        with clock.frozen(day):
            if which == "instalments":
                sent = reminders.instalments_due(day)
            else:
                sent = reminders.notices_ended(day)
        if sent:
            log.counts["inbox reminders"] += sent
