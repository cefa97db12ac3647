"""The year-end workbook (年度报表, DESIGN §7): eight sheets (the six of the design, and
the 批次汇总 and 收回情况 of ``reports.batches``), pandas frames from
``reports.selectors`` written with XlsxWriter.

The sheet names and headers are the official Chinese ones, whatever the user's
language; so are the labels in the cells. Every sheet has a bold frozen header with an
autofilter and a note on each header saying where its figures come from; money is a
number in yuan with two decimals (integer fen until the moment it is written); the
money sheets end with a 合计 row; 区县统计 carries two charts. Text is always written as
text: "=HYPERLINK(...)" in an organisation's name stays that string, never a formula.

Which year: the applications of the calls of that year (项目汇总, 区县统计), the budget
lines of that year (预算执行), the repayable portfolio of that year (有偿资金), and the
acceptances of that year's projects or concluded in that year (验收情况, 指标完成). The
figures are the books as they stand when the workbook is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import pandas as pd
import xlsxwriter
from django.utils import translation

from core import clock
from core.money import fen_to_yuan

from . import selectors
from .batches import batch_frame, batch_summary, recovery_frame
from .scope import ReportScope

OPTIONS = {
    # Text is text: no formulas, URLs or numbers made out of strings.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

# The Chinese names of the states (DESIGN §3), as the official report writes them.
STATUS_ZH = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "退回修改",
    "district_publicity": "区县公示",
    "recommended": "已推荐",
    "under_review": "专家评审",
    "reviewed": "评审完成",
    "publicity": "立项公示",
    "approved": "已立项",
    "contracted": "已签任务书",
    "in_progress": "实施中",
    "acceptance_requested": "申请验收",
    "acceptance_review": "验收评审",
    "rectifying": "整改中",
    "accepted": "通过验收",
    "failed": "未通过验收",
    "closed": "已结项",
    "rejected": "未通过",
    "withdrawn": "已撤回",
    "disqualified": "取消资格",
    "terminated": "终止",
}
CONCLUSION_ZH = {"accept": "通过验收", "rectify": "限期整改", "fail": "不通过"}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str  # text, int, money, date, percent, score, quantity
    width: int = 12
    note: str = ""
    total: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def has_totals(self) -> bool:
        return any(c.total for c in self.columns)


PROJECTS = Sheet(
    "项目汇总",
    [
        Column("项目编号", "number", "text", 18),
        Column("项目名称", "title", "text", 36),
        Column("计划", "programme", "text", 22),
        Column("类别", "category", "text", 16),
        Column("申报单位", "applicant", "text", 32, "个人申报的类别为被推荐人姓名"),
        Column("所属区县", "district", "text", 10),
        Column("状态", "status_label", "text", 12, "写出报表时的状态"),
        Column("评审得分", "score", "score", 10, "本批次市级终审（最近一次已结束的评审组）得分"),
        Column(
            "排名",
            "rank",
            "int",
            8,
            "同一评审组内的排名，得分相同时按权重最大的评分项、提交时间排序",
        ),
        Column("立项金额", "approved_fen", "money", 14, "元；未立项为空", True),
        Column(
            "已拨付",
            "paid_fen",
            "money",
            14,
            "元；台账中已支付或已对账的拨付单合计（按项目编号）；未立项且无拨付为空",
            True,
        ),
        Column(
            "应收回", "repayable_fen", "money", 14, "元；有偿使用资金本金；无有偿资金为空", True
        ),
        Column(
            "已收回",
            "recovered_fen",
            "money",
            14,
            "元；已还本金加核销后追回金额；无有偿资金为空",
            True,
        ),
        Column("验收结论", "conclusion_label", "text", 12, "最近一次已作出结论的验收"),
    ],
)

BUDGET = Sheet(
    "预算执行",
    [
        Column("预算科目", "name", "text", 40),
        Column("年度", "year", "int", 8),
        Column("资金来源", "source", "text", 14),
        Column("资金性质", "instrument", "text", 14),
        Column(
            "预算额", "appropriation_fen", "money", 16, "元；预算指标（含调剂、上级下达）", True
        ),
        Column(
            "已承诺",
            "committed_fen",
            "money",
            16,
            "元；已承诺未支付：项目承诺余额加已审核待支付",
            True,
        ),
        Column("已拨付", "disbursed_fen", "money", 16, "元；已支付", True),
        Column(
            "可用余额",
            "available_fen",
            "money",
            16,
            "元；预算额 − 已承诺 − 已拨付 − 下达区县的指标",
            True,
        ),
    ],
)

REPAYABLE = Sheet(
    "有偿资金",
    [
        Column("项目编号", "project_ref", "text", 18),
        Column("单位", "borrower", "text", 32),
        Column("本金", "principal_fen", "money", 14, "元", True),
        Column("已还本金", "repaid_fen", "money", 14, "元", True),
        Column("应收占用费", "fee_due_fen", "money", 14, "元；截至目前已到期的占用费", True),
        Column("已收占用费", "fee_paid_fen", "money", 14, "元", True),
        Column("逾期天数", "days_overdue", "int", 10, "按还款计划，截至年末（本年度为今日）"),
        Column("账龄", "aging", "text", 12),
        Column("状态", "status", "text", 10),
    ],
)

DISTRICTS = Sheet(
    "区县统计",
    [
        Column("所属区县", "district", "text", 12),
        Column("申报数", "applied", "int", 10, "本年度批次的申报（不含草稿）", True),
        Column("推荐数", "recommended", "int", 10, "经区县推荐到市级的申报", True),
        Column("立项数", "approved", "int", 10, "", True),
        Column("立项金额", "approved_fen", "money", 16, "元", True),
        Column("拨付金额", "paid_fen", "money", 16, "元；本年度项目的已拨付合计", True),
        Column("验收通过数", "accepted", "int", 12, "本年度项目中验收结论为通过的", True),
    ],
)

ACCEPTANCE = Sheet(
    "验收情况",
    [
        Column("项目编号", "number", "text", 18),
        Column("项目名称", "title", "text", 36),
        Column("验收结论", "conclusion", "text", 12, "尚未作出结论为空"),
        Column("指标完成率", "completion_pct", "percent", 12),
        Column("验收日期", "concluded_on", "date", 12, "作出验收结论的日期"),
    ],
)

INDICATORS = Sheet(
    "指标完成",
    [
        Column("项目编号", "number", "text", 18),
        Column("指标", "indicator", "text", 30),
        Column("单位", "unit", "text", 8),
        Column("目标值", "target", "quantity", 12),
        Column("完成值", "actual", "quantity", 12, "验收报告填报的完成值"),
        Column("完成率", "rate", "percent", 10, "完成值 ÷ 目标值，最高 100%"),
    ],
)

BATCHES = Sheet(
    "批次汇总",
    [
        Column("批次", "batch", "text", 36, "本年度的申报批次（计划下达的批次）"),
        Column("文号", "document_no", "text", 20),
        Column("计划", "programme", "text", 22),
        Column("资金性质", "instrument", "text", 12, "无偿资助、贷款贴息、有偿资助、以奖代补"),
        Column(
            "项目数",
            "projects",
            "int",
            10,
            "该批次立项的项目中获得此类资金的项目数；一个项目可同时获得几类资金",
        ),
        Column("立项金额", "approved_fen", "money", 16, "元；申请额减去核减", True),
        Column(
            "已承诺",
            "committed_fen",
            "money",
            16,
            "元；台账中任务书承诺（减去已释放的）；有偿资助为借款本金",
            True,
        ),
        Column(
            "已拨付",
            "paid_fen",
            "money",
            16,
            "元；已支付或已对账的拨付单，按预算科目的资金性质",
            True,
        ),
    ],
)

RECOVERY = Sheet(
    "收回情况",
    [
        Column(
            "项目",
            "figure",
            "text",
            16,
            "年末逾期本金：有偿资金表中年末逾期账户的未还本金；催收收回、诉讼收回：本年度按收回途径"
            "入账的还款；移送法院：本年度移送法院的案件移送时的未还本金；核销：本年度核销入账金额",
        ),
        Column("金额", "amount_fen", "money", 16, "元；取自台账"),
        Column("户数", "count", "int", 10, "逾期账户数、移送法院的案件数"),
    ],
)

SHEETS = (PROJECTS, BUDGET, REPAYABLE, DISTRICTS, ACCEPTANCE, INDICATORS, BATCHES, RECOVERY)


@dataclass
class YearEndData:
    year: int
    scope: ReportScope
    projects: pd.DataFrame
    budget: pd.DataFrame
    repayable: pd.DataFrame
    districts: pd.DataFrame
    acceptance: pd.DataFrame
    indicators: pd.DataFrame
    batches: pd.DataFrame
    recovery: pd.DataFrame


def year_end_data(*, scope: ReportScope, year: int) -> YearEndData:
    """Every figure of the workbook, read in a fixed number of queries."""
    with translation.override("zh-hans"):
        projects = selectors.project_summary(scope=scope, year=year)
        projects["status_label"] = [STATUS_ZH.get(s, s) for s in projects["status"].tolist()]
        projects["conclusion_label"] = [CONCLUSION_ZH.get(c, c) for c in projects["conclusion"]]
        acceptance, indicators = selectors.acceptance_frames(scope=scope, year=year)
        acceptance["conclusion"] = [CONCLUSION_ZH.get(c, c) for c in acceptance["conclusion"]]
        summary = batch_summary(scope=scope, year=year)
        return YearEndData(
            year=year,
            scope=scope,
            projects=projects,
            budget=selectors.budget_frame(scope=scope, year=year),
            repayable=selectors.repayable_frame(scope=scope, year=year),
            districts=selectors.district_statistics(scope=scope, projects=projects),
            acceptance=acceptance,
            indicators=indicators,
            batches=batch_frame(summary),
            recovery=recovery_frame(summary.recovery),
        )


# --- writing ----------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


class _Writer:
    def __init__(self, book: Any) -> None:
        self.book = book
        header = {"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True}
        self.formats = {
            "header": book.add_format(header),
            "money": book.add_format({"num_format": "#,##0.00"}),
            "int": book.add_format({"num_format": "0"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "percent": book.add_format({"num_format": "0.00%"}),
            "score": book.add_format({"num_format": "0.00"}),
            # a quantity as entered: 300 亩, 2.5 件 (no ".00" and no trailing ".")
            "quantity": book.add_format({"num_format": "#,##0.##"}),
            "whole": book.add_format({"num_format": "#,##0"}),
            "total_label": book.add_format({"bold": True, "top": 1}),
            "total_money": book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"}),
            "total_int": book.add_format({"bold": True, "top": 1, "num_format": "0"}),
        }

    def cell_writer(self, sheet: Any, kind: str) -> Callable[[int, int, Any], None]:
        f = self.formats

        def text(row: int, col: int, value: Any) -> None:
            if value != "":
                sheet.write_string(row, col, str(value))

        def money(row: int, col: int, fen: Any) -> None:
            # The one place a fen amount becomes a float: an Excel number cell.
            sheet.write_number(row, col, float(fen_to_yuan(int(fen)) or 0), f["money"])

        def integer(row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, int(value), f["int"])

        def decimal(fmt: Any) -> Callable[[int, int, Any], None]:
            def write(row: int, col: int, value: Any) -> None:
                sheet.write_number(row, col, float(Decimal(value)), fmt)

            return write

        def quantity(row: int, col: int, value: Any) -> None:
            number = Decimal(value)
            whole = number == number.to_integral_value()
            sheet.write_number(row, col, float(number), f["whole" if whole else "quantity"])

        def percent_of_100(row: int, col: int, value: Any) -> None:
            sheet.write_number(row, col, float(Decimal(value) / 100), f["percent"])

        def date(row: int, col: int, value: Any) -> None:
            day = dt.datetime(value.year, value.month, value.day)
            sheet.write_datetime(row, col, day, f["date"])

        return {
            "text": text,
            "money": money,
            "int": integer,
            "score": decimal(f["score"]),
            "quantity": quantity,
            "percent": decimal(f["percent"]),
            "percent_of_100": percent_of_100,
            "date": date,
        }[kind]

    def sheet(self, spec: Sheet, frame: pd.DataFrame, *, percent_of_100: Sequence[str] = ()) -> Any:
        sheet = self.book.add_worksheet(spec.name)
        for col, column in enumerate(spec.columns):
            sheet.set_column(col, col, column.width)
        sheet.set_row(0, 30)
        for col, column in enumerate(spec.columns):
            sheet.write_string(0, col, column.header, self.formats["header"])
            # In constant-memory mode a row cannot be touched once the next one is
            # written, so the header notes go in now.
            if column.note:
                sheet.write_comment(0, col, column.note, {"x_scale": 2, "y_scale": 1.2})
        writers = [
            self.cell_writer(
                sheet, "percent_of_100" if column.field in percent_of_100 else column.kind
            )
            for column in spec.columns
        ]
        columns = [frame[c.field].tolist() for c in spec.columns]
        n = 0
        for n, values in enumerate(zip(*columns, strict=True), start=1):
            for col, value in enumerate(values):
                if not _missing(value):
                    writers[col](n, col, value)
        if spec.has_totals:
            self._totals(sheet, spec, columns, n + 1)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(n, 1), len(spec.columns) - 1)
        return sheet

    def _totals(self, sheet: Any, spec: Sheet, columns: list[list[Any]], row: int) -> None:
        sheet.write_string(row, 0, "合计", self.formats["total_label"])
        for col, column in enumerate(spec.columns):
            if not column.total:
                continue
            known = [int(v) for v in columns[col] if not _missing(v)]
            if not known:
                continue
            if column.kind == "money":
                value = float(fen_to_yuan(sum(known)) or 0)
                sheet.write_number(row, col, value, self.formats["total_money"])
            else:
                sheet.write_number(row, col, sum(known), self.formats["total_int"])


def _district_charts(book: Any, sheet: Any, n: int) -> None:
    if n == 0:
        return
    name = DISTRICTS.name
    counts = book.add_chart({"type": "column"})
    for col in (1, 2, 3):
        counts.add_series(
            {
                "name": [name, 0, col],
                "categories": [name, 1, 0, n, 0],
                "values": [name, 1, col, n, col],
            }
        )
    counts.set_title({"name": "各区县申报、推荐与立项数"})
    counts.set_y_axis({"name": "项", "major_gridlines": {"visible": True}})
    counts.set_legend({"position": "bottom"})
    counts.set_size({"width": 720, "height": 320})
    sheet.insert_chart(1, 8, counts)
    money = book.add_chart({"type": "column"})
    for col in (4, 5):
        money.add_series(
            {
                "name": [name, 0, col],
                "categories": [name, 1, 0, n, 0],
                "values": [name, 1, col, n, col],
            }
        )
    money.set_title({"name": "各区县立项与拨付金额（元）"})
    money.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
    money.set_legend({"position": "bottom"})
    money.set_size({"width": 720, "height": 320})
    sheet.insert_chart(18, 8, money)


def write_workbook(data: YearEndData, target: str | IO[bytes]) -> None:
    """Writes the workbook to a path or a binary file object. Rows are streamed
    (XlsxWriter's constant-memory mode), so memory does not grow with the rows."""
    book = xlsxwriter.Workbook(target, {**OPTIONS, "constant_memory": True})
    written = clock.now()
    book.set_properties(
        {
            "title": f"{data.year}年度报表",
            "subject": data.scope.label,
            "comments": f"数据截至 {clock.iso_datetime(written)}（北京时间）；范围：{data.scope.label}",
            "created": clock.naive_local(written),
        }
    )
    writer = _Writer(book)
    writer.sheet(PROJECTS, data.projects)
    writer.sheet(BUDGET, data.budget)
    writer.sheet(REPAYABLE, data.repayable)
    districts = writer.sheet(DISTRICTS, data.districts)
    _district_charts(book, districts, len(data.districts))
    writer.sheet(ACCEPTANCE, data.acceptance, percent_of_100=("completion_pct",))
    writer.sheet(INDICATORS, data.indicators)
    writer.sheet(BATCHES, data.batches)
    writer.sheet(RECOVERY, data.recovery)
    book.close()


def year_end_workbook(*, scope: ReportScope, year: int, target: str | IO[bytes]) -> YearEndData:
    data = year_end_data(scope=scope, year=year)
    write_workbook(data, target)
    return data
