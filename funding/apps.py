from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Programmes and calls")

    def ready(self) -> None:
        # The ledger may not import accounts, so its menu entries, queues and
        # permission rules (by role) are registered from here.
        from . import home, ledger_access

        ledger_access.register()
        home.register()
