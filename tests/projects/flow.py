"""Helpers for the guided-steps tests: an award taken to 已授予 through the real services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client

from core import clock
from projects import services
from projects.models import Application, Notice
from reviews import services as reviews
from reviews.models import Panel

from .conftest import award_call, checked, refresh, user
from .lifecycle import city_rubric, panel_through


def client(username: str) -> Client:
    c = Client()
    c.force_login(user(username))
    return c


def text(html: str) -> str:
    """The visible text of a page, tags dropped and spaces collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def next_steps(html: str) -> str:
    """The text of the page's "what happens next" block ("" if it has none)."""
    match = re.search(r'<section class="card" id="next-step">(.*?)</section>', html, flags=re.S)
    return text(match.group(1)) if match else ""


def nomination(**kwargs: Any) -> Application:
    return checked(
        call=award_call(),
        category="leader",
        actor="applicant_nt",
        organisation="杭州市西湖区农业技术推广中心",
        person="俞根土",
        amount="50000.00",
        **kwargs,
    )


def award_on_city_notice() -> tuple[Application, Panel, Notice]:
    """An award nomination of 西湖区 through the district notice, the co-signed list, a
    one-expert city panel and onto the city notice (2026-12-01 – 12-14)."""
    officer, finance = user("district_officer"), user("district_finance")
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        application = nomination()
        services.notice_publish(
            level="district",
            call=award_call(),
            unit=application.district,
            applications=[application],
            starts_on=dt.date(2026, 11, 20),
            actor=officer,
        )
        rec = services.recommendation_list_create(
            call=award_call(),
            district=application.district,
            applications=[refresh(application)],
            actor=officer,
        )
        services.recommendation_cosign(recommendation_list=rec, actor=finance)
    with clock.frozen(dt.datetime(2026, 12, 1, 9, 0)):
        services.recommendation_submit(recommendation_list=rec, actor=officer)
        panel = panel_through(
            [refresh(application)], stage=Panel.Stage.CITY, rubric=city_rubric(), score={"a": "90"}
        )
        notice = reviews.decision_publish(
            panel=panel, actor=user("city_officer"), starts_on=dt.date(2026, 12, 1)
        )
    return refresh(application), panel, notice


def granted_award() -> tuple[Application, Panel, Notice]:
    application, panel, notice = award_on_city_notice()
    with clock.frozen(dt.datetime(2026, 12, 15, 9, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    return refresh(application), panel, notice
