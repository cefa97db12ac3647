import rules

from accounts.permissions import has_role, in_region_as, is_admin
from accounts.roles import REGION_READERS, Role

readers = in_region_as(*REGION_READERS)

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
):
    rules.add_perm(f"funding.view_{model}", is_admin | has_role(Role.AUDITOR) | readers)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"funding.{action}_{model}", is_admin)
