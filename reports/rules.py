"""Who may read the reports: the roles that read records by region (district and city
officers, the finance roles, the auditor and the administrator), each for their own
subtree (``reports.scope``)."""

import rules

from accounts.permissions import has_role
from accounts.roles import REGION_READERS

rules.add_perm("reports.view_reports", has_role(*REGION_READERS))
