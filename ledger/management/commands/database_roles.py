"""Creates or updates the two database roles of a production install and the app's
grants (``ledger.database_roles``): a dry run that prints what it would change unless
``--commit``; idempotent (run again, nothing to change). PostgreSQL only.

The first run connects as a superuser (``--connect``), to create the roles and hand the
database to the owner; later runs (after each ``migrate``) connect as the owner, the
default."""

from __future__ import annotations

from typing import Any

import environ
import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from ledger.database_roles import libpq_params, owner_settings, plan


class Command(BaseCommand):
    help = (
        "Create or update the owner and app database roles and the app's grants "
        "(dry run unless --commit)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--connect",
            metavar="URL",
            help="Connect as this role (a superuser the first time); default: DATABASE_OWNER_URL.",
        )
        parser.add_argument(
            "--owner", help="The owner role; default: the user of DATABASE_OWNER_URL."
        )
        parser.add_argument("--app", help="The app role; default: the user of DATABASE_URL.")
        parser.add_argument(
            "--set-passwords",
            action="store_true",
            help="Set the passwords of existing roles to those in the two URLs.",
        )
        parser.add_argument("--commit", action="store_true", help="Make the changes.")

    def handle(self, *args: Any, **options: Any) -> None:
        app_settings = settings.DATABASES[DEFAULT_DB_ALIAS]
        if app_settings["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("database_roles is for PostgreSQL (DATABASE_URL=postgres://…).")
        try:
            owner_config = owner_settings()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        owner = options["owner"] or (owner_config or {}).get("USER")
        app = options["app"] or app_settings.get("USER")
        if not owner or not app:
            raise CommandError(
                "Name both roles: set DATABASE_OWNER_URL and DATABASE_URL with a user each "
                "(or give --owner and --app)."
            )
        if options["connect"]:
            connect = environ.Env.db_url_config(options["connect"])
            if connect.get("NAME") != app_settings.get("NAME"):
                raise CommandError(
                    f"--connect must name the app's database ({app_settings.get('NAME')!r})."
                )
        else:
            connect = owner_config or app_settings
        owner_password = (
            owner_config.get("PASSWORD")
            if owner_config and owner_config.get("USER") == owner
            else None
        )
        app_password = app_settings.get("PASSWORD") if app_settings.get("USER") == app else None

        try:
            with psycopg.connect(**libpq_params(connect)) as conn:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT current_user, current_database()")
                    acting, database = cursor.fetchone() or ("", "")
                    self.stdout.write(
                        f"Database {database}: owner {owner}, app {app} (connected as {acting})."
                    )
                    steps = plan(
                        cursor,
                        owner=owner,
                        app=app,
                        owner_password=owner_password,
                        app_password=app_password,
                        set_passwords=options["set_passwords"],
                    )
                    if not steps:
                        self.stdout.write(
                            self.style.SUCCESS(
                                "Nothing to change: the roles and grants are as they should be."
                            )
                        )
                        return
                    for step in steps:
                        self.stdout.write(f"- {step.reason}\n    {step.shown.as_string(conn)};")
                    if not options["commit"]:
                        conn.rollback()
                        self.stdout.write(
                            f"Dry run: {len(steps)} change(s) planned, none made; "
                            "run again with --commit."
                        )
                        return
                    for step in steps:
                        cursor.execute(step.statement)
                conn.commit()
                with conn.cursor() as cursor:
                    left = plan(cursor, owner=owner, app=app)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        except psycopg.errors.InsufficientPrivilege as error:
            raise CommandError(
                f"{error}".strip() + "\nNothing was changed. Creating roles and handing the "
                "database to the owner needs a superuser (--connect postgres://postgres@…)."
            ) from error
        except psycopg.Error as error:
            raise CommandError(f"{error}".strip() + "\nNothing was changed.") from error
        self.stdout.write(self.style.SUCCESS(f"Done: {len(steps)} change(s) made."))
        for step in left:
            self.stderr.write(f"Still to do (made by another role?): {step.shown.as_string(None)}")
