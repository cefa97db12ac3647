"""个人所得税 withheld on one payment of 劳务报酬 (remuneration for personal services), the
rule an office applies to an expert's fee for one panel (专家劳务费).

For one payment of gross ``G`` yuan:

* deduction (减除费用): 800 when ``G`` ≤ 4 000, else 20 % of ``G``;
* taxable income (应纳税所得额): ``max(G − deduction, 0)``;
* tax: 20 % of the taxable income up to 20 000; 30 % less 2 000 (速算扣除数) up to
  50 000; 40 % less 7 000 above;
* net (实发) = gross − tax.

Everything is ``Decimal``; the taxable income and the tax are each rounded to the fen
with ``ROUND_HALF_UP`` (``core.money.round_to_fen``, the one rule for computed amounts),
the tax from the unrounded taxable income (4 000.01 → 3 200.008 → 640.0016 → 640.00).
Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
FLAT_DEDUCTION_LIMIT = Decimal("4000")
FLAT_DEDUCTION = Decimal("800")
SHARE_DEDUCTION = Decimal("0.20")
# (taxable income up to, rate, quick deduction 速算扣除数); the last band has no ceiling.
BANDS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
)


@dataclass(frozen=True)
class LabourTax:
    """One payment under the 劳务报酬 rule, in yuan (exact to the fen)."""

    gross: Decimal
    deduction: Decimal
    taxable: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def labour_remuneration_tax(gross: Decimal) -> LabourTax:
    """The tax withheld on one payment of ``gross`` yuan (≥ 0, exact to the fen)."""
    if not isinstance(gross, Decimal) or not gross.is_finite():
        raise ValueError("gross must be a finite Decimal")
    if gross < 0 or gross != gross.quantize(_CENT):
        raise ValueError("gross must be non-negative and exact to the fen")
    deduction = FLAT_DEDUCTION if gross <= FLAT_DEDUCTION_LIMIT else gross * SHARE_DEDUCTION
    taxable = max(gross - deduction, Decimal(0))
    tax = Decimal(0)
    for ceiling, rate, quick in BANDS:
        if ceiling is None or taxable <= ceiling:
            tax = taxable * rate - quick
            break
    tax = max(_fen(tax), Decimal("0.00"))
    return LabourTax(gross=gross, deduction=_fen(deduction), taxable=_fen(taxable), tax=tax)
