from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView
from django_filters.views import FilterView

from core import clock
from core.http import attach, download
from core.xlsx import XLSX_CONTENT_TYPE, table_to_xlsx

from . import selectors, services
from .filters import OrganisationFilter, PersonFilter
from .forms import OrganisationForm, PersonForm, apply_validation_error
from .http import actor_of
from .identifiers import mask_id_number, mask_phone
from .models import Organisation, Person
from .navigation import queues_for


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["queues"] = queues_for(self.request.user)
        ctx["memberships"] = self.request.user.memberships.select_related(  # type: ignore[union-attr]
            "org_unit", "organisation"
        )
        return ctx


class ScopedListView(LoginRequiredMixin, FilterView):
    paginate_by = 25

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["user"] = self.request.user
        return kwargs


class OrganisationListView(ScopedListView):
    template_name = "accounts/organisation_list.html"
    filterset_class = OrganisationFilter

    def get_queryset(self) -> Any:
        return selectors.organisation_list(user=self.request.user)


class ScopedDetailView(LoginRequiredMixin, DetailView):
    """Objects outside the user's scope do not exist for them (404), and the object
    rule is asked as well, so list and page can never disagree."""

    permission: str = ""

    def get_object(self, queryset: Any = None) -> Any:
        obj = super().get_object(queryset)
        if not self.request.user.has_perm(self.permission, obj):
            raise Http404
        return obj


class OrganisationDetailView(ScopedDetailView):
    template_name = "accounts/organisation_detail.html"
    permission = "accounts.view_organisation"

    def get_queryset(self) -> Any:
        return selectors.organisation_list(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["can_edit"] = user.has_perm("accounts.change_organisation", self.object)
        ctx["persons"] = selectors.person_list(user=user).filter(organisation=self.object)[:50]
        return ctx


def _organisation_form_regions(user: Any) -> Any:
    return selectors.districts_for(user=user)


class OrganisationCreateView(LoginRequiredMixin, View):
    template_name = "accounts/organisation_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.has_perm("accounts.add_organisation"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = OrganisationForm(regions=_organisation_form_regions(request.user))
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganisationForm(
            request.POST, request.FILES, regions=_organisation_form_regions(request.user)
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            licence = data.pop("licence")
            try:
                with transaction.atomic(durable=True):
                    organisation = services.organisation_create(**data, actor=actor_of(request))
                    if licence:
                        services.organisation_attach_licence(
                            organisation=organisation, file=licence, actor=actor_of(request)
                        )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request, _("Organisation %(name)s saved.") % {"name": organisation}
                )
                return redirect("organisation_detail", pk=organisation.pk)
        return render(request, self.template_name, {"form": form})


class OrganisationUpdateView(LoginRequiredMixin, View):
    template_name = "accounts/organisation_form.html"

    def get_object(self, request: HttpRequest, pk: int) -> Organisation:
        organisation = get_object_or_404(selectors.organisation_list(user=request.user), pk=pk)
        if not request.user.has_perm("accounts.change_organisation", organisation):
            raise PermissionDenied
        return organisation

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        organisation = self.get_object(request, pk)
        initial = {
            f: getattr(organisation, f)
            for f in ("credit_code", "name", "org_type", "region", "contact_name", "contact_phone")
        }
        form = OrganisationForm(initial=initial, regions=_organisation_form_regions(request.user))
        return render(request, self.template_name, {"form": form, "object": organisation})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organisation = self.get_object(request, pk)
        form = OrganisationForm(
            request.POST, request.FILES, regions=_organisation_form_regions(request.user)
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            licence = data.pop("licence")
            try:
                with transaction.atomic(durable=True):
                    services.organisation_update(
                        organisation=organisation, actor=actor_of(request), **data
                    )
                    if licence:
                        services.organisation_attach_licence(
                            organisation=organisation, file=licence, actor=actor_of(request)
                        )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request, _("Organisation %(name)s saved.") % {"name": organisation}
                )
                return redirect("organisation_detail", pk=organisation.pk)
        return render(request, self.template_name, {"form": form, "object": organisation})


def organisation_licence_download(request: HttpRequest, pk: int) -> FileResponse:
    if not request.user.is_authenticated:
        raise Http404
    organisation = get_object_or_404(selectors.organisation_list(user=request.user), pk=pk)
    if not request.user.has_perm("accounts.view_organisation", organisation):
        raise Http404
    if not organisation.licence:
        raise Http404
    stored = str(organisation.licence.name).rsplit("/", 1)[-1]
    response = FileResponse(organisation.licence.open("rb"))
    attach(response, organisation.licence_name or stored, fallback=f"licence-{organisation.pk}")
    return response


def organisation_export(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    filterset = OrganisationFilter(
        request.GET, queryset=selectors.organisation_list(user=request.user), user=request.user
    )
    rows = (
        (
            o.credit_code,
            o.name,
            o.get_org_type_display(),
            o.region.name,
            o.contact_name,
            mask_phone(o.contact_phone),
        )
        for o in filterset.qs.iterator(chunk_size=2000)
    )
    headers = ["统一社会信用代码", "单位名称", "单位类型", "所属区县", "联系人", "联系电话"]
    return download(
        table_to_xlsx("单位", headers, rows),
        f"单位名单-{clock.iso_date(clock.today())}.xlsx",
        fallback="organisations.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


class PersonListView(ScopedListView):
    template_name = "accounts/person_list.html"
    filterset_class = PersonFilter

    def get_queryset(self) -> Any:
        return selectors.person_list(user=self.request.user)


class PersonDetailView(ScopedDetailView):
    template_name = "accounts/person_detail.html"
    permission = "accounts.view_person"

    def get_queryset(self) -> Any:
        return selectors.person_list(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["can_edit"] = user.has_perm("accounts.change_person", self.object)
        ctx["show_full_id"] = user.has_perm("accounts.view_full_id_number")
        return ctx


def _person_form_kwargs(user: Any) -> dict[str, Any]:
    return {
        "regions": selectors.districts_for(user=user),
        "organisations": selectors.organisation_list(user=user),
    }


class PersonCreateView(LoginRequiredMixin, View):
    template_name = "accounts/person_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.has_perm("accounts.add_person"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, self.template_name, {"form": PersonForm(**_person_form_kwargs(request.user))}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PersonForm(request.POST, **_person_form_kwargs(request.user))
        if form.is_valid():
            try:
                with transaction.atomic(durable=True):
                    person = services.person_create(**form.cleaned_data, actor=actor_of(request))
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Person %(name)s saved.") % {"name": person})
                return redirect("person_detail", pk=person.pk)
        return render(request, self.template_name, {"form": form})


class PersonUpdateView(LoginRequiredMixin, View):
    template_name = "accounts/person_form.html"

    def get_object(self, request: HttpRequest, pk: int) -> Person:
        person = get_object_or_404(selectors.person_list(user=request.user), pk=pk)
        if not request.user.has_perm("accounts.change_person", person):
            raise PermissionDenied
        return person

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_object(request, pk)
        initial = {
            f: getattr(person, f) for f in ("name", "region", "organisation", "mobile", "email")
        }
        # The stored number is shown masked; re-typing it is needed to change it.
        form = PersonForm(initial=initial, **_person_form_kwargs(request.user))
        form.fields["id_number"].required = False
        form.fields["id_number"].help_text = _("Leave empty to keep %(masked)s.") % {
            "masked": person.id_number_masked
        }
        return render(request, self.template_name, {"form": form, "object": person})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.get_object(request, pk)
        data = request.POST.copy()
        if not data.get("id_number", "").strip():
            data["id_number"] = person.id_number
        form = PersonForm(data, **_person_form_kwargs(request.user))
        if form.is_valid():
            try:
                with transaction.atomic(durable=True):
                    services.person_update(
                        person=person, actor=actor_of(request), **form.cleaned_data
                    )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Person %(name)s saved.") % {"name": person})
                return redirect("person_detail", pk=person.pk)
        return render(request, self.template_name, {"form": form, "object": person})


def person_export(request: HttpRequest) -> HttpResponse:
    """Downloads always mask the ID number and the mobile, whoever downloads."""
    if not request.user.is_authenticated:
        return redirect("login")
    filterset = PersonFilter(
        request.GET, queryset=selectors.person_list(user=request.user), user=request.user
    )
    rows = (
        (
            p.name,
            mask_id_number(p.id_number),
            p.organisation.name if p.organisation else "",
            p.region.name,
            mask_phone(p.mobile),
            p.email,
        )
        for p in filterset.qs.iterator(chunk_size=2000)
    )
    headers = ["姓名", "身份证号", "工作单位", "所属区县", "手机", "邮箱"]
    return download(
        table_to_xlsx("人员", headers, rows),
        f"人员名单-{clock.iso_date(clock.today())}.xlsx",
        fallback="persons.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
