"""Permission rules of the notices app (autodiscovered by ``rules``). Everyone reads
their own inbox (the views filter by user); undelivered mail is the administrator's
(the auditor reads it in the admin)."""

import rules

from accounts.permissions import has_role, is_admin
from accounts.roles import Role

rules.add_perm("notices.view_mail_failures", is_admin)
for model in ("outgoingmail", "message", "reminderkey"):
    rules.add_perm(f"notices.view_{model}", is_admin | has_role(Role.AUDITOR))
