"""Writes of the accounts app. Each service validates fully (model validation included)
and is atomic; callers (views, commands, demo) never save these models themselves."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .identifiers import normalise
from .models import Organisation, OrgUnit, Person, RoleMembership, User
from .permissions import forget_scope
from .roles import Role


def org_unit_create(*, code: str, name: str, level: str, parent: OrgUnit | None = None) -> OrgUnit:
    code = code.strip()
    if parent is not None and not code.startswith(_division_prefix(parent)):
        raise ValidationError(
            {
                "code": _("Code %(code)s does not belong to the parent region %(parent)s.")
                % {"code": code, "parent": f"{parent.name} ({parent.code})"}
            }
        )
    unit = OrgUnit(
        code=code,
        name=name.strip(),
        level=level,
        parent=parent,
        path=f"{parent.path if parent else '/'}{code}/",
    )
    unit.full_clean()
    unit.save()
    return unit


def _division_prefix(unit: OrgUnit) -> str:
    """Significant prefix of a division code: 33 (province), 3301 (city), 330106 (district)."""
    if unit.level == OrgUnit.Level.PROVINCE:
        return unit.code[:2]
    if unit.level == OrgUnit.Level.CITY:
        return unit.code[:4]
    return unit.code[:6]


@transaction.atomic
def organisation_create(
    *,
    credit_code: str,
    name: str,
    org_type: str,
    region: OrgUnit,
    contact_name: str = "",
    contact_phone: str = "",
    actor: User | None = None,
) -> Organisation:
    organisation = Organisation(
        credit_code=normalise(credit_code),
        name=name.strip(),
        org_type=org_type,
        region=region,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
    )
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: User | None = None, **changes: Any
) -> Organisation:
    allowed = {"name", "org_type", "region", "contact_name", "contact_phone", "credit_code"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    for name, value in changes.items():
        if name == "credit_code":
            value = normalise(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_attach_licence(
    *, organisation: Organisation, file: Any, actor: User | None = None
) -> Organisation:
    from core.uploads import validate_upload

    validate_upload(file)
    old = organisation.licence.name if organisation.licence else ""
    organisation.licence_name = (file.name or "")[-200:]
    organisation.licence.save(file.name, file, save=False)
    organisation.save(update_fields=["licence", "licence_name", "updated_at"])
    if old:
        storage = organisation.licence.storage
        transaction.on_commit(lambda: storage.delete(old))
    return organisation


@transaction.atomic
def person_create(
    *,
    name: str,
    id_number: str,
    region: OrgUnit,
    organisation: Organisation | None = None,
    mobile: str = "",
    email: str = "",
    actor: User | None = None,
) -> Person:
    person = Person(
        name=name.strip(),
        id_number=normalise(id_number),
        region=region,
        organisation=organisation,
        mobile=mobile.strip(),
        email=email.strip(),
    )
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def person_update(*, person: Person, actor: User | None = None, **changes: Any) -> Person:
    allowed = {"name", "id_number", "region", "organisation", "mobile", "email"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    for name, value in changes.items():
        if name == "id_number":
            value = normalise(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(person, name, value)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str = "",
    person: Person | None = None,
) -> User:
    user = User(username=username.strip(), full_name=full_name.strip(), email=email.strip())
    user.person = person
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    org_unit: OrgUnit | None = None,
    organisation: Organisation | None = None,
    actor: User | None = None,
) -> RoleMembership:
    if role == Role.APPLICANT:
        if organisation is None and user.person_id is None:
            raise ValidationError(
                {
                    "organisation": _(
                        "An applicant role needs an organisation, or a person linked to the user."
                    )
                }
            )
        org_unit = org_unit or (organisation.region if organisation else None)
    elif org_unit is None:
        raise ValidationError({"org_unit": _("This role needs a scope (a region).")})
    membership = RoleMembership(
        user=user, role=role, org_unit=org_unit, organisation=organisation, granted_by=actor
    )
    membership.full_clean()
    membership.save()
    forget_scope(user)
    return membership


@transaction.atomic
def membership_revoke(*, membership: RoleMembership, actor: User | None = None) -> None:
    user = membership.user
    membership.delete()
    forget_scope(user)
