"""The 拨付单 as PDF: its Chinese text (with the amount in capital numerals, 大写) can be
read back out of the file; only those who read the disbursement may download it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from ledger import documents, services
from ledger.models import Disbursement
from ledger.money import fen_in_capitals

from .conftest import D, disbursed


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),  # 0.01
        (10, "壹角"),  # 0.10
        (1_000, "壹拾元整"),  # 10: 壹 before 拾 on payment documents
        (1_001, "壹拾元零壹分"),  # a zero 角 before a 分 is written
        (140_950, "壹仟肆佰零玖元伍角"),  # the examples of the 支付结算办法
        (600_714, "陆仟零柒元壹角肆分"),
        (1_640_902, "壹万陆仟肆佰零玖元零贰分"),
        (32_504, "叁佰贰拾伍元零肆分"),
        (10_700_053, "壹拾万柒仟元伍角叁分"),
        (10_000_000, "壹拾万元整"),  # 100000
        (18_000_000, "壹拾捌万元整"),
        (101_000_000, "壹佰零壹万元整"),
        (1_000_000_005, "壹仟万元零伍分"),  # 10000000.05
        (10_000_000_000, "壹亿元整"),
        (10_000_000_100, "壹亿零壹元整"),
        (10_010_000_110, "壹亿零壹拾万零壹元壹角"),  # 1,0010,0001.10
        (10_000_100_000, "壹亿零壹仟元整"),
        (
            999_999_999_999_999_999,
            "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
    ],
)
def test_amounts_in_capital_numerals(fen, words):
    assert fen_in_capitals(fen) == words


@pytest.mark.parametrize("fen", [-1, 10**18])
def test_capital_numerals_refuse_what_they_cannot_write(fen):
    with pytest.raises(ValueError):
        fen_in_capitals(fen)


@pytest.mark.django_db
def test_the_slip_holds_its_chinese_text_and_the_amount_in_capitals(line, maker, checker, bank):
    # given: a paid disbursement
    d = disbursed(
        line,
        maker,
        checker,
        "180000",
        payee_bank="中国农业银行杭州西湖支行",
        project_ref="KJ2026-001",
        purpose="首期拨款",
    )
    services.disbursement_pay(
        disbursement=d,
        bank_account=bank,
        paid_on=D(2026, 3, 5),
        bank_reference="ICBC-1",
        actor=maker,
    )
    d = Disbursement.objects.select_related("budget_line", "maker", "approver").get(pk=d.pk)

    # when it is printed, in whatever language the user reads the site
    from django.utils import translation

    with translation.override("en"):
        text = pdf_text(documents.disbursement_pdf(d))

    # then the text comes back out, Chinese
    for expected in (
        "财政资金拨付单",
        d.number,
        "杭州西湖智慧农业科技有限公司",
        "3301040012345678",
        "中国农业银行杭州西湖支行",
        "180,000.00",
        "人民币壹拾捌万元整",
        line.name,
        "KJ2026-001",
        "首期拨款",
        "第1批",
        "已支付",
        "2026年03月05日",
        "经办人",
        "经办 严可",
        "审核人",
        "复核 汤宁",
    ):
        assert expected in text, expected
    assert line.code not in text  # the budget line by its name, never its code


@pytest.mark.django_db
def test_readers_download_it_from_the_disbursement_page_others_do_not(books, as_user):
    d = Disbursement.objects.filter(
        status=Disbursement.Status.PAID, scope_path="/330000/330100/"
    ).first()
    url = reverse("ledger:disbursement_pdf", args=[d.pk])

    page = as_user("finance_checker").get(reverse("ledger:disbursement_detail", args=[d.pk]))
    assert url in page.content.decode()
    response = as_user("auditor").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert d.number in response["Content-Disposition"]
    assert "大写" in pdf_text(response.content)

    assert as_user("applicant").get(url).status_code == 403  # no ledger at all
    assert as_user("district_finance").get(url).status_code == 404  # the city's, not theirs
