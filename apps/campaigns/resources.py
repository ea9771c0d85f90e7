"""The ``merchants`` import and export (API.md "Import formats").

``code, name, tier (brand|high_potential|smb), contact_email, domains? (space-separated),
plan_quota?, currency?`` (issue 17: the ISO 4217 code its orders and invoices are in; blank
keeps an existing merchant's, a new one takes the network's). A code that already exists in
the tenant updates that merchant (so the same
file imported twice changes nothing); a new code creates one. A blank ``plan_quota`` keeps an
existing merchant's quota (200 for a new one); a blank ``domains`` keeps its domains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from import_export.fields import Field

from apps.campaigns.models import (
    Merchant,
    MerchantDomain,
    MerchantTier,
    code_validator,
    domain_validator,
)
from apps.campaigns.services.merchants import (
    merchant_create,
    merchant_domains_set,
    merchant_update,
    normalize_domain,
)
from apps.core.imports import (
    CleanRow,
    ImportResource,
    ImportRow,
    RowErrors,
    SafeExportResource,
)


@dataclass(frozen=True)
class MerchantRow:
    code: str
    name: str
    tier: str
    contact_email: str
    domains: tuple[str, ...] | None  # None: keep the existing domains
    plan_quota: int | None  # None: keep (existing) or the default (new)
    currency: str | None = None  # None: keep (existing) or the tenant's (new)


def _clean_contact_email(errors: RowErrors, row: ImportRow) -> str:
    email = row.get("contact_email").lower()
    if not email:
        errors.add("contact_email", "a value is required")
        return email
    try:
        validate_email(email)
    except ValidationError:
        errors.add("contact_email", f"{row.get('contact_email')!r} is not an email address")
    return email


def _clean_plan_quota(errors: RowErrors, row: ImportRow) -> int | None:
    if not row.get("plan_quota"):
        return None
    try:
        plan_quota = int(row.get("plan_quota"))
        if plan_quota < 1:
            raise ValueError
    except ValueError:
        errors.add("plan_quota", f"{row.get('plan_quota')!r} is not a whole number of 1 or more")
        return None
    return plan_quota


def _clean_currency(errors: RowErrors, row: ImportRow) -> str | None:
    if not row.get("currency"):
        return None
    currency = row.get("currency").upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        errors.add("currency", f"{row.get('currency')!r} is not an ISO 4217 code such as USD")
    return currency


class MerchantImport(ImportResource):
    name = "merchants"
    required_columns = ("code", "name", "tier", "contact_email")
    optional_columns = ("domains", "plan_quota", "currency")

    def prepare(self, rows: Sequence[ImportRow]) -> None:
        codes = {row.get("code").lower() for row in rows}
        self.existing = {
            merchant.code.lower(): merchant
            for merchant in Merchant.objects.annotate(code_lower=Lower("code")).filter(
                code_lower__in=codes
            )
        }
        self.code_lines: dict[str, int] = {}
        self.domain_lines: dict[str, tuple[int, str]] = {}
        self.domain_owner = dict(
            MerchantDomain.objects.values_list("domain", "merchant__code").iterator()
        )

    def clean_row(self, row: ImportRow) -> MerchantRow:
        errors = RowErrors()
        code = self._clean_code(errors, row)
        name = errors.text(row, "name", 150)
        tier = row.get("tier").lower()
        if tier not in MerchantTier.values:
            errors.add(
                "tier", f"unknown tier {row.get('tier')!r}; use one of {', '.join(MerchantTier)}"
            )
        email = _clean_contact_email(errors, row)
        domains = self._clean_domains(errors, row, code) if row.get("domains") else None
        plan_quota = _clean_plan_quota(errors, row)
        currency = _clean_currency(errors, row)
        errors.raise_if_any()
        return MerchantRow(code, name, tier, email, domains, plan_quota, currency)

    def _clean_code(self, errors: RowErrors, row: ImportRow) -> str:
        code = errors.text(row, "code", 40)
        if code:
            errors.check("code", code_validator, code)
            # rules across rows are checked here, in file order, so a row with other errors
            # still reports its duplicate
            first = self.code_lines.setdefault(code.lower(), row.line)
            if first != row.line:
                errors.add("code", f"the code {code} is already on line {first}")
        return code

    def _clean_domains(self, errors: RowErrors, row: ImportRow, code: str) -> tuple[str, ...]:
        """The row's domains, normalized and without repeats; each belongs to no other merchant
        (in the tenant or earlier in the file)."""
        found: list[str] = []
        for raw in re.split(r"[\s,]+", row.get("domains")):
            domain = normalize_domain(raw)
            if not domain:
                continue
            try:
                domain_validator(domain)
            except ValidationError:
                errors.add("domains", f"{raw!r} is not a domain such as shop.example.com")
                continue
            owner = self.domain_owner.get(domain)
            if owner is not None and owner.lower() != code.lower():
                errors.add("domains", f"{domain} already belongs to merchant {owner}")
            line, given_to = self.domain_lines.setdefault(domain, (row.line, code))
            if given_to.lower() != code.lower():
                errors.add("domains", f"{domain} is also given to {given_to} on line {line}")
            if domain not in found:
                found.append(domain)
        return tuple(found)

    def save_row(self, row: CleanRow) -> None:
        data: MerchantRow = row.data
        merchant = self.existing.get(data.code.lower())
        if merchant is None:
            merchant_create(
                code=data.code,
                name=data.name,
                tier=data.tier,
                contact_email=data.contact_email,
                domains=data.domains or (),
                plan_quota=data.plan_quota or 200,
                currency=data.currency or "",
                actor=self.actor,
                domains_verified=True,  # staff imports vouch for their merchants' domains
            )
            self.counts["merchants created"] += 1
            return
        changes: dict[str, Any] = {
            "name": data.name,
            "tier": data.tier,
            "contact_email": data.contact_email,
        }
        if data.plan_quota is not None:
            changes["plan_quota"] = data.plan_quota
        if data.currency is not None:
            changes["currency"] = data.currency
        merchant_update(merchant=merchant, actor=self.actor, **changes)
        if data.domains is not None:
            merchant_domains_set(
                merchant=merchant, domains=data.domains, verified=True, actor=self.actor
            )
        self.counts["merchants updated"] += 1


class MerchantExport(SafeExportResource):
    """The admin's export, in the import's format (so an export imports back unchanged)."""

    domains = Field(column_name="domains")

    class Meta:
        model = Merchant
        fields = ("code", "name", "tier", "contact_email", "domains", "plan_quota", "currency")
        export_order = fields

    def dehydrate_domains(self, merchant: Merchant) -> str:
        # prefetched by the admin (one query for the page, not one per merchant)
        return " ".join(domain.domain for domain in merchant.domains.all())
