"""Project leaders (负责人) and team members (成员) on this year's project applications,
and one leader at the 限项 limit.

The two drafts still open to their applicants get their teams through the team
services, as the applicant would on the page. The two applications already submitted
were built before the team page existed: their leader is recorded as named on their
form. 林涛 thus leads two applications under consideration — the 限项 limit of the
科技计划项目 programme (2): any further application naming him as leader is refused on
submit (he may still be a member, as he is on the draft).
"""

from __future__ import annotations

import datetime as dt

from accounts import services as accounts
from accounts.models import Organisation, Person, User
from core import clock
from projects import team
from projects.models import Application, TeamMember

from .codes import id_number
from .log import Log

COMPANY = "杭州西湖智慧农业科技有限公司"
EXTENSION = "杭州市西湖区农业技术推广中心"

PERSONS = [
    # name, employer, birth, seq, mobile
    ("林涛", COMPANY, "19760514", 401, "13905710401"),
    ("吴芳", COMPANY, "19880916", 402, "13905710402"),
    ("何军", COMPANY, "19830127", 403, "13905710403"),
]


def _u(username: str) -> User:
    return User.objects.get(username=username)


def build(log: Log) -> None:
    # this year's applications (the 2023 batch of midterm_world names its own teams)
    if TeamMember.objects.filter(application__call__year=2026).exists():
        return
    persons: dict[str, Person] = {}
    for name, employer, birth, seq, mobile in PERSONS:
        number = id_number(division="330106", birth=birth, seq=seq)
        person = Person.objects.filter(id_number=number).first()
        if person is None:
            org = Organisation.objects.get(name=employer)
            person = log.created(
                accounts.person_create(
                    name=name, id_number=number, region=org.region, organisation=org, mobile=mobile
                )
            )
        persons[name] = person
    applicant, applicant_nt = _u("applicant"), _u("applicant_nt")
    apps = {a.title: a for a in Application.objects.filter(call__programme__code="KJJH")}
    draft = apps["设施蔬菜智能水肥一体化系统研发与示范"]
    returned = apps["西湖龙井茶园病虫害绿色防控技术集成"]

    with clock.frozen(dt.datetime(2026, 10, 21, 9, 0)):
        for person, kind, title, duty in (
            (persons["吴芳"], "lead", "高级工程师", "总体设计与水肥控制软件"),
            (persons["何军"], "member", "助理工程师", "示范点建设与数据采集"),
            (persons["林涛"], "member", "正高级工程师", "技术指导"),
        ):
            log.created(
                team.team_member_add(
                    application=draft,
                    person=person,
                    kind=kind,
                    title=title,
                    duty=duty,
                    actor=applicant,
                )
            )
    with clock.frozen(dt.datetime(2026, 11, 3, 10, 0)):
        for name, kind, title, duty in (
            ("沈建明", "lead", "高级农艺师", "技术集成与示范区管理"),
            ("潘桂英", "member", "农艺师", "病虫害监测"),
        ):
            log.created(
                team.team_member_add(
                    application=returned,
                    person=Person.objects.get(name=name, organisation__name=EXTENSION),
                    kind=kind,
                    title=title,
                    duty=duty,
                    actor=applicant_nt,
                )
            )
    # Submitted before teams were recorded: their leader as named on the form.
    for title in ("茶叶加工装备视觉分拣模块研制", "社区老年人跌倒风险智能监测服务示范"):
        log.created(
            TeamMember.objects.create(
                application=apps[title],
                person=persons["林涛"],
                kind=TeamMember.Kind.LEAD,
                title="正高级工程师",
                duty="项目总体负责",
            )
        )
