"""Reminders of reports due within 30 days and of overdue ones (email and in the app),
and the end of rectification periods. Run daily by ``manage.py send_reminders``; each
reminder has a unique key, so a second run on the same day sends nothing new."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core import clock
from notices.services import notify

from .models import Acceptance, Application, ProgressReport, ReminderSent
from .services import application_take

SOON_DAYS = 30


@dataclass
class Result:
    sent: int = 0
    skipped: int = 0
    failed_rectifications: int = 0


def _applicant_users(application: Application) -> list[User]:
    users = User.objects.filter(is_active=True, memberships__role=Role.APPLICANT)
    if application.organisation_id is not None:
        users = users.filter(memberships__organisation_id=application.organisation_id)
    elif application.person_id is not None:
        users = users.filter(person_id=application.person_id)
    else:
        return []
    return list(users.distinct())


def _officers(application: Application) -> list[User]:
    role = Role.DISTRICT_OFFICER if application.is_award else Role.CITY_OFFICER
    paths = [p for p in _prefixes(application.district.path)]
    return list(
        User.objects.filter(
            is_active=True, memberships__role=role, memberships__org_unit__path__in=paths
        ).distinct()
    )


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def _send(result: Result, *, key: str, user: User, subject: str, body: str, url: str) -> None:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                key=key, user=user, subject=subject, body=body, url=url, sent_at=clock.now()
            )
            # the inbox row and the outbox row with the record; the worker sends the mail
            notify(user, subject, body, url)
    except IntegrityError:
        result.skipped += 1
        return
    result.sent += 1


def run(*, today: dt.date | None = None) -> Result:
    today = today or clock.today()
    result = Result()
    reports = (
        ProgressReport.objects.filter(
            submitted_at__isnull=True, due_on__lte=today + dt.timedelta(days=SOON_DAYS)
        )
        .exclude(
            application__status__in=[
                Application.Status.ACCEPTED,  # a report left open is moot once accepted
                Application.Status.CLOSED,
                Application.Status.TERMINATED,
                Application.Status.FAILED,
                Application.Status.DISQUALIFIED,
            ]
        )
        .select_related("application__district", "application__call__programme")
    )
    for report in reports:
        application = report.application
        url = reverse("application_detail", args=[application.pk])
        if report.due_on >= today:
            days = (report.due_on - today).days
            subject = _("%(title)s of %(number)s is due on %(date)s") % {
                "title": report.title,
                "number": application.number,
                "date": report.due_on,
            }
            body = _("%(days)d days are left to file it.") % {"days": days}
            for user in _applicant_users(application):
                _send(
                    result,
                    key=f"soon:{report.pk}:{report.due_on.isoformat()}:{user.pk}",  # moved: anew
                    user=user,
                    subject=subject,
                    body=body,
                    url=url,
                )
        else:
            # overdue: once a week to the applicant and the officer in charge
            week = today.isocalendar()
            subject = _("%(title)s of %(number)s is overdue since %(date)s") % {
                "title": report.title,
                "number": application.number,
                "date": report.due_on,
            }
            body = _("Please file it as soon as possible.")
            for user in _applicant_users(application) + _officers(application):
                _send(
                    result,
                    key=f"overdue:{report.pk}:{week.year}-{week.week}:{user.pk}",
                    user=user,
                    subject=subject,
                    body=body,
                    url=url,
                )
    for acceptance in Acceptance.objects.filter(
        conclusion="rectify", rectify_due__isnull=False
    ).select_related("application"):
        application = acceptance.application
        if application.status != Application.Status.RECTIFYING or acceptance.rectify_due is None:
            continue
        if acceptance.rectify_due < today:
            reason = _("The rectification period ended on %(d)s.") % {"d": acceptance.rectify_due}
            with transaction.atomic():
                # the transition stops the money too (projects.payments.money_stops)
                application_take(
                    application=application, name="fail_acceptance", actor=None, reason=reason
                )
            result.failed_rectifications += 1
        elif acceptance.rectify_due <= today + dt.timedelta(days=SOON_DAYS):
            subject = _("Rectification of %(number)s is due on %(date)s") % {
                "number": application.number,
                "date": acceptance.rectify_due,
            }
            for user in _applicant_users(application):
                _send(
                    result,
                    key=f"rectify:{acceptance.pk}:{user.pk}",
                    user=user,
                    subject=subject,
                    body=acceptance.conclusion_reason,
                    url=reverse("application_detail", args=[application.pk]),
                )
    return result
