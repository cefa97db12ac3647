"""In Debian's chromium: the expert's refused score form keeps everything typed; the
officer adds a late recommendation to the scoring panel; the applicant sees why it was
returned, on top, and what to do next. Screenshots: test-artifacts/browser/flow/."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from projects import services as projects
from reviews import services
from reviews.models import Assignment, ExpertProfile, PanelItem
from tests.browser.conftest import Pages, browser  # noqa: F401 - the fixture
from tests.projects.conftest import make_application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def scoring(transactional_db):
    from demo import accounts_world, funding_world
    from demo.log import Log
    from tests.reviews.conftest import city_panel, recommended, user

    log = Log()
    accounts_world.build(log)
    funding_world.build(log)
    with clock.frozen(NOW):
        panel = city_panel(recommended(2), size=1)
        services.panel_draw(panel=panel, actor=user("city_officer"), seed=8)
        expert = ExpertProfile.objects.get(person__user__username="expert")
        first = Assignment.objects.filter(panel=panel).order_by("item__application_id").first()
        Assignment.objects.filter(pk=first.pk).update(expert=expert)
        services.panel_open(panel=panel, actor=user("city_officer"))
        services.assignment_declare(
            assignment=Assignment.objects.get(pk=first.pk), actor=user("expert"), conflict=False
        )
    return panel, first


def test_work_keeps_its_state_and_the_next_step_is_shown(scoring, live_server, browser):  # noqa: F811
    from tests.reviews.conftest import recommended, user

    panel, mine = scoring
    page = Pages(browser, live_server.url, "flow")
    with clock.frozen(NOW):
        # the expert types four fields, one over its maximum
        page.login("expert")
        page.visit(f"/reviews/assignments/{mine.pk}/")
        page.fill("c_innov", "45")
        page.fill("c_feas", "22.5")
        page.fill("c_benefit", "18")
        page.fill("comment", "技术路线清晰，示范目标偏保守，建议补充第三年的推广计划。")
        page.go("#submit-scores", confirm=True)
        page.shot("score-form-kept")
        assert page.find('[name="c_innov"]').get_attribute("value") == "45"
        assert page.find('[name="c_feas"]').get_attribute("value") == "22.5"
        assert "推广计划" in page.find('[name="comment"]').get_attribute("value")
        assert "创新性：分数应在 0 到 40 之间" in page.text()

        # a late recommendation: the panel page offers it and adds it
        (late,) = recommended(1, category="agriculture")
        page.login("city_officer")
        page.visit(f"/reviews/panels/{panel.pk}/")
        page.shot("panel-waiting")
        assert late.number in page.find("#waiting").text
        page.fill("seed", "2026")
        page.go("#add-items", confirm=True)
        page.shot("panel-added")
        assert PanelItem.objects.filter(panel=panel, application=late).exists()

        # the applicant sees why it was returned, on top, and the next step
        application = projects.application_submit(
            application=make_application(title="智能灌溉控制系统研发"), actor=user("applicant")
        )
        projects.application_return(
            application=application,
            actor=user("district_officer"),
            reason="缺少营业执照副本和近两年财务报表，请补充上传后重新提交。",
        )
        page.login("applicant")
        page.visit(f"/applications/{application.pk}/")
        page.shot("returned-banner")
        assert "缺少营业执照副本" in page.find("#returned-banner").text
        assert "重新提交" in page.find("#next-step").text
        page.visit("/")
        page.shot("applicant-home")
