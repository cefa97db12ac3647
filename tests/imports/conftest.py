from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
import xlsxwriter

from demo.codes import credit_code, id_number

ORG_HEADER = ["统一社会信用代码", "单位名称", "单位类型", "所属区县", "联系人", "联系电话"]
EXPERT_HEADER = ["姓名", "身份证号", "工作单位", "所属区县", "职称", "专业领域", "手机", "邮箱"]


def xlsx(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> io.BytesIO:
    """A workbook as a user's Excel would save it: strings stay strings (also those
    starting with =), numbers are numbers, dates are date cells."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("Sheet1")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    all_rows = ([list(header)] if header is not None else []) + [list(r) for r in rows]
    for r, row in enumerate(all_rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif hasattr(value, "year"):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = "test.xlsx"
    return buffer


def org_code(seed: str, district: str = "330106") -> str:
    return credit_code(authority="91", division=district, seed=seed)


def person_number(seed: int, district: str = "330106", birth: str = "19800101") -> str:
    return id_number(division=district, birth=birth, seq=seed)


@pytest.fixture
def users(demo_world: None) -> Any:
    from accounts.models import User

    return {u.username: u for u in User.objects.all()}
