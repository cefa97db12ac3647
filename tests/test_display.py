"""Words, not codes; numbers with their precision; downloads named in Chinese (issue 13)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.template import Context, Template
from django.utils import translation

from core.http import content_disposition, download, download_name
from core.numbers import format_count, format_quantity, format_rate, format_score
from funding.facts import FACTS
from projects.models import TRAIL_LABELS, Application, TransitionLog
from reviews.models import AssignmentLog, Draw

D = Decimal


def test_scores_have_two_decimals_and_quantities_none_they_do_not_need():
    assert format_score(D("80.6667")) == "80.67"
    assert format_score(D("80.665")) == "80.67"  # half up
    assert format_score(D("85")) == "85.00"
    assert format_score(None, empty="—") == "—"
    assert format_quantity(D("2.00")) == "2"
    assert format_quantity(D("1500.50")) == "1,500.5"
    assert format_quantity(D("0.25")) == "0.25"
    assert format_quantity(D("1E+3")) == "1,000"
    assert format_count(3.0) == "3"
    assert format_rate(D("0.020000")) == "2%"
    assert format_rate(D("0.000500")) == "0.05%"


def test_the_template_filters_show_the_same():
    rendered = Template(
        "{% load numbers %}{{ s|score }} {{ q|quantity }} {{ n|count }} {{ r|rate }} {{ none|score }}"
    ).render(Context({"s": D("80.6667"), "q": D("2.00"), "n": 4, "r": D("0.02"), "none": None}))
    assert rendered == "80.67 2 4 2% —"


def test_every_step_of_the_state_machine_and_of_the_trails_has_words():
    # given every transition of the application's state machine
    field = Application._meta.get_field("status")
    names = {t.name for t in field.get_all_transitions(Application)}
    # then each has a label, and so do the two steps the trail records besides
    assert names <= set(TRAIL_LABELS), names - set(TRAIL_LABELS)
    assert {"create", "formal_check"} <= set(TRAIL_LABELS)
    with translation.override("zh-hans"):
        assert (
            TransitionLog(transition="return_for_revision").get_transition_display() == "退回修改"
        )
        assert TransitionLog(transition="formal_check").get_transition_display() == "形式审查通过"
        assert TransitionLog(transition="create").get_transition_display() == "创建草稿"
        assert Draw(purpose="draw").get_purpose_display() == "随机抽取"
        assert AssignmentLog(action="paper_sheet_entered").get_action_display() == "录入纸质评分表"
        stage = Application(rejected_stage=Application.Status.REVIEWED)
        assert stage.get_rejected_stage_display() == "评审完成"


def test_a_fact_shows_the_label_of_its_choice_and_numbers_as_they_mean():
    with translation.override("zh-hans"):
        assert FACTS["named_base"].display("district") == "区（县）科协命名"
        assert FACTS["named_base"].display("none") == "未命名"
        assert FACTS["member_households"].display(236) == "236"
        assert FACTS["member_avg_income"].display("61200.00") == "61,200.00"
        assert FACTS["registered_and_inspected"].display(True) == "是"


def _parts(disposition: str) -> tuple[str, str]:
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    star = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    return plain, star


def test_a_download_is_named_in_chinese_with_an_ascii_name_for_old_clients():
    # when a workbook is offered under its Chinese name
    disposition = content_disposition(
        "评审排名-2026年度科技计划项目市级评审组.xlsx", fallback="ranking-6.xlsx"
    )
    # then the header carries both (RFC 6266 / RFC 5987)
    assert disposition.startswith("attachment; ")
    plain, star = _parts(disposition)
    assert plain == "ranking-6.xlsx"
    assert star == "评审排名-2026年度科技计划项目市级评审组.xlsx"
    assert disposition.isascii()


@pytest.mark.parametrize(
    ("title", "saved"),
    [
        ('公示名单-2026年度"科普"名单/第1批.pdf', "公示名单-2026年度_科普_名单_第1批.pdf"),
        ("任务书-RWS-2026-0001-茶园: 监测?系统.pdf", "任务书-RWS-2026-0001-茶园_ 监测_系统.pdf"),
        ("a" * 200 + ".xlsx", "a" * 120 + ".xlsx"),
    ],
)
def test_a_title_becomes_a_name_every_system_saves(title, saved):
    assert download_name(title) == saved
    plain, star = _parts(content_disposition(title, fallback='x"\\y.pdf'))
    assert star == saved
    assert plain.isascii() and '"' not in plain and "\\" not in plain


def test_the_download_response_carries_the_name():
    response = download(b"%PDF", "拨付单-BF20260000001.pdf", fallback="BF.pdf", content_type="a/b")
    assert response["Content-Type"] == "a/b"
    assert _parts(response["Content-Disposition"]) == ("BF.pdf", "拨付单-BF20260000001.pdf")
