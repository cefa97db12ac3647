"""Issue 7, acceptance 3 and 4 for the 单位 (organisations) import."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from accounts.models import Organisation
from core import importing

from .conftest import ORG_HEADER, org_code, xlsx

pytestmark = pytest.mark.django_db


def rows_with_one_bad() -> list[list[object]]:
    return [
        [org_code("a"), "杭州甲科技有限公司", "企业", "西湖区", "甲", "0571-87000001"],
        [org_code("b"), "杭州乙合作社", "农民专业合作社", "西湖区", "乙", "13800000002"],
        [org_code("c"), "杭州丙研究所", "研究所之类", "西湖区", "丙", ""],
        [org_code("d"), "杭州丁协会", "社会团体", "余杭区", "", None],
    ]


def corrected() -> list[list[object]]:
    rows = rows_with_one_bad()
    rows[2][2] = "科研院所"
    return rows


def importer() -> importing.Importer:
    return importing.get_importer("organisations")


def test_one_bad_row_imports_nothing_and_names_row_column_reason(demo_world):
    # given
    before = Organisation.objects.count()
    # when
    outcome = importing.import_file(importer(), xlsx(rows_with_one_bad(), ORG_HEADER), actor=None)
    # then
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "单位类型")]
    assert "研究所之类" in outcome.errors[0].reason
    assert "科研院所" in outcome.errors[0].reason  # says what is accepted
    assert Organisation.objects.count() == before


def test_corrected_file_imports_every_row_and_again_creates_no_duplicates(demo_world):
    before = Organisation.objects.count()
    first = importing.import_file(importer(), xlsx(corrected(), ORG_HEADER), actor=None)
    assert first.committed, first.errors
    assert (first.summary.created, first.summary.updated) == (4, 0)
    assert Organisation.objects.count() == before + 4
    research = Organisation.objects.get(credit_code=org_code("c"))
    assert research.org_type == Organisation.Type.RESEARCH
    assert research.region.name == "西湖区"
    assert Organisation.objects.get(credit_code=org_code("d")).region.name == "余杭区"

    again = importing.import_file(importer(), xlsx(corrected(), ORG_HEADER), actor=None)

    assert again.committed
    assert (again.summary.created, again.summary.updated, again.summary.unchanged) == (0, 0, 4)
    assert Organisation.objects.count() == before + 4


def test_a_changed_row_updates_the_organisation_with_that_code(demo_world):
    importing.import_file(importer(), xlsx(corrected(), ORG_HEADER), actor=None)
    rows = corrected()
    rows[0][1] = "杭州甲科技股份有限公司"
    rows[0][4] = ""  # a blank contact keeps what is stored

    outcome = importing.import_file(importer(), xlsx(rows, ORG_HEADER), actor=None)

    assert (outcome.summary.created, outcome.summary.updated) == (0, 1)
    organisation = Organisation.objects.get(credit_code=org_code("a"))
    assert organisation.name == "杭州甲科技股份有限公司"
    assert organisation.contact_name == "甲"


def test_realistic_variants_are_accepted(demo_world):
    # traditional characters, city prefix, code, stray (full-width) spaces, lower-case
    # code, English code-name headers, phone typed as a number
    header = [" credit_code ", "name", "ORG_TYPE", "region", "contact_name", "contact_phone"]
    rows = [
        [
            f" {org_code('t1').lower()}\u3000",
            "\u3000杭州餘杭某公司 ",
            "企業",
            "餘杭區",
            "王五",
            13800000003,
        ],
        [org_code("t2"), "湖州某合作社", "合作社", "湖州市南浔区", "", ""],
        [org_code("t3"), "德清某单位", "其他", 330521, "", ""],
        [org_code("t4"), "西湖某机关", "机关", " 西 湖 区 ", "", ""],
    ]

    outcome = importing.import_file(importer(), xlsx(rows, header), actor=None)

    assert outcome.committed, [str(e) for e in outcome.errors]
    first = Organisation.objects.get(credit_code=org_code("t1"))
    assert first.region.name == "余杭区"
    assert first.name == "杭州餘杭某公司"
    assert first.org_type == Organisation.Type.ENTERPRISE
    assert first.contact_phone == "13800000003"
    assert Organisation.objects.get(credit_code=org_code("t2")).region.name == "南浔区"
    assert Organisation.objects.get(credit_code=org_code("t3")).region.name == "德清县"
    assert Organisation.objects.get(credit_code=org_code("t4")).region.name == "西湖区"


def test_every_bad_row_is_listed_with_its_reason(demo_world):
    good = org_code("g")
    rows = [
        [good, "好单位", "企业", "西湖区", "", ""],
        ["91330106MA2H00001X", "校验位错", "企业", "西湖区", "", ""],  # bad check char
        [org_code("h"), "", "企业", "西湖区", "", ""],  # name missing
        [org_code("i"), "无此区", "企业", "火星区", "", ""],
        [good, "重复代码", "企业", "西湖区", "", ""],
        [org_code("j"), "电话不对", "企业", "西湖区", "", "打电话给我"],
    ]

    outcome = importing.dry_run(importer(), xlsx(rows, ORG_HEADER), actor=None)

    found = {(e.row, e.column) for e in outcome.errors}
    assert found == {
        (3, "统一社会信用代码"),
        (4, "单位名称"),
        (5, "所属区县"),
        (6, "统一社会信用代码"),
        (7, "联系电话"),
    }
    reasons = {e.row: e.reason for e in outcome.errors}
    assert "校验" in reasons[3]  # the check character, in Chinese
    assert "火星区" in reasons[5]
    assert "2" in reasons[6]  # "the same value is already on row 2"
    assert not Organisation.objects.filter(name="好单位").exists()


def test_an_officer_may_not_import_for_another_district(users):
    # given: the 西湖区 officer, a file with a 余杭区 row
    rows = [
        [org_code("x1"), "西湖单位", "企业", "西湖区", "", ""],
        [org_code("x2"), "余杭单位", "企业", "余杭区", "", ""],
    ]
    # when
    outcome = importing.import_file(
        importer(), xlsx(rows, ORG_HEADER), actor=users["district_officer"]
    )
    # then
    assert not outcome.committed
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "所属区县")]
    assert "余杭区" in outcome.errors[0].reason
    assert not Organisation.objects.filter(credit_code__in=[org_code("x1"), org_code("x2")])


def test_an_officer_may_not_take_over_an_organisation_of_another_district(users):
    # given: an organisation registered in 余杭区
    yuhang = Organisation.objects.get(name="杭州余杭径山茶叶专业合作社")
    rows = [[yuhang.credit_code, "改名", "农民专业合作社", "西湖区", "", ""]]
    # when the 西湖区 officer "moves" it into their district
    outcome = importing.import_file(
        importer(), xlsx(rows, ORG_HEADER), actor=users["district_officer"]
    )
    # then
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "统一社会信用代码")]
    yuhang.refresh_from_db()
    assert yuhang.name == "杭州余杭径山茶叶专业合作社"


def test_the_city_officer_imports_for_every_district_of_the_city(users):
    rows = [
        [org_code("y1"), "西湖单位", "企业", "西湖区", "", ""],
        [org_code("y2"), "余杭单位", "企业", "余杭区", "", ""],
        [org_code("y3"), "湖州单位", "企业", "吴兴区", "", ""],
    ]

    outcome = importing.dry_run(importer(), xlsx(rows, ORG_HEADER), actor=users["city_officer"])

    assert [(e.row, e.column) for e in outcome.errors] == [(4, "所属区县")]


def test_a_formula_looking_name_is_imported_and_exported_as_text(as_user):
    # given
    name = '=HYPERLINK("http://x","y")'
    rows = [[org_code("f"), name, "企业", "西湖区", "", ""]]
    outcome = importing.import_file(importer(), xlsx(rows, ORG_HEADER), actor=None)
    assert outcome.committed, outcome.errors
    assert Organisation.objects.filter(name=name).exists()
    # when
    response = as_user("admin").get("/organisations/export.xlsx", {"q": "HYPERLINK"})
    # then
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == name]
    assert cells, "the organisation is in the download"
    assert all(c.data_type == "s" for c in cells)


def test_a_traditional_name_with_no_way_back_is_matched(demo_world):
    # 慈谿 is how 慈溪 is written in traditional characters; no table maps 谿 back to 溪
    from accounts import services
    from accounts.models import OrgUnit

    province = OrgUnit.objects.get(code="330000")
    ningbo = services.org_unit_create(code="330200", name="宁波市", level="city", parent=province)
    cixi = services.org_unit_create(code="330282", name="慈溪市", level="district", parent=ningbo)
    rows = [[org_code("cx", "330282"), "慈谿某廠", "企業", "寧波市慈谿市", "", ""]]

    outcome = importing.import_file(importer(), xlsx(rows, ORG_HEADER), actor=None)

    assert outcome.committed, [str(e) for e in outcome.errors]
    assert Organisation.objects.get(credit_code=org_code("cx", "330282")).region == cixi
