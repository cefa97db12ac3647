"""The 拨付单 (disbursement slip) as PDF, through the shared ``core.pdf`` helper.

Official documents are Chinese whatever language the person downloading it reads
the site in: the labels are Chinese here, and the status is rendered in Chinese.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from core import clock
from core.pdf import Document, render

from .models import Disbursement, DunningStep
from .money import fen_in_capitals, format_fen


def _when(moment: dt.datetime | None) -> str:
    return clock.cn_datetime(moment, empty="—")


def disbursement_pdf(disbursement: Disbursement) -> bytes:
    d = disbursement
    line = d.budget_line
    with translation.override("zh-hans"):
        status = str(d.get_status_display())
    doc = Document(
        title="财政资金拨付单",
        subtitle=line.name,
        number=f"拨付单编号：{d.number}",
    )
    doc.facts(
        [
            ("填制日期", clock.cn_date(d.created_at)),
            ("收款单位", d.payee_name),
            ("收款账号", d.payee_account),
            ("开户银行", d.payee_bank or "—"),
            ("金额（小写）", f"￥{format_fen(d.amount_fen)}"),
            ("金额（大写）", f"人民币{fen_in_capitals(d.amount_fen)}"),
            ("预算科目", line.name),
            ("项目编号", d.project_ref or "—"),
            ("用途", d.purpose or "—"),
            ("拨付批次", f"第{d.tranche_no}批"),
            ("状态", status),
            ("付款账户", str(d.bank_account) if d.bank_account else "—"),
            ("支付日期", clock.cn_date(d.paid_on, empty="—")),
            ("银行流水号", d.bank_reference or "—"),
            ("审核意见", d.decision_note or "—"),
        ]
    )
    if d.approver is not None:
        approver = f"{d.approver}　{_when(d.approved_at)}"
    elif d.status in (Disbursement.Status.DRAFT, Disbursement.Status.SUBMITTED):
        approver = "（待审核）"
    else:
        approver = "—"
    doc.signature([f"经办人：{d.maker}　{_when(d.created_at)}", f"审核人：{approver}"])
    return render(doc)


def dunning_notice_pdf(step: DunningStep) -> bytes:
    """催收通知书: what was overdue on the notice's date (as the ledger stood), in figures
    and in capitals, the day to pay by and the office that issues it."""
    account = step.account
    doc = Document(title="催收通知书", number=f"编号：{step.letter_no}")
    doc.paragraph(f"{account.borrower_name}：")
    doc.paragraph(
        f"你单位承担的项目（项目编号 {account.project_ref}）使用的有偿资金"
        f"（借款编号 {account.number}，本金￥{format_fen(account.principal_fen)}），"
        f"截至{clock.cn_date(step.step_date)}已逾期未还，明细如下："
    )
    doc.table(
        ["项目", "金额（元）", "金额（大写）"],
        [
            (label, format_fen(fen), f"人民币{fen_in_capitals(fen)}")
            for label, fen in (
                ("逾期本金", step.principal_overdue_fen),
                ("应付未付占用费", step.fee_overdue_fen),
                ("逾期占用费", step.penalty_fen),
                ("合计", step.owed_fen),
            )
        ],
    )
    doc.paragraph(
        f"请于{clock.cn_date(step.pay_by)}前将上述款项足额汇入指定账户。"
        "逾期占用费按日计收至实际还款日；逾期仍不归还的，我局将依法移送人民法院处理。"
    )
    if step.text:
        doc.paragraph(step.text)
    doc.signature([step.office, clock.cn_date(step.step_date)])
    return render(doc)
