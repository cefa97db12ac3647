"""The 劳务报酬 withholding rule (reviews.fee_tax) on the worked figures of issue 15, and
the properties that hold for every gross amount."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviews.fee_tax import labour_remuneration_tax

D = Decimal


@pytest.mark.parametrize(
    ("gross", "deduction", "taxable", "tax", "net"),
    [
        # up to 4 000 the deduction is 800: 800 − 800 = 0, nothing withheld
        ("800.00", "800.00", "0.00", "0.00", "800.00"),
        # below 800 there is nothing taxable either (never a negative tax)
        ("500.00", "800.00", "0.00", "0.00", "500.00"),
        # 4 000 − 800 = 3 200; 3 200 × 20 % = 640
        ("4000.00", "800.00", "3200.00", "640.00", "3360.00"),
        # above 4 000 the deduction is 20 %: 4 000.01 × 0.8 = 3 200.008 → × 20 % = 640.0016
        ("4000.01", "800.00", "3200.01", "640.00", "3360.01"),
        # 30 000 × 0.8 = 24 000; 24 000 × 30 % − 2 000 = 5 200
        ("30000.00", "6000.00", "24000.00", "5200.00", "24800.00"),
        # 25 000 × 0.8 = 20 000, the top of the 20 % band: 4 000
        ("25000.00", "5000.00", "20000.00", "4000.00", "21000.00"),
        # 100 000 × 0.8 = 80 000; 80 000 × 40 % − 7 000 = 25 000
        ("100000.00", "20000.00", "80000.00", "25000.00", "75000.00"),
        # 1 234.56 − 800 = 434.56; × 20 % = 86.912 → 86.91
        ("1234.56", "800.00", "434.56", "86.91", "1147.65"),
    ],
)
def test_worked_figures(gross, deduction, taxable, tax, net):
    result = labour_remuneration_tax(D(gross))
    assert result.deduction == D(deduction)
    assert result.taxable == D(taxable)
    assert result.tax == D(tax)
    assert result.net == D(net)


def test_rounding_is_half_up_to_the_fen():
    # 1 000.03 − 800 = 200.03; × 20 % = 40.006 → 40.01 (half-up, not down)
    assert labour_remuneration_tax(D("1000.03")).tax == D("40.01")
    # 1 000.02 − 800 = 200.02; × 20 % = 40.004 → 40.00
    assert labour_remuneration_tax(D("1000.02")).tax == D("40.00")


@pytest.mark.parametrize("bad", [D("-0.01"), D("1.001"), D("NaN")])
def test_refuses_a_negative_or_inexact_gross(bad):
    with pytest.raises(ValueError):
        labour_remuneration_tax(bad)


GROSS = st.decimals(min_value=D("0"), max_value=D("2000000"), places=2)


@given(GROSS)
def test_tax_is_never_negative_and_never_more_than_the_gross(gross):
    result = labour_remuneration_tax(gross)
    assert result.tax >= 0
    assert result.net <= gross
    assert result.net >= 0
    # the top band withholds at most 40 % of the taxable income, itself at most the gross
    assert result.tax <= result.taxable * D("0.40") + D("0.005")
    assert result.taxable <= gross


@given(GROSS, st.decimals(min_value=D("0.01"), max_value=D("60000"), places=2))
def test_more_gross_never_means_less_net(gross, more):
    # The rule is continuous (at 4 000 the 20 % deduction equals 800; at 20 000 and
    # 50 000 the bands meet) and the marginal rate on the gross is at most 32 %, so the
    # net does not fall when the gross rises, even after rounding to the fen.
    assert labour_remuneration_tax(gross + more).net >= labour_remuneration_tax(gross).net


@pytest.mark.parametrize("edge", ["4000.00", "25000.00", "62500.00"])
def test_no_jump_at_the_boundaries(edge):
    # 4 000 (deduction switch), 25 000 and 62 500 gross (taxable 20 000 and 50 000)
    below = labour_remuneration_tax(D(edge))
    above = labour_remuneration_tax(D(edge) + D("0.01"))
    assert D("0") <= above.tax - below.tax <= D("0.01")
