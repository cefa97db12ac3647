from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Expert review")

    def ready(self) -> None:
        from . import score_import, xlsx  # noqa: F401 - register the 专家 and 评分表 imports
        from .home import register

        register()
