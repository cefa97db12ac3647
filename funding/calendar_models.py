"""The working-day calendar (调休 and holidays) (imported by ``funding.models``)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A holiday or a make-up working day (调休上班) that overrides ``chinesecalendar``
    and extends it to years the package does not cover."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday or working day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose whole holiday arrangement has been entered by hand, so working days
    can be counted in it even where ``chinesecalendar`` has no data."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000)]
    )
    note = models.CharField(_("source (e.g. 国办发明电 number)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("entered holiday year")
        verbose_name_plural = _("entered holiday years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
