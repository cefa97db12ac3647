from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from demo import (
    accounts_world,
    contracts_world,
    fees_world,
    funding_world,
    ledger_world,
    midterm_world,
    notices_world,
    people_changes_world,
    people_world,
    projects_world,
    recovery_world,
    reviews_world,
    sealing_world,
    subsidy_world,
    surplus_world,
)
from demo.log import Log


class Command(BaseCommand):
    help = (
        "Build the demo world through the real services. Idempotent: a second run creates nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        log = Log()
        with transaction.atomic(durable=True):
            accounts_world.build(log)
            ledger_world.build(log)
            funding_world.build(log)
            projects_world.build(log)
            reviews_world.build(log)
            contracts_world.build(log)
            subsidy_world.build(log)
            midterm_world.build(log)
            people_world.build(log)
            notices_world.build(log)
            recovery_world.build(log)
            fees_world.build(log)
            people_changes_world.build(log)
            surplus_world.build(log)
            sealing_world.build(log)
        if log.total == 0:
            self.stdout.write("Nothing created: the demo world is already complete.")
            return
        for name, n in sorted(log.counts.items()):
            self.stdout.write(f"  {name}: {n}")
        self.stdout.write(self.style.SUCCESS(f"Demo world built: {log.total} records created."))
        self.stdout.write(
            f"Log in with any demo user and the password {accounts_world.DEMO_PASSWORD}."
        )
