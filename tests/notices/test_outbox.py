"""Issue 17 part 2 / issue 14 item 5: every message is written with its event (inbox
and outbox), delivered by a task, retried with backoff when the mail server fails, and
delivered when it recovers; the inbox never depends on the mail server."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from core import clock
from notices.models import MAX_ATTEMPTS, Message, OutgoingMail
from notices.services import mail_deliver_due, notify
from reviews import services as reviews
from reviews.models import Assignment
from tests.reviews.conftest import city_panel, recommended, user

pytestmark = pytest.mark.django_db

DOWN = "tests.notices.backends.DownBackend"
T0 = dt.datetime(2026, 11, 20, 9, 0)


def _applicant() -> User:
    applicant = User.objects.get(username="applicant")
    applicant.email = "applicant@example.cn"
    applicant.save(update_fields=["email"])
    return applicant


def test_a_failed_mail_stays_in_the_outbox_is_retried_and_delivered_when_the_server_recovers(
    world, django_capture_on_commit_callbacks
):
    applicant = _applicant()
    # given a mail server that is down
    with override_settings(EMAIL_BACKEND=DOWN), clock.frozen(T0):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notify(applicant, "中期报告即将到期", "请于 12 月 1 日前提交。", "/applications/1/")
        # then the inbox has it at once, unread
        assert Message.objects.filter(
            user=applicant, title="中期报告即将到期", read_at=None
        ).exists()
        # and the mail stayed in the outbox with the error, for a later attempt
        row = OutgoingMail.objects.get(recipient="applicant@example.cn")
        assert row.sent_at is None and row.attempts == 1
        assert "service not available" in row.last_error
        assert row.next_attempt_at == clock.now() + dt.timedelta(minutes=1)
    assert mail.outbox == []
    # when the sweep runs before the retry is due, nothing is tried
    with override_settings(EMAIL_BACKEND=DOWN), clock.frozen(T0 + dt.timedelta(seconds=30)):
        assert mail_deliver_due()["failed"] == 0
    # when it is due and the server is still down: a second failure, the delay doubles
    with override_settings(EMAIL_BACKEND=DOWN), clock.frozen(T0 + dt.timedelta(minutes=2)):
        assert mail_deliver_due()["failed"] == 1
        row.refresh_from_db()
        assert row.attempts == 2 and row.sent_at is None
        assert row.next_attempt_at == clock.now() + dt.timedelta(minutes=2)
    # the administrator sees it on the page of undelivered mail
    page = user_client("admin").get(reverse("notices:mail_failures")).content.decode()
    assert "applicant@example.cn" in page and "service not available" in page
    # when the server is back, the next sweep delivers it, once
    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        assert mail_deliver_due()["sent"] == 1
        assert mail_deliver_due()["sent"] == 0
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 3
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "中期报告即将到期"
    assert mail.outbox[0].to == ["applicant@example.cn"]
    assert "/applications/1/" in mail.outbox[0].body
    # and it is no longer listed as undelivered
    page = user_client("admin").get(reverse("notices:mail_failures")).content.decode()
    assert "applicant@example.cn" not in page


def test_a_mail_is_given_up_after_the_last_attempt_and_stays_visible(world):
    applicant = _applicant()
    moment = T0
    with override_settings(EMAIL_BACKEND=DOWN):
        with clock.frozen(moment):
            notify(applicant, "通知", "正文")
        for _ in range(MAX_ATTEMPTS + 2):
            moment += dt.timedelta(days=1)
            with clock.frozen(moment):
                mail_deliver_due()
    row = OutgoingMail.objects.get()
    assert row.attempts == MAX_ATTEMPTS and row.sent_at is None
    assert OutgoingMail.objects.failed().get() == row
    assert "放弃" in user_client("admin").get(reverse("notices:mail_failures")).content.decode()


def test_nothing_is_written_or_sent_for_an_event_that_is_rolled_back(
    world, django_capture_on_commit_callbacks
):
    applicant = _applicant()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(applicant, "不会发出", "正文")
                raise RuntimeError("the event failed")
        except RuntimeError:
            pass
    assert not Message.objects.exists() and not OutgoingMail.objects.exists()
    assert mail.outbox == []


def test_the_worker_delivers_what_the_database_backend_queued(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    # The worker closes "old" connections between tasks; inside the test's transaction
    # (autocommit off) Django counts the test's own connection as one, and on PostgreSQL
    # closing it ends the test. A real worker runs in autocommit and keeps this.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )

    applicant = _applicant()
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    ):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notify(applicant, "队列中的邮件", "正文")
        # queued, not sent: the request never waits for the mail server
        assert mail.outbox == []
        assert DBTaskResult.objects.filter(task_path="notices.tasks.deliver_mail").count() == 1
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())
    assert [m.subject for m in mail.outbox] == ["队列中的邮件"]
    assert OutgoingMail.objects.get().sent_at is not None


def test_an_expert_draw_puts_a_message_in_each_drawn_experts_inbox_even_when_mail_fails(
    world, today, django_capture_on_commit_callbacks
):
    from reviews.models import ExpertProfile

    # given every expert of the pool has an account (experts log in to score)
    for profile in ExpertProfile.objects.select_related("person"):
        if not User.objects.filter(person=profile.person).exists():
            User.objects.create(username=f"expert-{profile.pk}", person=profile.person)
    apps = recommended(2)
    panel = city_panel(apps)
    with override_settings(EMAIL_BACKEND=DOWN), django_capture_on_commit_callbacks(execute=True):
        reviews.panel_draw(panel=panel, actor=user("city_officer"), seed=7)
    drawn = set(Assignment.objects.filter(panel=panel).values_list("expert__person_id", flat=True))
    accounts = User.objects.filter(person_id__in=drawn)
    assert accounts.count() == len(drawn) >= 3
    for account in accounts:
        message = Message.objects.get(user=account)
        assert panel.name in message.title and message.read_at is None
        assert message.link == reverse("reviews:my_assignments")
    # one mail per drawn expert with an address, none delivered, each recorded
    addresses = OutgoingMail.objects.values_list("recipient", flat=True)
    assert OutgoingMail.objects.filter(sent_at__isnull=True, attempts=1).count() == len(addresses)
    assert mail.outbox == []


def test_the_inbox_shows_ones_own_messages_counts_the_unread_and_marks_them_read(world):
    applicant = _applicant()
    other = User.objects.get(username="district_officer")
    notify(applicant, "项目已立项", "请签订任务书。", "/contracts/")
    notify(other, "别人的消息", "")
    client = user_client("applicant")
    page = client.get(reverse("notices:inbox")).content.decode()
    assert "项目已立项" in page and "别人的消息" not in page
    assert '<span class="badge"' in page and ">1</span>" in page
    home = client.get(reverse("home")).content.decode()
    assert 'href="/inbox/"' in home and ">1</span>" in home
    # opening the message marks it read and follows its link
    message = Message.objects.get(user=applicant)
    response = client.post(reverse("notices:read"), {"message": message.pk, "open": "1"})
    assert response.status_code == 302 and response["Location"] == "/contracts/"
    message.refresh_from_db()
    assert message.read_at is not None
    assert '<span class="badge"' not in client.get(reverse("notices:inbox")).content.decode()
    # another's message cannot be marked read
    theirs = Message.objects.get(user=other)
    client.post(reverse("notices:read"), {"message": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_undelivered_mail_is_for_the_administrator_only(world):
    assert user_client("admin").get(reverse("notices:mail_failures")).status_code == 200
    for username in ("applicant", "city_officer", "finance"):
        assert user_client(username).get(reverse("notices:mail_failures")).status_code == 403


def user_client(username: str):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client
