"""The 任务书 and the 验收证书 as PDF (through core.pdf). Official documents are Chinese."""

from __future__ import annotations

from core import clock
from core.money import format_fen
from core.numbers import format_quantity, format_rate
from core.pdf import Document, render

from .models import Acceptance, Contract


def contract_pdf(contract: Contract) -> bytes:
    from .funding_models import ContractSubsidy, Loan

    application = contract.application
    subsidy = ContractSubsidy.objects.filter(contract=contract).first()
    loan = Loan.objects.filter(application=application).first()
    doc = Document(
        title="项目任务书", subtitle=application.call.title, number=f"任务书编号：{contract.number}"
    )
    doc.facts(
        [
            ("项目编号", application.number),
            ("项目名称", application.title),
            (
                "承担单位",
                application.organisation.name
                if application.organisation
                else application.applicant_name,
            ),
            ("所属区县", application.district.name),
            (
                "实施期限",
                f"{clock.cn_date(contract.start_date)} 至 {clock.cn_date(contract.end_date)}",
            ),
            ("资助金额（元）", format_fen(contract.amount_fen)),
            (
                "其中有偿使用（元）",
                format_fen(contract.repay_principal_fen) if contract.repay_principal_fen else "—",
            ),
            ("其中贷款贴息（元）", format_fen(subsidy.amount_fen) if subsidy else "—"),
        ]
    )
    doc.heading("一、考核指标")
    doc.table(
        ["序号", "指标", "单位", "目标值"],
        [
            [n, i.name, i.unit, format_quantity(i.target)]
            for n, i in enumerate(contract.indicators.all(), start=1)
        ],
        widths=[14, 90, 26, 40],
    )
    doc.heading("二、经费预算")
    budget = list(contract.budget.all())
    doc.table(
        ["预算科目", "金额（元）"],
        [[b.get_item_display(), format_fen(b.amount_fen)] for b in budget]
        + [["合计", format_fen(sum(b.amount_fen for b in budget))]],
        widths=[100, 70],
    )
    doc.heading("三、拨款计划")
    doc.table(
        ["批次", "拨付条件", "金额（元）", "资金性质"],
        [
            [
                t.seq,
                t.get_trigger_display(),
                format_fen(t.amount_fen),
                "有偿使用" if t.repayable else "无偿资助",
            ]
            for t in contract.tranches.all()
        ],
        widths=[16, 70, 44, 40],
    )
    if contract.repay_principal_fen:
        doc.heading("四、有偿使用资金还款条款")
        doc.paragraph(
            f"有偿使用资金 {format_fen(contract.repay_principal_fen)} 元，自 {clock.cn_date(contract.end_date)} 起"
            f"{contract.repay_term_months} 个月内归还（宽限期 {contract.repay_grace_months or 0} 个月，"
            f"每 {contract.repay_period_months or 6} 个月一期，{contract.get_repay_method_display()}），"
            f"年占用费率 {format_rate(contract.fee_rate or 0)}，"
            f"逾期按日 {format_quantity((contract.overdue_rate or 0) * 10000)}‱ 计收逾期占用费。"
        )
    if subsidy is not None and loan is not None:
        programme = application.call.programme
        rule = f"按实付利息的 {format_quantity(programme.subsidy_share_pct)}%"
        if programme.subsidy_cap_at_benchmark and programme.subsidy_benchmark_rate:
            rule += (
                f"、且不超过按基准年利率 {format_rate(programme.subsidy_benchmark_rate)} 计算的利息"
            )
        doc.heading("贷款贴息条款")
        doc.paragraph(
            f"贷款贴息 {format_fen(subsidy.amount_fen)} 元，对应 {loan.bank} 借款合同 {loan.contract_no}"
            f"（本金 {format_fen(loan.principal_fen)} 元，年利率 {format_rate(loan.annual_rate)}，"
            f"{clock.cn_date(loan.start_date)} 起 {loan.term_months} 个月）。"
            f"凭银行付息凭证{rule}拨付，累计不超过核定贴息额；同一凭证、同一计息期只贴息一次。"
        )
    doc.paragraph(
        "承担单位应按本任务书组织实施，按期报送进展报告，项目结束后申请验收；"
        "经费专款专用，预算调剂须经批准。"
    )
    doc.signature(
        [
            f"承担单位确认：{contract.confirmed_by or '（待确认）'} {clock.cn_date(contract.confirmed_at)}"
            if contract.confirmed_at
            else "承担单位确认：（待确认）",
            f"项目管理单位签章：{contract.signed_by or '（待签署）'} {clock.cn_date(contract.signed_at)}"
            if contract.signed_at
            else "项目管理单位签章：（待签署）",
        ]
    )
    return render(doc)


def certificate_pdf(acceptance: Acceptance) -> bytes:
    application = acceptance.application
    doc = Document(
        title="验收证书",
        subtitle=application.call.title,
        number=f"证书编号：{acceptance.certificate_number}",
    )
    doc.facts(
        [
            ("项目编号", application.number),
            ("项目名称", application.title),
            (
                "承担单位",
                application.organisation.name
                if application.organisation
                else application.applicant_name,
            ),
            ("验收结论", acceptance.get_conclusion_display()),
            ("指标完成率", f"{acceptance.completion_pct}%"),
            ("验收日期", clock.cn_date(acceptance.concluded_at)),
        ]
    )
    doc.paragraph(
        f"经专家组验收评审和财务验收，“{application.title}”完成了任务书规定的主要考核指标，"
        "经费使用基本规范，同意通过验收。"
    )
    doc.signature(
        [
            f"{application.call.programme.owner_unit.name}科学技术协会（验收专用章）",
            clock.cn_date(acceptance.concluded_at),
        ]
    )
    return render(doc)
