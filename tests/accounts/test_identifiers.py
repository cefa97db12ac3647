"""Acceptance 4 of the foundation: identifiers are validated by check digit,
normalised, and refused with a message naming the field."""

from __future__ import annotations

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
    validate_credit_code,
    validate_id_number,
)
from accounts.models import Organisation, OrgUnit, Person
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
