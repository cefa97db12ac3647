"""The one set of permission rules.

Every list and object page filters its queryset through ``visible_q`` (via the models'
``visible_to(user)``), and every action asks ``user.has_perm(perm, obj)``, answered by
the ``rules`` predicates built here and registered in each app's ``rules.py``.

A user's scope is loaded once per request and cached on the user object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import rules
from django.db.models import Q

from .roles import REGION_READERS, Role


class Scoped(Protocol):
    @property
    def scope_path(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    """What a user holds: role → region paths, and applicant identities."""

    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    organisation_ids: tuple[int, ...] = ()
    person_id: int | None = None

    @property
    def roles(self) -> frozenset[str]:
        roles = set(self.paths)
        if self.organisation_ids or self.person_id is not None:
            roles.add(Role.APPLICANT)
        return frozenset(roles)

    def paths_for(self, roles: Iterable[str]) -> tuple[str, ...]:
        wanted = set(roles)
        return tuple(p for role, paths in self.paths.items() if role in wanted for p in paths)

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & set(roles))

    def covers(self, path: str, roles: Iterable[str]) -> bool:
        return any(path.startswith(p) for p in self.paths_for(roles))


_EMPTY = Scope()
_CACHE_ATTR = "_kjfund_scope"


def scope_of(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _EMPTY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    paths: dict[str, list[str]] = {}
    organisation_ids: list[int] = []
    is_applicant = False
    for role, path, organisation_id in user.memberships.values_list(
        "role", "org_unit__path", "organisation_id"
    ):
        if role == Role.APPLICANT:
            is_applicant = True
            if organisation_id is not None:
                organisation_ids.append(organisation_id)
        elif path:
            paths.setdefault(role, []).append(path)
    scope = Scope(
        paths={role: tuple(sorted(p)) for role, p in paths.items()},
        organisation_ids=tuple(sorted(organisation_ids)),
        person_id=user.person_id if is_applicant else None,
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def visible_q(
    user: Any,
    *,
    region: str | None = None,
    organisation: str | None = None,
    person: str | None = None,
    roles: Iterable[str] = REGION_READERS,
) -> Q:
    """The rows ``user`` may read.

    ``region`` is the lookup of the row's OrgUnit (read by subtree for ``roles``);
    ``organisation`` / ``person`` the lookups that make a row an applicant's own.
    """
    scope = scope_of(user)
    q = Q(pk__in=[])
    if region is not None:
        for path in scope.paths_for(roles):
            q |= Q(**{f"{region}__path__startswith": path})
    if organisation is not None and scope.organisation_ids:
        q |= Q(**{f"{organisation}__in": scope.organisation_ids})
    if person is not None and scope.person_id is not None:
        q |= Q(**{person: scope.person_id})
    return q


# --- rules predicates -------------------------------------------------------------


def has_role(*roles: str) -> rules.Predicate:
    wanted = frozenset(roles)

    @rules.predicate(name=f"has_role({','.join(sorted(wanted))})")
    def predicate(user: Any) -> bool:
        return scope_of(user).has_any(wanted)

    return predicate


def in_region_as(*roles: str) -> rules.Predicate:
    """True when the object lies in a subtree the user holds one of ``roles`` for.
    Without an object (model-level checks) it is true when the user has such a role."""
    wanted = frozenset(roles)

    @rules.predicate(name=f"in_region_as({','.join(sorted(wanted))})")
    def predicate(user: Any, obj: Scoped | None) -> bool:
        scope = scope_of(user)
        if obj is None:
            return scope.has_any(wanted)
        return scope.covers(obj.scope_path, wanted)

    return predicate


@rules.predicate
def owns_organisation(user: Any, obj: Any) -> bool:
    """The applicant's own record: ``obj.owner_organisation_id`` is one of theirs."""
    if obj is None:
        return False
    org_id = getattr(obj, "owner_organisation_id", None)
    return org_id is not None and org_id in scope_of(user).organisation_ids


is_admin = has_role(Role.ADMIN)
is_auditor = has_role(Role.AUDITOR)
