"""Bulk imports (API.md "Import formats"): the registry and the resource protocol.

One import path serves ``manage.py import_data``, the admin's import page and the Celery
import task, so a file is accepted or refused the same way everywhere. The reading and the
all-or-nothing run live in :mod:`apps.core.import_runner`; this module is what an app needs
to add a resource.

Registering
-----------
The app that owns the rows registers its resource from its ``AppConfig.ready()`` by dotted
path (so ``apps.tenants`` never imports an app to its right)::

    register_import("products", "apps.campaigns.resources.ProductImport")

A resource
----------
Subclass :class:`ImportResource`. One instance is made per run, inside the tenant's scope,
with ``tenant``, ``actor`` (the staff user or ``None`` for the command line) and ``request``
(the admin request or ``None``). Provide:

``required_columns`` / ``optional_columns``
    Header names (lower case; the runner lower-cases and strips the file's headers). A missing
    required column or an unknown column is one file error; the order of columns is free.
``prepare(rows)`` (optional)
    Called once with every :class:`ImportRow` before any row is cleaned: load the lookups the
    rows need in a few queries (existing codes, staff emails) so cleaning is not one query per
    row. Reads only.
``clean_row(row) -> Any``
    Check one row and return its cleaned value (anything ``save_row`` understands). Report bad
    cells by raising ``django.core.exceptions.ValidationError({"column": "message", ...})``
    naming every bad column of the row at once (:class:`RowErrors` collects them). ``row.get``
    gives a stripped cell ("" when blank or the column is absent). Never write here.
``check_rows(rows) -> Iterable[RowError]`` (optional)
    Rules across rows, run once every row is cleaned: e.g. a code given twice in the file.
    ``rows`` are the :class:`CleanRow` of the rows whose ``clean_row`` passed.
``save_row(row: CleanRow) -> None``
    Write one row through the app's services (never ORM writes behind them) and count what it
    did in ``self.counts`` (e.g. ``self.counts["sites created"] += 1``). Called only when every
    row of the file is valid, in file order, all inside one transaction. A ``DomainError`` or
    ``ValidationError`` raised here (something only the database could see) stops the run,
    rolls every row back and is reported against the row's line.

Errors are ``RowError(line, column, message)``; ``line`` is the file line (the header is line
1, the first data row line 2; for XLSX the sheet row), ``column`` a header name.

Why not django-import-export's import: its rows map to one model each, its errors are per data
row (not the file line) and its dry run writes and rolls back. Imports here write several
models per row through services, must name file line and column, and must not write at all on
a dry run; django-import-export (with unfold's forms) does the admin's *exports*.

Formula-looking cells (``=SUM(A1)``) are plain text: nothing is evaluated on import, and
exports (:class:`SafeExportResource`) write such text with a leading apostrophe.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.module_loading import import_string
from import_export import resources

if TYPE_CHECKING:
    from django.http import HttpRequest

_IMPORTS: dict[str, str] = {}
_EXPORTS: dict[str, str] = {}


def register_import(name: str, resource_path: str) -> None:
    _IMPORTS[name] = resource_path


def import_names() -> list[str]:
    return sorted(_IMPORTS)


def import_resource_class(name: str) -> type[ImportResource]:
    try:
        return cast("type[ImportResource]", import_string(_IMPORTS[name]))
    except KeyError:
        known = ", ".join(import_names()) or "none"
        raise LookupError(f"Unknown resource {name!r}; use one of: {known}.") from None


def register_export(name: str, resource_path: str) -> None:
    """The admin's export for ``name`` (a :class:`SafeExportResource`), by dotted path, so an
    admin can export rows of an app to its right (webmasters with their placements)."""
    _EXPORTS[name] = resource_path


def export_resource_class(name: str) -> type[SafeExportResource]:
    return cast("type[SafeExportResource]", import_string(_EXPORTS[name]))


@dataclass(frozen=True)
class ImportRow:
    """One data row of a file: its file line and its cells by (lower-case) column name."""

    line: int
    values: dict[str, str]
    #: non-blank cells to the right of the last header column (an error)
    overflow: int = 0

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class CleanRow:
    line: int
    data: Any


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class RowErrors:
    """Collect every bad cell of one row, then raise them together::

    errors = RowErrors()
    email = errors.check("email", validate_email_cell, row.get("email"))
    errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.by_column: dict[str, list[str]] = {}

    def add(self, column: str, message: str) -> None:
        self.by_column.setdefault(column, []).append(message)

    def check(self, column: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """``func(*args)``; a ``ValidationError`` it raises is recorded against ``column``."""
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            for message in exc.messages:
                self.add(column, message)
            return None

    def text(self, row: ImportRow, column: str, max_length: int, *, required: bool = True) -> str:
        """The cell ``column`` of ``row``: at most ``max_length`` characters, and not blank
        if ``required``."""
        value = row.get(column)
        if required and not value:
            self.add(column, "a value is required")
        elif len(value) > max_length:
            self.add(column, f"at most {max_length} characters (this one has {len(value)})")
        return value

    def __bool__(self) -> bool:
        return bool(self.by_column)

    def raise_if_any(self) -> None:
        if self.by_column:
            raise ValidationError(self.by_column)


def row_errors_from(line: int, exc: ValidationError) -> list[RowError]:
    """Turn a ``ValidationError`` (a dict of column → messages, or plain messages) into rows."""
    if hasattr(exc, "error_dict"):
        out: list[RowError] = []
        for column, errors in exc.error_dict.items():
            name = "" if column == NON_FIELD_ERRORS else column
            for error in errors:
                out.extend(RowError(line, name, message) for message in error.messages)
        return out
    return [RowError(line, "", message) for message in exc.messages]


class ImportResource:
    """Base class of an import resource; see the module docstring for the protocol."""

    #: the registry name (``import_data`` RESOURCE)
    name: ClassVar[str] = ""
    required_columns: ClassVar[tuple[str, ...]] = ()
    optional_columns: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *, tenant: Any, actor: Any = None, request: HttpRequest | None = None
    ) -> None:
        self.tenant = tenant
        self.actor = actor
        self.request = request
        self.counts: Counter[str] = Counter()

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return cls.required_columns + cls.optional_columns

    def prepare(self, rows: Sequence[ImportRow]) -> None:
        return None

    def clean_row(self, row: ImportRow) -> Any:
        raise NotImplementedError

    def check_rows(self, rows: Sequence[CleanRow]) -> Iterable[RowError]:
        return ()

    def save_row(self, row: CleanRow) -> None:
        raise NotImplementedError


# --- exports ------------------------------------------------------------------------------

#: A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeExportResource(resources.ModelResource):
    """A django-import-export resource for the admin's export: text cells that look like
    formulas are escaped. Numbers (a negative amount) are left alone: only text is escaped."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        raw = field.get_value(instance) if field.attribute else value
        if isinstance(raw, Decimal | int | datetime.date):
            return value
        return escape_formula(value)


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe (OWASP "CSV
    injection"); for the CSV files the back office hands out (templates, row errors)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value
