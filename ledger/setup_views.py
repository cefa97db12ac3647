"""The year's set-up by finance, so that a fresh install needs no admin: budget lines
(预算科目, with the budget issued to them), the region's bank accounts, and the fiscal
funds that arrive in them. Each page is for the makers of a region (``ledger.add_…``);
what is posted asks first (core/confirm.py) and goes through ``ledger.services``."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core import clock
from core.confirm import confirmation_needed

from . import selectors, services
from .access import programmes_for, reader_paths, region_names
from .forms import BankAccountForm, BudgetLineForm, FundingForm
from .models import BankAccount, Instrument
from .views import LedgerView, _form_errors, _run

MAKER_ROLES = ("finance", "district_finance")


def _regions(request: HttpRequest, perm: str) -> list[tuple[str, str]]:
    """The regions where the user may ``perm`` (path, name), the widest first."""
    user: Any = request.user
    paths = sorted(set(user.paths_for_roles(*MAKER_ROLES)), key=lambda p: (len(p), p))
    allowed = [p for p in paths if user.has_perm(perm, SimpleNamespace(scope_path=p))]
    names = region_names(allowed)
    return [(p, names[p]) for p in allowed]


class BudgetLineCreateView(LedgerView):
    """A new budget line of one of the user's regions, with its budget issued at once."""

    template_name = "ledger/budget_line_form.html"

    def _form(self, request: HttpRequest, data: Any = None) -> BudgetLineForm:
        regions = _regions(request, "ledger.add_budgetline")
        if not regions:
            raise PermissionDenied
        programmes: dict[str, str] = {}
        for path, _name in regions:
            programmes.update(programmes_for(path))
        today = clock.today()
        return BudgetLineForm(
            data,
            regions=regions,
            programmes=sorted(programmes.items()),
            initial={"year": today.year, "value_date": today},
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": self._form(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        data = form.cleaned_data
        names = dict(form.fields["scope_path"].choices)  # type: ignore[attr-defined]
        programmes = dict(form.fields["programme_code"].choices)  # type: ignore[attr-defined]
        name = data["name"] or " ".join(
            [
                f"{data['year']}年",
                str(programmes[data["programme_code"]]),
                str(Instrument(data["instrument"]).label),
                str(names[data["scope_path"]]),
            ]
        )
        asked = confirmation_needed(
            request,
            action=_("Create the budget line and issue its budget"),
            subject=name,
            back=reverse("ledger:budget_line_list"),
            form=form,
        )
        if asked is not None:
            return asked
        made: list[Any] = []
        if _run(
            request,
            lambda: made.append(
                services.budget_line_create(
                    year=data["year"],
                    funding_source=data["funding_source"],
                    instrument=data["instrument"],
                    programme_code=data["programme_code"],
                    name=name,
                    scope_path=data["scope_path"],
                    amount=data["amount"],
                    value_date=data["value_date"],
                    document_no=data["document_no"],
                    actor=request.user,
                )
            ),
            _("Budget line created."),
        ):
            return redirect("ledger:budget_line_detail", pk=made[0].pk)
        return render(request, self.template_name, {"form": form})


class BankAccountListView(LedgerView):
    """The bank accounts of the user's regions with their balance in the books; the
    makers open an account here and record the fiscal funds that arrive in one."""

    template_name = "ledger/bank_account_list.html"

    def _context(self, request: HttpRequest, **forms: Any) -> dict[str, Any]:
        accounts = (
            BankAccount.objects.in_scope(reader_paths(request.user))
            .select_related("account")
            .order_by("scope_path", "name")
        )
        open_regions = _regions(request, "ledger.add_bankaccount")
        banks = selectors.bank_account_list(user=request.user).filter(
            scope_path__in=[p for p, _n in _regions(request, "ledger.record_funding")]
        )
        return {
            "accounts": accounts,
            "open_form": forms.get("open_form")
            or (BankAccountForm(regions=open_regions) if open_regions else None),
            "funding_form": forms.get("funding_form")
            or (
                FundingForm(
                    banks=banks,
                    initial={"value_date": clock.today(), "token": uuid.uuid4()},
                )
                if banks.exists()
                else None
            ),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self._context(request))

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        back = reverse("ledger:bank_account_list")
        if action == "open":
            regions = _regions(request, "ledger.add_bankaccount")
            if not regions:
                raise PermissionDenied
            form = BankAccountForm(request.POST, regions=regions)
            if not form.is_valid():
                _form_errors(request, form)
                return render(request, self.template_name, self._context(request, open_form=form))
            data = form.cleaned_data
            asked = confirmation_needed(
                request,
                action=_("Open the bank account"),
                subject=data["name"],
                back=back,
                form=form,
            )
            if asked is not None:
                return asked
            _run(
                request,
                lambda: services.bank_account_open(
                    name=data["name"],
                    bank_name=data["bank_name"],
                    account_number=data["account_number"],
                    scope_path=data["scope_path"],
                    actor=request.user,
                ),
                _("Bank account opened."),
            )
        elif action == "fund":
            paths = [p for p, _n in _regions(request, "ledger.record_funding")]
            banks = selectors.bank_account_list(user=request.user).filter(scope_path__in=paths)
            if not paths:
                raise PermissionDenied
            funding = FundingForm(request.POST, banks=banks)
            if not funding.is_valid():
                _form_errors(request, funding)
                return render(
                    request, self.template_name, self._context(request, funding_form=funding)
                )
            data = funding.cleaned_data
            asked = confirmation_needed(
                request,
                action=_("Record the funds received"),
                subject=data["bank_account"].name,
                back=back,
                form=funding,
            )
            if asked is not None:
                return asked
            _run(
                request,
                lambda: services.bank_funding_record(
                    bank_account=data["bank_account"],
                    amount=data["amount"],
                    value_date=data["value_date"],
                    actor=request.user,
                    idempotency_key=f"funding:{data['token']}",
                    memo=data["memo"],
                ),
                _("Funds received recorded."),
            )
        else:
            raise PermissionDenied
        return redirect("ledger:bank_account_list")
