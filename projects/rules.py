"""Who may do what to an application, a notice or a recommendation list."""

from typing import Any

import rules

from accounts.permissions import has_role, in_region_as, is_admin, scope_of
from accounts.roles import REGION_READERS, Role


@rules.predicate
def owns_application(user: Any, application: Any) -> bool:
    if application is None:
        return False
    scope = scope_of(user)
    if (
        application.organisation_id is not None
        and application.organisation_id in scope.organisation_ids
    ):
        return True
    return application.person_id is not None and application.person_id == scope.person_id


@rules.predicate
def is_not_draft(user: Any, application: Any) -> bool:
    """Without an object (the admin's model-level check) readers may read."""
    return application is None or application.status != "draft"


@rules.predicate
def is_editable(user: Any, application: Any) -> bool:
    return application is not None and application.is_editable


@rules.predicate
def at_district_stage(user: Any, application: Any) -> bool:
    return application is not None and application.status in ("submitted", "district_publicity")


@rules.predicate
def at_city_stage(user: Any, application: Any) -> bool:
    return application is not None and application.status in (
        "recommended",
        "reviewed",
        "publicity",
    )


@rules.predicate
def is_district_notice(user: Any, notice: Any) -> bool:
    return notice is not None and notice.level == "district"


district_officer = in_region_as(Role.DISTRICT_OFFICER)
district_finance = in_region_as(Role.DISTRICT_FINANCE)
city_officer = in_region_as(Role.CITY_OFFICER)
readers = in_region_as(*REGION_READERS)

rules.add_perm("projects.view_application", (readers & is_not_draft) | owns_application)
rules.add_perm("projects.add_application", has_role(Role.APPLICANT))
rules.add_perm("projects.change_application", owns_application & is_editable)
rules.add_perm("projects.submit_application", owns_application)
rules.add_perm("projects.withdraw_application", owns_application)
rules.add_perm("projects.request_acceptance", owns_application)
rules.add_perm("projects.formal_check_application", district_officer & at_district_stage)
rules.add_perm("projects.return_application", district_officer)
rules.add_perm("projects.publicise_application", district_officer)
rules.add_perm("projects.recommend_application", district_officer)
rules.add_perm(
    "projects.reject_application",
    (district_officer & at_district_stage) | (city_officer & at_city_stage),
)
for action in (
    "review",
    "decide",
    "contract",
    "conclude_acceptance",
    "disqualify",
    "terminate",
    "close",
):
    name = action if action == "conclude_acceptance" else f"{action}_application"
    rules.add_perm(f"projects.{name}", city_officer)
rules.add_perm("projects.start_application", city_officer | in_region_as(Role.FINANCE))

# Notices and objections
rules.add_perm("projects.view_notice", readers)
rules.add_perm("projects.handle_objection", (district_officer & is_district_notice) | city_officer)

# Recommendation lists
rules.add_perm("projects.view_recommendationlist", readers)
rules.add_perm("projects.manage_recommendationlist", district_officer)
rules.add_perm("projects.cosign_recommendationlist", district_finance)

# Django admin (read-only there; every write goes through the services).
for model in (
    "applicationfunding",
    "applicationbudgetitem",
    "transitionlog",
    "attachment",
    "objection",
    "recommendationentry",
):
    rules.add_perm(f"projects.view_{model}", is_admin | has_role(Role.AUDITOR))

# Contract stage
finance = in_region_as(Role.FINANCE, Role.FINANCE_CHECKER, Role.DISTRICT_FINANCE)
rules.add_perm("projects.finance_acceptance", in_region_as(Role.FINANCE, Role.FINANCE_CHECKER))
rules.add_perm("projects.pay_award", in_region_as(Role.DISTRICT_FINANCE))
# 预算指标下达 of an award call: the finance staff over the programme owner (the city)
rules.add_perm("projects.issue_award_indicator", in_region_as(Role.FINANCE))
# a supplement (追加) to it: asked by finance, approved by a second person
rules.add_perm("projects.approve_award_indicator", in_region_as(Role.FINANCE_CHECKER))
rules.add_perm("projects.attach_application", owns_application)
rules.add_perm("projects.view_contract", readers | owns_application)
for model in (
    "contract",
    "contractindicator",
    "contractbudgetitem",
    "tranche",
    "progressreport",
    "indicatoractual",
    "spending",
    "budgetchange",
    "acceptance",
    "remindersent",
    "teammember",
    "loan",
    "approvalcut",
    "contractsubsidy",
    "interestcertificate",
    "acceptancespending",
    "closingsurplus",
):
    if model != "contract":
        rules.add_perm(f"projects.view_{model}", is_admin | has_role(Role.AUDITOR))

# 项目变更 and 中期检查 (projects.changes, projects.midterm)
rules.add_perm("projects.request_change", owns_application)
rules.add_perm("projects.decide_change", city_officer)
rules.add_perm("projects.manage_midterm", city_officer)
rules.add_perm("projects.rectify_midterm", owns_application)
for model in (
    "changerequest",
    "contractversion",
    "extensionrule",
    "midtermcheck",
    "midtermfinding",
):
    rules.add_perm(f"projects.view_{model}", is_admin | has_role(Role.AUDITOR))
rules.add_perm("projects.set_extension_rule", city_officer)
