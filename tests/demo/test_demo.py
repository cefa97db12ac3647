"""Acceptance 5 of the foundation: ``demo`` is idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def _dump() -> str:
    out = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--exclude",
        "contenttypes",
        "--exclude",
        "auth.permission",
        "--exclude",
        "sessions",
        "--exclude",
        "axes",
        stdout=out,
    )
    return out.getvalue()


def test_demo_twice_creates_nothing_the_second_time():
    first = io.StringIO()
    call_command("demo", stdout=first)
    assert "Demo world built" in first.getvalue()
    before = _dump()
    second = io.StringIO()
    call_command("demo", stdout=second)
    assert "Nothing created" in second.getvalue()
    assert _dump() == before


def test_demo_world_has_what_the_readme_promises():
    from accounts.identifiers import validate_credit_code, validate_id_number
    from accounts.models import Organisation, OrgUnit, Person, User
    from accounts.roles import Role
    from reviews.models import ExpertProfile

    call_command("demo", stdout=io.StringIO())
    assert OrgUnit.objects.filter(level="province").count() == 1
    assert OrgUnit.objects.filter(level="city").count() == 2
    assert OrgUnit.objects.filter(level="district").count() == 6
    assert set(Organisation.objects.values_list("org_type", flat=True)) == set(
        Organisation.Type.values
    )
    for org in Organisation.objects.all():
        validate_credit_code(org.credit_code)
    for person in Person.objects.all():
        validate_id_number(person.id_number)
    assert ExpertProfile.objects.count() == 30
    held = set(User.objects.values_list("memberships__role", flat=True))
    assert held >= set(Role.values)
    assert all(u.check_password("Demo@2026") for u in User.objects.all())


def test_demo_world_has_a_surplus_returned_and_matched_from_the_bank():
    from ledger.models import Account, StatementLine, SurplusReturn
    from ledger.verify import verify_ledger
    from projects.models import Application, ClosingSurplus

    call_command("demo", stdout=io.StringIO())
    record = ClosingSurplus.objects.get(application__title="西湖龙井茶树良种繁育技术推广")
    assert record.application.status == Application.Status.CLOSED
    assert (record.paid_fen, record.spent_fen, record.surplus_fen) == (
        25_000_000,
        24_000_000,
        1_000_000,
    )
    due = SurplusReturn.objects.get(pk=record.surplus_return_id)
    assert due.status == SurplusReturn.Status.RETURNED and due.amount_fen == 1_000_000
    assert due.statement_line.method == StatementLine.Method.REFERENCE
    assert Account.objects.get(pk=due.account_id).balance == 0
    assert verify_ledger().ok
