from typing import Any

from django.core.management.base import BaseCommand

from notices.services import mail_deliver_due


class Command(BaseCommand):
    help = "Send the mail of the outbox that is due (retries, and anything not yet sent)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = mail_deliver_due()
        self.stdout.write(
            f"{counts['sent']} sent, {counts['failed']} failed (to be retried), "
            f"{counts['skipped']} skipped"
        )
