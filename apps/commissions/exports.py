"""Approved statements for the bank, as CSV and XLSX (issue 5).

One row per statement: webmaster, email, payout method, account name, account number, bank,
period, total, currency, statement reference. Safe against spreadsheet formula injection
(OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe, so a webmaster named ``=HYPERLINK(...)`` is shown as
text and never evaluated. Amounts are written as numbers in XLSX (never text that starts with
``-``), and as plain decimal strings in CSV (a negative total is never exported: carried
statements are not approved).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from apps.commissions.models import Statement, StatementStatus

HEADER = [
    "webmaster",
    "email",
    "payout_method",
    "account_name",
    "account_number",
    "bank",
    "period",
    "total",
    "currency",
    "reference",
]
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORTABLE = (StatementStatus.APPROVED, StatementStatus.PAID)


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def statement_reference(statement: Statement) -> str:
    """The reference the bank transfer carries (and ``mark paid`` looks for)."""
    return f"ST-{statement.period.replace('-', '')}-{statement.pk}"


def export_rows(statements: Iterable[Statement], *, currency: str) -> list[list[Any]]:
    """Rows (without the header) for approved or paid statements; others are left out."""
    rows: list[list[Any]] = []
    for statement in statements:
        if statement.status not in EXPORTABLE:
            continue
        affiliate = statement.affiliate
        rows.append(
            [
                affiliate.name,
                affiliate.email,
                affiliate.get_payout_method_display(),
                affiliate.payout_account_name,
                affiliate.payout_account_number,
                affiliate.payout_bank,
                statement.period,
                statement.total,
                currency,
                statement_reference(statement),
            ]
        )
    return rows


def statements_csv(statements: Iterable[Statement], *, currency: str) -> bytes:
    """UTF-8 CSV with a BOM (Excel reads it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in export_rows(statements, currency=currency):
        writer.writerow(
            [f"{cell:.2f}" if isinstance(cell, Decimal) else safe_cell(cell) for cell in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def statements_xlsx(statements: Iterable[Statement], *, currency: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Payouts"
    sheet.append(HEADER)
    for row in export_rows(statements, currency=currency):
        cells = [safe_cell(cell) for cell in row]
        sheet.append(cells)
        # Text stays text: openpyxl would otherwise store "=..." as a formula.
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
