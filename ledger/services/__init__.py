"""The only writes of the ledger, by subject:

* ``posting`` — the posting primitive (balanced entries, reversals) and shared helpers;
* ``budget`` — budget lines, adjustments, indicators to districts, commitments;
* ``disbursements`` — 拨付单 from draft to payment and return;
* ``repayable`` — repayable funding: schedules, accrual and aging, repayments, 展期, 核销;
* ``bank`` — bank accounts, funds received, statements and reconciliation;
* ``expert_fees`` — expert fees of a review panel: approval and payment net of tax;
* ``surplus`` — 结余 due back from a closed project and its return from the bank;
* ``sealing`` — sealing posted entries into the hash chain, in blocks.

Every function is atomic; callers (views, commands, the domain apps) wrap the outermost
call in ``transaction.atomic(durable=True)``. Rows are locked in the one order written in
``ledger.locks``. Refusals are ``LedgerError`` with a translated message.

The services take opaque references for everything outside the ledger: ``project_ref``
(the project's number), ``payee_name`` / ``payee_account``, ``scope_path`` (the region
path the row belongs to). Users are whatever ``AUTH_USER_MODEL`` is. Callers import the
package (``from ledger import services``); the modules are its parts.
"""

from __future__ import annotations

from .bank import (
    BalanceCheck,
    MatchReport,
    StatementRow,
    bank_account_open,
    bank_funding_record,
    ledger_bank_balance,
    statement_auto_match,
    statement_check_balance,
    statement_create,
    statement_import,
    statement_line_add,
    statement_line_ignore,
    statement_line_match,
    statement_line_record_repayment,
)
from .budget import (
    budget_adjustment_approve,
    budget_adjustment_reject,
    budget_adjustment_request,
    budget_indicator_issue,
    budget_line_create,
    commitment_post,
    commitment_release,
    indicator_supplement_approve,
    indicator_supplement_reject,
    indicator_supplement_request,
    line_account,
)
from .disbursements import (
    OPEN_ORDERS,
    PaymentsStopped,
    disbursement_accounts,
    disbursement_approve,
    disbursement_cancel,
    disbursement_create,
    disbursement_pay,
    disbursement_reject,
    disbursement_return,
    disbursement_submit,
    payments_stop,
)
from .expert_fees import (
    FEE_KINDS,
    expert_fees_approve,
    expert_fees_pay,
    expert_fees_release,
    fee_account,
)
from .posting import (
    BOOKS_BEGIN,
    FUTURE_TOLERANCE,
    LINE_KINDS,
    REPAYABLE_KINDS,
    Book,
    EntrySpec,
    Kind,
    Posting,
    account_balance,
    ahead,
    check_value_date,
    entries_post,
    entry_post,
    entry_reverse,
)
from .recovery import (
    dunning_notice_issue,
    dunning_record,
    legal_case_advance,
    legal_case_refer,
)
from .recovery_rules import UNECONOMIC_MAX_FEN, repayment_path, write_off_problem
from .repayable import (
    MAX_TERM_MONTHS,
    OPEN_REPAYABLE,
    AgingReport,
    paid_out_on,
    receivables_age,
    receivables_to_age,
    repayable_account,
    repayable_age,
    repayable_call_in,
    repayable_open,
    repayment_date_problem,
    repayment_record,
    reschedule_approve,
    reschedule_reject,
    reschedule_request,
    write_off_approve,
    write_off_reject,
    write_off_request,
)
from .sealing import SealResult, ledger_seal, unsealed_summary
from .surplus import surplus_due_post, surplus_receive

__all__ = [
    "BOOKS_BEGIN",
    "FEE_KINDS",
    "FUTURE_TOLERANCE",
    "LINE_KINDS",
    "MAX_TERM_MONTHS",
    "OPEN_ORDERS",
    "OPEN_REPAYABLE",
    "REPAYABLE_KINDS",
    "UNECONOMIC_MAX_FEN",
    "AgingReport",
    "BalanceCheck",
    "Book",
    "EntrySpec",
    "Kind",
    "MatchReport",
    "PaymentsStopped",
    "Posting",
    "SealResult",
    "StatementRow",
    "account_balance",
    "ahead",
    "bank_account_open",
    "bank_funding_record",
    "budget_adjustment_approve",
    "budget_adjustment_reject",
    "budget_adjustment_request",
    "budget_indicator_issue",
    "budget_line_create",
    "check_value_date",
    "commitment_post",
    "commitment_release",
    "disbursement_accounts",
    "disbursement_approve",
    "disbursement_cancel",
    "disbursement_create",
    "disbursement_pay",
    "disbursement_reject",
    "disbursement_return",
    "disbursement_submit",
    "dunning_notice_issue",
    "dunning_record",
    "entries_post",
    "entry_post",
    "entry_reverse",
    "expert_fees_approve",
    "expert_fees_pay",
    "expert_fees_release",
    "fee_account",
    "indicator_supplement_approve",
    "indicator_supplement_reject",
    "indicator_supplement_request",
    "ledger_bank_balance",
    "ledger_seal",
    "legal_case_advance",
    "legal_case_refer",
    "line_account",
    "paid_out_on",
    "payments_stop",
    "receivables_age",
    "receivables_to_age",
    "repayable_account",
    "repayable_age",
    "repayable_call_in",
    "repayable_open",
    "repayment_date_problem",
    "repayment_path",
    "repayment_record",
    "reschedule_approve",
    "reschedule_reject",
    "reschedule_request",
    "statement_auto_match",
    "statement_check_balance",
    "statement_create",
    "statement_import",
    "statement_line_add",
    "statement_line_ignore",
    "statement_line_match",
    "statement_line_record_repayment",
    "surplus_due_post",
    "surplus_receive",
    "unsealed_summary",
    "write_off_approve",
    "write_off_problem",
    "write_off_reject",
    "write_off_request",
]
