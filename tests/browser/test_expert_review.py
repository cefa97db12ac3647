"""Acceptance 6 of the review issue: in Debian's chromium an expert logs in, declares,
scores and submits; the officer sees the ranking and approves the top of the list."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from projects.models import Application
from reviews import services
from reviews.models import Assignment, ExpertProfile

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def panel(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log
    from tests.reviews.conftest import city_panel, recommended, user

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)
    with clock.frozen(dt.datetime(2026, 11, 20, 9, 0)):
        apps = recommended(2)
        panel = city_panel(apps, size=1)
        services.panel_draw(panel=panel, actor=user("city_officer"), seed=8)
        expert = ExpertProfile.objects.get(person__user__username="expert")
        first = Assignment.objects.filter(panel=panel).order_by("item__application_id").first()
        Assignment.objects.filter(pk=first.pk).update(expert=expert)
        services.panel_open(panel=panel, actor=user("city_officer"))
        other = Assignment.objects.filter(panel=panel).exclude(pk=first.pk).get()
        services.scores_save(
            assignment=other,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质评分表",
            values={"innov": "20", "feas": "15", "benefit": "15"},
        )
    return panel


def test_expert_scores_and_officer_approves_the_top(panel, live_server, browser):
    page = Pages(browser, live_server.url, "expert_review")
    mine = Assignment.objects.get(panel=panel, expert__person__user__username="expert")
    with clock.frozen(dt.datetime(2026, 11, 21, 10, 0)):
        page.login("expert")
        page.shot("expert-home")
        assert "待我声明或评分" in page.text() or "Items waiting" in page.text()
        page.visit("/reviews/my/")
        page.shot("my-reviews")
        page.go(f'a[href="/reviews/assignments/{mine.pk}/"]')
        page.shot("declaration")
        page.click('input[name="conflict"][value="no"]')
        page.go("#declare", confirm=True)
        page.shot("opened")
        page.fill("c_innov", "36")
        page.fill("c_feas", "26")
        page.fill("c_benefit", "24")
        page.fill("comment", "创新点明确，示范方案可行，建议细化推广计划。")
        page.go("#save-draft")
        page.shot("draft-saved")
        page.go("#submit-scores", confirm=True)
        page.shot("submitted")
        mine.refresh_from_db()
        assert mine.status == "submitted" and str(mine.total) == "104.0000"

        page.login("city_officer")
        page.visit(f"/reviews/panels/{panel.pk}/")
        page.shot("panel")
        page.go("#close-panel", confirm=True)
        page.shot("ranking")
        ranking = page.find("#ranking").text
        assert ranking.index(mine.item.application.number) < ranking.index(
            panel.items.exclude(pk=mine.item_id).get().application.number
        )
        page.fill("top_n", "1")
        page.go("#publish", confirm=True)
        page.shot("city-notice")
    top = Application.objects.get(pk=mine.item.application_id)
    assert top.status == "publicity"
    with clock.frozen(dt.datetime(2026, 12, 1, 10, 0)):
        page.visit(f"/reviews/panels/{panel.pk}/")
        page.go("#approve", confirm=True)
        page.shot("approved")
    top.refresh_from_db()
    assert top.status == "approved" and top.approved_amount_fen == top.amount_requested_fen
