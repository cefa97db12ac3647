from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            xlsx,
        )

        xlsx.register()  # the 银行流水 and 还款 imports
