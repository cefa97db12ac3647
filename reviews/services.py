"""Writes of the review app."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Person, User

from .models import ExpertProfile


@transaction.atomic
def expert_register(
    *,
    person: Person,
    title: str,
    specialties: str,
    load_cap: int = 20,
    actor: User | None = None,
) -> ExpertProfile:
    expert = ExpertProfile(
        person=person, title=title, specialties=specialties.strip(), load_cap=load_cap
    )
    expert.full_clean()
    expert.save()
    return expert
