"""Issue 7, acceptance 3 for the 专家 (experts) import."""

from __future__ import annotations

import pytest

from accounts.models import Person
from core import importing
from reviews.models import ExpertProfile

from .conftest import EXPERT_HEADER, person_number, xlsx

pytestmark = pytest.mark.django_db


def rows_with_one_bad() -> list[list[object]]:
    return [
        [
            "钱一",
            person_number(501),
            "杭州市农业科学研究院",
            "上城区",
            "正高",
            "农业",
            "13900000501",
            "q1@example.cn",
        ],
        ["钱二", person_number(502), "", "西湖区", "副高级", "林业、生态", "", ""],
        ["钱三", person_number(503), "不存在的单位", "余杭区", "中级", "茶叶", "", ""],
        [
            "钱四",
            person_number(504),
            "湖州师范学院",
            "吴兴区",
            "正高级",
            "水产",
            "",
            "q4@example.cn",
        ],
    ]


def corrected() -> list[list[object]]:
    rows = rows_with_one_bad()
    rows[2][2] = "杭州余杭径山茶叶专业合作社"
    return rows


def importer() -> importing.Importer:
    return importing.get_importer("experts")


def test_one_bad_row_imports_nothing_and_names_row_column_reason(demo_world):
    experts_before, persons_before = ExpertProfile.objects.count(), Person.objects.count()

    outcome = importing.import_file(
        importer(), xlsx(rows_with_one_bad(), EXPERT_HEADER), actor=None
    )

    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "工作单位")]
    assert "不存在的单位" in outcome.errors[0].reason
    assert (ExpertProfile.objects.count(), Person.objects.count()) == (
        experts_before,
        persons_before,
    )


def test_corrected_file_imports_every_row_and_again_creates_no_duplicates(demo_world):
    before = ExpertProfile.objects.count()

    first = importing.import_file(importer(), xlsx(corrected(), EXPERT_HEADER), actor=None)

    assert first.committed, [str(e) for e in first.errors]
    assert first.summary.created == 4
    assert ExpertProfile.objects.count() == before + 4
    qian1 = ExpertProfile.objects.get(person__id_number=person_number(501))
    assert qian1.title == ExpertProfile.Title.SENIOR
    assert qian1.person.organisation.name == "杭州市农业科学研究院"
    assert qian1.person.region.name == "上城区"
    qian2 = ExpertProfile.objects.get(person__id_number=person_number(502))
    assert qian2.title == ExpertProfile.Title.ASSOCIATE
    assert qian2.person.organisation is None  # a blank 工作单位 is no error

    again = importing.import_file(importer(), xlsx(corrected(), EXPERT_HEADER), actor=None)

    assert again.committed
    assert (again.summary.created, again.summary.updated, again.summary.unchanged) == (0, 0, 4)
    assert ExpertProfile.objects.count() == before + 4
    assert Person.objects.filter(id_number=person_number(501)).count() == 1


def test_a_changed_title_updates_the_expert(demo_world):
    importing.import_file(importer(), xlsx(corrected(), EXPERT_HEADER), actor=None)
    rows = corrected()
    rows[1][4] = "正高"
    rows[1][6] = "139 0000 0502"

    outcome = importing.import_file(importer(), xlsx(rows, EXPERT_HEADER), actor=None)

    assert (outcome.summary.created, outcome.summary.updated) == (0, 1)
    qian2 = ExpertProfile.objects.get(person__id_number=person_number(502))
    assert qian2.title == ExpertProfile.Title.SENIOR
    assert qian2.person.mobile == "13900000502"


def test_an_existing_person_becomes_an_expert_but_a_different_name_is_refused(demo_world):
    nominee = Person.objects.get(name="俞根土")  # a demo nominee, not an expert
    rows = [
        [nominee.name, nominee.id_number.lower(), "", "西湖区", "中级", "农技推广", "", ""],
        ["别人", Person.objects.get(name="沈建明").id_number, "", "西湖区", "中级", "农技", "", ""],
    ]

    dry = importing.dry_run(importer(), xlsx(rows, EXPERT_HEADER), actor=None)

    assert [(e.row, e.column) for e in dry.errors] == [(3, "姓名")]
    assert "沈*" in dry.errors[0].reason  # the stored name, masked
    assert not ExpertProfile.objects.filter(person=nominee).exists()  # the dry run wrote nothing

    outcome = importing.import_file(importer(), xlsx(rows[:1], EXPERT_HEADER), actor=None)
    assert outcome.committed
    assert ExpertProfile.objects.filter(person=nominee).exists()
    assert Person.objects.filter(id_number=nominee.id_number).count() == 1


def test_title_id_and_email_are_checked(demo_world):
    rows = [
        ["甲", person_number(601), "", "西湖区", "教授级", "农业", "", ""],
        ["乙", "330106198001011230", "", "西湖区", "中级", "农业", "", ""],  # bad check digit
        ["丙", person_number(603), "", "西湖区", "中级", "农业", "", "not-an-email"],
        ["丁", person_number(604), "", "西湖区", "中级", "", "", ""],
    ]

    outcome = importing.dry_run(importer(), xlsx(rows, EXPERT_HEADER), actor=None)

    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "职称"),
        (3, "身份证号"),
        (4, "邮箱"),
        (5, "专业领域"),
    ]
    assert "正高" in outcome.errors[0].reason


def test_a_district_officer_may_not_import_experts(users):
    assert not users["district_officer"].has_perm(importer().permission)
    assert users["city_officer"].has_perm(importer().permission)


def test_the_city_officer_may_not_import_experts_of_another_city(users):
    rows = [["孙七", person_number(701, "330502"), "", "吴兴区", "中级", "农业", "", ""]]

    outcome = importing.import_file(
        importer(), xlsx(rows, EXPERT_HEADER), actor=users["city_officer"]
    )

    assert [(e.row, e.column) for e in outcome.errors] == [(2, "所属区县")]
    assert not Person.objects.filter(name="孙七").exists()


def test_the_city_officer_may_not_take_over_a_person_of_another_city(users):
    wang = Person.objects.get(name="王建华")  # an expert of 吴兴区 (湖州)
    rows = [[wang.name, wang.id_number, "", "西湖区", "正高", "生物技术", "", ""]]

    outcome = importing.dry_run(importer(), xlsx(rows, EXPERT_HEADER), actor=users["city_officer"])

    assert [(e.row, e.column) for e in outcome.errors] == [(2, "身份证号")]
    wang.refresh_from_db()
    assert wang.region.name == "吴兴区"
