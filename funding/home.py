"""The call-management menu entries (registered in ``FundingConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import register_nav
from accounts.roles import Role


def register() -> None:
    register_nav(
        "calls",
        _("Programmes and calls"),
        "funding:call_list",
        {Role.CITY_OFFICER, Role.FINANCE, Role.FINANCE_CHECKER, Role.AUDITOR, Role.ADMIN},
        8,
    )
    register_nav(
        "quotas",
        _("Quotas"),
        "funding:quota_list",
        {Role.DISTRICT_OFFICER, Role.DISTRICT_FINANCE},
        15,
    )
    register_nav(
        "district_statistics",
        _("Farmer income figures"),
        "funding:statistic_list",
        {Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.AUDITOR, Role.ADMIN},
        19,
    )
