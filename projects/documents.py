"""The 任务书 and the 验收证书 as PDF (through core.pdf). Official documents are Chinese."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.identifiers import mask_id_number
from core import clock
from core.money import format_fen
from core.numbers import format_quantity, format_rate
from core.pdf import Document, render

from .models import Acceptance, BudgetItem, Contract, ContractVersion, Tranche


def contract_content(contract: Contract) -> dict[str, Any]:
    """What the 任务书 says now, as plain data: kept as a ``ContractVersion`` when a
    change is approved, so that every version can be printed again as it was."""
    application = contract.application
    return {
        "organisation": application.organisation.name
        if application.organisation
        else application.applicant_name,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        # repayment runs from the end date as signed (the ledger's schedule)
        "repay_from": (
            contract.repayable.start_date if contract.repayable else contract.end_date
        ).isoformat(),
        "amount_fen": contract.amount_fen,
        "repay_principal_fen": contract.repay_principal_fen,
        "indicators": [[i.name, i.unit, str(i.target)] for i in contract.indicators.all()],
        "budget": [[b.item, b.amount_fen] for b in contract.budget.all()],
        "tranches": [
            [t.seq, t.trigger, t.amount_fen, t.repayable] for t in contract.tranches.all()
        ],
        # who leads and works on the project in this version (负责人 and 成员 change)
        "team": [
            [
                m.kind,
                m.person.name,
                mask_id_number(m.person.id_number),
                m.title,
                m.person.organisation.name if m.person.organisation else "—",
                m.duty,
            ]
            for m in application.team.in_order()
        ],
    }


def contract_pdf(contract: Contract, version: ContractVersion | None = None) -> bytes:
    """The 任务书 as it stands, or as it stood in ``version`` (its number and date printed)."""
    application = contract.application
    content = version.content if version is not None else contract_content(contract)
    number = f"任务书编号：{contract.number}"
    if version is not None:
        number += f"（第{version.number}版，{clock.cn_date(version.made_at)}）"
    doc = Document(title="项目任务书", subtitle=application.call.title, number=number)
    from .funding_models import ContractSubsidy, Loan

    subsidy = ContractSubsidy.objects.filter(contract=contract).first()
    loan = Loan.objects.filter(application=application).first()
    # the team as the version kept it (versions written before teams were kept: as now)
    team = content.get("team")
    if team is None:
        team = contract_content(contract)["team"]
    lead = next((row for row in team if row[0] == "lead"), None)
    start, end = (
        dt.date.fromisoformat(content["start_date"]),
        dt.date.fromisoformat(content["end_date"]),
    )
    doc.facts(
        [
            ("项目编号", application.number),
            ("项目名称", application.title),
            ("承担单位", content["organisation"]),
            ("所属区县", application.district.name),
            ("项目负责人", lead[1] if lead else "—"),
            ("实施期限", f"{clock.cn_date(start)} 至 {clock.cn_date(end)}"),
            ("资助金额（元）", format_fen(content["amount_fen"])),
            (
                "其中有偿使用（元）",
                format_fen(content["repay_principal_fen"])
                if content["repay_principal_fen"]
                else "—",
            ),
            ("其中贷款贴息（元）", format_fen(subsidy.amount_fen) if subsidy else "—"),
        ]
    )
    doc.heading("负责人及项目组成员")
    doc.table(
        ["", "姓名", "身份证号", "职称", "工作单位", "分工"],
        [["负责人" if kind == "lead" else "成员", *rest] for kind, *rest in team]
        or [["—", "（未填写）", "", "", "", ""]],
        widths=[16, 22, 38, 26, 42, 26],
    )
    doc.heading("一、考核指标")
    doc.table(
        ["序号", "指标", "单位", "目标值"],
        [
            [n, name, unit, format_quantity(Decimal(target))]
            for n, (name, unit, target) in enumerate(content["indicators"], start=1)
        ],
        widths=[14, 90, 26, 40],
    )
    doc.heading("二、经费预算")
    items = dict(BudgetItem.choices)
    budget = content["budget"]
    doc.table(
        ["预算科目", "金额（元）"],
        [[str(items.get(item, item)), format_fen(fen)] for item, fen in budget]
        + [["合计", format_fen(sum(fen for _item, fen in budget))]],
        widths=[100, 70],
    )
    doc.heading("三、拨款计划")
    triggers = dict(Tranche.Trigger.choices)
    doc.table(
        ["批次", "拨付条件", "金额（元）", "资金性质"],
        [
            [
                seq,
                str(triggers.get(trigger, trigger)),
                format_fen(fen),
                "有偿使用" if repayable else "无偿资助",
            ]
            for seq, trigger, fen, repayable in content["tranches"]
        ],
        widths=[16, 70, 44, 40],
    )
    if contract.repay_principal_fen:
        repay_from = dt.date.fromisoformat(content.get("repay_from", content["end_date"]))
        doc.heading("四、有偿使用资金还款条款")
        doc.paragraph(
            f"有偿使用资金 {format_fen(contract.repay_principal_fen)} 元，自 {clock.cn_date(repay_from)} 起"
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
    if version is not None and version.note:
        doc.paragraph(f"本版变更：{version.note}")
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
