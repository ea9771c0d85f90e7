"""Read an import file and run one resource over it, all or nothing (API.md ``import_data``).

``run_import`` is the one path of every import (command line, admin page, Celery task):

1. read the file: CSV (UTF-8, with or without a BOM; ``,`` ``;`` or tab separated) or XLSX
   (the first sheet). A file that cannot be read at all raises :class:`ImportFileError`.
2. check the header (line 1): a missing required column or an unknown column is an error on
   line 1 naming the column; no row is looked at then.
3. clean every row and collect *every* error as ``(line, column, message)``.
4. if there is no error and it is not a dry run: write every row, in one transaction. A row
   the database refuses rolls back every row written before it and is reported.

Cells are text: a cell such as ``=1+2`` is the string "=1+2", never a formula to evaluate
(XLSX formulas are read as their text, not their cached result).
"""

from __future__ import annotations

import csv
import datetime
import io
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from apps.core.errors import DomainError
from apps.core.imports import (
    CleanRow,
    ImportResource,
    ImportRow,
    RowError,
    import_resource_class,
    row_errors_from,
)

FORMATS = (".csv", ".xlsx")
#: how often (in rows) ``progress`` is called
PROGRESS_EVERY = 100

Progress = Callable[[int, int], None]


class ImportFileError(DomainError):
    """The file cannot be read as an import at all (format, encoding, no header)."""

    code = "import_file_invalid"


@dataclass
class ImportReport:
    resource: str
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return (
                f"{len(self.errors)} error(s) in {self.total_rows} row(s) of {self.resource}; "
                "nothing was imported."
            )
        if not self.written:
            return (
                f"{self.total_rows} row(s) of {self.resource} are valid (dry run: nothing written)."
            )
        done = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        return f"Imported {self.total_rows} row(s) of {self.resource}: {done or 'nothing new'}."


class _Abort(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors


# --- reading ------------------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> tuple[list[str], list[ImportRow]]:
    """The header (normalised names) and the non-blank data rows of a CSV or XLSX file."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise ImportFileError(
            f"{filename!r} is not a .csv or .xlsx file; save the sheet as CSV (UTF-8) or XLSX.",
            code="import_file_format",
        )
    records = _csv_records(content) if suffix == ".csv" else _xlsx_records(content)
    header: list[str] | None = None
    rows: list[ImportRow] = []
    for line, cells in records:
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            _check_duplicate_headers(header)
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line: skipped, but it keeps its number for the lines after it
        values: dict[str, str] = {}
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        for name, cell in zip(header, cells, strict=False):
            if name:
                values[name] = cell.strip()
        rows.append(ImportRow(line=line, values=values, overflow=len(extra)))
    if header is None or not any(header):
        raise ImportFileError(
            "The file is empty: line 1 must be the header naming the columns.",
            code="import_file_empty",
        )
    return [name for name in header if name], rows


def _check_duplicate_headers(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise ImportFileError(
                f"The header (line 1) names the column {name!r} twice.", code="import_header"
            )
        seen.add(name)


def _csv_records(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{content[exc.start]:02X} at position "
            f"{exc.start} is not UTF-8). Save it as 'CSV UTF-8' and import it again.",
            code="import_file_encoding",
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count) if first_line else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        # A record number is the spreadsheet row (a quoted cell may span physical lines).
        return [(number, cells) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.", code="import_file_csv") from exc


def _xlsx_records(content: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns on styles it does not know
            # data_only=False: a formula cell is read as its text and never evaluated.
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            "The file is not a readable .xlsx workbook; save it again from your spreadsheet.",
            code="import_file_xlsx",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, [_xlsx_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Sheets store numbers as binary floats; repr gives the shortest text that round-trips
        # (0.1 stays "0.1"), and a whole number reads as one (200, not 200.0).
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def count_rows(filename: str, content: bytes) -> int:
    """How many data rows the file has (to decide between inline and a background task)."""
    return len(read_table(filename, content)[1])


# --- running ------------------------------------------------------------------------------


def header_errors(resource_class: type[ImportResource], header: Sequence[str]) -> list[RowError]:
    known = set(resource_class.columns())
    errors = [
        RowError(1, name, "the required column is missing from the header")
        for name in resource_class.required_columns
        if name not in header
    ]
    errors += [
        RowError(
            1,
            name,
            f"unknown column; the columns of {resource_class.name} are "
            f"{', '.join(resource_class.columns())}",
        )
        for name in header
        if name not in known
    ]
    return errors


def run_import(
    name: str,
    *,
    filename: str,
    content: bytes,
    tenant: Any,
    actor: Any = None,
    request: Any = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_write_start: Callable[[], None] | None = None,
    on_write_end: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Validate ``content`` as resource ``name`` and, when every row is valid, write it all.

    Must run inside ``tenant``'s scope. ``on_write_start``/``on_write_end`` run inside the
    write transaction (first and last), so a caller can lock and mark its job atomically with
    the rows. Returns the report; raises :class:`ImportFileError` for an unreadable file.
    """
    try:
        resource_class = import_resource_class(name)
    except LookupError as exc:
        raise ImportFileError(str(exc), code="import_resource_unknown") from exc
    report = ImportReport(resource=name, dry_run=dry_run)
    header, rows = read_table(filename, content)
    report.total_rows = len(rows)
    report.errors = header_errors(resource_class, header)
    if report.errors:
        return report

    resource = resource_class(tenant=tenant, actor=actor, request=request)
    resource.prepare(rows)
    cleaned, errors = _clean_rows(resource, header, rows, progress)
    order = {column: i for i, column in enumerate(header)}
    report.errors = sorted(errors, key=lambda e: (e.line, order.get(e.column, -1)))
    if report.errors or dry_run:
        return report

    try:
        with transaction.atomic():
            if on_write_start is not None:
                on_write_start()
            _save_rows(resource, cleaned, len(rows), progress)
            report.written = True
            report.counts = dict(resource.counts)
            if on_write_end is not None:
                on_write_end(report)
    except _Abort as abort:
        report.errors = abort.errors
        report.counts = {}
        report.written = False
    if progress is not None:
        progress(len(rows) * 2, len(rows) * 2)
    return report


def _clean_rows(
    resource: ImportResource,
    header: Sequence[str],
    rows: Sequence[ImportRow],
    progress: Progress | None,
) -> tuple[list[CleanRow], list[RowError]]:
    """Every row through ``clean_row``, then the rules across rows (``check_rows``): the clean
    rows and all the errors, unsorted. Progress counts the first half of the work."""
    cleaned: list[CleanRow] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows, start=1):
        if row.overflow:
            errors.append(
                RowError(row.line, "", f"the row has more cells than the header ({len(header)})")
            )
        else:
            try:
                cleaned.append(CleanRow(line=row.line, data=resource.clean_row(row)))
            except ValidationError as exc:
                errors.extend(row_errors_from(row.line, exc))
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, len(rows) * 2)
    errors.extend(resource.check_rows(cleaned))
    return cleaned, errors


def _save_rows(
    resource: ImportResource, cleaned: Sequence[CleanRow], total: int, progress: Progress | None
) -> None:
    """Write the clean rows in file order (the second half of the progress); the first
    refusal aborts the whole import (``_Abort``)."""
    for index, row in enumerate(cleaned, start=1):
        _save(resource, row)
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(total + index, total * 2)


def _save(resource: ImportResource, row: CleanRow) -> None:
    try:
        resource.save_row(row)
    except ValidationError as exc:
        raise _Abort(row_errors_from(row.line, exc)) from exc
    except DomainError as exc:
        column = exc.extra.get("column", "") if isinstance(exc.extra, dict) else ""
        raise _Abort([RowError(row.line, column, str(exc))]) from exc
    except DatabaseError as exc:
        # Something only the database saw (e.g. a row written concurrently by someone else).
        raise _Abort([RowError(row.line, "", f"the database refused the row: {exc}")]) from exc
