"""The demo world, built once for the reports tests and rolled back after them
(see ``tests.conftest.whole_demo_world``)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import whole_demo_world

SHEETS = {
    "项目汇总": [
        "项目编号",
        "项目名称",
        "计划",
        "类别",
        "申报单位",
        "所属区县",
        "状态",
        "评审得分",
        "排名",
        "立项金额",
        "已拨付",
        "应收回",
        "已收回",
        "验收结论",
    ],
    "预算执行": [
        "预算科目",
        "年度",
        "资金来源",
        "资金性质",
        "预算额",
        "已承诺",
        "已拨付",
        "可用余额",
    ],
    "有偿资金": [
        "项目编号",
        "单位",
        "本金",
        "已还本金",
        "应收占用费",
        "已收占用费",
        "逾期天数",
        "账龄",
        "状态",
    ],
    "区县统计": ["所属区县", "申报数", "推荐数", "立项数", "立项金额", "拨付金额", "验收通过数"],
    "验收情况": ["项目编号", "项目名称", "验收结论", "指标完成率", "验收日期"],
    "指标完成": ["项目编号", "指标", "单位", "目标值", "完成值", "完成率"],
    "批次汇总": ["批次", "文号", "计划", "资金性质", "项目数", "立项金额", "已承诺", "已拨付"],
    "收回情况": ["项目", "金额", "户数"],
}


demo_books = pytest.fixture(scope="package")(whole_demo_world)


@pytest.fixture
def demo(demo_books: Any, db: Any) -> None:
    """The demo world, in this test's transaction."""


def read_book(source: Any) -> openpyxl.Workbook:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, Path):
        source = str(source)
    return openpyxl.load_workbook(source)


def rows_of(book: openpyxl.Workbook, sheet: str) -> list[dict[str, Any]]:
    """The data rows of a sheet as header → value, without the 合计 row."""
    cells = list(book[sheet].iter_rows(values_only=True))
    headers = list(cells[0])
    return [dict(zip(headers, row, strict=True)) for row in cells[1:] if row[0] != "合计"]


def totals_of(book: openpyxl.Workbook, sheet: str) -> dict[str, Any]:
    cells = list(book[sheet].iter_rows(values_only=True))
    last = cells[-1]
    assert last[0] == "合计", f"{sheet} has no totals row"
    return dict(zip(cells[0], last, strict=True))


def fen(value: Any) -> int | None:
    """A yuan number read back from a cell, as fen (exact: the cell holds two decimals)."""
    if value is None:
        return None
    return int((Decimal(repr(value)) * 100).to_integral_value())
