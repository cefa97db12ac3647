"""The roles of DESIGN §1. A role is held within an org-unit subtree."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    DISTRICT_FINANCE = "district_finance", _("District finance bureau")
    CITY_OFFICER = "city_officer", _("City officer")
    EXPERT = "expert", _("Expert")
    FINANCE = "finance", _("Finance (maker)")
    FINANCE_CHECKER = "finance_checker", _("Finance (checker)")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Roles that read records by the region subtree they hold.
REGION_READERS = frozenset(
    {
        Role.DISTRICT_OFFICER,
        Role.DISTRICT_FINANCE,
        Role.CITY_OFFICER,
        Role.FINANCE,
        Role.FINANCE_CHECKER,
        Role.AUDITOR,
        Role.ADMIN,
    }
)
# Roles that may maintain organisations and persons within their subtree.
REGISTRY_EDITORS = frozenset({Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.ADMIN})
