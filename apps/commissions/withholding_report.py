"""The monthly income-tax withholding report (issue 17): one row per statement of the period
that withheld tax, per webmaster, for the tax office; CSV and XLSX, formula-safe like the
bank file (``apps.commissions.exports``).

Columns: webmaster, email, tax id (in full: the tax office needs it, so only finance gets the
file), period, status, rule, gross, deduction, taxable, rate, quick deduction, tax withheld,
net paid, currency. The breakdown is the rule's own working (``services.withholding``) on the
statement's gross; the tax is the one the statement holds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.affiliates.payouts import payouts_for_export
from apps.commissions.exports import _append, safe_cell
from apps.commissions.models import Statement
from apps.commissions.services.withholding import prc_labour
from apps.core.money import ZERO
from apps.tenants.scope import current_tenant

HEADER = [
    "webmaster", "email", "tax_id", "period", "status", "rule", "gross", "deduction",
    "taxable", "rate", "quick_deduction", "tax_withheld", "net_paid", "currency",
]  # fmt: skip


@dataclass(frozen=True)
class WithholdingRow:
    statement: Statement
    tax_id: str
    deduction: Decimal
    taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal

    def cells(self, currency: str) -> list[Any]:
        s = self.statement
        return [
            s.affiliate.name, s.affiliate.email, self.tax_id, s.period, s.get_status_display(),
            s.withholding_rule, s.gross, self.deduction, self.taxable, self.rate,
            self.quick_deduction, s.tax_withheld, s.total, currency,
        ]  # fmt: skip


def withholding_rows(*, period: str) -> list[WithholdingRow]:
    """The period's statements that withheld tax, by webmaster name."""
    statements = list(
        Statement.objects.filter(period=period, tax_withheld__gt=0)
        .select_related("affiliate")
        .order_by("affiliate__name", "pk")
    )
    payouts = payouts_for_export(s.affiliate_id for s in statements)
    rows = []
    for statement in statements:
        gross = statement.gross
        if statement.withholding_rule == "prc_labour":
            working = prc_labour(gross)
            parts = (working.deduction, working.taxable, working.rate, working.quick_deduction)
        else:
            # the flat rule: a share of the gross, nothing deducted first
            rate = (statement.tax_withheld / gross).quantize(Decimal("0.0001")) if gross else ZERO
            parts = (ZERO, gross, rate, ZERO)
        payout = payouts.get(statement.affiliate_id)
        rows.append(WithholdingRow(statement, payout.tax_id if payout else "", *parts))
    return rows


def withholding_csv(rows: list[WithholdingRow]) -> bytes:
    currency = current_tenant().currency
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [f"{c}" if isinstance(c, Decimal) else safe_cell(c) for c in row.cells(currency)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def withholding_xlsx(rows: list[WithholdingRow]) -> bytes:
    import openpyxl

    currency = current_tenant().currency
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Withholding"
    sheet.append(HEADER)
    for row in rows:
        _append(sheet, row.cells(currency))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
