"""Background tasks of the notices app (django-tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def deliver_mail(mail_id: int) -> str:
    return services.mail_deliver(mail_id=mail_id)


@task()
def deliver_due_mail() -> dict[str, int]:
    return services.mail_deliver_due()
