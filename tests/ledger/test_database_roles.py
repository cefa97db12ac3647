"""Issue 12, item 6: production connects as a role that owns nothing. A fresh database is
set up as the README says (``database_roles`` as a superuser, ``migrate`` as the owner,
``database_roles`` again), each command run as production runs it (a process with the
two URLs in its environment); then the app's role posts through the services and is
refused everything it never does.

Roles are cluster-wide: the ones made here have names of this run's own and are dropped
with the database at the end."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from .conftest import postgres_only

# (django_db: the test database is set up, and named, for this module too)
pytestmark = [pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent.parent

POST_AS_APP = """
import datetime as dt
from decimal import Decimal
from django.core.management import CommandError, call_command
from django.db import connection
from accounts.models import User
from ledger import services
from ledger.models import BudgetLine, Entry
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    print("connected as", cursor.fetchone()[0])
maker = User.objects.create_user("roles_maker", full_name="经办 严可")
line = services.budget_line_create(
    year=2026, funding_source=BudgetLine.Source.CITY_SPECIAL, instrument="grant",
    programme_code="KJJH", name="2026年科技计划项目经费", scope_path="/330000/330100/",
    amount=Decimal("1000000.00"), value_date=dt.date(2026, 1, 10), actor=maker)
services.commitment_post(
    budget_line=line, project_ref="KJ2026-001", amount=Decimal("200000"),
    value_date=dt.date(2026, 3, 1), actor=maker)
print("entries", Entry.objects.count())
print("sealed", services.ledger_seal().entries)
"""


class Install:
    """A throw-away database with an owner and an app role of this test run's own."""

    def __init__(self, base: dict[str, Any]) -> None:
        tag = f"kjt{os.getpid()}_{secrets.token_hex(3)}"
        self.owner, self.app = f"{tag}_owner", f"{tag}_app"
        self.database = f"{base['NAME']}_roles"
        self.host = base["HOST"] or "127.0.0.1"
        self.port = str(base["PORT"] or 5432)
        self.superuser = base["USER"]
        self.superuser_password = base["PASSWORD"] or None

    def url(self, user: str, password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgres://{user}{secret}@{self.host}:{self.port}/{self.database}"

    def connect(self, user: str | None = None, database: str | None = None) -> Any:
        return psycopg.connect(
            dbname=database or self.database,
            user=user or self.superuser,
            password=self.superuser_password if user is None else None,
            host=self.host,
            port=self.port,
            autocommit=True,
        )

    def manage(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "LEDGER_"))}
        env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "roles-test-" + "k" * 50,
            "ALLOWED_HOSTS": "kj.example.cn",
            "DATABASE_URL": self.url(self.app, "app-password"),
            "DATABASE_OWNER_URL": self.url(self.owner, "owner-password"),
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def value(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        with self.connect() as conn:
            row = conn.execute(query, params).fetchone()
        return row[0] if row else None


@pytest.fixture
def install(django_db_setup: Any) -> Iterator[Install]:
    made = Install(connection.settings_dict)
    with made.connect(database="postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{made.database}"')
    try:
        yield made
    finally:
        with made.connect(database="postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{made.app}"')
            conn.execute(f'DROP ROLE IF EXISTS "{made.owner}"')


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.skipif(connection.vendor != "sqlite", reason="what SQLite says")
def test_on_sqlite_there_are_no_roles_to_make():
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("database_roles", stdout=io.StringIO())


@pytest.mark.postgres
@postgres_only
def test_the_app_connects_as_a_role_that_owns_nothing_and_is_refused_what_it_never_does(install):
    # given a fresh database set up as the README says: the roles made by a superuser,
    superuser = install.url(install.superuser)
    out = ok(install.manage("database_roles", "--connect", superuser, "--commit"))
    assert f"owner {install.owner}, app {install.app}" in out
    # the schema made by the owner (migrate connects as DATABASE_OWNER_URL's role),
    ok(install.manage("migrate", "--noinput", "-v", "0"))
    assert install.value(
        "SELECT array_agg(DISTINCT tableowner) FROM pg_tables WHERE schemaname = 'public'"
    ) == [install.owner]
    # (what migrate created is already granted to the app, by default privileges)
    assert install.value(
        "SELECT has_table_privilege(%s, 'accounts_user', 'INSERT')", (install.app,)
    )
    # and the grants brought up to date as the owner (the default connection)
    out = ok(install.manage("database_roles", "--commit"))
    assert f"connected as {install.owner}" in out
    # then a second run has nothing to do
    assert "Nothing to change" in ok(install.manage("database_roles"))

    # when the app posts through the services, as the app's role
    out = ok(install.manage("shell", stdin=POST_AS_APP))
    # then it works, and the books verify
    assert f"connected as {install.app}" in out
    assert "entries 2" in out
    # and the app's role seals them (through ledger_seal_entries: it may not UPDATE them)
    assert "sealed 2" in out
    ok(install.manage("ledger_verify"))

    # and the app's role owns nothing and is a member of no role
    app = install.app
    assert install.value("SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", (app,)) == 0
    assert install.value("SELECT count(*) FROM pg_proc WHERE proowner = %s::regrole", (app,)) == 0
    assert (
        install.value("SELECT count(*) FROM pg_auth_members WHERE member = %s::regrole", (app,))
        == 0
    )
    assert (
        install.value(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        )
        == install.owner
    )

    # and whatever SQL the app's role is made to run, it cannot go around the ledger
    with install.connect(user=app) as conn:
        entry_id, account_id = conn.execute(
            "SELECT entry_id, account_id FROM ledger_leg ORDER BY id LIMIT 1"
        ).fetchone()
        refused = {
            "TRUNCATE ledger_leg, ledger_entry CASCADE": psycopg.errors.InsufficientPrivilege,
            "ALTER TABLE ledger_entry DISABLE TRIGGER ALL": psycopg.errors.InsufficientPrivilege,
            "ALTER TABLE ledger_leg DISABLE TRIGGER ledger_leg_entry_open": (
                psycopg.errors.InsufficientPrivilege
            ),
            "DROP TRIGGER ledger_entry_seal_once ON ledger_entry": (
                psycopg.errors.InsufficientPrivilege
            ),
            "UPDATE ledger_block SET hash = repeat('0', 64)": psycopg.errors.InsufficientPrivilege,
            "DELETE FROM ledger_block": psycopg.errors.InsufficientPrivilege,
            "UPDATE ledger_entry SET memo = 'changed'": psycopg.errors.InsufficientPrivilege,
            "DELETE FROM ledger_entry": psycopg.errors.InsufficientPrivilege,
            "UPDATE ledger_leg SET amount = amount * 2": psycopg.errors.InsufficientPrivilege,
            "DELETE FROM ledger_leg": psycopg.errors.InsufficientPrivilege,
            "SET session_replication_role = replica": psycopg.errors.InsufficientPrivilege,
            "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$": (
                psycopg.errors.InsufficientPrivilege
            ),
            "ALTER FUNCTION ledger_refuse_truncate() RENAME TO gone": (
                psycopg.errors.InsufficientPrivilege
            ),
            "CREATE TABLE shadow (id int)": psycopg.errors.InsufficientPrivilege,
            "CREATE TEMP TABLE ledger_entry (id int)": psycopg.errors.InsufficientPrivilege,
            f'GRANT "{install.owner}" TO "{app}"': psycopg.errors.InsufficientPrivilege,
            # the app may insert legs, but the trigger refuses them for a posted entry
            "INSERT INTO ledger_leg (entry_id, account_id, amount) VALUES"  # noqa: S608
            f" ({entry_id}, {account_id}, 100), ({entry_id}, {account_id}, -100)": (
                psycopg.errors.RestrictViolation
            ),
        }
        for statement, error in refused.items():
            with pytest.raises(error):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM ledger_leg").fetchone()[0] == 4
    ok(install.manage("ledger_verify"))

    # when a table came to be the app's (as every table was while the app connected as
    # the owner), and the app a member of the owner role with a role attribute
    with install.connect() as conn:
        conn.execute(f'ALTER TABLE ledger_account OWNER TO "{install.app}"')
        conn.execute(f'GRANT "{install.owner}" TO "{install.app}"')
        conn.execute(f'ALTER ROLE "{install.app}" CREATEDB')
    # and database_roles runs without --commit
    out = ok(install.manage("database_roles", "--connect", superuser))
    # then it says what it would change, and changes nothing
    assert "ledger_account" in out
    assert f'ALTER TABLE "public"."ledger_account" OWNER TO "{install.owner}"' in out
    assert f'REVOKE "{install.owner}" FROM "{install.app}"' in out
    assert "NOCREATEDB" in out
    assert "Dry run" in out
    assert install.value("SELECT tableowner FROM pg_tables WHERE tablename = 'ledger_account'") == (
        install.app
    )
    # when it runs with --commit, it puts all of it right
    ok(install.manage("database_roles", "--connect", superuser, "--commit"))
    assert install.value("SELECT tableowner FROM pg_tables WHERE tablename = 'ledger_account'") == (
        install.owner
    )
    assert install.value(
        "SELECT has_table_privilege(%s, 'ledger_account', 'UPDATE')"
        " AND NOT has_table_privilege(%s, 'ledger_account', 'TRUNCATE')",
        (install.app, install.app),
    )
    assert not install.value("SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", (install.app,))
    assert "Nothing to change" in ok(install.manage("database_roles", "--connect", superuser))
