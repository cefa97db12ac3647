"""The persons on an application (项目负责人, 成员) and the 限项 rules checked on submit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Organisation, Person
from core import clock
from demo.codes import id_number
from funding import services as funding
from funding.models import Debarment, Programme
from projects import services, team
from projects.models import Application, ProgressReport, TeamMember, TransitionLog
from projects.services import ApplicationError

from .conftest import force_state, make_application, refresh, user
from .flow import client

pytestmark = pytest.mark.django_db

OWN_ORG = "杭州西湖智慧农业科技有限公司"


def new_person(name: str, seq: int) -> Person:
    """A person of the applicant's organisation, recorded through the team service on a
    scratch draft (so the page's own path is used)."""
    scratch = make_application(title="临时草稿")
    member = team.team_person_create(
        application=scratch,
        name=name,
        id_number=id_number(division="330106", birth="19800101", seq=seq),
        kind="member",
        title="工程师",
        actor=user("applicant"),
    )
    return member.person


def led_by(person: Person, *, title: str = "测试项目") -> Application:
    application = make_application(title=title)
    team.team_member_add(
        application=application,
        person=person,
        kind="lead",
        title="高级工程师",
        duty="总体负责",
        actor=user("applicant"),
    )
    return application


def submit(application: Application) -> Application:
    return services.application_submit(application=application, actor=user("applicant"))


def test_at_the_limit_passes_and_one_over_is_refused_naming_the_projects(world, today):
    # given: the programme allows two at a time; 林涛 leads one project in progress
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=2)
    lin = new_person("林涛", 501)
    running = force_state(led_by(lin, title="在研项目甲"), Application.Status.IN_PROGRESS)
    # when: a second application names him: that is exactly the limit
    second = submit(led_by(lin, title="第二个申请"))
    # then
    assert second.status == Application.Status.SUBMITTED
    # when: a third one
    third = led_by(lin, title="第三个申请")
    with pytest.raises(ApplicationError) as info:
        submit(third)
    # then: refused, naming both projects he holds and the rule
    message = str(info.value)
    assert "林涛" in message and "限项" in message
    assert running.number in message and second.number in message
    assert refresh(third).status == Application.Status.DRAFT


def test_a_finished_project_does_not_count(world, today):
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=1)
    lin = new_person("林涛", 503)
    force_state(led_by(lin, title="已结项目"), Application.Status.CLOSED)
    assert submit(led_by(lin)).status == Application.Status.SUBMITTED


def test_a_leader_with_an_overdue_report_is_refused_until_it_is_filed(world, today):
    # given: 林涛 leads a project in progress whose report was due on 2026-10-31
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=None)
    lin = new_person("林涛", 505)
    running = force_state(led_by(lin, title="在研项目乙"), Application.Status.IN_PROGRESS)
    report = ProgressReport.objects.create(
        application=running, title="2026年度进展报告", due_on=dt.date(2026, 10, 31)
    )
    application = led_by(lin)
    # when / then
    with pytest.raises(ApplicationError) as info:
        submit(application)
    message = str(info.value)
    assert running.number in message and "2026年度进展报告" in message and "限项" in message
    # once filed, he may apply
    ProgressReport.objects.filter(pk=report.pk).update(submitted_at=clock.now())
    assert submit(application).status == Application.Status.SUBMITTED


def test_a_failed_acceptance_bars_its_leader_for_the_programmes_years(world):
    lin = new_person("林涛", 507)
    failed = force_state(led_by(lin, title="未通过验收的项目"), Application.Status.FAILED)
    TransitionLog.objects.create(
        application=failed,
        transition="fail_acceptance",
        from_state="acceptance_review",
        to_state="failed",
        at=dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.UTC),
    )
    Programme.objects.filter(code="KJJH").update(lead_failed_acceptance_years=3)
    with clock.frozen(dt.date(2026, 11, 20)):
        application = led_by(lin)
        with pytest.raises(ApplicationError) as info:
            submit(application)
        assert failed.number in str(info.value) and "验收" in str(info.value)
    # with a two-year bar the same failure no longer counts
    Programme.objects.filter(code="KJJH").update(lead_failed_acceptance_years=2)
    with clock.frozen(dt.date(2026, 11, 20)):
        assert submit(application).status == Application.Status.SUBMITTED


def test_a_debarred_leader_or_member_blocks_the_submission(world, today):
    lin = new_person("林涛", 509)
    wu = new_person("吴芳", 510)
    with clock.frozen(dt.date(2026, 3, 1)):
        funding.debarment_create(
            organisation=None, person=wu, reason="2025年项目材料弄虚作假", years=3
        )
    application = led_by(lin)
    team.team_member_add(
        application=application,
        person=wu,
        kind="member",
        title="助理研究员",
        actor=user("applicant"),
    )
    with pytest.raises(ApplicationError) as info:
        submit(application)
    assert "吴芳" in str(info.value) and "2029-03-01" in str(info.value)
    # the debarred person leading is refused as well
    with pytest.raises(ApplicationError, match="吴芳"):
        submit(led_by(wu))


def test_a_debarment_targets_exactly_one_of_organisation_and_person(world):
    org = Organisation.objects.get(name=OWN_ORG)
    person = Person.objects.filter(organisation__isnull=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Debarment.objects.create(
            organisation=org,
            person=person,
            reason="x",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2027, 1, 1),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Debarment.objects.create(
            reason="x", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 1, 1)
        )


def test_the_team_is_named_and_ordered_one_leader_only(world, today):
    lin, wu, he = new_person("林涛", 511), new_person("吴芳", 512), new_person("何军", 513)
    application = led_by(lin)
    for person in (wu, he):
        team.team_member_add(
            application=application,
            person=person,
            kind="member",
            title="工程师",
            actor=user("applicant"),
        )
    with pytest.raises(ApplicationError, match="负责人"):
        team.team_member_add(
            application=application,
            person=new_person("郑一", 514),
            kind="lead",
            title="研究员",
            actor=user("applicant"),
        )
    team.team_member_move_up(
        member=TeamMember.objects.get(application=application, person=he), actor=user("applicant")
    )
    assert [m.person.name for m in application.team.in_order()] == ["林涛", "何军", "吴芳"]
    # once submitted, the team is fixed
    submit(application)
    with pytest.raises(ApplicationError):
        team.team_member_remove(
            member=TeamMember.objects.get(application=application, person=wu),
            actor=user("applicant"),
        )


def test_the_person_picker_offers_only_the_applicants_own_persons(world, today):
    # given: persons of another organisation (the 农技推广中心 employs 俞根土)
    other = Person.objects.get(name="俞根土")
    mine = new_person("林涛", 515)
    application = make_application()
    page = client("applicant").get(f"/applications/{application.pk}/team/")
    html = page.content.decode()
    # then: the own person is offered with a masked number; the other one is not there
    assert page.status_code == 200
    assert "林涛" in html and mine.id_number_masked in html and mine.id_number not in html
    assert "俞根土" not in html and other.id_number_masked not in html
    # posting the other organisation's person is refused, nothing is added
    response = client("applicant").post(
        f"/applications/{application.pk}/team/",
        {"op": "pick", "pick-person": other.pk, "pick-kind": "lead", "pick-title": "研究员"},
    )
    assert response.status_code == 200
    assert not application.team.exists()
    with pytest.raises(ApplicationError):
        team.team_member_add(
            application=application,
            person=other,
            kind="lead",
            title="研究员",
            actor=user("applicant"),
        )
    # recording a "new" person with the other's ID number does not reveal who it is
    with pytest.raises(ApplicationError) as info:
        team.team_person_create(
            application=application,
            name="冒名",
            id_number=other.id_number,
            kind="member",
            title="工程师",
            actor=user("applicant"),
        )
    assert "俞根土" not in str(info.value)
    assert not application.team.exists()


def test_the_applicant_builds_the_team_on_the_page(world, today):
    application = make_application()
    c = client("applicant")
    number = id_number(division="330106", birth="19850505", seq=517)
    response = c.post(
        f"/applications/{application.pk}/team/",
        {
            "op": "new",
            "new-name": "马骏",
            "new-id_number": number,
            "new-kind": "lead",
            "new-title": "正高级工程师",
            "new-duty": "总体负责",
        },
    )
    assert response.status_code == 302
    lead = application.team.get()
    assert lead.is_lead and lead.person.name == "马骏"
    assert lead.person.organisation.name == OWN_ORG
    detail = c.get(f"/applications/{application.pk}/").content.decode()
    assert "马骏" in detail and "正高级工程师" in detail and number not in detail
    # a wrong check digit is refused with the field named
    bad = c.post(
        f"/applications/{application.pk}/team/",
        {
            "op": "new",
            "new-name": "错号",
            "new-id_number": number[:-1] + ("0" if number[-1] != "0" else "1"),
            "new-kind": "member",
            "new-title": "工程师",
        },
    )
    assert bad.status_code == 200 and application.team.count() == 1


def test_the_officer_sets_the_limits_on_the_programme_page(world, today):
    from funding.forms import ProgrammeForm

    # given: the programme's edit page, as the city officer
    programme = Programme.objects.get(code="KJJH")
    data: dict[str, object] = {}
    for name, value in ProgrammeForm.initial_for(programme).items():
        if value is None or value is False:
            continue
        data[name] = getattr(value, "pk", value) if value is not True else "on"
    data.update(lead_max_in_progress="1", lead_failed_acceptance_years="")
    officer = client("city_officer")
    url = reverse("funding:programme_edit", args=[programme.pk])
    # when
    response = officer.post(url, data)
    # then: saved, in the trail, shown on the programme page
    assert response.status_code == 302, response.content.decode()[:2000]
    programme.refresh_from_db()
    assert programme.lead_max_in_progress == 1
    assert programme.lead_failed_acceptance_years is None
    from funding.models import ConfigChange

    change = ConfigChange.objects.filter(programme=programme).order_by("-pk").first()
    assert change is not None
    assert {c["field"] for c in change.changes} >= {
        "lead_max_in_progress",
        "lead_failed_acceptance_years",
    }
    page = officer.get(reverse("funding:programme_detail", args=[programme.pk])).content.decode()
    assert "同一负责人同时承担的项目数" in page
    # and the limit of one now applies on submit
    lin = new_person("林涛", 519)
    submit(led_by(lin, title="第一个"))
    with pytest.raises(ApplicationError, match="限项 1 项"):
        submit(led_by(lin, title="第二个"))


def test_the_team_page_asks_the_database_as_often_for_three_members_as_for_one(world, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    application = led_by(new_person("林涛", 521))
    c = client("applicant")
    url = f"/applications/{application.pk}/team/"
    c.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        assert c.get(url).status_code == 200
    for name, seq in (("吴芳", 522), ("何军", 523)):
        team.team_member_add(
            application=application,
            person=new_person(name, seq),
            kind="member",
            title="工程师",
            actor=user("applicant"),
        )
    with CaptureQueriesContext(connection) as three:
        assert c.get(url).status_code == 200
    assert len(three) == len(one)
