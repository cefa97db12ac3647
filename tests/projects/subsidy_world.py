"""Helpers for 贷款贴息 and 核减: a project taken through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organisation, OrgUnit
from core import clock
from funding.models import Category, Programme
from ledger import services as ledger
from ledger.models import BudgetLine
from projects import contracts, cuts, services, subsidy
from projects.models import Application
from reviews import services as reviews
from reviews.models import Panel

from .conftest import project_call, user
from .lifecycle import city_rubric, panel_through

D = Decimal
LOAN = {
    "bank": "工商银行杭州西湖支行",
    "contract_no": "工银借字2026第0815号",
    "principal": D("1000000.00"),
    "annual_rate": D("0.06"),
    "start_date": dt.date(2026, 6, 1),
    "term_months": 24,
}


def subsidy_line(amount: str = "6000000") -> BudgetLine:
    """The 2026 贷款贴息 line of the city (the grant and repayable lines come from
    ``lifecycle.money``)."""
    city = OrgUnit.objects.get(code="330100")
    return ledger.budget_line_create(
        year=2026,
        funding_source=BudgetLine.Source.CITY_SPECIAL,
        instrument="interest_subsidy",
        programme_code="KJJH",
        name="2026 KJJH 贷款贴息",
        scope_path=city.path,
        amount=D(amount),
        value_date=dt.date(2026, 1, 10),
        actor=user("finance"),
    )


def subsidy_rule(*, share: str = "100", benchmark: str | None = None) -> None:
    Programme.objects.filter(code="KJJH").update(
        subsidy_share_pct=D(share),
        subsidy_cap_at_benchmark=benchmark is not None,
        subsidy_benchmark_rate=D(benchmark) if benchmark else None,
    )


def draft(
    *,
    funding: dict[str, str],
    items: dict[str, str] | None = None,
    loan: dict[str, Any] | None = None,
    title: str = "设施农业物联网改造",
    organisation: str = "杭州西湖智慧农业科技有限公司",
    category: str = "agriculture",
) -> Application:
    applicant = user("applicant")
    application = services.application_create(
        call=project_call(),
        category=Category.objects.get(programme__code="KJJH", code=category),
        title=title,
        organisation=Organisation.objects.get(name=organisation),
        actor=applicant,
    )
    total = sum(D(v) for v in funding.values())
    services.application_update(
        application=application,
        actor=applicant,
        funding={k: D(v) for k, v in funding.items()},
        budget_items={k: D(v) for k, v in (items or {"equipment": str(total)}).items()},
    )
    if "interest_subsidy" in funding:
        subsidy.loan_save(application=application, actor=applicant, **(loan or LOAN))
    return application


def to_notice(applications: list[Application]) -> Any:
    """Submitted, checked, recommended, reviewed and on the city notice (from 11-02)."""
    district = user("district_officer")
    for application in applications:
        services.application_submit(application=application, actor=user("applicant"))
        services.application_formal_check(application=application, actor=district)
    rec = services.recommendation_list_create(
        call=applications[0].call,
        district=applications[0].district,
        applications=applications,
        actor=district,
    )
    services.recommendation_submit(recommendation_list=rec, actor=district)
    panel = panel_through(
        applications, stage=Panel.Stage.CITY, rubric=city_rubric(), score={"a": "88"}
    )
    return reviews.decision_publish(
        panel=panel, actor=user("city_officer"), starts_on=dt.date(2026, 11, 2)
    )


def approved(
    *,
    funding: dict[str, str],
    items: dict[str, str] | None = None,
    cut: dict[str, str] | None = None,
    reason: str = "设备购置预算偏高，按市场价核减",
) -> Application:
    with clock.frozen(dt.datetime(2026, 11, 2, 10, 0)):
        application = draft(funding=funding, items=items)
        notice = to_notice([application])
        if cut:
            cuts.approval_cut(
                application=application,
                amounts={k: D(v) for k, v in cut.items()},
                reason=reason,
                actor=user("city_officer"),
            )
    with clock.frozen(dt.datetime(2026, 11, 30, 10, 0)):
        reviews.decision_approve(notice=notice, actor=user("city_officer"))
    return Application.objects.get(pk=application.pk)


def drafted_contract(application: Application) -> Any:
    with clock.frozen(dt.datetime(2026, 12, 1, 9, 0)):
        return contracts.contract_draft(
            application=application,
            actor=user("city_officer"),
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2028, 12, 31),
            payee_account="6222 0212 0200 1234 567",
            payee_bank="工商银行西湖支行",
            indicators=[{"name": "示范面积", "unit": "亩", "target": D("500")}],
        )


def signed(application: Application) -> Any:
    contract = drafted_contract(application)
    with clock.frozen(dt.datetime(2026, 12, 1, 11, 0)):
        contracts.contract_confirm(contract=contract, actor=user("applicant"))
        return contracts.contract_sign(contract=contract, actor=user("city_officer"))


def line_figures(instrument: str) -> Any:
    return BudgetLine.objects.with_figures().get(
        year=2026, programme_code="KJJH", instrument=instrument, parent__isnull=True
    )
