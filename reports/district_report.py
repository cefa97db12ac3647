"""The seeds' district report as one page of PDF (区县科技三项费用使用情况): per batch
of the year, projects and amounts by instrument, then the paragraph on the recovery of
repayable funds. The figures are those of the 批次 summary (``reports.batches``), to the
fen; official Chinese whatever the reader's language."""

from __future__ import annotations

from core import clock
from core.money import format_fen
from core.pdf import Document, render
from funding.models import Instrument

from .batches import INSTRUMENT_ZH, INSTRUMENTS, BatchSummary
from .scope import ReportScope


def _yuan(fen: int) -> str:
    return format_fen(fen)


def recovery_paragraph(summary: BatchSummary) -> str:
    r = summary.recovery
    return (
        f"有偿资金收回情况：截至{clock.cn_date(r.as_of)}，逾期未还本金{_yuan(r.overdue_principal_fen)}元"
        f"（{r.overdue_accounts}户）；本年度通过催收收回{_yuan(r.dunning_fen)}元，"
        f"通过诉讼收回{_yuan(r.court_fen)}元；移送法院{r.referred_cases}户，"
        f"涉及本金{_yuan(r.referred_fen)}元；核销{_yuan(r.written_off_fen)}元。"
    )


def district_report_pdf(*, summary: BatchSummary, scope: ReportScope) -> bytes:
    instruments = [
        i for i in INSTRUMENTS if any(i in batch.by_instrument for batch in summary.batches)
    ]
    doc = Document(
        title=f"{summary.year}年度科技三项费用使用情况",
        subtitle=f"{scope.label}　（金额单位：元）",
    )
    headers = ["批次", "项目数", *[f"{INSTRUMENT_ZH[i]}" for i in instruments], "合计"]
    rows: list[list[str]] = []
    for batch in summary.batches:
        rows.append(
            [
                batch.title,
                str(batch.projects),
                *[
                    _yuan(batch.by_instrument[i].approved_fen) if i in batch.by_instrument else "—"
                    for i in instruments
                ],
                _yuan(batch.total.approved_fen),
            ]
        )
    year = dict(summary.year_rows)
    rows.append(
        [
            "全年合计",
            str(summary.year_total.projects),
            *[_yuan(year[i].approved_fen) if i in year else "—" for i in instruments],
            _yuan(summary.year_total.approved_fen),
        ]
    )
    doc.table(headers, rows)
    lines = []
    for batch in summary.batches:
        parts = "，".join(
            f"{INSTRUMENT_ZH[Instrument(i)]}{f.projects}项{_yuan(f.approved_fen)}元"
            for i, f in batch.rows
        )
        lines.append(
            f"{batch.title}：立项{batch.projects}个项目，共计{_yuan(batch.total.approved_fen)}元，"
            f"其中{parts}。"
        )
    for line in lines:
        doc.paragraph(line)
    doc.paragraph(recovery_paragraph(summary))
    doc.signature([f"数据截至{clock.cn_date(clock.today())}，立项金额为申请额减去核减"])
    return render(doc)
