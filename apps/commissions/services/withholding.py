"""Income tax withheld from webmasters' statements (issue 17, docs/currency.md). Pure.

The tenant's ``withholding_rule`` (off by default) applies to individual webmasters only: one
``is_company`` is paid on invoice and never withheld. It is evaluated on each statement's gross
(``opening balance + lines``) when the statement pays out (``statement_totals``): a carried
statement withholds nothing yet, and its untaxed balance is taxed with the statement that
pays it.

The PRC labour-remuneration preset (劳务报酬所得, withheld per payment):
- the deduction: income up to 4,000 deducts 800, above it 20 % of the income;
- taxable = income - deduction (never below 0);
- tax = taxable x rate - quick deduction: 20 % up to a taxable 20,000; 30 % less 2,000 up to
  50,000; 40 % less 7,000 above;
- e.g. 3,000 -> 2,200 x 20 % = 440.00; 10,000 -> 8,000 x 20 % = 1,600.00; 30,000 -> 24,000 x
  30 % - 2,000 = 5,200.00. Rounded half-up to cents, once.
The flat rule withholds ``withholding_flat_percent`` of the gross.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.core.money import ZERO, quantize_money

HUNDRED = Decimal(100)
PRC_DEDUCTION_THRESHOLD = Decimal("4000.00")
PRC_FIXED_DEDUCTION = Decimal("800.00")
PRC_DEDUCTION_SHARE = Decimal("0.20")
#: (taxable up to, rate, quick deduction); the last one has no upper bound
PRC_BRACKETS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("20000.00"), Decimal("0.20"), Decimal("0.00")),
    (Decimal("50000.00"), Decimal("0.30"), Decimal("2000.00")),
    (None, Decimal("0.40"), Decimal("7000.00")),
)


@dataclass(frozen=True)
class Withholding:
    """How one statement's tax was worked out (shown on the statement and in the report)."""

    rule: str
    income: Decimal
    deduction: Decimal
    taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.income - self.tax


NONE = Withholding("off", ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def prc_labour(income: Decimal) -> Withholding:
    """The PRC labour-remuneration preset on ``income`` (module docstring)."""
    if income <= 0:
        return Withholding("prc_labour", income, ZERO, ZERO, ZERO, ZERO, ZERO)
    if income <= PRC_DEDUCTION_THRESHOLD:
        deduction = min(PRC_FIXED_DEDUCTION, income)
    else:
        deduction = quantize_money(income * PRC_DEDUCTION_SHARE)
    taxable = max(ZERO, income - deduction)
    rate, quick = next(
        (rate, quick) for up_to, rate, quick in PRC_BRACKETS if up_to is None or taxable <= up_to
    )
    tax = max(ZERO, quantize_money(taxable * rate - quick))
    return Withholding("prc_labour", income, deduction, taxable, rate, quick, tax)


def flat(income: Decimal, percent: Decimal) -> Withholding:
    rate = percent / HUNDRED
    tax = quantize_money(income * rate) if income > 0 else ZERO
    return Withholding("flat", income, ZERO, max(income, ZERO), rate, ZERO, tax)


WithholdingFunction = Callable[[Decimal], Withholding]


def withholding_function(tenant: Any, *, is_company: bool) -> WithholdingFunction | None:
    """The tenant's rule for one webmaster, or None when nothing is withheld (rule off, or a
    company)."""
    rule = getattr(tenant, "withholding_rule", "off")
    if is_company or rule == "off":
        return None
    if rule == "prc_labour":
        return prc_labour
    if rule == "flat":
        percent = tenant.withholding_flat_percent
        return lambda income: flat(income, percent)
    raise ValueError(f"unknown withholding rule {rule!r}")
