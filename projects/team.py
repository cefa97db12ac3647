"""The team of an application (项目负责人 and 项目组成员): the applicant picks persons of
their own organisation or records a new one; the team is edited while the application
is a draft or returned, like the rest of it.

The persons offered are those employed by the applicant organisation only: another
organisation's persons are never listed, and a 身份证号 already recorded elsewhere is
refused without saying by whom.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from accounts import services as accounts
from accounts.identifiers import normalise
from accounts.models import Organisation, Person, User

from . import locks
from .models import Application
from .services import ApplicationError
from .team_models import TeamMember

Kind = TeamMember.Kind


def team_candidates(*, application: Application) -> QuerySet[Person]:
    """The persons the applicant may put on the team: their own organisation's."""
    if application.organisation_id is None:
        return Person.objects.none()
    return Person.objects.filter(organisation_id=application.organisation_id).order_by("name", "pk")


def _editable(application: Application, actor: User) -> Application:
    application = locks.lock_application(application.pk)
    if not actor.has_perm("projects.change_application", application):
        raise ApplicationError(
            _("The team of %(number)s can no longer be changed (it is “%(state)s”).")
            % {"number": application.number, "state": application.get_status_display()}
        )
    if application.organisation_id is None:
        raise ApplicationError(_("Only an organisation's application names a team."))
    return application


def _place(
    application: Application, person: Person, *, kind: str, title: str, duty: str
) -> TeamMember:
    if kind not in Kind.values:
        raise ApplicationError(_("Choose leader or member."))
    if person.organisation_id != application.organisation_id:
        raise ApplicationError(_("Choose a person of your own organisation."))
    if application.team.filter(person=person).exists():
        raise ApplicationError(_("%(name)s is already on the team.") % {"name": person.name})
    if kind == Kind.LEAD and application.team.leads().exists():
        raise ApplicationError(
            _("The application already names its leader; remove that person first.")
        )
    if not title.strip():
        raise ApplicationError(_("State the person's professional title (职称)."))
    last = application.team.aggregate(m=Max("order"))["m"]
    member = TeamMember(
        application=application,
        person=person,
        kind=kind,
        title=title.strip(),
        duty=duty.strip(),
        order=0 if last is None else last + 1,
    )
    try:
        member.full_clean()
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages)) from error
    member.save()
    return member


@transaction.atomic
def team_member_add(
    *,
    application: Application,
    person: Person,
    kind: str,
    title: str,
    duty: str = "",
    actor: User,
) -> TeamMember:
    application = _editable(application, actor)
    return _place(application, person, kind=kind, title=title, duty=duty)


def team_person_record(
    *, organisation: Organisation, name: str, id_number: str, mobile: str = "", actor: User
) -> Person:
    """The person of ``organisation`` with this 身份证号: found, or recorded now. A number
    already recorded under another employer is refused without saying whose it is."""
    number = normalise(id_number)
    existing = Person.objects.filter(id_number=number).first()
    if existing is not None:
        if existing.organisation_id != organisation.pk:
            raise ApplicationError(
                _(
                    "A person with this ID card number is already recorded under another "
                    "employer; ask the science bureau to move the record to your organisation."
                )
            )
        return existing
    try:
        return accounts.person_create(
            name=name,
            id_number=number,
            region=organisation.region,
            organisation=organisation,
            mobile=mobile,
            actor=actor,
        )
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages)) from error


@transaction.atomic
def team_person_create(
    *,
    application: Application,
    name: str,
    id_number: str,
    kind: str,
    title: str,
    duty: str = "",
    mobile: str = "",
    actor: User,
) -> TeamMember:
    """Record a new person of the applicant organisation and put them on the team."""
    application = _editable(application, actor)
    organisation = application.organisation
    assert organisation is not None  # _editable refuses applications without one
    person = team_person_record(
        organisation=organisation, name=name, id_number=id_number, mobile=mobile, actor=actor
    )
    return _place(application, person, kind=kind, title=title, duty=duty)


@transaction.atomic
def team_member_remove(*, member: TeamMember, actor: User) -> None:
    _editable(member.application, actor)
    member.delete()


@transaction.atomic
def team_member_move_up(*, member: TeamMember, actor: User) -> None:
    """Swap a member with the one listed before them (the leader stays first)."""
    application = _editable(member.application, actor)
    members = list(application.team.filter(kind=Kind.MEMBER).order_by("order", "pk"))
    at = next((i for i, m in enumerate(members) if m.pk == member.pk), None)
    if not at:  # first already, or the leader
        return
    members[at - 1], members[at] = members[at], members[at - 1]
    for order, m in enumerate(members, start=1):
        if m.order != order:
            m.order = order
            m.save(update_fields=["order"])
