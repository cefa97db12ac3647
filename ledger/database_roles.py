"""The two database roles of a production install (PostgreSQL).

* The **owner** (``DATABASE_OWNER_URL``) owns the database, its schema and every table,
  sequence and function in it. ``manage.py migrate`` connects as the owner
  (``owner_connection``), so what migrations create is the owner's too.
* The **app** (``DATABASE_URL``) owns nothing, is a member of no role, has no role
  attribute beyond LOGIN, and holds only what the application needs: CONNECT on the
  database (not TEMPORARY: no temporary table can shadow one the ledger's triggers
  read), USAGE on the schema (not CREATE), SELECT/INSERT/UPDATE/DELETE on the tables
  except the journal (``ledger_entry``, ``ledger_leg``, ``ledger_block``: SELECT and
  INSERT only; entries are sealed through ``ledger_seal_entries``) and
  ``django_migrations`` (SELECT), USAGE/SELECT on the sequences and EXECUTE on the
  functions. Default privileges give the same to what the owner creates later.

So the app cannot ``ALTER TABLE … DISABLE TRIGGER``, drop or replace a trigger or a
function, TRUNCATE, or UPDATE/DELETE a posted entry or leg (refused twice: no privilege,
and the triggers), whatever SQL it is made to run.

``plan`` compares what the catalogues say with that and returns only the statements
still needed, so ``manage.py database_roles`` is idempotent: run again, it has nothing
to do. A SELECT … FOR UPDATE needs UPDATE on every table it locks: lock ledger rows with
``of=("self",)`` and never lock entries or legs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

TABLE_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
# Tables the app may only read and append to: the journal.
APPEND_ONLY_TABLES = {"ledger_block", "ledger_entry", "ledger_leg"}
READ_ONLY_TABLES = {"django_migrations"}
VIEW_PRIVILEGES = frozenset({"SELECT"})
SEQUENCE_PRIVILEGES = frozenset({"USAGE", "SELECT"})
FUNCTION_PRIVILEGES = frozenset({"EXECUTE"})
DATABASE_PRIVILEGES = frozenset({"CONNECT"})
SCHEMA_PRIVILEGES = frozenset({"USAGE"})
# The app role: LOGIN and nothing else.
APP_ATTRIBUTES = {
    "rolcanlogin": ("LOGIN", "NOLOGIN", True),
    "rolsuper": ("SUPERUSER", "NOSUPERUSER", False),
    "rolcreatedb": ("CREATEDB", "NOCREATEDB", False),
    "rolcreaterole": ("CREATEROLE", "NOCREATEROLE", False),
    "rolreplication": ("REPLICATION", "NOREPLICATION", False),
    "rolbypassrls": ("BYPASSRLS", "NOBYPASSRLS", False),
    "rolinherit": ("INHERIT", "NOINHERIT", False),
}
PUBLIC = 0  # the grantee oid of PUBLIC in aclexplode


def table_privileges(name: str) -> frozenset[str]:
    """What the app holds on table ``name``."""
    if name in APPEND_ONLY_TABLES:
        return frozenset({"SELECT", "INSERT"})
    if name in READ_ONLY_TABLES:
        return frozenset({"SELECT"})
    return TABLE_PRIVILEGES


# --- connecting as the owner -------------------------------------------------------


def owner_settings(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any] | None:
    """The connection settings of the owner (``DATABASE_OWNER_URL``) for ``alias``, or
    None when no owner URL is given (then the app's role is the owner too)."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    if not owner or alias != DEFAULT_DB_ALIAS:
        return None
    app = settings.DATABASES[alias]
    if owner.get("ENGINE") != app.get("ENGINE") or owner.get("NAME") != app.get("NAME"):
        raise ImproperlyConfigured(
            "DATABASE_OWNER_URL must name the same database as DATABASE_URL "
            f"({app.get('NAME')!r}), as its owner."
        )
    return owner


@contextmanager
def owner_connection(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block, the connection ``alias`` is made as the owner
    (``DATABASE_OWNER_URL``) when one is configured; as before after it."""
    owner = owner_settings(alias)
    if owner is None:
        yield
        return
    wrapper = connections[alias]
    if wrapper.in_atomic_block:
        raise ImproperlyConfigured("Cannot connect as the owner inside a transaction.")
    saved = wrapper.settings_dict
    wrapper.close()
    wrapper.settings_dict = {
        **saved,
        **{key: owner.get(key, "") for key in ("USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": {**saved.get("OPTIONS", {}), **owner.get("OPTIONS", {})},
    }
    try:
        yield
    finally:
        wrapper.close()
        wrapper.settings_dict = saved


def libpq_params(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """psycopg.connect keywords for a Django database settings dict."""
    params = {
        "dbname": settings_dict.get("NAME"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        "host": settings_dict.get("HOST"),
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if key in {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}
    }
    return {**{k: v for k, v in params.items() if v}, **options}


# --- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One statement of the plan: why, what runs, and what is shown (passwords hidden)."""

    reason: str
    statement: sql.SQL | sql.Composed
    shown: sql.SQL | sql.Composed


def _step(
    reason: str, statement: sql.SQL | sql.Composed, shown: sql.SQL | sql.Composed | None = None
) -> Step:
    return Step(reason, statement, statement if shown is None else shown)


def _privilege_list(privileges: set[str] | frozenset[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(p) for p in sorted(privileges))


def _grants(
    target: sql.Composable,
    grantee: sql.Composable,
    have: set[str],
    want: frozenset[str],
    what: str,
) -> list[Step]:
    steps = []
    if want - have:
        steps.append(
            _step(
                f"the app needs {', '.join(sorted(want - have))} {what}",
                sql.SQL("GRANT {} ON {} TO {}").format(
                    _privilege_list(want - have), target, grantee
                ),
            )
        )
    if have - want:
        steps.append(
            _step(
                f"the app needs no {', '.join(sorted(have - want))} {what}",
                sql.SQL("REVOKE {} ON {} FROM {}").format(
                    _privilege_list(have - want), target, grantee
                ),
            )
        )
    return steps


class _Catalogue:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(query, params)
        return list(self.cursor.fetchall())

    def role(self, name: str) -> dict[str, Any] | None:
        rows = self.rows(
            "SELECT oid, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication,"
            " rolbypassrls, rolinherit FROM pg_roles WHERE rolname = %s",
            (name,),
        )
        if not rows:
            return None
        keys = ("oid", *APP_ATTRIBUTES)
        return dict(zip(keys, rows[0], strict=True))

    def privileges(self, acl_query: str, params: tuple[Any, ...], grantee: int | None) -> set[str]:
        if grantee is None:
            return set()
        return {
            privilege
            for (privilege,) in self.rows(
                f"SELECT a.privilege_type FROM ({acl_query}) AS x(acl),"  # noqa: S608
                " aclexplode(x.acl) AS a WHERE a.grantee = %s",
                (*params, grantee),
            )
        }


def plan(
    cursor: Any,
    *,
    owner: str,
    app: str,
    owner_password: str | None = None,
    app_password: str | None = None,
    set_passwords: bool = False,
) -> list[Step]:
    """The statements that would make the database, its roles and grants what this
    module describes; none when they already are."""
    if owner == app:
        raise ImproperlyConfigured(
            "The app and the owner must be two roles (DATABASE_URL and DATABASE_OWNER_URL)."
        )
    cat = _Catalogue(cursor)
    steps: list[Step] = []
    owner_id, app_id = sql.Identifier(owner), sql.Identifier(app)

    # 1. the roles
    owner_role = cat.role(owner)
    if owner_role is None:
        password = sql.SQL(" PASSWORD {}").format(sql.Literal(owner_password))
        hidden = sql.SQL(" PASSWORD {}").format(sql.Literal("********"))
        steps.append(
            _step(
                "the owner role does not exist",
                sql.SQL("CREATE ROLE {} LOGIN{}").format(
                    owner_id, password if owner_password else sql.SQL("")
                ),
                sql.SQL("CREATE ROLE {} LOGIN{}").format(
                    owner_id, hidden if owner_password else sql.SQL("")
                ),
            )
        )
    else:
        if not owner_role["rolcanlogin"]:
            steps.append(
                _step(
                    "migrations connect as the owner",
                    sql.SQL("ALTER ROLE {} LOGIN").format(owner_id),
                )
            )
        if set_passwords and owner_password:
            steps.append(
                _step(
                    "the owner's password is the one in DATABASE_OWNER_URL",
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        owner_id, sql.Literal(owner_password)
                    ),
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(owner_id, sql.Literal("********")),
                )
            )
    app_role = cat.role(app)
    attributes = sql.SQL(" ").join(
        sql.SQL(on if want else off) for on, off, want in APP_ATTRIBUTES.values()
    )
    if app_role is None:
        steps.append(
            _step(
                "the app role does not exist",
                sql.SQL("CREATE ROLE {} {}{}").format(
                    app_id,
                    attributes,
                    sql.SQL(" PASSWORD {}").format(sql.Literal(app_password))
                    if app_password
                    else sql.SQL(""),
                ),
                sql.SQL("CREATE ROLE {} {}{}").format(
                    app_id,
                    attributes,
                    sql.SQL(" PASSWORD {}").format(sql.Literal("********"))
                    if app_password
                    else sql.SQL(""),
                ),
            )
        )
    else:
        wrong = [
            on if want else off
            for name, (on, off, want) in APP_ATTRIBUTES.items()
            if app_role[name] != want
        ]
        if wrong:
            steps.append(
                _step(
                    "the app role has LOGIN and no other attribute",
                    sql.SQL("ALTER ROLE {} {}").format(
                        app_id, sql.SQL(" ").join(sql.SQL(w) for w in wrong)
                    ),
                )
            )
        if set_passwords and app_password:
            steps.append(
                _step(
                    "the app's password is the one in DATABASE_URL",
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(app_id, sql.Literal(app_password)),
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(app_id, sql.Literal("********")),
                )
            )
        for (member_of,) in cat.rows(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " WHERE m.member = %s ORDER BY r.rolname",
            (app_role["oid"],),
        ):
            steps.append(
                _step(
                    f"the app is a member of no role (it is of {member_of})",
                    sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(member_of), app_id),
                )
            )
    app_oid = app_role["oid"] if app_role else None
    owner_oid = owner_role["oid"] if owner_role else None

    # 2. the database
    ((database, database_owner, database_owner_oid),) = cat.rows(
        "SELECT datname, pg_get_userbyid(datdba), datdba FROM pg_database"
        " WHERE datname = current_database()"
    )
    database_id = sql.Identifier(database)
    if database_owner != owner:
        steps.append(
            _step(
                f"the owner owns the database (now {database_owner})",
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database_id, owner_id),
            )
        )
    database_acl = (
        "SELECT coalesce(datacl, acldefault('d', datdba)) FROM pg_database"
        " WHERE datname = current_database()"
    )
    public_on_database = cat.privileges(database_acl, (), PUBLIC)
    if public_on_database:
        steps.append(
            _step(
                f"only the two roles connect (PUBLIC may {', '.join(sorted(public_on_database))})",
                sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database_id),
            )
        )
    app_owned_database = app_oid is not None and app_oid == database_owner_oid
    steps += _grants(
        sql.SQL("DATABASE {}").format(database_id),
        app_id,
        set() if app_owned_database else cat.privileges(database_acl, (), app_oid),
        DATABASE_PRIVILEGES,
        "on the database",
    )

    # 3. the schema (PostgreSQL 15 gives ``public`` to pg_database_owner: the owner)
    ((schema, schema_oid, schema_owner),) = cat.rows(
        "SELECT nspname, oid, pg_get_userbyid(nspowner) FROM pg_namespace"
        " WHERE nspname = current_schema()"
    )
    schema_id = sql.Identifier(schema)
    if schema_owner not in {owner, "pg_database_owner"}:
        steps.append(
            _step(
                f"the owner owns the schema (now {schema_owner})",
                sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema_id, owner_id),
            )
        )
    schema_acl = (
        "SELECT coalesce(nspacl, acldefault('n', nspowner)) FROM pg_namespace WHERE oid = %s"
    )
    if "CREATE" in cat.privileges(schema_acl, (schema_oid,), PUBLIC):
        steps.append(
            _step(
                "nobody but the owner creates objects in the schema",
                sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema_id),
            )
        )
    steps += _grants(
        sql.SQL("SCHEMA {}").format(schema_id),
        app_id,
        cat.privileges(schema_acl, (schema_oid,), app_oid),
        SCHEMA_PRIVILEGES,
        "on the schema",
    )

    # 4. every table, view, sequence and function: the owner's, with the app's grants
    ownership: list[Step] = []
    grants: list[Step] = []
    relation_acl = (
        "SELECT coalesce(relacl, acldefault((CASE WHEN relkind = 'S' THEN 's' ELSE 'r' END)"
        '::"char", relowner)) FROM pg_class WHERE oid = %s'
    )
    relations = cat.rows(
        "SELECT c.oid, c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relowner,"
        " EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
        "   AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass"
        "   AND d.deptype IN ('a', 'i'))"
        " FROM pg_class c WHERE c.relnamespace = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass"
        "   AND e.objid = c.oid AND e.deptype = 'e')"
        " ORDER BY c.relkind, c.relname",
        (schema_oid,),
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for oid, name, kind, relation_owner, relation_owner_oid, linked in relations:
        target = sql.Identifier(schema, name)
        if relation_owner != owner and not (kind == "S" and linked):
            # a sequence that belongs to a column changes owner with its table
            ownership.append(
                _step(
                    f"the owner owns {name} (now {relation_owner})",
                    sql.SQL("ALTER {} {} OWNER TO {}").format(
                        sql.SQL(kinds[kind]), target, owner_id
                    ),
                )
            )
        if kind == "S":
            want, grant_target = SEQUENCE_PRIVILEGES, sql.SQL("SEQUENCE {}").format(target)
        else:
            want = table_privileges(name) if kind in {"r", "p"} else VIEW_PRIVILEGES
            grant_target = sql.SQL("TABLE {}").format(target)
        owned_by_app = app_oid is not None and relation_owner_oid == app_oid
        have = set() if owned_by_app else cat.privileges(relation_acl, (oid,), app_oid)
        grants += _grants(grant_target, app_id, have, want, f"on {name}")
        if cat.privileges(relation_acl, (oid,), PUBLIC):
            grants.append(
                _step(
                    f"PUBLIC has privileges on {name}",
                    sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(grant_target),
                )
            )
    functions = cat.rows(
        "SELECT p.oid, p.oid::regprocedure::text, p.prokind, pg_get_userbyid(p.proowner),"
        " p.proowner FROM pg_proc p WHERE p.pronamespace = %s AND p.prokind IN ('f', 'p')"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass"
        "   AND e.objid = p.oid AND e.deptype = 'e')"
        " ORDER BY 2",
        (schema_oid,),
    )
    function_acl = "SELECT coalesce(proacl, acldefault('f', proowner)) FROM pg_proc WHERE oid = %s"
    for oid, signature, kind, function_owner, function_owner_oid in functions:
        noun = sql.SQL("PROCEDURE" if kind == "p" else "FUNCTION")
        # regprocedure's text is the quoted, schema-qualified signature
        routine = sql.SQL("{} {}").format(noun, sql.SQL(signature))
        if function_owner != owner:
            ownership.append(
                _step(
                    f"the owner owns {signature} (now {function_owner})",
                    sql.SQL("ALTER {} OWNER TO {}").format(routine, owner_id),
                )
            )
        owned_by_app = app_oid is not None and function_owner_oid == app_oid
        have = set() if owned_by_app else cat.privileges(function_acl, (oid,), app_oid)
        grants += _grants(routine, app_id, have, FUNCTION_PRIVILEGES, f"on {signature}")
    # Owners first: a new owner takes over the ACL entries of the old one, so a grant
    # made to the app while the app still owned the object would vanish with it.
    steps += ownership + grants

    # 5. what the owner creates later (migrations) is granted as above
    for objtype, objects, want in (
        ("r", "TABLES", TABLE_PRIVILEGES),
        ("S", "SEQUENCES", SEQUENCE_PRIVILEGES),
        ("f", "FUNCTIONS", FUNCTION_PRIVILEGES),
    ):
        have = (
            cat.privileges(
                "SELECT defaclacl FROM pg_default_acl WHERE defaclrole = %s"
                " AND defaclnamespace = %s AND defaclobjtype = %s",
                (owner_oid, schema_oid, objtype),
                app_oid,
            )
            if owner_oid is not None
            else set()
        )
        prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ").format(
            owner_id, schema_id
        )
        if want - have:
            steps.append(
                _step(
                    f"the app needs {', '.join(sorted(want - have))} the {objects.lower()} the owner creates",
                    prefix
                    + sql.SQL("GRANT {} ON {} TO {}").format(
                        _privilege_list(want - have), sql.SQL(objects), app_id
                    ),
                )
            )
        if have - want:
            steps.append(
                _step(
                    f"the app needs no {', '.join(sorted(have - want))} on new {objects.lower()}",
                    prefix
                    + sql.SQL("REVOKE {} ON {} FROM {}").format(
                        _privilege_list(have - want), sql.SQL(objects), app_id
                    ),
                )
            )
    return steps
