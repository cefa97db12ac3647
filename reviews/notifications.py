"""Messages of the review app: written in the transaction of the draw (notices.notify),
so each drawn expert has the invitation in the inbox at once and by mail once the
worker sends it, even if the mail server is down at the time of the draw."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from core import clock
from notices.services import notify

from .models import Assignment


def experts_invited(assignments: list[Assignment]) -> None:
    """Tell each drawn expert that items wait for their declaration (one message each)."""
    by_person: dict[int, list[Assignment]] = {}
    for a in Assignment.objects.filter(pk__in=[a.pk for a in assignments]).select_related(
        "expert__person", "panel"
    ):
        by_person.setdefault(a.expert.person_id, []).append(a)
    users = {u.person_id: u for u in User.objects.filter(person_id__in=by_person, is_active=True)}
    link = reverse("reviews:my_assignments")
    for person_id, items in by_person.items():
        person = items[0].expert.person
        panel = items[0].panel
        user = users.get(person_id)
        subject = f"评审邀请：{panel.name}"
        body = (
            f"{person.name} 专家：\n\n"
            f"您被随机抽取为“{panel.name}”的评审专家，共 {len(items)} 项，"
            f"评审截止日期 {clock.iso_date(panel.deadline)}。请登录系统，先作回避声明，再进行评分。"
        )
        # the person's own address when the account has none (experts without an account
        # still get the mail)
        addresses = [person.email] if person.email and not (user and user.email) else []
        notify(user, subject, body, link, addresses=addresses)
