"""The 专家 workbook: experts exchanged as a spreadsheet.

Split out of ``reviews.services``, which re-exports these names."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrgUnit, Person, User

from .models import (
    ExpertProfile,
)
from .services import (
    expert_register,
)


@transaction.atomic
def expert_update(
    *, expert: ExpertProfile, actor: User | None = None, **changes: object
) -> ExpertProfile:
    allowed = {"title", "specialties", "load_cap", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {sorted(unknown)}")
    for name, value in changes.items():
        setattr(expert, name, value.strip() if isinstance(value, str) else value)
    expert.full_clean()
    expert.save()
    return expert


@transaction.atomic
def expert_upsert(
    *,
    name: str,
    id_number: str,
    region: OrgUnit,
    title: str,
    specialties: str,
    organisation: Organisation | None = None,
    mobile: str | None = None,
    email: str | None = None,
    actor: User | None = None,
) -> tuple[ExpertProfile, str]:
    """An expert from the 专家 workbook, keyed by the 身份证号: the person is created or
    brought up to date, then the expert profile. Returns the profile and ``"created"``,
    ``"updated"`` or ``"unchanged"``. ``None`` for the employer, mobile or email keeps
    what is stored. A number registered for a person of another name is refused: a
    typo in the number must not rename someone."""
    from django.core.exceptions import ValidationError

    from accounts import services as accounts_services
    from accounts.identifiers import mask_name, normalise

    number = normalise(id_number)
    person = Person.objects.select_for_update().filter(id_number=number).first()
    outcome = "unchanged"
    if person is None:
        person = accounts_services.person_create(
            name=name,
            id_number=number,
            region=region,
            organisation=organisation,
            mobile=mobile or "",
            email=email or "",
            actor=actor,
        )
        outcome = "created"
    else:
        if person.name != name.strip():
            raise ValidationError(
                {
                    "name": _("This ID card number is registered for %(name)s; the name differs.")
                    % {"name": mask_name(person.name)}
                }
            )
        wanted: dict[str, object] = {"region": region}
        for field_name, value in (
            ("organisation", organisation),
            ("mobile", mobile),
            ("email", email),
        ):
            if value is not None:
                wanted[field_name] = value.strip() if isinstance(value, str) else value
        changed = {
            k: v
            for k, v in wanted.items()
            if (
                getattr(person, f"{k}_id") != getattr(v, "pk", None)
                if k in ("region", "organisation")
                else getattr(person, k) != v
            )
        }
        if changed:
            accounts_services.person_update(person=person, actor=actor, **changed)
            outcome = "updated"
    expert = ExpertProfile.objects.select_for_update().filter(person=person).first()
    if expert is None:
        expert = expert_register(person=person, title=title, specialties=specialties, actor=actor)
        return expert, "created"
    profile_changes = {
        k: v
        for k, v in (("title", title), ("specialties", specialties.strip()))
        if getattr(expert, k) != v
    }
    if profile_changes:
        expert_update(expert=expert, actor=actor, **profile_changes)
        outcome = "updated"
    return expert, outcome
