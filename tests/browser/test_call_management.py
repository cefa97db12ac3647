"""Issue 13 item 4: in Debian's chromium, starting from a database with only the regions,
organisations and users (no programme, no call), the city officer of 杭州市 sets up a
科普惠农兴村 call from the pages alone — the programme, the call, the five categories
from the template (one threshold edited), the quotas of the three districts (one cut by a
fraud found last year), the rubric — and opens it; an applicant then submits to it.
Screenshots at 1400 px (and 400 px for the call and quota pages) go to
test-artifacts/browser/call_management/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core import clock
from funding import services as funding
from funding.models import Call, Category, EligibilityRule, Programme, Quota
from projects.models import Application
from reviews.models import CallRubric

from .conftest import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def empty_world(transactional_db: Any) -> None:
    """Only the accounts world: regions, organisations, persons, experts, one user per
    role. No programme, category, call, quota or rubric."""
    from accounts.models import OrgUnit
    from demo import accounts_world
    from demo.log import Log
    from funding.models import (
        ConfigChange,
        Debarment,
        DistrictStatistic,
        EligibilityRule,
        Quota,
        QuotaCut,
    )
    from reviews.models import Rubric

    # The session's base world (accounts and funding) may still be in the database:
    # transactional tests empty it after themselves, not before. Keep its accounts only.
    for model in (ConfigChange, Quota, QuotaCut, Call, EligibilityRule, Category):
        model.objects.all().delete()
    for model in (DistrictStatistic, Debarment, Programme):
        model.objects.all().delete()
    accounts_world.build(Log())
    assert OrgUnit.objects.exists()
    assert not Programme.objects.exists() and not Call.objects.exists()
    assert not Rubric.objects.exists()


class CallPages(Pages):
    def set_date(self, name: str, value: str) -> None:
        """A date input takes its value from the page (the typed format depends on the
        browser's locale)."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1];", self.find(f'[name="{name}"]'), value
        )

    def full_shot(self, label: str, width: int = 1400) -> None:
        """The whole page at ``width`` px, however long it is."""
        self.driver.set_window_size(width, 1000)
        self.driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, min(max(int(height) + 120, 600), 6000))
        self.shot(label)
        self.driver.set_window_size(1400, 1000)

    def scrolls_sideways(self) -> bool:
        return bool(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth > "
                "document.documentElement.clientWidth + 1"
            )
        )


def test_a_city_officer_runs_a_call_from_the_pages_and_an_applicant_submits(
    empty_world, live_server, browser
):
    browser.set_window_size(1400, 1000)
    page = CallPages(browser, live_server.url, "call_management")
    with clock.frozen(dt.datetime(2026, 11, 2, 9, 0)):
        # the officer finds the pages in the menu; there is nothing yet
        page.login("city_officer")
        page.menu("/calls/")
        assert "本地区尚无计划" in page.text()
        page.full_shot("calls-empty")

        # the programme
        page.go("#new-programme")
        page.fill("code", "KPHN")
        page.fill("name", "杭州市科普惠农兴村计划")
        page.select("flow", "科普惠农兴村（以奖代补）")
        page.click('input[name="instruments"][value="award"]')
        page.select("owner_unit", "杭州市")
        page.select("lead_body", "杭州市科学技术协会")
        page.full_shot("programme-form")
        page.go("form button.primary")
        programme = Programme.objects.get(code="KPHN")
        assert "计划已保存" in page.text()
        page.full_shot("programme")

        # the call, a draft
        page.go("#new-call")
        page.fill("year", "2026")
        page.fill("doc_number", "杭科协发〔2026〕18号")
        page.set_date("opens_on", "2026-11-01")
        page.set_date("closes_on", "2026-12-31")
        page.set_date("district_deadline", "2027-01-20")
        page.fill("publicity_days", "10")
        page.select("publicity_day_kind", "自然日")
        page.fill("budget_envelope", "2,000,000.00")
        page.full_shot("call-form")
        page.go("form button.primary")
        call = Call.objects.get(programme=programme, year=2026)
        assert call.title == "2026年度杭州市科普惠农兴村计划"
        assert "发布批次前还需" in page.text()

        # the five categories in one step, then one threshold edited
        page.go("#template-award")
        assert call.categories.count() == 5
        text = page.text()
        for name in (
            "农民专业合作组织",
            "农村科普示范基地",
            "农村科普致富带头人",
            "农业科技服务专家",
            "专业技术指导员",
        ):
            assert name in text
        assert "会员农户数 ≥ 100 户" in text
        page.full_shot("call-with-categories")
        base_rule = EligibilityRule.objects.get(
            category__programme=programme, fact="beneficiary_person_times"
        )
        page.go(f'a[href^="/rules/{base_rule.pk}/edit/"]')
        page.fill("number", "800")
        page.fill("message", "每年受益群众须在800人次以上。")
        page.shot("rule-form")
        page.go("form button.primary")
        assert "受益群众人次 ≥ 800 人次" in page.text() or "800 人次" in page.text()

        # last year's spot check found fraud in 西湖区: its quotas are cut by 20 %
        from accounts.models import OrgUnit

        westlake = OrgUnit.objects.get(code="330106")
        funding.quota_cut_register(
            programme=programme,
            district=westlake,
            year=2026,
            reason="2025年度抽查发现弄虚作假（KPHN-2025-0002）",
            source="KPHN-2025-0002",
        )

        # quotas: three places and 150 000 yuan per category for every district,
        # 余杭区 five places for demonstration bases
        page.go("#set-quotas")
        categories = list(call.categories.order_by("order"))
        for category in categories:
            page.fill(f"d-{category.pk}-count", "3")
            page.fill(f"d-{category.pk}-amount", "150000")
        base = Category.objects.get(programme=programme, code="base")
        yuhang = OrgUnit.objects.get(code="330110")
        page.fill(f"q-{yuhang.pk}-{base.pk}-count", "5")
        page.fill(f"q-{yuhang.pk}-{base.pk}-amount", "250,000.00")
        page.full_shot("quota-grid")
        page.go("#save-quotas")
        assert "名额已保存" in page.text()
        assert Quota.objects.filter(call=call).count() == 15
        cut = Quota.objects.get(call=call, district=westlake, category=base)
        assert (cut.max_count, cut.max_amount_fen) == (2, 12_000_000)
        assert "核减前" in page.text()

        # the rubric
        page.go('a[href$="/rubric/"]')
        page.go("#new-rubric")
        page.fill("name", "科普惠农兴村评审标准")
        page.fill("total_threshold", "60")
        for n, (name, maximum, minimum) in enumerate(
            [("科普工作成效", "40", "20"), ("示范带动作用", "30", ""), ("组织管理与材料", "30", "")]
        ):
            page.fill(f"c-{n}-name", name)
            page.fill(f"c-{n}-max_score", maximum)
            if minimum:
                page.fill(f"c-{n}-min_score", minimum)
        page.full_shot("rubric-form")
        page.go("#save-rubric")
        page.shot("call-rubric")
        page.go("#set-rubric")
        assert CallRubric.objects.get(call=call).rubric.name == "科普惠农兴村评审标准"

        # open it
        page.go("#call-open", confirm=True)
        assert Call.objects.get(pk=call.pk).status == Call.Status.OPEN
        assert "受理中" in page.find("#call-status").text
        page.full_shot("call-open")
        for label in ("call-open", "quota-grid"):
            if label == "quota-grid":
                page.visit(f"/calls/{call.pk}/quotas/")
            page.full_shot(f"{label}-400", width=400)

        # an applicant of 西湖区 submits to it
        page.login("applicant_nt")
        page.visit("/applications/new/")
        page.select("call", "2026年度杭州市科普惠农兴村计划")
        page.select("category", "农村科普示范基地")
        page.fill("title", "转塘街道农村科普示范基地")
        page.go("button.primary")
        page.select("fact_named_base", "区（县）科协命名")
        page.fill("fact_beneficiary_person_times", "900")
        page.fill("fund_award", "60,000.00")
        page.fill("item_training", "40000")
        page.fill("item_popsci_materials", "20000")
        page.go("form.card button.primary")
        page.go("#action-submit", confirm=True)
        application = Application.objects.get(title="转塘街道农村科普示范基地")
        assert application.status == "submitted"
        assert application.call_id == call.pk
        page.full_shot("submitted")
