from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """The schedule: what runs each night and every few minutes (no models)."""

    name = "jobs"
    verbose_name = _("Scheduled jobs")
