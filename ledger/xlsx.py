"""The ledger's workbooks on the shared import framework (``core.importing``, DESIGN §7).

* 银行流水 (``bank_statement``): 交易日期, 金额, 收付方向 (收/付), 对方户名, 对方账号, 摘要,
  流水号 — one statement of one bank account, stored whole by one
  ``services.statement_import`` call, which then matches what it can. A 流水号 already
  imported for that bank account refuses the file (see docs/decisions.md).
* 还款 (``repayments``): 项目编号, 还款日期, 还款金额, 流水号 — one
  ``services.repayment_record`` per row on the repayable account of that project. A
  流水号 already recorded with the same account, amount, date and bank is unchanged, so
  the same file imported twice records nothing twice.

Both are registered from ``LedgerConfig.ready()``. The dry run rehearses the import
(rolled back), so whatever the services refuse is reported before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import importing
from core.importing import Column, CommitSummary, ParseResult, Row, RowError

from . import services
from .access import FINANCE_STAFF
from .errors import LedgerError
from .forms import BankAccountOptionsForm, StatementOptionsForm
from .models import BankAccount, RepayableAccount, Repayment, StatementLine
from .money import fen_to_yuan, format_fen

IN, OUT = StatementLine.Direction.IN, StatementLine.Direction.OUT
# 收付方向: what banks and people write → the direction, seen from our bank account.
DIRECTIONS: dict[str, str] = {"收": IN, "付": OUT}
_DIRECTION_VARIANTS: dict[str, str] = {
    **dict.fromkeys(("收入", "入", "存入", "转入", "贷", "贷方", "in", "credit"), IN),
    **dict.fromkeys(("支出", "出", "支取", "转出", "借", "借方", "out", "debit"), OUT),
}


def _no_separators(text: str) -> str:
    return re.sub(r"[\s-]+", "", text)


def _account_length(code: str) -> None:
    if len(code) > 40:
        raise ValidationError(
            _("Too long: at most %(max)d characters (this has %(n)d).")
            % {"max": 40, "n": len(code)}
        )


def bank_accounts_for(actor: Any, permission: str) -> Any:
    """The bank accounts ``actor`` may import into: within the regions where they keep
    the books, and where ``permission`` holds. ``None`` (the command line without
    ``--as``) may use any."""
    banks = BankAccount.objects.order_by("name", "pk")
    if actor is None:
        return banks
    banks = banks.in_scope(actor.paths_for_roles(*FINANCE_STAFF))
    return banks.filter(pk__in=[b.pk for b in banks if actor.has_perm(permission, b)])


def _reference_column() -> Column:
    return Column(
        "bank_reference",
        "流水号",
        importing.text(60, no_spaces=True),
        required=True,
        as_text=True,
        help=gettext_lazy("The bank's transaction number; each one only once."),
    )


class _IntoBankAccount(importing.Importer):
    """An import into one bank account, chosen in the options among those the user
    may use for this import. The bank's 流水号 is the key; the dry run rehearses the
    import, so that whatever the ledger's services refuse is reported."""

    key = "bank_reference"
    dry_run_rehearses_commit = True
    options_form_class: type[BankAccountOptionsForm] = BankAccountOptionsForm

    def options_form(self, data: Mapping[str, Any] | None = None, *, actor: Any) -> forms.Form:
        banks = bank_accounts_for(actor, self.permission)
        return self.options_form_class(data, banks=banks, prefix="options")


# --- 银行流水 ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatementSummary(CommitSummary):
    """What a statement import did, and what the matching that follows it found."""

    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0

    def __str__(self) -> str:
        matching = _(
            "%(matched)d matched, %(ambiguous)d waiting for a person, %(unmatched)d unmatched."
        ) % {"matched": self.matched, "ambiguous": self.ambiguous, "unmatched": self.unmatched}
        return f"{super().__str__()} {matching}"


class BankStatementImporter(_IntoBankAccount):
    label = gettext_lazy("Bank statement (银行流水)")
    description = gettext_lazy(
        "One statement of one bank account: every line is stored, then matched to "
        "payments and repayments (by 流水号, then by amount and counterparty); the rest "
        "waits on the reconciliation page. A 流水号 already imported for the account is "
        "refused."
    )
    permission = "ledger.import_bankstatement"
    sheet_name = "银行流水"
    options_form_class = StatementOptionsForm
    columns = (
        Column("txn_date", "交易日期", importing.date(), required=True),
        Column(
            "amount",
            "金额",
            importing.money(),
            required=True,
            help=gettext_lazy("Yuan, greater than zero; 收付方向 gives the direction."),
        ),
        Column(
            "direction",
            "收付方向",
            importing.choice({**DIRECTIONS, **_DIRECTION_VARIANTS}, shown=DIRECTIONS),
            required=True,
            help=gettext_lazy("收 (money received) or 付 (money paid out)."),
        ),
        Column("counterparty_name", "对方户名", importing.text(200)),
        Column(
            "counterparty_account",
            "对方账号",
            importing.identifier(_no_separators, _account_length),
            as_text=True,
        ),
        Column("memo", "摘要", importing.text(300)),
        _reference_column(),
    )
    example = (
        {
            "txn_date": "2026-03-05",
            "amount": "180,000.00",
            "direction": "付",
            "counterparty_name": "杭州西湖智慧农业科技有限公司",
            "counterparty_account": "3301040012345678",
            "memo": "拨付 BF20260000001",
            "bank_reference": "ICBC202603050001",
        },
    )

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        start, end = options.get("period_start"), options.get("period_end")
        for row in result.rows:
            if (start and row["txn_date"] < start) or (end and row["txn_date"] > end):
                result.add_error(
                    row,
                    "txn_date",
                    _("Outside the statement's period (%(start)s to %(end)s).")
                    % {"start": start or "…", "end": end or "…"},
                )
                continue
            try:
                services.check_value_date(row["txn_date"], what=_("The transaction date"))
            except LedgerError as error:
                result.add_error(row, "txn_date", error.message)
        bank = options.get("bank_account")
        if bank is None:
            return
        by_reference = {row["bank_reference"]: row for row in result.rows}
        for chunk in importing.chunked(list(by_reference)):
            for line in StatementLine.objects.filter(
                bank_account=bank, bank_reference__in=chunk
            ).select_related("statement"):
                result.add_error(
                    by_reference[line.bank_reference],
                    "bank_reference",
                    _(
                        "Already imported with the statement of %(start)s to %(end)s (its "
                        "row %(row)d); remove this row from the file."
                    )
                    % {
                        "start": line.statement.period_start,
                        "end": line.statement.period_end,
                        "row": line.row_no,
                    },
                )

    def commit(
        self,
        rows: Sequence[Row],
        *,
        actor: Any,
        options: Mapping[str, Any],
        progress: importing.Progress | None = None,
    ) -> CommitSummary:
        """One ``statement_import`` for the whole file: the statement and its lines,
        then the automatic matching."""
        if not rows:
            return StatementSummary()
        dates = [row["txn_date"] for row in rows]
        try:
            _statement, report = services.statement_import(
                bank_account=options["bank_account"],
                rows=[
                    services.StatementRow(
                        row_no=row.number,
                        txn_date=row["txn_date"],
                        amount_fen=row["amount"],
                        direction=row["direction"],
                        counterparty_name=row["counterparty_name"] or "",
                        counterparty_account=row["counterparty_account"] or "",
                        memo=row["memo"] or "",
                        bank_reference=row["bank_reference"],
                    )
                    for row in rows
                ],
                period_start=options.get("period_start") or min(dates),
                period_end=options.get("period_end") or max(dates),
                opening_balance=options["opening_balance"],
                closing_balance=options["closing_balance"],
                actor=actor,
            )
        except LedgerError as error:
            raise importing.RowsRejected(
                [RowError(0, importing.FILE_COLUMN, error.message)]
            ) from None
        if progress is not None:
            progress("import", len(rows), len(rows))
        return StatementSummary(
            created=len(rows),
            matched=report.matched,
            ambiguous=report.ambiguous,
            unmatched=report.unmatched,
        )


# --- 还款 -------------------------------------------------------------------------


def _project_number(value: Any) -> str:
    number = importing.compact(importing.cell_text(value)).upper()
    if len(number) > 64:
        raise importing.CellError(
            _("Too long: at most %(max)d characters (this has %(n)d).")
            % {"max": 64, "n": len(number)}
        )
    return number


class RepaymentImporter(_IntoBankAccount):
    label = gettext_lazy("Repayments (还款)")
    description = gettext_lazy(
        "Money received on repayable funding, one row per bank receipt: it goes to the "
        "overdue fee, then the usage fee, then the principal of the project's account. "
        "A 流水号 already recorded with the same project, amount, date and bank account is "
        "skipped."
    )
    permission = "ledger.record_repayment"
    sheet_name = "还款"
    columns = (
        Column(
            "project_ref",
            "项目编号",
            _project_number,
            required=True,
            as_text=True,
            help=gettext_lazy("The number of the project whose repayable funding is repaid."),
        ),
        Column("value_date", "还款日期", importing.date(), required=True),
        Column("amount", "还款金额", importing.money(), required=True, help=gettext_lazy("Yuan.")),
        _reference_column(),
    )
    example = (
        {
            "project_ref": "KJ2026-YC-001",
            "value_date": "2026-03-05",
            "amount": "2,500.00",
            "bank_reference": "ICBC202603050002",
        },
    )

    def _accounts(self, numbers: set[str], actor: Any) -> dict[str, list[RepayableAccount]]:
        """Repayable accounts by project number, those the user may record on only (the
        others are as good as unknown: out-of-area records are not even named)."""
        found: dict[str, list[RepayableAccount]] = {}
        for chunk in importing.chunked(sorted(numbers)):
            for account in RepayableAccount.objects.filter(project_ref__in=chunk).order_by("pk"):
                if actor is None or actor.has_perm(self.permission, account):
                    found.setdefault(account.project_ref, []).append(account)
        return found

    def _recorded(self, earlier: Repayment, actor: Any) -> str:
        """Why a 流水号 recorded with other figures is refused; a repayment outside the
        user's area is not described."""
        if actor is not None and not actor.has_perm(self.permission, earlier.account):
            return _("This 流水号 is already recorded as another repayment.")
        return _(
            "Already recorded as repayment %(number)s: %(amount)s yuan on %(date)s to "
            "%(account)s, received in %(bank)s."
        ) % {
            "number": earlier.number,
            "amount": format_fen(earlier.amount_fen),
            "date": earlier.value_date,
            "account": earlier.account,
            "bank": earlier.bank_account.name,
        }

    def check(self, result: ParseResult, *, actor: Any, options: Mapping[str, Any]) -> None:
        accounts = self._accounts({row["project_ref"] for row in result.rows}, actor)
        recorded: dict[str, Repayment] = {}
        for chunk in importing.chunked([row["bank_reference"] for row in result.rows]):
            for repayment in Repayment.objects.filter(bank_reference__in=chunk).select_related(
                "account", "bank_account"
            ):
                recorded[repayment.bank_reference] = repayment
        bank = options.get("bank_account")
        for row in result.rows:
            found = accounts.get(row["project_ref"], [])
            if not found:
                result.add_error(
                    row,
                    "project_ref",
                    _("No repayable funding of project %(number)s in your area.")
                    % {"number": row["project_ref"]},
                )
                continue
            if len(found) > 1:
                result.add_error(
                    row,
                    "project_ref",
                    _(
                        "Project %(number)s has several repayable accounts (%(accounts)s); "
                        "record this repayment on the account's page."
                    )
                    % {
                        "number": row["project_ref"],
                        "accounts": "、".join(a.number for a in found),
                    },
                )
                continue
            account = found[0]
            problem = services.repayment_date_problem(account, row["value_date"])
            if problem:
                result.add_error(row, "value_date", problem)
                continue
            earlier = recorded.get(row["bank_reference"])
            if earlier is not None:
                if (
                    earlier.account_id == account.pk
                    and earlier.amount_fen == row["amount"]
                    and earlier.value_date == row["value_date"]
                    and (bank is None or earlier.bank_account_id == bank.pk)
                ):
                    row.values["unchanged"] = True  # the same receipt imported again
                else:
                    result.add_error(row, "bank_reference", self._recorded(earlier, actor))
                continue
            if not account.takes_repayments:
                result.add_error(
                    row,
                    "project_ref",
                    _("%(what)s is %(status)s; it takes no repayment.")
                    % {"what": account, "status": account.get_status_display()},
                )
                continue
            row.values["account"] = account

    def commit(
        self,
        rows: Sequence[Row],
        *,
        actor: Any,
        options: Mapping[str, Any],
        progress: importing.Progress | None = None,
    ) -> CommitSummary:
        """In the order the money arrived, so that each receipt is allocated to what was
        owed on its own date (a repayment dated before an earlier one is backdated)."""
        in_date_order = sorted(rows, key=lambda row: (row["value_date"], row.number))
        return super().commit(in_date_order, actor=actor, options=options, progress=progress)

    def commit_row(self, row: Row, *, actor: Any, options: Mapping[str, Any]) -> str:
        if row["unchanged"]:
            return "unchanged"
        try:
            services.repayment_record(
                account=row["account"],
                amount=fen_to_yuan(row["amount"]),
                value_date=row["value_date"],
                bank_account=options["bank_account"],
                bank_reference=row["bank_reference"],
                actor=actor,
            )
        except LedgerError as error:
            # The services' refusals are about the money: more than is owed, and so on.
            raise ValidationError({"amount": error.message}) from None
        return "created"


def register() -> None:
    """Called from ``LedgerConfig.ready()``."""
    importing.register("bank_statement", BankStatementImporter())
    importing.register("repayments", RepaymentImporter())
