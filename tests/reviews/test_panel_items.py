"""Recommended late, still reviewed (issue 13, 5): an application recommended after the
city panel was drawn is offered on the panel page; the officer adds it to the open panel
and its experts are drawn at once, reproducibly and with the same conflict rules; a
closed panel says another panel is needed, and why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.confirm import CONFIRMED
from projects.models import Application
from reviews import panel_items, services
from reviews.models import Assignment, Draw, ExclusionRequest, Panel, PanelItem

from .conftest import city_panel, recommended, user
from .test_pages import _client

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoring(world, today) -> Panel:
    """A city panel over two recommended applications, drawn and scoring."""
    panel = city_panel(recommended(2), size=3)
    services.panel_draw(panel=panel, actor=user("city_officer"), seed=11)
    return services.panel_open(panel=panel, actor=user("city_officer"))


def test_a_late_recommendation_is_offered_and_added_to_the_open_panel_with_its_experts(scoring):
    # given an application recommended after the panel opened
    (late,) = recommended(1, category="agriculture")
    officer = _client("city_officer")
    page = officer.get(reverse("reviews:panel", args=[scoring.pk])).content.decode()
    # then the panel page offers it, saying what adding it does
    assert 'id="waiting"' in page and late.number in page and 'id="add-items"' in page
    # and pressing "draw" no longer just says everyone has experts: it names it
    response = officer.post(
        reverse("reviews:panel_action", args=[scoring.pk, "draw"]), {CONFIRMED: "1"}, follow=True
    )
    assert late.number in response.content.decode()
    # when the officer adds it with a seed
    response = officer.post(
        reverse("reviews:panel_action", args=[scoring.pk, "add_items"]),
        {"seed": "2026", CONFIRMED: "1"},
    )
    assert response.status_code == 302
    # then it is on the panel with the panel's size of experts, from a recorded draw
    item = PanelItem.objects.get(panel=scoring, application=late)
    live = Assignment.objects.live().filter(item=item)
    assert live.count() == scoring.size
    draw = Draw.objects.filter(panel=scoring).latest("pk")
    assert draw.seed == 2026 and {a.draw_id for a in live} == {draw.pk}
    # and it goes to expert review with the others
    assert Application.objects.get(pk=late.pk).status == Application.Status.UNDER_REVIEW
    assert (
        "Added to panel" in late.transitions.latest("at").reason
        or late.transitions.filter(transition="open_review").exists()
    )
    # and the panel page no longer offers it
    page = officer.get(reverse("reviews:panel", args=[scoring.pk])).content.decode()
    assert 'id="waiting"' not in page


def test_the_late_draw_is_reproducible_and_keeps_the_conflict_rules(scoring):
    (late,) = recommended(1, category="agriculture")
    # the applicant asked to exclude an expert; that expert is never drawn for it
    excluded = (
        Assignment.objects.live().filter(panel=scoring).select_related("expert").first().expert
    )
    ExclusionRequest.objects.create(
        application=late, expert=excluded, reason="同一课题组", requested_at=scoring.created_at
    )
    # what the draw with seed 77 gives (computed, nothing written)
    item = PanelItem.objects.create(panel=scoring, application=late)
    planned = set(services.draw_plan(scoring, seed=77, missing={item.pk: scoring.size})[item.pk])
    item.delete()
    items, draw = panel_items.panel_add_items(panel=scoring, actor=user("city_officer"), seed=77)
    (added,) = items
    drawn = set(Assignment.objects.filter(item=added).values_list("expert_id", flat=True))
    # the same seed gives the same experts as the plan made beforehand
    assert drawn == planned and draw is not None and draw.seed == 77
    assert excluded.pk not in drawn
    # nobody on the other items of the panel is the applicant's colleague either
    applicant_org = late.organisation_id
    assert not Assignment.objects.filter(
        item=added, expert__person__organisation_id=applicant_org
    ).exists()


def test_a_closed_panel_says_to_set_up_another_and_why(scoring):
    # given a panel scored and closed
    for a in Assignment.objects.live().filter(panel=scoring):
        services.scores_save(
            assignment=a,
            actor=user("city_officer"),
            offline=True,
            submit=True,
            comment="纸质",
            values={"innov": "30", "feas": "20", "benefit": "20"},
        )
    services.panel_close(panel=scoring, actor=user("city_officer"))
    # when an application is recommended afterwards
    (late,) = recommended(1, category="agriculture")
    # then adding it is refused with the reason and what to do
    with pytest.raises(services.ReviewError, match="另一个评审组") as refused:
        panel_items.panel_add_items(panel=scoring, actor=user("city_officer"))
    assert late.number in str(refused.value)
    page = _client("city_officer").get(reverse("reviews:panel", args=[scoring.pk])).content.decode()
    assert late.number in page and 'id="add-items"' not in page
    assert reverse("reviews:panel_create") in page
    # and a new panel set up for the stage takes exactly the late one
    panel = services.panel_create(
        call=scoring.call,
        stage=Panel.Stage.CITY,
        name="补充终审",
        unit=scoring.unit,
        rubric=scoring.rubric,
        deadline=scoring.deadline,
        actor=user("city_officer"),
        size=3,
    )
    assert list(panel.items.values_list("application_id", flat=True)) == [late.pk]


def test_a_second_panel_does_not_take_what_a_panel_being_set_up_already_has(world, today):
    first = city_panel(recommended(2), size=3)
    (late,) = recommended(1, category="agriculture")
    second = services.panel_create(
        call=first.call,
        stage=Panel.Stage.CITY,
        name="第二组",
        unit=first.unit,
        rubric=first.rubric,
        deadline=first.deadline,
        actor=user("city_officer"),
        size=3,
    )
    assert list(second.items.values_list("application_id", flat=True)) == [late.pk]


def test_only_the_panels_officer_adds_items(scoring):
    recommended(1, category="agriculture")
    with pytest.raises(services.ReviewError):
        panel_items.panel_add_items(panel=scoring, actor=user("district_officer"))
    assert scoring.items.count() == 2
