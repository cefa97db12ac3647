"""Accounts: who is who, and where.

* ``OrgUnit`` is the administrative region tree (省/市/区县/乡镇) keyed by the
  行政区划代码. Each unit stores its materialised ``path`` (``/330000/330100/330106/``)
  so that "this unit and everything under it" is one indexed prefix match.
* ``Organisation`` (单位) is identified by its 统一社会信用代码, ``Person`` (个人) by
  the 身份证号; both are normalised and check-digit validated, and persons' numbers are
  masked everywhere except for admin.
* ``User`` logs in; ``RoleMembership`` gives a user a role within an org-unit subtree
  (or, for applicants, within their organisation). Every list and object page filters
  through ``accounts.permissions``: querysets by ``visible_to(user)``, object actions by
  the ``rules`` predicates registered in ``accounts.rules``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import private_upload_path

from .identifiers import (
    id_number_birth_date,
    mask_id_number,
    normalise,
    validate_credit_code,
    validate_id_number,
)
from .roles import Role

if TYPE_CHECKING:
    import datetime as dt


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(path__startswith=unit.path)

    def districts(self) -> OrgUnitQuerySet:
        return self.filter(level=OrgUnit.Level.DISTRICT)


class OrgUnit(models.Model):
    """行政区划: a node of the region tree."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District / county")
        TOWNSHIP = "township", _("Township / street")

    code = models.CharField(_("administrative division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=200, unique=True, editable=False)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}([0-9]{3}|[0-9]{6})?$"),
                name="orgunit_code_digits",
            ),
            models.CheckConstraint(
                condition=(Q(level="province") & Q(parent__isnull=True))
                | (~Q(level="province") & Q(parent__isnull=False)),
                name="orgunit_only_province_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.path

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)


def licence_upload_to(_instance: Organisation, filename: str) -> str:
    return private_upload_path("licences", filename)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, user: User) -> OrganisationQuerySet:
        from .permissions import visible_q

        return self.filter(visible_q(user, region="region", organisation="pk"))

    def in_region(self, unit: OrgUnit) -> OrganisationQuerySet:
        return self.filter(region__path__startswith=unit.path)


class Organisation(models.Model):
    """单位: applicants' organisations, experts' employers, the bureaus themselves."""

    class Type(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        INSTITUTION = "institution", _("Public institution")
        SOCIAL = "social", _("Social organisation")
        COOPERATIVE = "cooperative", _("Farmers' cooperative")
        GOVERNMENT = "government", _("Government agency")
        UNIVERSITY = "university", _("University")
        RESEARCH = "research", _("Research institute")
        OTHER = "other", _("Other")

    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    name = models.CharField(_("organisation name"), max_length=200)
    org_type = models.CharField(_("organisation type"), max_length=20, choices=Type.choices)
    region = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    licence = models.FileField(
        _("licence scan"),
        upload_to=licence_upload_to,
        blank=True,
    )
    licence_name = models.CharField(_("licence file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
                ),
                name="organisation_credit_code_format",
            ),
        ]
        indexes = [models.Index(fields=["region", "name"], name="organisation_region_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.region.path

    @property
    def owner_organisation_id(self) -> int:
        return self.pk

    def clean(self) -> None:
        self.credit_code = normalise(self.credit_code)


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: User) -> PersonQuerySet:
        from .permissions import visible_q

        return self.filter(
            visible_q(user, region="region", organisation="organisation", person="pk")
        )


class Person(models.Model):
    """个人: experts, individual nominees, contacts. The ID number is masked for all but admin."""

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(
        _("ID card number"), max_length=18, unique=True, validators=[validate_id_number]
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="persons",
    )
    region = models.ForeignKey(
        OrgUnit, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"), name="person_id_number_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.region.path

    @property
    def owner_organisation_id(self) -> int | None:
        return self.organisation_id

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def birth_date(self) -> dt.date | None:
        return id_number_birth_date(self.id_number)

    @property
    def gender(self) -> Any:
        return _("male") if int(self.id_number[16]) % 2 else _("female")

    def clean(self) -> None:
        self.id_number = normalise(self.id_number)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.full_name or self.username

    def paths_for_roles(self, *roles: str) -> tuple[str, ...]:
        """Region paths (``/330000/330100/``) where this user holds one of ``roles``.
        Apps that may not import accounts (the ledger) filter their ``scope_path``
        columns by these prefixes."""
        from .permissions import scope_of

        return scope_of(self).paths_for(roles)

    def has_any_role(self, *roles: str) -> bool:
        from .permissions import scope_of

        return scope_of(self).has_any(roles)


class RoleMembership(models.Model):
    """A role held within an org-unit subtree; applicants hold it for their organisation
    (or, for an individual nominee, for the person linked to the user)."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("scope (region subtree)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation (applicants)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role=Role.APPLICANT) | Q(org_unit__isnull=False),
                name="membership_scope_required",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"],
                condition=Q(organisation__isnull=True),
                name="membership_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_unique_organisation",
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation or self.org_unit or ""
        return f"{self.user} · {self.get_role_display()} · {where}"
