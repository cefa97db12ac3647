"""The 公示名单 and the 立项通知 as PDF (through core.pdf)."""

from __future__ import annotations

from accounts.identifiers import mask_name
from core import clock
from core.money import format_fen
from core.pdf import Document, render
from projects.models import Application, Notice


def notice_list_pdf(notice: Notice) -> bytes:
    """The list as published: persons' names masked as on the public page."""
    apps = notice.applications.select_related(
        "category", "organisation", "person", "district"
    ).order_by("category__order", "number")
    rows = []
    for n, a in enumerate(apps, start=1):
        applicant = mask_name(a.applicant_name) if a.category.is_individual else a.applicant_name
        rows.append([n, a.number, a.category.name, applicant, a.title, a.district.name])
    doc = Document(
        title=notice.title,
        subtitle=f"公示期：{clock.cn_date(notice.starts_on)} 至 {clock.cn_date(notice.ends_on)}",
        number=notice.call.doc_number,
    )
    doc.paragraph(
        "根据有关规定，现将名单予以公示。公示期间，任何单位和个人对公示内容有异议的，"
        "可实名向发布单位提出，并提供联系方式和必要的证明材料。"
    )
    doc.table(
        ["序号", "编号", "类别", "申报单位/推荐对象", "名称", "所属区县"],
        rows,
        widths=[12, 30, 26, 40, 44, 18],
    )
    doc.signature([notice.unit.name + "科学技术协会", clock.cn_date(notice.published_at)])
    return render(doc)


def approval_notice_pdf(application: Application) -> bytes:
    """立项通知 (project flow) or 授予通知 (award flow) for one application."""
    award = application.is_award
    doc = Document(
        title="授予通知" if award else "立项通知",
        subtitle=application.call.title,
        number=f"编号：{application.number}",
    )
    addressee = (
        application.organisation.name if application.organisation else application.applicant_name
    )
    doc.paragraph(f"{addressee}：")
    if award:
        doc.paragraph(
            f"经区县推荐、市级专家评审和公示，{application.applicant_name}被评为"
            f"{application.call.year}年度{application.call.programme.name}“{application.category.name}”先进，"
            f"给予奖补资金 {format_fen(application.approved_amount_fen)} 元。奖补资金主要用于购置科普资料和设备、"
            "开展培训讲座、展览和推广新技术新品种等农村科普活动。"
        )
    else:
        doc.paragraph(
            f"你单位申报的“{application.title}”经专家评审和立项公示，同意立项，资助金额 "
            f"{format_fen(application.approved_amount_fen)} 元。请在收到本通知后按要求签订项目任务书。"
        )
    doc.facts(
        [
            ("编号", application.number),
            ("名称", application.title),
            ("类别", application.category.name),
            ("所属区县", application.district.name),
            ("金额（元）", format_fen(application.approved_amount_fen)),
        ]
    )
    doc.signature(
        [
            application.call.programme.owner_unit.name + "科学技术协会",
            clock.cn_date(clock.today()),
        ]
    )
    return render(doc)
