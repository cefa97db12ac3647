from typing import Any

import rules

from accounts.permissions import has_role, in_region_as, is_admin
from accounts.roles import REGION_READERS, Role

readers = in_region_as(*REGION_READERS)

# The Django admin's permissions. Its pages for these models are read-only, or save
# through the services (quotas), see funding/admin.py: the admin's own add/change rules
# below only open the doors the admin classes leave.
for model in (
    "programme",
    "category",
    "eligibilityrule",
    "call",
    "quota",
    "quotacut",
    "debarment",
    "districtstatistic",
    "calendarday",
    "calendaryear",
    "configchange",
):
    rules.add_perm(f"funding.view_{model}", is_admin | has_role(Role.AUDITOR) | readers)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"funding.{action}_{model}", is_admin)

# The pages (and the services, which ask the same rules of their actor). A programme and
# everything under it (calls, categories, rules, quotas) belongs to the programme's
# owning region: its city officers run it; the system administrator may too (the power
# the Django admin gave them, now through the services and the trail). Everyone who
# reads that region reads it; a district officer reads the quotas of their district.
runs_programmes = in_region_as(Role.CITY_OFFICER, Role.ADMIN)

rules.add_perm("funding.create_programme", has_role(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("funding.manage_programme", runs_programmes)
rules.add_perm("funding.manage_call", runs_programmes)
rules.add_perm("funding.read_call", readers)
rules.add_perm("funding.read_quota", readers)


@rules.predicate
def _is_district(user: Any, unit: Any) -> bool:
    return unit is None or getattr(unit, "level", None) == "district"


# 区县农民年均纯收入: entered by the district association, or by the city for its districts.
rules.add_perm(
    "funding.set_statistic",
    _is_district & in_region_as(Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.ADMIN),
)
rules.add_perm(
    "funding.read_statistics",
    has_role(Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.AUDITOR, Role.ADMIN),
)
