"""``manage.py migrate`` as Django's, but connected as the schema's owner when
``DATABASE_OWNER_URL`` is set (README, Production): the app's own role (``DATABASE_URL``)
owns nothing and may not change the schema, and what migrations create belongs to the
owner. Without an owner URL it is Django's ``migrate`` unchanged."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from ledger.database_roles import owner_connection


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Connects as DATABASE_OWNER_URL's role when that is set."

    def handle(self, *args: Any, **options: Any) -> None:
        with owner_connection(options["database"]):
            super().handle(*args, **options)
