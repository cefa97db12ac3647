"""Messages to people: the in-app inbox (收件箱) and the mail outbox.

Every message is written in the transaction of the event that causes it
(``notices.services.notify``): an inbox row per user, and, when the user has an address,
an outbox row. Nothing is sent inside a request. After the commit a task
(``notices.tasks.deliver_mail``) sends each outbox row; a failure is recorded on the row
and retried later with a growing delay, up to ``MAX_ATTEMPTS``; a row that never went
out stays visible to the administrator. The inbox does not depend on a mail server.

``ReminderKey`` records a reminder once sent, so a schedule that runs twice (or is
re-run after a missed night) never repeats one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock

# Delivery attempts of one mail, and the delay before the n-th retry: 1, 2, 4 … minutes
# (the 8th and last attempt comes about two hours after the first).
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = dt.timedelta(minutes=1)


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts (1 → 1 minute, 2 → 2, 3 → 4 …)."""
    return FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0))


class MessageQuerySet(models.QuerySet["Message"]):
    def unread(self) -> MessageQuerySet:
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """站内消息: one message in one user's inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.CASCADE,
        related_name="inbox_messages",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=5000, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notices_message_unread")]

    def __str__(self) -> str:
        return self.title


class OutgoingMailQuerySet(models.QuerySet["OutgoingMail"]):
    def pending(self) -> OutgoingMailQuerySet:
        return self.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)

    def due(self, moment: dt.datetime) -> OutgoingMailQuerySet:
        return self.pending().filter(next_attempt_at__lte=moment)

    def failed(self) -> OutgoingMailQuerySet:
        """Given up: every attempt failed."""
        return self.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS)

    def with_errors(self) -> OutgoingMailQuerySet:
        """Not sent and failed at least once (still retried, or given up)."""
        return self.filter(sent_at__isnull=True, attempts__gt=0)


class OutgoingMail(models.Model):
    """发件箱: one e-mail to one address, written with its event, sent by a task."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        RETRYING = "retrying", _("Failed, will be retried")
        FAILED = "failed", _("Failed, given up")
        SENT = "sent", _("Sent")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient = models.EmailField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), max_length=10000)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=clock.now)
    last_error = models.TextField(_("last error"), max_length=2000, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="notices_mail_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__lte=MAX_ATTEMPTS), name="notices_mail_attempts_bounded"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return self.State.SENT
        if self.attempts >= MAX_ATTEMPTS:
            return self.State.FAILED
        if self.attempts:
            return self.State.RETRYING
        return self.State.PENDING

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class ReminderKey(models.Model):
    """A reminder once sent: its key (what, to whom, for which date) is unique."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.key
