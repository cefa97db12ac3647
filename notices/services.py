"""The one way the application tells people something: ``notify``.

It writes, in the caller's transaction, one inbox message per user and one outbox row
per address, and asks for delivery only once that transaction commits; so a message is
never sent for an event that was rolled back, never lost when the mail server is down,
and always in the inbox at once. Delivery (``mail_deliver``) runs in the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from core import clock

from .models import MAX_ATTEMPTS, Message, OutgoingMail, ReminderKey, retry_delay

logger = logging.getLogger(__name__)


def _users(users: Any) -> list[Any]:
    if users is None:
        return []
    if not isinstance(users, Iterable) or isinstance(users, str):
        users = [users]
    seen: dict[int, Any] = {}
    for user in users:
        if user is not None and getattr(user, "is_active", True):
            seen.setdefault(user.pk, user)
    return list(seen.values())


def mail_text(body: str, link: str) -> str:
    """The mail's text: the message and, when it has one, the address of its page."""
    if not link:
        return body
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{body}\n\n{base}{link}" if body else f"{base}{link}"


def notify(
    users: Any,
    subject: str,
    body: str = "",
    link: str = "",
    *,
    mail: bool = True,
    addresses: Iterable[str] = (),
) -> list[Message]:
    """Tell ``users`` (one or many): an inbox message each and, with ``mail``, an e-mail
    to each one's address (and to ``addresses``, people without an account), sent by the
    worker after the caller's transaction commits."""
    recipients = _users(users)
    subject = subject[:200]
    link = link[:200]
    now = clock.now()
    with transaction.atomic():
        messages = Message.objects.bulk_create(
            Message(user=u, title=subject, body=body, link=link, created_at=now) for u in recipients
        )
        outgoing: list[OutgoingMail] = []
        if mail:
            sent_to: set[str] = set()
            for user in recipients:
                if user.email and user.email.lower() not in sent_to:
                    sent_to.add(user.email.lower())
                    outgoing.append(_mail(user, user.email, subject, body, link, now))
            for address in addresses:
                if address and address.lower() not in sent_to:
                    sent_to.add(address.lower())
                    outgoing.append(_mail(None, address, subject, body, link, now))
        created = OutgoingMail.objects.bulk_create(outgoing)
        ids = [m.pk for m in created]
        if ids:
            transaction.on_commit(lambda: enqueue_delivery(ids), robust=True)
    return messages


def _mail(user: Any, address: str, subject: str, body: str, link: str, now: Any) -> OutgoingMail:
    return OutgoingMail(
        user=user,
        recipient=address,
        subject=subject,
        body=mail_text(body, link),
        created_at=now,
        next_attempt_at=now,
    )


def notify_once(key: str, users: Any, subject: str, body: str = "", link: str = "") -> bool:
    """``notify`` unless a reminder with this key was sent before (then nothing, False).
    Keys name what, to whom and for which date: ``instalment:12:3``."""
    try:
        with transaction.atomic():
            ReminderKey.objects.create(key=key[:120], created_at=clock.now())
    except IntegrityError:
        return False
    notify(users, subject, body, link)
    return True


def enqueue_delivery(mail_ids: Iterable[int]) -> None:
    from .tasks import deliver_mail

    for pk in mail_ids:
        deliver_mail.enqueue(pk)


def _enqueue_retry(mail: OutgoingMail) -> None:
    from .tasks import deliver_mail

    backend = deliver_mail.get_backend()
    if backend.supports_defer:
        deliver_mail.using(run_after=mail.next_attempt_at).enqueue(mail.pk)
    # Otherwise (the immediate backend of the tests) the sweep, ``mail_deliver_due``,
    # which the schedule runs every few minutes, sends it when it is due.


def mail_deliver(*, mail_id: int) -> str:
    """Send one outbox row if it is due: ``sent``, ``failed`` (recorded, retried later
    unless it was the last attempt) or ``skipped`` (sent already, given up, not due, or
    being sent by another worker)."""
    with transaction.atomic():
        mail = (
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(pk=mail_id, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .first()
        )
        now = clock.now()
        # the first attempt goes at once; a retry waits for its time
        if mail is None or (mail.attempts and mail.next_attempt_at > now):
            return "skipped"
        mail.attempts += 1
        try:
            EmailMessage(
                mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.recipient]
            ).send(fail_silently=False)
        except Exception as error:  # any failure of the mail server is recorded, not raised
            mail.last_error = f"{type(error).__name__}: {error}"[:2000]
            mail.next_attempt_at = now + retry_delay(mail.attempts)
            mail.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("mail %s to %s failed: %s", mail.pk, mail.recipient, mail.last_error)
            if mail.attempts < MAX_ATTEMPTS:
                transaction.on_commit(lambda: _enqueue_retry(mail), robust=True)
            return "failed"
        mail.sent_at = now
        mail.save(update_fields=["attempts", "sent_at"])
        return "sent"


def mail_deliver_due() -> dict[str, int]:
    """Send every outbox row that is due (the schedule's sweep: retries, and anything
    whose delivery task was lost)."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    ids = list(
        OutgoingMail.objects.due(clock.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        counts[mail_deliver(mail_id=pk)] += 1
    return counts


def message_mark_read(*, user: Any, message_id: int) -> Message | None:
    """Mark one of the user's own messages read (another's is not found: None)."""
    message = Message.objects.filter(user=user, pk=message_id).first()
    if message is not None and message.read_at is None:
        message.read_at = clock.now()
        message.save(update_fields=["read_at"])
    return message


def messages_mark_all_read(*, user: Any) -> int:
    return Message.objects.filter(user=user).unread().update(read_at=clock.now())
