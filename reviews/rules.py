from typing import Any

import rules

from accounts.permissions import has_role, in_region_as, is_admin
from accounts.roles import REGION_READERS, Role

readers = in_region_as(*REGION_READERS)
city_officer = in_region_as(Role.CITY_OFFICER)
district_officer = in_region_as(Role.DISTRICT_OFFICER)


@rules.predicate
def is_district_panel(user: Any, panel: Any) -> bool:
    return panel is not None and panel.stage == "district"


rules.add_perm("reviews.view_expertprofile", readers)
rules.add_perm("reviews.add_expertprofile", in_region_as(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("reviews.change_expertprofile", in_region_as(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("reviews.delete_expertprofile", is_admin)

rules.add_perm("reviews.view_panel", readers)
rules.add_perm(
    "reviews.manage_panel",
    (is_district_panel & district_officer) | (~is_district_panel & city_officer),
)
rules.add_perm("reviews.add_panel", has_role(Role.CITY_OFFICER, Role.DISTRICT_OFFICER))
rules.add_perm("reviews.view_spotcheck", readers)
rules.add_perm("reviews.manage_spotcheck", city_officer)

for model in (
    "rubric",
    "criterion",
    "panelitem",
    "draw",
    "assignment",
    "assignmentlog",
    "score",
    "exclusionrequest",
    "spotcheckitem",
):
    rules.add_perm(f"reviews.view_{model}", is_admin | has_role(Role.AUDITOR))
for model in ("rubric", "criterion"):
    for action in ("add", "change", "delete"):
        rules.add_perm(f"reviews.{action}_{model}", is_admin)


# Rubrics on their pages (reviews/rubric_views.py): a city officer makes rubrics for their
# region and changes those that no score uses yet; a shared rubric (no region) is the
# administrator's. Everyone who reads panels reads the rubrics they may use.
@rules.predicate
def is_shared_rubric(user: Any, rubric: Any) -> bool:
    return rubric is not None and rubric.owner_unit_id is None


rules.add_perm("reviews.create_rubric", has_role(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm(
    "reviews.manage_rubric",
    (is_shared_rubric & is_admin)
    | (~is_shared_rubric & in_region_as(Role.CITY_OFFICER, Role.ADMIN)),
)
rules.add_perm("reviews.read_rubrics", readers)
rules.add_perm("reviews.view_callrubric", is_admin | has_role(Role.AUDITOR))


# Expert fees (reviews.fees): the officer who manages the panel, or the finance maker of
# its region, prepares the fee sheet; the finance checker approves it (never the person
# who prepared it: the service refuses that); finance records the payment. The officer
# and finance download the 发放表; every reader of the region reads the sheet.
finance_maker = in_region_as(Role.FINANCE)
finance_checker = in_region_as(Role.FINANCE_CHECKER)
manages_panel = (is_district_panel & district_officer) | (~is_district_panel & city_officer)

rules.add_perm("reviews.view_expertfeesheet", readers)
rules.add_perm("reviews.prepare_expertfeesheet", manages_panel | finance_maker)
rules.add_perm("reviews.approve_expertfeesheet", finance_checker)
rules.add_perm("reviews.pay_expertfeesheet", finance_maker | finance_checker)
rules.add_perm(
    "reviews.download_expertfeesheet",
    finance_maker
    | finance_checker
    | in_region_as(Role.CITY_OFFICER, Role.DISTRICT_OFFICER, Role.AUDITOR),
)
rules.add_perm("reviews.manage_expertfeerate", in_region_as(Role.CITY_OFFICER, Role.ADMIN))
rules.add_perm("reviews.view_expertfeerate", readers)
# the lines carry experts' bank accounts: in the admin for the administrator and auditor
rules.add_perm("reviews.view_expertfeeline", is_admin | has_role(Role.AUDITOR))
