"""Reminders driven by the calendar, each sent once (``notices.services.notify_once``
records its key: what, to whom): instalments of repayable funding falling due, experts'
scoring deadlines, the district recommendation deadline (8月20日, ``Call.district_deadline``)
and the end of each 公示. Run each night by ``manage.py nightly``; a second run on the same
day, or a run after a missed night, sends nothing twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, User
from accounts.roles import Role
from core import clock
from funding.models import Call
from ledger.aging import OPEN, UNPAID
from ledger.models import Instalment
from notices.services import notify_once
from projects.models import Contract, Notice, Objection, RecommendationList
from projects.reminders import _applicant_users
from reviews.models import Assignment, Panel

INSTALMENT_DAYS = 15  # an instalment is announced this many days before it falls due
SCORING_DAYS = 3  # experts are reminded this many days before the scoring deadline
DISTRICT_DAYS = 7  # district officers this many days before the recommendation deadline
NOTICE_LOOKBACK_DAYS = 7  # a notice that ended up to a week ago (a missed night) is announced


def _amount(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


def instalments_due(today: dt.date) -> int:
    sent = 0
    instalments = (
        Instalment.objects.filter(
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=INSTALMENT_DAYS),
            account__status__in=OPEN,
        )
        .filter(UNPAID)
        .select_related("account")
        .order_by("due_date", "pk")
    )
    contracts = {
        c.repayable_id: c
        for c in Contract.objects.filter(
            repayable_id__in={i.account_id for i in instalments}
        ).select_related("application__district")
    }
    for instalment in instalments:
        contract = contracts.get(instalment.account_id)
        if contract is None:
            continue
        application = contract.application
        subject = _("Repayment of %(number)s due on %(date)s") % {
            "number": instalment.account.number,
            "date": instalment.due_date.isoformat(),
        }
        body = _("%(amount)s yuan of instalment %(seq)d falls due on %(date)s.") % {
            "amount": _amount(instalment.unpaid_fen),
            "seq": instalment.seq,
            "date": instalment.due_date.isoformat(),
        }
        link = reverse("ledger:my_funding")
        for user in _applicant_users(application):
            sent += notify_once(f"instalment:{instalment.pk}:{user.pk}", user, subject, body, link)
    return sent


def scoring_deadlines(today: dt.date) -> int:
    sent = 0
    panels = Panel.objects.filter(
        status=Panel.Status.OPEN,
        deadline__gte=today,
        deadline__lte=today + dt.timedelta(days=SCORING_DAYS),
    )
    for panel in panels:
        waiting: dict[int, int] = defaultdict(int)
        for person_id in (
            Assignment.objects.live()
            .filter(panel=panel)
            .exclude(status=Assignment.Status.SUBMITTED)
            .values_list("expert__person_id", flat=True)
        ):
            waiting[person_id] += 1
        for user in User.objects.filter(person_id__in=waiting, is_active=True):
            subject = _("Scoring for %(panel)s closes on %(date)s") % {
                "panel": panel.name,
                "date": panel.deadline.isoformat(),
            }
            body = _("%(n)d items wait for your scores.") % {"n": waiting[user.person_id or 0]}
            sent += notify_once(
                f"scoring:{panel.pk}:{user.pk}",
                user,
                subject,
                body,
                reverse("reviews:my_assignments"),
            )
    return sent


def district_deadlines(today: dt.date) -> int:
    """District officers of districts that have not yet sent their recommendation list."""
    sent = 0
    calls = Call.objects.filter(
        status__in=[Call.Status.OPEN, Call.Status.CLOSED],
        district_deadline__gte=today,
        district_deadline__lte=today + dt.timedelta(days=DISTRICT_DAYS),
    ).select_related("programme__owner_unit")
    for call in calls:
        done = set(
            RecommendationList.objects.filter(
                call=call, status=RecommendationList.Status.SUBMITTED
            ).values_list("district_id", flat=True)
        )
        districts = OrgUnit.objects.filter(
            level=OrgUnit.Level.DISTRICT, path__startswith=call.programme.owner_unit.path
        ).exclude(pk__in=done)
        officers = User.objects.filter(
            is_active=True,
            memberships__role=Role.DISTRICT_OFFICER,
            memberships__org_unit__in=districts,
        ).distinct()
        subject = _("District recommendations for %(call)s are due on %(date)s") % {
            "call": call.title,
            "date": call.district_deadline.isoformat(),
        }
        body = _("Please co-sign and send the district's recommendation list to the city by then.")
        for user in officers:
            sent += notify_once(
                f"district-deadline:{call.pk}:{user.pk}",
                user,
                subject,
                body,
                reverse("recommendation_list"),
            )
    return sent


def notices_ended(today: dt.date) -> int:
    """The end of each 公示, to the officer who published it: the next step is open."""
    sent = 0
    notices = (
        Notice.objects.filter(
            ends_on__lt=today, ends_on__gte=today - dt.timedelta(days=NOTICE_LOOKBACK_DAYS)
        )
        .select_related("published_by")
        .annotate(
            open_objections=Count("objections", filter=Q(objections__status=Objection.Status.OPEN))
        )
    )
    for notice in notices:
        subject = _("The public notice %(title)s ended on %(date)s") % {
            "title": notice.title,
            "date": notice.ends_on.isoformat(),
        }
        if notice.open_objections:
            body = _("%(n)d objections are still to be handled.") % {"n": notice.open_objections}
        else:
            body = _("No objection is pending: the next step can be taken.")
        sent += notify_once(
            f"notice-ended:{notice.pk}:{notice.published_by_id}",
            notice.published_by,
            subject,
            body,
            reverse("notice_detail", args=[notice.pk]),
        )
    return sent


def run(*, today: dt.date | None = None) -> dict[str, Any]:
    today = today or clock.today()
    return {
        "instalments": instalments_due(today),
        "scoring": scoring_deadlines(today),
        "district_deadline": district_deadlines(today),
        "notices_ended": notices_ended(today),
    }
