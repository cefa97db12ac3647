from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from accounts.navigation import NavGroup, register_nav
        from accounts.roles import Role

        # The inbox is reached from the top bar (with its unread count), not the menu.
        register_nav(
            "mail_failures",
            _("Undelivered mail"),
            "notices:mail_failures",
            [Role.ADMIN],
            order=910,
            group=NavGroup.SYSTEM,
        )
