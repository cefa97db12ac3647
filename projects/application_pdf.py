"""申报书: the application printed as the office's form (through core.pdf), to be signed
by the 项目负责人 and stamped by the applicant organisation. Official documents are
Chinese whatever the reader's language. Until the application is submitted (a draft, or
returned for revision) every page carries the watermark 草稿."""

from __future__ import annotations

from django.utils import translation

from accounts.identifiers import mask_id_number, mask_phone
from core import clock
from core.money import format_fen
from core.pdf import Document, render
from funding.facts import FACTS

from .models import Application
from .team_models import TeamMember

DRAFT_MARK = "草稿"


def _employer(member: TeamMember) -> str:
    return member.person.organisation.name if member.person.organisation else "—"


def application_pdf(application: Application) -> bytes:
    with translation.override("zh-hans"):
        return render(_document(application))


def _document(application: Application) -> Document:
    programme = application.call.programme
    organisation = application.organisation
    doc = Document(
        title=f"{programme.name}申报书",
        subtitle=application.call.title,
        number=f"申报编号：{application.number}",
        watermark=DRAFT_MARK if application.is_editable else "",
    )
    doc.facts(
        [
            ("项目名称", application.title),
            ("计划类别", f"{programme.name} · {application.category.name}"),
            ("申报单位", organisation.name if organisation else application.applicant_name),
            ("统一社会信用代码", organisation.credit_code if organisation else "—"),
            ("所属区县", application.district.name),
            ("联系人", application.contact_name or "—"),
            ("联系电话", application.contact_phone or "—"),
            ("申请金额（元）", format_fen(application.amount_requested_fen)),
            ("提交日期", clock.cn_date(application.submitted_at, "（未提交）")),
        ]
    )
    team = list(application.team.in_order())
    lead = next((m for m in team if m.is_lead), None)
    doc.heading("一、项目负责人")
    if lead is None:
        doc.paragraph("（未填写）")
    else:
        doc.facts(
            [
                ("姓名", lead.person.name),
                ("身份证号", mask_id_number(lead.person.id_number)),
                ("职称", lead.title),
                ("工作单位", _employer(lead)),
                ("手机", mask_phone(lead.person.mobile) or "—"),
                ("项目分工", lead.duty or "—"),
            ]
        )
    doc.heading("二、项目组成员")
    members = [m for m in team if not m.is_lead]
    doc.table(
        ["序号", "姓名", "身份证号", "职称", "工作单位", "分工"],
        [
            [n, m.person.name, mask_id_number(m.person.id_number), m.title, _employer(m), m.duty]
            for n, m in enumerate(members, start=1)
        ]
        or [["—", "（无）", "", "", "", ""]],
        widths=[12, 22, 38, 26, 44, 28],
    )
    doc.heading("三、项目简介")
    doc.paragraph(application.summary or "（未填写）")
    doc.heading("四、申报条件指标")
    facts = [
        (str(FACTS[k].label), f"{FACTS[k].display(v)} {FACTS[k].unit}".strip())
        for k, v in (application.facts or {}).items()
        if k in FACTS
    ]
    doc.table(["指标", "填报值"], facts or [["（未填写）", ""]], widths=[100, 70])
    doc.heading("五、经费预算")
    funding = list(application.funding.all())
    doc.table(
        ["资金性质", "金额（元）"],
        [[f.get_instrument_display(), format_fen(f.amount_fen)] for f in funding]
        + [["合计", format_fen(sum(f.amount_fen for f in funding))]],
        widths=[100, 70],
    )
    items = list(application.budget_items.all())
    doc.table(
        ["预算科目", "金额（元）"],
        [[i.get_item_display(), format_fen(i.amount_fen)] for i in items]
        + [["合计", format_fen(sum(i.amount_fen for i in items))]],
        widths=[100, 70],
    )
    doc.heading("六、附件清单")
    attachments = list(application.attachments.all())
    doc.table(
        ["序号", "附件类型", "文件名"],
        [[n, a.get_kind_display(), a.original_name] for n, a in enumerate(attachments, start=1)]
        or [["—", "（无附件）", ""]],
        widths=[14, 50, 106],
    )
    doc.heading("七、承诺")
    doc.paragraph(
        "本单位和项目负责人承诺：申报书所填内容及所附材料真实、准确、完整，"
        "如有虚假，愿承担取消申报资格及相应责任。"
    )
    doc.boxes(
        [
            ("项目负责人（签字）：", "年　　月　　日"),
            ("申报单位（盖章）：", "年　　月　　日"),
        ]
    )
    return doc
