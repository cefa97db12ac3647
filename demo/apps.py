from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Builds the demo world through every app's real services (``manage.py demo``).
    It sits above every domain app, so it may call all of them."""

    name = "demo"
    verbose_name = _("Demo data")
