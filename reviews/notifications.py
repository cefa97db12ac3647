"""Emails of the review app, sent after the transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail

from core import clock

from .models import Assignment


def experts_invited(assignment_ids: list[int]) -> None:
    """Tell each drawn expert that items wait for their declaration (one mail each)."""
    by_expert: dict[str, list[Assignment]] = {}
    for a in Assignment.objects.filter(pk__in=assignment_ids).select_related(
        "expert__person", "panel"
    ):
        if a.expert.person.email:
            by_expert.setdefault(a.expert.person.email, []).append(a)
    messages = []
    for email, assignments in by_expert.items():
        panel = assignments[0].panel
        body = (
            f"{assignments[0].expert.person.name} 专家：\n\n"
            f"您被随机抽取为“{panel.name}”的评审专家，共 {len(assignments)} 项，"
            f"评审截止日期 {clock.iso_date(panel.deadline)}。请登录系统，先作回避声明，再进行评分。\n"
        )
        messages.append((f"评审邀请：{panel.name}", body, settings.DEFAULT_FROM_EMAIL, [email]))
    if messages:
        send_mass_mail(messages, fail_silently=True)
