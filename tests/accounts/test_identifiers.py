"""Acceptance 4 of the foundation: identifiers are validated by check digit,
normalised, and refused with a message naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.identifiers import (
    CREDIT_CODE_CHARSET,
    credit_code_check_char,
    id_number_check_char,
    mask_id_number,
    normalise,
    validate_credit_code,
    validate_id_number,
)
from accounts.models import Organisation, OrgUnit, Person, User
from core import clock

# Published examples with known check characters.
VALID_CREDIT_CODE = "91350100M000100Y43"
VALID_ID_NUMBER = "11010519491231002X"


def test_known_good_identifiers_pass():
    validate_credit_code(VALID_CREDIT_CODE)
    validate_id_number(VALID_ID_NUMBER)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check"),
        ("91350100M000100Y4", "length"),
        ("91350100M0001O0Y43", "charset"),  # letter O is not in the charset
        ("91ABCDEFM000100Y43", "division"),
    ],
)
def test_bad_credit_codes_say_why(code, reason):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert info.value.code == reason


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check"),
        ("110105194913310024", "birth"),  # month 13
        ("11010519491231002", "format"),
        ("11010519491231002Y", "format"),
    ],
)
def test_bad_id_numbers_say_why(number, reason):
    with pytest.raises(ValidationError) as info:
        validate_id_number(number)
    assert info.value.code == reason


def test_an_id_number_born_after_today_is_refused():
    with clock.frozen(dt.date(2026, 11, 23)):
        for birth, ok in (("20261123", True), ("20261124", False)):
            first17 = f"330106{birth}002"
            number = first17 + id_number_check_char(first17)
            if ok:
                validate_id_number(number)
            else:
                with pytest.raises(ValidationError) as info:
                    validate_id_number(number)
                assert info.value.code == "birth"


@given(
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=2, max_size=2),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.text(alphabet=CREDIT_CODE_CHARSET, min_size=9, max_size=9),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(CREDIT_CODE_CHARSET),
)
def test_any_single_character_change_of_a_credit_code_is_caught(head, division, tail, pos, char):
    first17 = head + division + tail
    code = first17 + credit_code_check_char(first17)
    validate_credit_code(code)
    mutated = code[:pos] + char + code[pos + 1 :]
    if mutated != code:
        with pytest.raises(ValidationError):
            validate_credit_code(mutated)


import datetime as dt  # noqa: E402


@given(
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    st.integers(0, 999),
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_any_single_digit_change_of_an_id_number_is_caught(division, birth, seq, pos, char):
    first17 = f"{division}{birth:%Y%m%d}{seq:03d}"
    number = first17 + id_number_check_char(first17)
    validate_id_number(number)
    mutated = number[:pos] + char + number[pos + 1 :]
    if mutated != number and not (pos < 17 and char == "X"):
        with pytest.raises(ValidationError):
            validate_id_number(mutated)


def test_masking_keeps_region_and_last_four():
    assert mask_id_number("110101199003071234") == "110101********1234"


@pytest.mark.django_db
def test_invalid_credit_code_in_the_form_names_the_field(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("organisation_create"),
        {
            "credit_code": "91350100M000100Y44",
            "name": "测试单位",
            "org_type": "enterprise",
            "region": district.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["credit_code"]
    page = response.content.decode()
    assert "统一社会信用代码" in page and "校验" in page
    assert not Organisation.objects.filter(name="测试单位").exists()


@pytest.mark.django_db
def test_credit_code_typed_in_lower_case_with_spaces_is_normalised(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("organisation_create"),
        {
            "credit_code": " 9135 0100m0 00100y43 ",
            "name": "测试单位",
            "org_type": "enterprise",
            "region": district.pk,
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="测试单位").credit_code == VALID_CREDIT_CODE


@pytest.mark.django_db
def test_invalid_id_number_in_the_form_names_the_field(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("person_create"),
        {
            "name": "测试",
            "id_number": "110105194912310021",
            "region": district.pk,
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["id_number"]
    # the message itself names the field and the reason, and the page shows it
    assert response.context["form"].errors["id_number"] == ["身份证号校验位错误，请核对。"]
    assert "身份证号校验位错误" in response.content.decode()
    assert not Person.objects.filter(name="测试").exists()


@pytest.mark.django_db
def test_id_number_typed_with_lower_case_x_and_spaces_is_normalised(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("person_create"),
        {
            "name": "测试",
            "id_number": "110105 19491231 002x",
            "region": district.pk,
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="测试")
    assert person.id_number == VALID_ID_NUMBER
    # and it is shown masked to the officer, in full to admin
    page = (
        as_user("district_officer").get(reverse("person_detail", args=[person.pk])).content.decode()
    )
    assert "110105********002X" in page and VALID_ID_NUMBER not in page
    page = as_user("admin").get(reverse("person_detail", args=[person.pk])).content.decode()
    assert VALID_ID_NUMBER in page


@pytest.mark.django_db
def test_downloads_mask_id_numbers_even_for_admin(as_user):
    from io import BytesIO

    from openpyxl import load_workbook

    response = as_user("admin").get(reverse("person_export"))
    rows = list(
        load_workbook(BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)
    )
    assert rows
    full = set(Person.objects.values_list("id_number", flat=True))
    for row in rows:
        assert row[1] not in full
        assert "********" in row[1]


@pytest.mark.django_db
def test_service_refuses_a_bad_code_even_without_the_form(demo_world):
    from accounts import services

    with pytest.raises(ValidationError) as info:
        services.organisation_create(
            credit_code="91350100M000100Y44",
            name="x",
            org_type="other",
            region=OrgUnit.objects.get(code="330106"),
        )
    assert "credit_code" in info.value.error_dict


# --- digits other than 0–9 (issue 12, item 4) ---------------------------------------

# 330106 19800101 123 X, its 16th digit typed as a superscript two (the example)
SUPERSCRIPT_ID = "330106198001011²3X"
NOT_ASCII_DIGITS = [
    ("²", "superscript two"),
    ("٣", "Arabic-Indic three"),
    ("३", "Devanagari three"),
    ("①", "circled one"),
    ("𝟑", "mathematical bold three"),
]


def good_id(seq: int = 123) -> str:
    first17 = f"33010619800101{seq:03d}"
    return first17 + id_number_check_char(first17)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(("digit", "_name"), NOT_ASCII_DIGITS)
def test_an_id_number_with_a_digit_other_than_0_to_9_is_refused_naming_it(digit, _name):
    number = good_id()
    with pytest.raises(ValidationError) as info:
        validate_id_number(number[:15] + digit + number[16:])
    assert info.value.code == "digits"
    assert info.value.messages == [f"身份证号中的“{digit}”不是 0–9 的数字，请用普通数字重新输入。"]


@pytest.mark.parametrize(("digit", "_name"), NOT_ASCII_DIGITS)
def test_a_credit_code_with_a_digit_other_than_0_to_9_is_refused_naming_it(digit, _name):
    code = VALID_CREDIT_CODE
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code[:4] + digit + code[5:])
    assert info.value.code == "digits"
    assert info.value.messages == [
        f"统一社会信用代码中的“{digit}”不是 0–9 的数字，请用普通数字重新输入。"
    ]


def test_full_width_digits_and_letters_are_read_as_ascii():
    # a Chinese input method in full-width mode types these
    assert normalise(full_width(VALID_ID_NUMBER)) == VALID_ID_NUMBER
    validate_id_number(full_width(VALID_ID_NUMBER))
    validate_credit_code(full_width(VALID_CREDIT_CODE.lower()))


@given(st.text(max_size=30))
def test_any_text_is_either_an_identifier_or_refused_with_a_message(text):
    for validate in (validate_id_number, validate_credit_code):
        try:
            validate(text)
        except ValidationError as error:
            assert error.messages


@pytest.mark.django_db
def test_the_person_form_refuses_a_superscript_digit_instead_of_a_500(as_user):
    # given
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")

    # when
    response = client.post(
        reverse("person_create"),
        {"name": "上标", "id_number": SUPERSCRIPT_ID, "region": district.pk},
    )

    # then
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"] == [
        "身份证号中的“²”不是 0–9 的数字，请用普通数字重新输入。"
    ]
    assert not Person.objects.filter(name="上标").exists()


@pytest.mark.django_db
def test_the_person_form_reads_full_width_digits(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("person_create"),
        {"name": "全角", "id_number": full_width(good_id(124)), "region": district.pk},
    )
    assert response.status_code == 302
    assert Person.objects.get(name="全角").id_number == good_id(124)


@pytest.mark.django_db
def test_the_organisation_form_refuses_an_arabic_indic_digit(as_user):
    client = as_user("district_officer")
    district = OrgUnit.objects.get(code="330106")
    response = client.post(
        reverse("organisation_create"),
        {
            "credit_code": VALID_CREDIT_CODE[:4] + "٣" + VALID_CREDIT_CODE[5:],
            "name": "外文数字",
            "org_type": "enterprise",
            "region": district.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"] == [
        "统一社会信用代码中的“٣”不是 0–9 的数字，请用普通数字重新输入。"
    ]
    assert not Organisation.objects.filter(name="外文数字").exists()


def _expert_file(id_number: str) -> Any:
    from tests.imports.conftest import EXPERT_HEADER, xlsx

    file = xlsx([["上标专家", id_number, "", "西湖区", "正高级", "农业", "", ""]], EXPERT_HEADER)
    file.name = "专家.xlsx"
    return file


@pytest.mark.django_db
def test_the_experts_import_dry_run_refuses_a_superscript_digit_on_its_row(as_user):
    # when
    response = as_user("city_officer").post(
        "/imports/experts/", {"file": _expert_file(SUPERSCRIPT_ID)}
    )

    # then
    assert response.status_code == 200
    errors = response.context["outcome"].errors
    assert [(e.row, e.column, e.reason) for e in errors] == [
        (2, "身份证号", "身份证号中的“²”不是 0–9 的数字，请用普通数字重新输入。")
    ]


@pytest.mark.django_db
def test_import_xlsx_refuses_a_superscript_digit_without_a_traceback(demo_world, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    # given
    path = tmp_path / "专家.xlsx"
    path.write_bytes(_expert_file(SUPERSCRIPT_ID).getvalue())

    # when
    with pytest.raises(CommandError) as refused:
        call_command("import_xlsx", "--kind", "experts", str(path), "--commit")

    # then
    assert refused.value.returncode == 1
    out = capsys.readouterr().out
    assert "2\t身份证号\t身份证号中的“²”不是 0–9 的数字，请用普通数字重新输入。" in out
    assert not Person.objects.filter(name="上标专家").exists()


@pytest.mark.django_db
def test_the_experts_import_reads_full_width_digits(demo_world):
    from core import importing

    outcome = importing.dry_run(
        importing.get_importer("experts"), _expert_file(full_width(good_id(125))), actor=None
    )
    assert not outcome.errors
    assert outcome.result.rows[0]["id_number"] == good_id(125)


@pytest.mark.django_db
def test_the_organisations_import_refuses_a_circled_digit(demo_world):
    from core import importing
    from tests.imports.conftest import ORG_HEADER, xlsx

    code = VALID_CREDIT_CODE[:4] + "①" + VALID_CREDIT_CODE[5:]
    file = xlsx([[code, "圈数字", "企业", "西湖区", "", ""]], ORG_HEADER)
    outcome = importing.dry_run(importing.get_importer("organisations"), file, actor=None)
    assert [e.reason for e in outcome.errors] == [
        "统一社会信用代码中的“①”不是 0–9 的数字，请用普通数字重新输入。"
    ]


# Other numbers typed by a user and read with isdigit(): a selection, a draw's seed.


@pytest.mark.django_db
def test_a_selection_of_applications_with_odd_digits_is_no_500(as_user):
    response = as_user("district_officer").post(
        reverse("notice_create"), {"selected": ["²", "٣", "9" * 40], "starts_on": "2026-12-01"}
    )
    assert response.status_code == 302  # back to the queue: "select at least one"


@pytest.mark.django_db
def test_a_draw_seed_with_odd_digits_is_no_500(demo_world):
    from django.test import Client

    from reviews.models import Assignment
    from tests.reviews.conftest import city_panel, recommended

    panel = city_panel(recommended(1), size=2)
    client = Client()
    client.force_login(User.objects.get(username="city_officer"))
    response = client.post(
        reverse("reviews:panel_action", args=[panel.pk, "draw"]), {"seed": "1²"}, follow=True
    )
    assert response.status_code == 200
    assert "种子" in response.content.decode()  # the seed's own form error, in Chinese
    assert not Assignment.objects.filter(item__panel=panel).exists()  # nothing drawn
