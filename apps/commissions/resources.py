"""The ``commission_rules`` import (API.md "Import formats").

``merchant?, affiliate_kind?, affiliate_email?, event (registration|order), customer_type
(new|returning|any), product_type?, rate_type (fixed|percent), value, priority?, valid_from,
valid_to?``. A blank optional column means "any" (``priority`` blank: 0; ``valid_to`` blank:
open-ended). ``merchant`` is the merchant's code, ``affiliate_email`` a webmaster's email.
Dates are ``YYYY-MM-DD``. A row identical to an existing active rule (every column equal) is
skipped, so importing the same file twice creates nothing twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models.functions import Lower

from apps.affiliates.models import Affiliate, AffiliateKind
from apps.campaigns.models import Merchant
from apps.commissions.models import CommissionRule, RateType, RuleCustomerType
from apps.commissions.services.rules import commission_rule_create
from apps.core.imports import CleanRow, ImportResource, ImportRow, RowError, RowErrors
from apps.tracking.models import ConversionType


@dataclass(frozen=True)
class RuleRow:
    merchant: Any
    affiliate_kind: str
    affiliate: Any
    event: str
    customer_type: str
    product_type: str
    rate_type: str
    value: Decimal
    priority: int
    valid_from: datetime.date
    valid_to: datetime.date | None

    def identity(self) -> tuple:
        return (
            getattr(self.merchant, "pk", None),
            self.affiliate_kind,
            getattr(self.affiliate, "pk", None),
            self.event,
            self.customer_type,
            self.product_type.casefold(),
            self.rate_type,
            self.value,
            self.priority,
            self.valid_from,
            self.valid_to,
        )


def _date(errors: RowErrors, column: str, raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors.add(column, f"{raw!r} is not a date such as 2026-03-01")
        return None


def _choice(errors: RowErrors, row: ImportRow, column: str, values: list[str]) -> str:
    raw = row.get(column).lower()
    if raw not in values:
        errors.add(column, f"{row.get(column)!r} is not one of {', '.join(values)}")
    return raw


def _clean_value(errors: RowErrors, row: ImportRow, rate_type: str) -> Decimal:
    """The rule's value: 0 or more, at most 4 places, a percent at most 100."""
    value = Decimal("0")
    try:
        value = Decimal(row.get("value"))
        if not value.is_finite() or value < 0:
            raise InvalidOperation
        if value != value.quantize(Decimal("0.0001")):
            errors.add("value", "at most 4 decimal places")
        if rate_type == RateType.PERCENT and value > 100:
            errors.add("value", "a percent value is at most 100")
    except InvalidOperation:
        errors.add("value", f"{row.get('value')!r} is not an amount of 0 or more")
    return value


def _clean_priority(errors: RowErrors, row: ImportRow) -> int:
    if not row.get("priority"):
        return 0
    try:
        return int(row.get("priority"))
    except ValueError:
        errors.add("priority", f"{row.get('priority')!r} is not a whole number")
        return 0


class CommissionRuleImport(ImportResource):
    name = "commission_rules"
    required_columns = ("event", "customer_type", "rate_type", "value", "valid_from")
    optional_columns = (
        "merchant",
        "affiliate_kind",
        "affiliate_email",
        "product_type",
        "priority",
        "valid_to",
    )

    def prepare(self, rows: Sequence[ImportRow]) -> None:
        codes = {row.get("merchant").lower() for row in rows if row.get("merchant")}
        emails = {row.get("affiliate_email").lower() for row in rows if row.get("affiliate_email")}
        self.merchants = {
            m.code_lower: m
            for m in Merchant.objects.annotate(code_lower=Lower("code")).filter(
                code_lower__in=codes
            )
        }
        self.affiliates = {
            a.email_lower: a
            for a in Affiliate.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=emails
            )
        }
        self.existing = {
            (
                r.merchant_id,
                r.affiliate_kind,
                r.affiliate_id,
                r.event,
                r.customer_type,
                r.product_type.casefold(),
                r.rate_type,
                r.value,
                r.priority,
                r.valid_from,
                r.valid_to,
            )
            for r in CommissionRule.objects.filter(is_active=True)
        }

    def clean_row(self, row: ImportRow) -> RuleRow:
        errors = RowErrors()
        merchant = self._clean_merchant(errors, row)
        affiliate = self._clean_affiliate(errors, row)
        kind = ""
        if row.get("affiliate_kind"):
            kind = _choice(errors, row, "affiliate_kind", AffiliateKind.values)
        event = _choice(errors, row, "event", ConversionType.values)
        customer_type = _choice(errors, row, "customer_type", RuleCustomerType.values)
        rate_type = _choice(errors, row, "rate_type", RateType.values)
        product_type = row.get("product_type")
        if len(product_type) > 60:
            errors.add("product_type", "at most 60 characters")
        value = _clean_value(errors, row, rate_type)
        priority = _clean_priority(errors, row)
        valid_from = _date(errors, "valid_from", row.get("valid_from"))
        valid_to = _date(errors, "valid_to", row.get("valid_to")) if row.get("valid_to") else None
        if valid_from and valid_to and valid_to < valid_from:
            errors.add("valid_to", "valid_to must not be before valid_from")
        errors.raise_if_any()
        return RuleRow(
            merchant, kind, affiliate, event, customer_type, product_type, rate_type, value,
            priority, valid_from, valid_to,
        )  # fmt: skip

    def _clean_merchant(self, errors: RowErrors, row: ImportRow) -> Merchant | None:
        if not row.get("merchant"):
            return None
        merchant = self.merchants.get(row.get("merchant").lower())
        if merchant is None:
            errors.add("merchant", f"no merchant with the code {row.get('merchant')!r}")
        return merchant

    def _clean_affiliate(self, errors: RowErrors, row: ImportRow) -> Affiliate | None:
        if not row.get("affiliate_email"):
            return None
        affiliate = self.affiliates.get(row.get("affiliate_email").lower())
        if affiliate is None:
            errors.add(
                "affiliate_email", f"no webmaster with the email {row.get('affiliate_email')!r}"
            )
        return affiliate

    def check_rows(self, rows: Sequence[CleanRow]) -> Iterable[RowError]:
        seen: dict[tuple, int] = {}
        for row in rows:
            first = seen.setdefault(row.data.identity(), row.line)
            if first != row.line:
                yield RowError(row.line, "", f"the same rule is already on line {first}")

    def save_row(self, row: CleanRow) -> None:
        data: RuleRow = row.data
        if data.identity() in self.existing:
            self.counts["rules unchanged"] += 1
            return
        commission_rule_create(
            event=data.event,
            rate_type=data.rate_type,
            value=data.value,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            merchant=data.merchant,
            affiliate=data.affiliate,
            affiliate_kind=data.affiliate_kind,
            customer_type=data.customer_type,
            product_type=data.product_type,
            priority=data.priority,
            actor=self.actor,
        )
        self.counts["rules created"] += 1
