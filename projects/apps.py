from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Applications and projects")

    def ready(self) -> None:
        from ledger import hooks

        from .contracts import on_disbursement_paid
        from .home import register
        from .payments import payment_refusals

        register()
        hooks.on_disbursement_paid(on_disbursement_paid)
        hooks.on_payment_check(payment_refusals)
