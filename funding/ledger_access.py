"""Roles → ledger: menu entries, home queues and permission rules for the ledger's pages.

The ledger knows no domain app (DESIGN §2), so the mapping from roles to what they may
do in the ledger lives here, in the lowest app that may import both accounts and ledger.

* Reading: finance, finance checker, district finance, city officer, auditor and admin,
  each within the region subtree they hold the role for (``in_region_as``).
* Making (maker): finance (市财政局) and district finance (区县财政局, who pay awardees).
* Checking (checker): the finance checker and district finance. That the checker is not
  the maker is a rule of ``ledger.services`` itself, whoever the roles allow.
"""

from __future__ import annotations

from typing import Any

import rules
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.navigation import Queue, QueueRow, first_rows, register_nav, register_queue
from accounts.permissions import has_role, in_region_as, scope_of
from accounts.roles import REGISTRY_EDITORS, Role

READERS = (
    Role.FINANCE,
    Role.FINANCE_CHECKER,
    Role.DISTRICT_FINANCE,
    Role.CITY_OFFICER,
    Role.AUDITOR,
    Role.ADMIN,
)
MAKERS = (Role.FINANCE, Role.DISTRICT_FINANCE)
CHECKERS = (Role.FINANCE_CHECKER, Role.DISTRICT_FINANCE)

LEDGER_MODELS = (
    "account",
    "entry",
    "leg",
    "chainhead",
    "block",
    "budgetline",
    "budgetadjustment",
    "budgetindicator",
    "indicatorsupplement",
    "commitment",
    "bankaccount",
    "disbursement",
    "repayableaccount",
    "instalment",
    "repayment",
    "reschedule",
    "writeoff",
    "bankstatement",
    "statementline",
    "surplusreturn",
    "dunningstep",
    "legalcase",
)


@rules.predicate
def reads_ledger(user: Any, obj: Any = None) -> bool:
    """Rows with a region are read within the user's subtree; rows without one
    (journal entries, legs, instalments) by anyone who reads the ledger."""
    scope = scope_of(user)
    path = getattr(obj, "scope_path", None) if obj is not None else None
    if not path:
        return scope.has_any(READERS)
    return scope.covers(path, READERS)


def _payee_refs(user: Any) -> list[str]:
    """An applicant's organisations, by 统一社会信用代码 (the ledger's ``payee_ref``)."""
    from accounts.models import Organisation

    ids = scope_of(user).organisation_ids
    if not ids:
        return []
    return list(Organisation.objects.filter(pk__in=ids).values_list("credit_code", flat=True))


def _districts(path: str) -> list[tuple[str, str]]:
    from accounts.models import OrgUnit

    return list(
        OrgUnit.objects.districts()
        .filter(path__startswith=path)
        .order_by("path")
        .values_list("path", "name")
    )


def _programmes(path: str) -> list[tuple[str, str]]:
    """Programmes owned by ``path`` or a region above it (a district's line may carry a
    city programme's money)."""
    from funding.models import Programme

    owners = [path[: i + 1] for i, c in enumerate(path) if c == "/" and i > 0]
    return list(
        Programme.objects.filter(owner_unit__path__in=owners)
        .order_by("code")
        .values_list("code", "name")
    )


def _region_names(paths: Any) -> dict[str, str]:
    from accounts.models import OrgUnit

    return dict(OrgUnit.objects.filter(path__in=list(paths)).values_list("path", "name"))


def _checker_queue(user: Any) -> Queue:
    from ledger.models import Disbursement

    paths = user.paths_for_roles(*CHECKERS)
    qs = Disbursement.objects.in_scope(paths).waiting_for_checker().exclude(maker=user)
    found, total = first_rows(qs.order_by("submitted_at", "pk"))
    rows = [
        QueueRow(
            label=f"{d.number} {d.payee_name}",
            url=reverse("ledger:disbursement_detail", args=[d.pk]),
            note=f"{d.amount_yuan:,.2f} 元",
        )
        for d in found
    ]
    return Queue(
        title=_("Disbursements waiting for my approval"),
        rows=rows,
        total=total,
        more_url=reverse("ledger:disbursement_list") + "?status=submitted",
        empty_text=_("No disbursement waits for approval."),
    )


def _payment_queue(user: Any) -> Queue:
    from ledger.models import Disbursement

    paths = user.paths_for_roles(*MAKERS)
    qs = Disbursement.objects.in_scope(paths).waiting_for_payment()
    found, total = first_rows(qs.order_by("approved_at", "pk"))
    rows = [
        QueueRow(
            label=f"{d.number} {d.payee_name}",
            url=reverse("ledger:disbursement_detail", args=[d.pk]),
            note=f"{d.amount_yuan:,.2f} 元",
        )
        for d in found
    ]
    return Queue(
        title=_("Approved disbursements waiting for the bank"),
        rows=rows,
        total=total,
        more_url=reverse("ledger:disbursement_list") + "?status=approved",
        empty_text=_("Nothing waits for payment."),
    )


def _overdue_queue(user: Any) -> Queue:
    from ledger.models import RepayableAccount

    paths = user.paths_for_roles(*MAKERS, Role.FINANCE_CHECKER)
    qs = RepayableAccount.objects.in_scope(paths).filter(status=RepayableAccount.Status.OVERDUE)
    found, total = first_rows(qs.order_by("-days_overdue", "pk"))
    rows = [
        QueueRow(
            label=f"{a.number} {a.borrower_name}",
            url=reverse("ledger:repayable_detail", args=[a.pk]),
            note=str(_("%(days)d days overdue") % {"days": a.days_overdue}),
        )
        for a in found
    ]
    return Queue(
        title=_("Overdue repayable funding"),
        rows=rows,
        total=total,
        more_url=reverse("ledger:repayable_list") + "?overdue=1",
        empty_text=_("Nothing is overdue."),
    )


def _draft_queue(user: Any) -> Queue:
    """Payment orders the user made that are still drafts: nobody is asked to approve
    them until their maker submits them."""
    from ledger.models import Disbursement

    paths = user.paths_for_roles(*MAKERS)
    qs = Disbursement.objects.in_scope(paths).filter(status=Disbursement.Status.DRAFT, maker=user)
    action = str(_("submit it for approval"))
    found, total = first_rows(qs.order_by("created_at", "pk"))
    rows = [
        QueueRow(
            label=f"{d.number} {d.payee_name}",
            url=reverse("ledger:disbursement_detail", args=[d.pk]),
            note=f"{d.amount_yuan:,.2f} 元 · {action}",
        )
        for d in found
    ]
    return Queue(
        title=_("My payment orders still drafts"),
        rows=rows,
        total=total,
        more_url=reverse("ledger:disbursement_list") + "?status=draft",
        empty_text=_("No draft payment order."),
    )


def _changes_queue(user: Any) -> Queue:
    """预算调剂, 展期 and 核销 requested by someone else, waiting for the checker."""
    from ledger.models import BudgetAdjustment, Reschedule, WriteOff

    paths = user.paths_for_roles(*CHECKERS)
    adjustments = (
        BudgetAdjustment.objects.in_scope(paths)
        .filter(status=BudgetAdjustment.Status.REQUESTED)
        .exclude(requested_by=user)
        .select_related("budget_line")
    )
    reschedules = (
        Reschedule.objects.in_scope(paths)
        .filter(status="requested")
        .exclude(requested_by=user)
        .select_related("account")
    )
    write_offs = (
        WriteOff.objects.in_scope(paths)
        .filter(status="requested")
        .exclude(requested_by=user)
        .select_related("account")
    )
    rows = (
        [
            QueueRow(
                label=a.budget_line.name,
                url=reverse("ledger:budget_line_detail", args=[a.budget_line_id]),
                note=str(_("budget adjustment to approve")),
            )
            for a in adjustments[:10]
        ]
        + [
            QueueRow(
                label=f"{r.account.number} {r.account.borrower_name}",
                url=reverse("ledger:repayable_detail", args=[r.account_id]),
                note=str(_("reschedule to approve")),
            )
            for r in reschedules[:10]
        ]
        + [
            QueueRow(
                label=f"{w.account.number} {w.account.borrower_name}",
                url=reverse("ledger:repayable_detail", args=[w.account_id]),
                note=str(_("write-off to approve")),
            )
            for w in write_offs[:10]
        ]
    )
    return Queue(
        title=_("Budget adjustments, reschedules and write-offs to approve"),
        rows=rows,
        total=adjustments.count() + reschedules.count() + write_offs.count(),
        empty_text=_("No change is waiting for approval."),
    )


def register() -> None:
    """Registered from FundingConfig.ready()."""
    from ledger import access

    access.set_payee_refs_resolver(_payee_refs)
    access.set_districts_resolver(_districts)
    access.set_programmes_resolver(_programmes)
    access.set_region_names_resolver(_region_names)

    reads = reads_ledger
    makes = in_region_as(*MAKERS)
    checks = in_region_as(*CHECKERS)
    rules.add_perm("ledger.view_ledger", has_role(*READERS))
    for model in LEDGER_MODELS:
        rules.add_perm(f"ledger.view_{model}", reads)
    rules.add_perm("ledger.add_disbursement", makes)
    rules.add_perm("ledger.submit_disbursement", makes)
    rules.add_perm("ledger.cancel_disbursement", makes)
    rules.add_perm("ledger.pay_disbursement", makes)
    rules.add_perm("ledger.return_disbursement", makes)
    rules.add_perm("ledger.approve_disbursement", checks)
    rules.add_perm("ledger.request_budgetadjustment", makes)
    rules.add_perm("ledger.approve_budgetadjustment", checks)
    rules.add_perm("ledger.record_repayment", makes)
    rules.add_perm("ledger.request_reschedule", makes)
    rules.add_perm("ledger.request_writeoff", makes)
    rules.add_perm("ledger.approve_reschedule", checks)
    rules.add_perm("ledger.approve_writeoff", checks)
    rules.add_perm("ledger.import_bankstatement", makes)
    # the year's set-up by finance: budget lines, bank accounts, funds received
    rules.add_perm("ledger.add_budgetline", makes)
    rules.add_perm("ledger.add_bankaccount", makes)
    rules.add_perm("ledger.record_funding", makes)
    rules.add_perm("ledger.reconcile_bankstatement", makes | checks)
    rules.add_perm("ledger.view_own_funding", has_role(Role.APPLICANT))

    register_nav("ledger", _("Finance"), "ledger:home", READERS, 50)
    register_nav(
        "ledger_disbursements", _("Disbursements"), "ledger:disbursement_list", READERS, 51
    )
    register_nav("ledger_budget", _("Budget lines"), "ledger:budget_line_list", READERS, 52)
    register_nav("ledger_repayable", _("Repayable funding"), "ledger:repayable_list", READERS, 53)
    register_nav(
        "ledger_bank_accounts", _("Bank accounts"), "ledger:bank_account_list", READERS, 55
    )
    register_nav(
        "ledger_statements", _("Bank reconciliation"), "ledger:statement_list", READERS, 54
    )
    register_nav("ledger_my_funding", _("My funding"), "ledger:my_funding", {Role.APPLICANT}, 60)
    # The imports menu (registered by accounts for the registry editors) now holds the
    # ledger's bank statements and repayments too, which the makers import. Same key,
    # so this registration (FundingConfig.ready runs after AccountsConfig's) replaces it.
    register_nav("imports", _("Imports"), "imports:index", {*REGISTRY_EDITORS, *MAKERS}, 85)
    register_queue("ledger.checker", CHECKERS, _checker_queue, 50)
    register_queue("ledger.payment", MAKERS, _payment_queue, 51)
    register_queue("ledger.overdue", (*MAKERS, Role.FINANCE_CHECKER), _overdue_queue, 52)
    register_queue("ledger.drafts", MAKERS, _draft_queue, 49)
    register_queue("ledger.changes", CHECKERS, _changes_queue, 53)
