"""Writes of the funding app: programmes, categories and their eligibility rules, calls
and their state machine, quotas and quota cuts, district statistics, debarments.

These services are the only door to these records: the Django admin is read-only for
them, or saves through them (funding/admin.py, docs/decisions.md). Each one checks its
actor against the permission rules (funding/rules.py; ``actor=None`` is the system
itself), keeps the domain rules written in it, and records what it changed in the
trail (``ConfigChange``, funding/trail.py) in the same transaction.
"""

from .calls import (
    CALL_EDITABLE,
    CALL_FIELDS,
    CALL_TRANSITIONS,
    call_advance,
    call_apply_template,
    call_close,
    call_create,
    call_open,
    call_open_problems,
    call_update,
)
from .common import MAX_AMOUNT_FEN, FundingError, authorise
from .programmes import (
    PROGRAMME_FIELDS,
    category_create,
    category_update,
    programme_create,
    programme_update,
    rule_add,
    rule_delete,
    rule_update,
)
from .quotas import QuotaRow, quota_cut_register, quota_refusal, quota_set, quotas_set
from .registers import active_debarment, debarment_create, district_statistic_set, fact_choices

__all__ = [
    "CALL_EDITABLE",
    "CALL_FIELDS",
    "CALL_TRANSITIONS",
    "MAX_AMOUNT_FEN",
    "PROGRAMME_FIELDS",
    "FundingError",
    "QuotaRow",
    "active_debarment",
    "authorise",
    "call_advance",
    "call_apply_template",
    "call_close",
    "call_create",
    "call_open",
    "call_open_problems",
    "call_update",
    "category_create",
    "category_update",
    "debarment_create",
    "district_statistic_set",
    "fact_choices",
    "programme_create",
    "programme_update",
    "quota_cut_register",
    "quota_refusal",
    "quota_set",
    "quotas_set",
    "rule_add",
    "rule_delete",
    "rule_update",
]
