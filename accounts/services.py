"""Writes of the accounts app. Each service validates fully (model validation included)
and is atomic; callers (views, commands, demo) never save these models themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
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


# --- bulk import of organisations (the 单位 workbook) -----------------------------


@dataclass(frozen=True)
class OrganisationData:
    """One organisation of a bulk import, keyed by its 统一社会信用代码. A contact
    field left ``None`` keeps the stored value of an existing organisation (an import
    never erases what a blank cell does not mention)."""

    credit_code: str
    name: str
    org_type: str
    region: OrgUnit
    contact_name: str | None = None
    contact_phone: str | None = None


@dataclass
class OrganisationBulkPlan:
    create: list[Organisation] = field(default_factory=list)
    update: list[Organisation] = field(default_factory=list)
    unchanged: list[Organisation] = field(default_factory=list)
    # index in the rows → field → messages
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)


class OrganisationBulkError(ValidationError):
    """Rows of a bulk import that do not validate (``row_errors``: index → field →
    messages)."""

    def __init__(self, row_errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(
            [m for fields in row_errors.values() for ms in fields.values() for m in ms]
        )
        self.row_errors = row_errors


@dataclass(frozen=True)
class OrganisationBulkResult:
    created: int
    updated: int
    unchanged: int


_BULK_FIELDS = ("name", "org_type", "region", "contact_name", "contact_phone")


def organisation_bulk_plan(
    *, rows: Sequence[OrganisationData], lock: bool = False
) -> OrganisationBulkPlan:
    """Validate ``rows`` as ``organisation_create`` / ``organisation_update`` do
    (normalised values, ``full_clean`` of every organisation) and sort them into
    create, update and unchanged by credit code. Writes nothing.

    The per-row database questions of ``full_clean`` (is the credit code taken? does
    the region exist?) are asked once for the whole batch instead. The model's one
    check constraint (the credit-code format) follows from ``validate_credit_code``
    and the database enforces it as well."""
    plan = OrganisationBulkPlan()
    codes = [normalise(row.credit_code) for row in rows]
    existing: dict[str, Organisation] = {}
    queryset = Organisation.objects.all()
    if lock:
        queryset = queryset.select_for_update().order_by("pk")
    distinct = sorted(set(codes))
    for start in range(0, len(distinct), 500):
        for organisation in queryset.filter(credit_code__in=distinct[start : start + 500]):
            existing[organisation.credit_code] = organisation
    region_ids = set(
        OrgUnit.objects.filter(pk__in={row.region.pk for row in rows}).values_list("pk", flat=True)
    )
    first_row: dict[str, int] = {}
    for index, (row, code) in enumerate(zip(rows, codes, strict=True)):
        errors: dict[str, list[str]] = {}
        if code in first_row:
            errors["credit_code"] = [
                _("The same unified social credit code is given twice in this batch.")
            ]
        first_row.setdefault(code, index)
        current = existing.get(code)
        values: dict[str, Any] = {
            "name": row.name.strip(),
            "org_type": row.org_type,
            "region": row.region,
        }
        for name in ("contact_name", "contact_phone"):
            given = getattr(row, name)
            if given is not None:
                values[name] = given.strip()
            elif current is None:
                values[name] = ""
        if current is None:
            organisation = Organisation(credit_code=code, **values)
        else:
            changed = {
                name: value
                for name, value in values.items()
                if (
                    current.region_id != value.pk
                    if name == "region"
                    else getattr(current, name) != value
                )
            }
            if not changed and not errors:
                plan.unchanged.append(current)
                continue
            organisation = current
            for name, value in changed.items():
                setattr(organisation, name, value)
        try:
            organisation.full_clean(
                exclude=["region"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if row.region.pk not in region_ids:
            errors.setdefault("region", []).append(_("This region does not exist."))
        if errors:
            plan.errors[index] = errors
        elif current is None:
            plan.create.append(organisation)
        else:
            plan.update.append(organisation)
    return plan


@transaction.atomic
def organisation_bulk_upsert(
    *, rows: Sequence[OrganisationData], actor: User | None = None
) -> OrganisationBulkResult:
    """Create or update organisations by 统一社会信用代码, all or none: every row is
    validated first (``organisation_bulk_plan``, rows locked), then one
    ``bulk_create`` and one ``bulk_update``. Raises ``OrganisationBulkError``."""
    plan = organisation_bulk_plan(rows=rows, lock=True)
    if plan.errors:
        raise OrganisationBulkError(plan.errors)
    Organisation.objects.bulk_create(plan.create, batch_size=500)
    now = timezone.now()
    for organisation in plan.update:
        organisation.updated_at = now
    Organisation.objects.bulk_update(plan.update, [*_BULK_FIELDS, "updated_at"], batch_size=500)
    return OrganisationBulkResult(
        created=len(plan.create), updated=len(plan.update), unchanged=len(plan.unchanged)
    )
