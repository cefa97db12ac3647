"""项目变更 of the 负责人 and of the 成员: who leads the project after an approved change,
what the 任务书 versions print, and the 限项 rules met by a new leader."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts import services as accounts
from accounts.models import Organisation, Person
from core import clock
from core.confirm import CONFIRMED
from demo.codes import id_number
from funding.models import Programme
from projects import changes
from projects.changes import ChangeError
from projects.models import Application, ChangeRequest, TeamMember, TransitionLog

from .conftest import TODAY, force_state, make_application, user
from .lifecycle import approved_project, money, signed_contract

pytestmark = pytest.mark.django_db
Kind = ChangeRequest.Kind
COMPANY = "杭州西湖智慧农业科技有限公司"


def at(day: dt.date) -> clock.frozen:
    return clock.frozen(dt.datetime.combine(day, dt.time(10, 0)))


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def person(name: str, seq: int, employer: str = COMPANY) -> Person:
    org = Organisation.objects.get(name=employer)
    return accounts.person_create(
        name=name,
        id_number=id_number(division="330106", birth="19800101", seq=seq),
        region=org.region,
        organisation=org,
    )


def project_with_team():
    """A signed project led by 林涛 with 吴芳 as its one member."""
    money()
    application = approved_project()
    lin, wu = person("林涛", 601), person("吴芳", 602)
    TeamMember.objects.create(
        application=application, person=lin, kind="lead", title="正高级工程师", duty="总体负责"
    )
    TeamMember.objects.create(
        application=application, person=wu, kind="member", title="工程师", duty="数据采集", order=1
    )
    return application, signed_contract(application)


def team_of(application: Application) -> list[tuple[str, str, str]]:
    return [(m.kind, m.person.name, m.title) for m in application.team.in_order()]


def ask_leader(contract, **leader) -> ChangeRequest:
    return changes.change_request(
        contract=contract,
        kind=Kind.LEADER,
        reason="原负责人调离本单位",
        leader={"title": "高级工程师", "duty": "项目总体负责"} | leader,
        actor=user("applicant"),
    )


def test_an_approved_leader_change_replaces_the_leader_and_shows_in_the_new_version(world):
    application, contract = project_with_team()
    with at(dt.date(2027, 3, 1)):
        # the new leader is recorded by name and 身份证号, as on the team page
        change = ask_leader(
            contract, name="何军", id_number=id_number(division="330106", birth="19830127", seq=603)
        )
        # nothing changes before the decision
        assert team_of(application)[0] == ("lead", "林涛", "正高级工程师")
        changes.change_decide(
            change=change, approve=True, reason="同意更换负责人", actor=user("city_officer")
        )
    # the former leader leaves, the new one leads; the member stays
    assert team_of(application) == [
        ("lead", "何军", "高级工程师"),
        ("member", "吴芳", "工程师"),
    ]
    assert Person.objects.get(name="何军").organisation.name == COMPANY
    # each 任务书 version prints who led the project then
    v1, v2 = contract.versions.order_by("number")
    assert [row[:2] for row in v1.content["team"]] == [["lead", "林涛"], ["member", "吴芳"]]
    assert [row[:2] for row in v2.content["team"]] == [["lead", "何军"], ["member", "吴芳"]]
    from projects import documents

    first = _pdf_text(documents.contract_pdf(contract, v1))
    second = _pdf_text(documents.contract_pdf(contract, v2))
    assert "林涛" in first and "何军" not in first
    # (the former leader is named only in the version's note of what changed)
    body, note = second.split("本版变更")
    assert "何军" in body and "林涛" not in body
    assert "项目负责人 林涛 → 何军" in note
    # the trail names both persons
    last = TransitionLog.objects.filter(application=application).order_by("pk").last()
    assert last.get_transition_display() == "批准项目变更"
    assert "林涛 → 何军" in last.reason


def test_a_leader_at_the_limit_is_refused_with_the_reason(world, client):
    application, contract = project_with_team()
    zhao = person("赵刚", 605)
    with clock.frozen(TODAY):
        other = make_application(title="赵刚负责的在研项目")
    TeamMember.objects.create(application=other, person=zhao, kind="lead", title="研究员")
    force_state(other, Application.Status.IN_PROGRESS)
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=1)
    with at(dt.date(2027, 3, 1)), pytest.raises(ChangeError) as info:
        ask_leader(contract, person=zhao)
    message = str(info.value)
    assert "赵刚" in message and "限项" in message and other.number in message
    assert not contract.change_requests.exists()

    # asked while allowed, the limit is met again when the officer approves
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=None)
    with at(dt.date(2027, 3, 1)):
        change = ask_leader(contract, person=zhao)
    Programme.objects.filter(code="KJJH").update(lead_max_in_progress=1)
    # the officer sees why before deciding
    client.force_login(user("city_officer"))
    with at(dt.date(2027, 3, 2)):
        page = client.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert "限项" in page and other.number in page
    with at(dt.date(2027, 3, 2)), pytest.raises(ChangeError, match="限项"):
        changes.change_decide(
            change=change, approve=True, reason="同意", actor=user("city_officer")
        )
    assert ChangeRequest.objects.get(pk=change.pk).status == "requested"
    assert team_of(application)[0][1] == "林涛"
    assert not contract.versions.exists()


def test_a_members_change_replaces_the_member_list(world):
    application, contract = project_with_team()
    lin, wu = Person.objects.get(name="林涛"), Person.objects.get(name="吴芳")
    he = person("何军", 603)
    stranger = person("陈小明", 607, employer="杭州余杭径山茶叶专业合作社")

    def ask(members):
        return changes.change_request(
            contract=contract,
            kind=Kind.MEMBERS,
            reason="人员调整",
            members=members,
            actor=user("applicant"),
        )

    with at(dt.date(2027, 3, 1)):
        with pytest.raises(ChangeError, match="陈小明"):
            ask([{"person": stranger, "title": "农艺师"}])
        with pytest.raises(ChangeError, match="林涛"):
            ask([{"person": lin, "title": "正高级工程师"}])
        with pytest.raises(ChangeError, match="职称"):
            ask([{"person": he, "title": " "}])
        change = ask(
            [
                {"person": he, "title": "助理工程师", "duty": "示范点建设"},
                {"person": wu, "title": "高级工程师", "duty": "数据采集"},
            ]
        )
        changes.change_decide(
            change=change, approve=True, reason="同意", actor=user("city_officer")
        )
    assert team_of(application) == [
        ("lead", "林涛", "正高级工程师"),
        ("member", "何军", "助理工程师"),
        ("member", "吴芳", "高级工程师"),
    ]
    latest = contract.versions.order_by("-number").first()
    assert [row[1] for row in latest.content["team"]] == ["林涛", "何军", "吴芳"]
    assert "吴芳 → 何军、吴芳" in latest.note


def test_the_applicant_of_another_organisation_cannot_ask(world, client):
    _application, contract = project_with_team()
    with at(dt.date(2027, 3, 1)), pytest.raises(ChangeError):
        changes.change_request(
            contract=contract,
            kind=Kind.LEADER,
            reason="x",
            leader={"person": Person.objects.get(name="吴芳"), "title": "工程师"},
            actor=user("applicant_yh"),
        )
    client.force_login(user("applicant_yh"))
    response = client.post(
        reverse("change_new", args=[contract.pk]),
        {"kind": "leader", "leader_title": "工程师", "reason": "x", CONFIRMED: "1"},
    )
    assert response.status_code in (403, 404)
    assert not contract.change_requests.exists()


def test_the_page_asks_for_a_leader_change(world, client):
    _application, contract = project_with_team()
    wu = Person.objects.get(name="吴芳")
    client.force_login(user("applicant"))
    with at(dt.date(2027, 3, 1)):
        form = client.get(reverse("change_new", args=[contract.pk])).content.decode()
        assert "吴芳" in form
        # a leader without a title is sent back with the reason
        response = client.post(
            reverse("change_new", args=[contract.pk]),
            {"kind": "leader", "leader_person": wu.pk, "reason": "调整", CONFIRMED: "1"},
        )
        assert response.status_code == 200 and "职称" in response.content.decode()
        response = client.post(
            reverse("change_new", args=[contract.pk]),
            {
                "kind": "leader",
                "leader_person": wu.pk,
                "leader_title": "高级工程师",
                "reason": "原负责人退休",
                CONFIRMED: "1",
            },
        )
    assert response.status_code == 302
    change = contract.change_requests.get()
    assert change.new_leader == wu and change.get_kind_display() == "负责人"
    detail = client.get(reverse("change_detail", args=[change.pk])).content.decode()
    assert "林涛 → 吴芳" in detail


def test_each_decision_is_in_the_applicants_inbox_with_a_link_to_the_project(world, client):
    from notices.models import Message

    application, contract = project_with_team()
    applicant = user("applicant")
    before = Message.objects.filter(user=applicant).count()
    wu = Person.objects.get(name="吴芳")
    with at(dt.date(2027, 3, 1)):
        rejected = ask_leader(contract, person=wu)
        changes.change_decide(
            change=rejected, approve=False, reason="理由不充分", actor=user("city_officer")
        )
        approved = ask_leader(contract, person=wu)
        changes.change_decide(
            change=approved, approve=True, reason="同意", actor=user("city_officer")
        )
    inbox = list(Message.objects.filter(user=applicant).order_by("pk"))[before:]
    assert [m.title for m in inbox] == [
        f"项目变更已驳回：{application.number} 负责人",
        f"项目变更已批准：{application.number} 负责人",
    ]
    assert "理由不充分" in inbox[0].body and "林涛 → 吴芳" in inbox[1].body
    assert {m.link for m in inbox} == {reverse("application_detail", args=[application.pk])}
    assert all(m.read_at is None for m in inbox)
    # the officer who decided is not told his own decision
    assert not Message.objects.filter(
        user=user("city_officer"), title__startswith="项目变更"
    ).exists()
    # the inbox page lists it and the top bar counts it
    client.force_login(applicant)
    page = client.get(reverse("notices:inbox")).content.decode()
    assert f"项目变更已批准：{application.number} 负责人" in page
    unread = Message.objects.filter(user=applicant, read_at__isnull=True).count()
    assert f'<span class="badge" title="未读">{unread}</span>' in page
