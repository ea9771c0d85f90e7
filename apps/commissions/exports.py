"""Approved statements for the bank, as CSV and XLSX (issues 5 and 14).

One row per statement: webmaster, email, payout method, account holder, account number, bank,
tax id, period, total, currency, statement reference. The payout details come decrypted from
``apps.affiliates.payouts.payouts_for_export`` (this is the only place they leave the database
in full). A statement is left out, and named with the reason, when it is not approved or paid
or its webmaster has no complete payout details: ``export_plan`` returns both lists; the XLSX
carries the left-out rows on a second sheet, the admin names them in a message (the CSV holds
only rows a bank can pay, so it can be uploaded as it is).

Safe against spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a
webmaster named ``=HYPERLINK(...)`` is shown as text and never evaluated. Amounts are written
as numbers in XLSX (never text that starts with ``-``), and as plain decimal strings in CSV (a
negative total is never exported: carried statements are not approved).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.affiliates.payouts import payouts_for_export
from apps.commissions.models import Statement, StatementStatus

HEADER = [
    "webmaster",
    "email",
    "payout_method",
    "account_name",
    "account_number",
    "bank",
    "tax_id",
    "period",
    "total",
    "currency",
    "reference",
]
LEFT_OUT_HEADER = ["webmaster", "email", "period", "total", "reference", "why left out"]
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


@dataclass
class ExportPlan:
    rows: list[list[Any]] = field(default_factory=list)
    #: (statement, why) for every statement not exported
    left_out: list[tuple[Statement, str]] = field(default_factory=list)

    def left_out_rows(self) -> list[list[Any]]:
        return [
            [
                statement.affiliate.name,
                statement.affiliate.email,
                statement.period,
                statement.total,
                statement_reference(statement),
                why,
            ]
            for statement, why in self.left_out
        ]


def export_plan(statements: Iterable[Statement], *, currency: str) -> ExportPlan:
    """The rows to pay and the statements left out with their reason."""
    statements = list(statements)
    payouts = payouts_for_export(s.affiliate_id for s in statements)
    plan = ExportPlan()
    for statement in statements:
        if statement.status not in EXPORTABLE:
            plan.left_out.append(
                (statement, f"not approved ({statement.get_status_display().lower()})")
            )
            continue
        payout = payouts.get(statement.affiliate_id)
        if payout is None:
            plan.left_out.append((statement, "no payout details entered"))
            continue
        if not payout.is_complete:
            plan.left_out.append((statement, "payout details incomplete"))
            continue
        affiliate = statement.affiliate
        plan.rows.append(
            [
                affiliate.name,
                affiliate.email,
                payout.method_label,
                payout.account_holder,
                payout.account_number,
                payout.bank,
                payout.tax_id,
                statement.period,
                # paid in another currency (issue 17): the amount frozen on approval
                statement.payout_amount if statement.payout_currency else statement.total,
                statement.payout_currency or currency,
                statement_reference(statement),
            ]
        )
    return plan


def export_rows(statements: Iterable[Statement], *, currency: str) -> list[list[Any]]:
    """Rows (without the header) of the statements that can be paid."""
    return export_plan(statements, currency=currency).rows


def _csv(plan: ExportPlan) -> bytes:
    """UTF-8 CSV with a BOM (Excel reads it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in plan.rows:
        writer.writerow(
            [f"{cell:.2f}" if isinstance(cell, Decimal) else safe_cell(cell) for cell in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def statements_csv(statements: Iterable[Statement], *, currency: str) -> bytes:
    return _csv(export_plan(statements, currency=currency))


def _append(sheet: Any, row: list[Any]) -> None:
    sheet.append([safe_cell(cell) for cell in row])
    # Text stays text: openpyxl would otherwise store "=..." as a formula.
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, Decimal):
            cell.number_format = "0.00"


def _xlsx(plan: ExportPlan) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Payouts"
    sheet.append(HEADER)
    for row in plan.rows:
        _append(sheet, row)
    if plan.left_out:
        left = workbook.create_sheet("Left out")
        left.append(LEFT_OUT_HEADER)
        for row in plan.left_out_rows():
            _append(left, row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def statements_xlsx(statements: Iterable[Statement], *, currency: str) -> bytes:
    return _xlsx(export_plan(statements, currency=currency))


def export_file(plan: ExportPlan, kind: str) -> tuple[bytes, str]:
    """The file body and content type of ``plan`` as ``csv`` or ``xlsx``."""
    if kind == "csv":
        return _csv(plan), "text/csv"
    return _xlsx(plan), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
