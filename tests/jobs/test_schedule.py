"""Issue 17 part 3 / issue 14 item 5: the calendar's reminders reach the inbox once
(instalments, scoring deadlines, the district deadline, the end of a 公示), and aging is
read from the schedule, so a missed night never shows a wrong figure."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from core import clock
from funding.models import Call
from jobs import reminders
from ledger import selectors as ledger_selectors
from ledger.models import AgingBucket, RepayableAccount
from notices.models import Message
from projects import contracts
from projects import services as projects
from reviews import services as reviews
from reviews.models import Assignment, ExpertProfile, Panel
from tests.projects.conftest import award_call, checked, project_call, user
from tests.projects.lifecycle import approved_project, money, pay, signed_contract

pytestmark = pytest.mark.django_db


def _messages(username: str, starting: str) -> list[str]:
    return list(
        Message.objects.filter(user__username=username, title__startswith=starting).values_list(
            "title", flat=True
        )
    )


def _repayable_paid_out() -> RepayableAccount:
    books = money()
    contract = signed_contract(approved_project())
    first, repayable, _last = contract.tranches.all()
    with clock.frozen(dt.datetime(2027, 1, 5, 10, 0)):
        for tranche in (first, repayable):
            pay(
                contracts.tranche_order(tranche=tranche, actor=user("finance")),
                books["bank"],
                dt.date(2027, 1, 5),
            )
    contract.refresh_from_db()
    return RepayableAccount.objects.get(pk=contract.repayable_id)


def test_an_instalment_falling_due_is_announced_to_the_applicant_once(world):
    account = _repayable_paid_out()
    first_due = account.instalments.order_by("due_date").first().due_date
    # 16 days before: not yet; 10 days before: the applicant is told, once
    assert reminders.instalments_due(first_due - dt.timedelta(days=16)) == 0
    assert reminders.instalments_due(first_due - dt.timedelta(days=10)) == 1
    assert reminders.instalments_due(first_due - dt.timedelta(days=9)) == 0
    titles = _messages("applicant", f"Repayment of {account.number}") or _messages(
        "applicant", f"{account.number}"
    )
    assert len(titles) == 1 and first_due.isoformat() in titles[0]


def test_days_overdue_are_read_from_the_schedule_when_the_nightly_aging_never_ran(world):
    account = _repayable_paid_out()
    first_due = account.instalments.order_by("due_date").first().due_date
    day = first_due + dt.timedelta(days=76)
    finance = User.objects.get(username="finance")
    # given no nightly run since the instalment fell due (the stored figure says 0)
    assert RepayableAccount.objects.get(pk=account.pk).days_overdue == 0
    with clock.frozen(day):
        # then the list, the detail and the summary read 76 days, 31–90
        row = ledger_selectors.repayable_list(user=finance).get(pk=account.pk)
        assert row.current_days_overdue == 76
        assert row.current_aging == AgingBucket.D31_90
        assert RepayableAccount.objects.get(pk=account.pk).current_days_overdue == 76
        summary = {r["aging"]: r["n"] for r in ledger_selectors.aging_summary(user=finance)}
        assert summary == {AgingBucket.D31_90: 1}
        from django.test import Client

        client = Client()
        client.force_login(finance)
        page = client.get(reverse("ledger:repayable_detail", args=[account.pk])).content.decode()
        assert "76 · 31–90" in page or "76 · 31–90 天" in page
        listed = client.get(reverse("ledger:repayable_list") + "?aging=31-90").content.decode()
        assert account.number in listed
        # and so does the year-end workbook's sheet of repayable funding
        from reports.scope import scope_for_user
        from reports.selectors import repayable_frame

        frame = repayable_frame(scope=scope_for_user(finance), year=day.year)
        sheet_row = frame[frame["project_ref"] == account.project_ref].iloc[0]
        assert int(sheet_row["days_overdue"]) == 76
        assert sheet_row["aging"] == str(AgingBucket.D31_90.label)
    # and the nightly aging, when it runs, agrees
    with clock.frozen(day):
        call_command("age_receivables", "--as-of", day.isoformat(), stdout=StringIO())
    stored = RepayableAccount.objects.get(pk=account.pk)
    assert stored.days_overdue == 76 and stored.aging == AgingBucket.D31_90


def test_each_drawn_expert_is_reminded_of_the_scoring_deadline_once(world):
    from tests.reviews.conftest import city_panel, recommended

    for profile in ExpertProfile.objects.select_related("person"):
        if not User.objects.filter(person=profile.person).exists():
            User.objects.create(username=f"expert-{profile.pk}", person=profile.person)
    with clock.frozen(dt.date(2026, 11, 20)):
        apps = recommended(2)
        panel = city_panel(apps)  # deadline 2026-12-10
        reviews.panel_draw(panel=panel, actor=user("city_officer"), seed=5)
        reviews.panel_open(panel=panel, actor=user("city_officer"))
    assert Panel.objects.get(pk=panel.pk).status == Panel.Status.OPEN
    drawn = set(Assignment.objects.filter(panel=panel).values_list("expert__person_id", flat=True))
    assert reminders.scoring_deadlines(dt.date(2026, 12, 6)) == 0  # 4 days before
    assert reminders.scoring_deadlines(dt.date(2026, 12, 8)) == len(drawn)
    assert reminders.scoring_deadlines(dt.date(2026, 12, 9)) == 0
    for person_id in drawn:
        assert (
            Message.objects.filter(user__person_id=person_id, title__contains="2026-12-10").count()
            == 1
        )


def test_district_officers_are_reminded_of_the_recommendation_deadline_once(world):
    call = project_call()
    Call.objects.filter(pk=call.pk).update(status=Call.Status.OPEN)
    call = project_call()
    before = call.district_deadline - dt.timedelta(days=5)
    sent = reminders.district_deadlines(before)
    assert sent >= 1
    assert reminders.district_deadlines(before + dt.timedelta(days=1)) == 0
    titles = _messages("district_officer", "")
    assert sum(call.district_deadline.isoformat() in t for t in titles) == 1
    # a district that has sent its list is not reminded
    assert not Message.objects.filter(
        user__username="applicant", title__contains=call.district_deadline.isoformat()
    ).exists()


def test_the_end_of_a_public_notice_is_announced_to_its_publisher_once(world):
    officer = user("district_officer")
    Call.objects.filter(pk=award_call().pk).update(
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        district_deadline=dt.date(2026, 10, 31),
    )
    with clock.frozen(dt.date(2026, 9, 28)):
        application = checked(
            call=award_call(),
            category="leader",
            actor="applicant_nt",
            organisation="杭州市西湖区农业技术推广中心",
            person="俞根土",
        )
        notice = projects.notice_publish(
            level="district",
            call=award_call(),
            unit=application.district,
            applications=[application],
            starts_on=dt.date(2026, 9, 28),
            actor=officer,
        )
    assert reminders.notices_ended(notice.ends_on) == 0  # its last day
    # a missed night: announced on the next run within the week, once
    assert reminders.notices_ended(notice.ends_on + dt.timedelta(days=2)) == 1
    assert reminders.notices_ended(notice.ends_on + dt.timedelta(days=3)) == 0
    assert len(_messages("district_officer", "")) >= 1
    assert (
        Message.objects.filter(
            user=officer, link=reverse("notice_detail", args=[notice.pk])
        ).count()
        == 1
    )


def test_the_nightly_command_runs_every_step_and_is_idempotent(world):
    account = _repayable_paid_out()
    first_due = account.instalments.order_by("due_date").first().due_date
    day = first_due - dt.timedelta(days=3)
    out = StringIO()
    call_command("nightly", "--date", day.isoformat(), stdout=out)
    text = out.getvalue()
    for step in ("aging:", "report_reminders:", "reminders:", "ledger_checkpoint:", "mail:"):
        assert step in text
    count = Message.objects.count()
    assert count >= 1
    call_command("nightly", "--date", day.isoformat(), stdout=StringIO())
    assert Message.objects.count() == count
