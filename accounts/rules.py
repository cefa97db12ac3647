"""Permission rules of the accounts app (autodiscovered by ``rules``)."""

import rules

from .permissions import has_role, in_region_as, is_admin, owns_organisation
from .roles import REGION_READERS, REGISTRY_EDITORS

reads_in_region = in_region_as(*REGION_READERS)
edits_in_region = in_region_as(*REGISTRY_EDITORS)

rules.add_perm("accounts.view_organisation", reads_in_region | owns_organisation)
rules.add_perm("accounts.add_organisation", has_role(*REGISTRY_EDITORS))
rules.add_perm("accounts.change_organisation", edits_in_region)
rules.add_perm("accounts.delete_organisation", is_admin)

rules.add_perm("accounts.view_person", reads_in_region | owns_organisation)
rules.add_perm("accounts.add_person", has_role(*REGISTRY_EDITORS))
rules.add_perm("accounts.change_person", edits_in_region)
rules.add_perm("accounts.delete_person", is_admin)
# Full ID numbers are for admin only; everyone else sees them masked.
rules.add_perm("accounts.view_full_id_number", is_admin)

for model in ("orgunit", "user", "rolemembership"):
    rules.add_perm(f"accounts.view_{model}", is_admin | has_role("auditor"))
    for action in ("add", "change", "delete"):
        rules.add_perm(f"accounts.{action}_{model}", is_admin)

rules.add_perm("accounts.access_admin", is_admin | has_role("auditor"))
