from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from accounts.navigation import register_nav
        from accounts.roles import REGION_READERS

        register_nav("reports", _("Reports"), "reports:dashboard", REGION_READERS, 70)
        register_nav(
            "report_batches",
            _("Batch summary"),
            "reports:batches",
            REGION_READERS,
            71,
            group="reports",
        )
