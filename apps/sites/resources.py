"""The ``affiliates`` import and export (API.md "Import formats"): webmasters with their
sites, placements and contracts, one row per placement.

``email, name, kind, site_url, site_name, site_category, placement_code?, position,
daily_guarantee, click_rate, contract_start, contract_end?, bd_owner_email?``

Rules (issue 3): rows with the same email are one webmaster; an email that already has a
webmaster in the tenant reuses it (moved to active if it is still in the pipeline; a
suspended or rejected one is an error). Imported webmasters are active, sites approved,
placements active. A blank ``placement_code`` is generated; a given one must be unique in the
file and in the tenant. ``bd_owner_email`` must be active staff of the tenant. It lives in
``apps.sites`` because ``apps.affiliates`` may not import the sites app (STYLE.md 1).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from import_export.fields import Field

from apps.affiliates.models import Affiliate, AffiliateKind, PipelineStatus
from apps.affiliates.services import (
    affiliate_assign_owner,
    affiliate_create,
    affiliate_transition,
)
from apps.core.imports import (
    CleanRow,
    ImportResource,
    ImportRow,
    RowErrors,
    SafeExportResource,
)
from apps.sites.models import (
    Contract,
    ContractStatus,
    Placement,
    PlacementPosition,
    Site,
    SiteStatus,
)
from apps.sites.services import (
    CODE_CHARACTERS,
    contract_create,
    normalize_site_url,
    placement_create,
    site_register,
    site_transition,
)
from apps.tenants.models import User

#: webmasters an import may not reuse (staff must reinstate them first)
CLOSED = frozenset({PipelineStatus.SUSPENDED, PipelineStatus.REJECTED})
MONEY_PLACES = {"daily_guarantee": 2, "click_rate": 4}
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class AffiliateRow:
    email: str
    name: str
    kind: str
    site_url: str
    site_name: str
    site_category: str
    placement_code: str
    position: str
    daily_guarantee: Decimal
    click_rate: Decimal
    contract_start: datetime.date
    contract_end: datetime.date | None
    bd_owner: User | None


def _money(errors: RowErrors, row: ImportRow, column: str) -> Decimal:
    text = row.get(column).replace(",", "")
    places = MONEY_PLACES[column]
    if not text:
        errors.add(column, "a value is required")
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.add(column, f"{row.get(column)!r} is not a number")
        return Decimal(0)
    if not value.is_finite():
        errors.add(column, f"{row.get(column)!r} is not a number")
    elif value < 0:
        errors.add(column, f"{row.get(column)} is negative; amounts cannot be negative")
    elif value.as_tuple().exponent < -places:  # type: ignore[operator]
        errors.add(column, f"{row.get(column)} has more than {places} decimal places")
    elif value >= Decimal(10) ** (14 - places):
        errors.add(column, f"{row.get(column)} is too large")
    return value


def _date(errors: RowErrors, row: ImportRow, column: str) -> datetime.date | None:
    text = row.get(column)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10] if "T" in text else text)
    except ValueError:
        errors.add(column, f"{text!r} is not a date; use YYYY-MM-DD")
        return None


def _clean_position(errors: RowErrors, row: ImportRow) -> str:
    position = row.get("position").lower()
    if position not in PlacementPosition.values:
        errors.add(
            "position",
            f"unknown position {row.get('position')!r}; use one of {', '.join(PlacementPosition)}",
        )
    return position


def _clean_contract_dates(
    errors: RowErrors, row: ImportRow
) -> tuple[datetime.date | None, datetime.date | None]:
    """The contract's start (required) and end (optional, not before the start)."""
    starts_on = _date(errors, row, "contract_start")
    if starts_on is None and not row.get("contract_start"):
        errors.add("contract_start", "a value is required")
    ends_on = _date(errors, row, "contract_end")
    if starts_on and ends_on and ends_on < starts_on:
        errors.add(
            "contract_end",
            f"the contract ends on {ends_on.isoformat()}, before it starts "
            f"on {starts_on.isoformat()}",
        )
    return starts_on, ends_on


class AffiliateImport(ImportResource):
    name = "affiliates"
    required_columns = (
        "email",
        "name",
        "kind",
        "site_url",
        "site_name",
        "site_category",
        "position",
        "daily_guarantee",
        "click_rate",
        "contract_start",
    )
    optional_columns = ("placement_code", "contract_end", "bd_owner_email")

    def prepare(self, rows: Sequence[ImportRow]) -> None:
        """Everything the rows look up, in five queries whatever the file's size."""
        emails = {row.get("email").lower() for row in rows}
        self.met: set[str] = set()  # webmasters this run has written rows for
        self.code_lines: dict[str, int] = {}
        self.kinds: dict[str, tuple[int, str]] = {}
        self.site_owners: dict[str, tuple[int, str]] = {}
        self.affiliates: dict[str, Affiliate] = {
            affiliate.email_lower: affiliate
            for affiliate in Affiliate.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=emails
            )
        }
        urls = {normalize_site_url(row.get("site_url")) for row in rows}
        self.sites: dict[str, Site] = {
            site.url: site for site in Site.objects.filter(url__in=urls).select_related("affiliate")
        }
        codes = {row.get("placement_code") for row in rows if row.get("placement_code")}
        self.taken_codes = set(
            Placement.objects.filter(code__in=codes).values_list("code", flat=True)
        )
        owner_emails = {row.get("bd_owner_email").lower() for row in rows}
        self.staff: dict[str, User] = {
            user.email.lower(): user
            for user in User.objects.annotate(email_lower=Lower("email"))
            .filter(
                email_lower__in=owner_emails - {""},
                memberships__tenant=self.tenant,
                memberships__is_active=True,
            )
            .distinct()
        }

    def clean_row(self, row: ImportRow) -> AffiliateRow:
        errors = RowErrors()
        email = self._clean_email(errors, row)
        name = errors.text(row, "name", 150)
        kind = self._clean_kind(errors, row, email)
        site_url = self._clean_site_url(errors, row, email)
        site_name = errors.text(row, "site_name", 150)
        site_category = row.get("site_category")
        if len(site_category) > 60:
            errors.add("site_category", "at most 60 characters")
        code = self._clean_placement_code(errors, row)
        position = _clean_position(errors, row)
        guarantee = _money(errors, row, "daily_guarantee")
        click_rate = _money(errors, row, "click_rate")
        starts_on, ends_on = _clean_contract_dates(errors, row)
        owner = self._clean_bd_owner(errors, row)
        errors.raise_if_any()
        return AffiliateRow(
            email=email,
            name=name,
            kind=kind,
            site_url=site_url,
            site_name=site_name,
            site_category=site_category,
            placement_code=code,
            position=position,
            daily_guarantee=guarantee,
            click_rate=click_rate,
            contract_start=starts_on,  # type: ignore[arg-type]
            contract_end=ends_on,
            bd_owner=owner,
        )

    def _clean_email(self, errors: RowErrors, row: ImportRow) -> str:
        """The webmaster's email, lower-cased; an existing suspended or rejected webmaster
        must be reinstated before an import adds to them."""
        email = errors.text(row, "email", 254).lower()
        if not email:
            return email
        try:
            validate_email(email)
        except ValidationError:
            errors.add("email", f"{row.get('email')!r} is not an email address")
        existing = self.affiliates.get(email)
        if existing is not None and existing.status in CLOSED:
            errors.add(
                "email",
                f"the webmaster {existing.email} is {existing.status}; reinstate them "
                "before importing more placements",
            )
        return email

    def _clean_kind(self, errors: RowErrors, row: ImportRow, email: str) -> str:
        """A known kind, and the same one on every row of one webmaster."""
        kind = row.get("kind").lower()
        if kind not in AffiliateKind.values:
            errors.add(
                "kind", f"unknown kind {row.get('kind')!r}; use one of {', '.join(AffiliateKind)}"
            )
        elif email:
            line, first_kind = self.kinds.setdefault(email, (row.line, kind))
            if first_kind != kind:
                errors.add("kind", f"{email} is a {first_kind} on line {line}; one kind each")
        return kind

    def _clean_site_url(self, errors: RowErrors, row: ImportRow, email: str) -> str:
        """The normalized site URL: an http(s) address that no other webmaster (in the tenant
        or earlier in the file) has, of a site that was not rejected."""
        raw_url = errors.text(row, "site_url", 500)
        site_url = normalize_site_url(raw_url) if raw_url else ""
        if not site_url:
            return site_url
        try:
            _url_validator(site_url)
        except ValidationError:
            errors.add("site_url", f"{raw_url!r} is not an http:// or https:// address")
        site = self.sites.get(site_url)
        if site is not None and site.affiliate.email.lower() != email:
            errors.add(
                "site_url",
                f"{site_url} is already registered by webmaster {site.affiliate.email}",
            )
        if site is not None and site.status == SiteStatus.REJECTED:
            errors.add("site_url", f"the site {site_url} was rejected")
        line, owner_email = self.site_owners.setdefault(site_url, (row.line, email))
        if owner_email != email:
            errors.add("site_url", f"{site_url} belongs to {owner_email} on line {line}")
        return site_url

    def _clean_placement_code(self, errors: RowErrors, row: ImportRow) -> str:
        """A given code is well-formed and unique in the tenant and in the file."""
        code = row.get("placement_code")
        if not code:
            return code
        if not 3 <= len(code) <= 32 or set(code) - CODE_CHARACTERS:
            errors.add("placement_code", f"{code!r}: use 3-32 letters, digits, '-' or '_'")
        elif code in self.taken_codes:
            errors.add("placement_code", f"{code} is already taken in this network")
        else:
            # rules across rows are checked here, in file order, so a row with other
            # errors still reports its duplicate
            first = self.code_lines.setdefault(code, row.line)
            if first != row.line:
                errors.add("placement_code", f"{code} is already used on line {first}")
        return code

    def _clean_bd_owner(self, errors: RowErrors, row: ImportRow) -> User | None:
        """The BD owner, if named: active staff of this tenant."""
        owner_email = row.get("bd_owner_email").lower()
        owner = self.staff.get(owner_email) if owner_email else None
        if owner_email and owner is None:
            errors.add(
                "bd_owner_email", f"{row.get('bd_owner_email')} is not staff of this network"
            )
        return owner

    def save_row(self, row: CleanRow) -> None:
        data: AffiliateRow = row.data
        affiliate = self._affiliate(data)
        site = self.sites.get(data.site_url)
        if site is None:
            site = site_register(
                affiliate=affiliate,
                url=data.site_url,
                name=data.site_name,
                category=data.site_category,
                status=SiteStatus.APPROVED,
            )
            self.sites[site.url] = site
            self.counts["sites created"] += 1
        elif site.status != SiteStatus.APPROVED:
            site_transition(site=site, to=SiteStatus.APPROVED, actor=self.actor, reason="imported")
        placement = placement_create(
            site=site, position=data.position, code=data.placement_code or None
        )
        self.counts["placements created"] += 1
        contract_create(
            placement=placement,
            daily_guarantee=data.daily_guarantee,
            click_rate=data.click_rate,
            starts_on=data.contract_start,
            ends_on=data.contract_end,
            actor=self.actor,
        )
        self.counts["contracts created"] += 1

    def _affiliate(self, data: AffiliateRow) -> Affiliate:
        affiliate = self.affiliates.get(data.email)
        if affiliate is None:
            affiliate = affiliate_create(
                email=data.email,
                name=data.name,
                kind=data.kind,
                status=PipelineStatus.ACTIVE,
                bd_owner=data.bd_owner,
                actor=self.actor,
            )
            self.affiliates[data.email] = affiliate
            self.met.add(data.email)
            self.counts["webmasters created"] += 1
            return affiliate
        if data.email not in self.met:
            # An existing webmaster, first met in this file: reused, brought to active.
            self.met.add(data.email)
            self.counts["webmasters reused"] += 1
            if affiliate.status != PipelineStatus.ACTIVE:
                affiliate_transition(
                    affiliate=affiliate,
                    to=PipelineStatus.ACTIVE,
                    actor=self.actor,
                    reason="imported",
                )
        if data.bd_owner is not None and affiliate.bd_owner_id != data.bd_owner.pk:
            affiliate_assign_owner(affiliate=affiliate, owner=data.bd_owner, actor=self.actor)
        return affiliate


def _current_contract(placement: Placement) -> Contract | None:
    contracts = getattr(placement, "active_contracts", None)
    return contracts[0] if contracts else None


class AffiliateExport(SafeExportResource):
    """The admin's export of webmasters, one row per placement, in the import's format: the
    placement's latest active contract gives the terms. Webmasters with no placement have no
    row (the import needs a placement)."""

    email = Field(attribute="site__affiliate__email", column_name="email")
    name = Field(attribute="site__affiliate__name", column_name="name")
    kind = Field(attribute="site__affiliate__kind", column_name="kind")
    site_url = Field(attribute="site__url", column_name="site_url")
    site_name = Field(attribute="site__name", column_name="site_name")
    site_category = Field(attribute="site__category", column_name="site_category")
    placement_code = Field(attribute="code", column_name="placement_code")
    position = Field(attribute="position", column_name="position")
    daily_guarantee = Field(column_name="daily_guarantee")
    click_rate = Field(column_name="click_rate")
    contract_start = Field(column_name="contract_start")
    contract_end = Field(column_name="contract_end")
    bd_owner_email = Field(
        attribute="site__affiliate__bd_owner__email", column_name="bd_owner_email"
    )

    class Meta:
        model = Placement
        fields = (
            "email",
            "name",
            "kind",
            "site_url",
            "site_name",
            "site_category",
            "placement_code",
            "position",
            "daily_guarantee",
            "click_rate",
            "contract_start",
            "contract_end",
            "bd_owner_email",
        )
        export_order = fields

    @staticmethod
    def placements_for(affiliates: QuerySet[Affiliate]) -> QuerySet[Placement]:
        """The placements of ``affiliates``, with what the rows show, in three queries."""
        return (
            Placement.objects.filter(site__affiliate__in=affiliates)
            .select_related("site__affiliate__bd_owner")
            .prefetch_related(
                Prefetch(
                    "contracts",
                    queryset=Contract.objects.filter(status=ContractStatus.ACTIVE).order_by(
                        "-starts_on"
                    ),
                    to_attr="active_contracts",
                )
            )
            .order_by("site__affiliate__email", "site__url", "code")
        )

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        if queryset is not None and queryset.model is Affiliate:
            queryset = self.placements_for(queryset)
        return super().export(queryset=queryset, **kwargs)

    def dehydrate_daily_guarantee(self, placement: Placement) -> str:
        contract = _current_contract(placement)
        return str(contract.daily_guarantee) if contract else ""

    def dehydrate_click_rate(self, placement: Placement) -> str:
        contract = _current_contract(placement)
        return str(contract.click_rate) if contract else ""

    def dehydrate_contract_start(self, placement: Placement) -> str:
        contract = _current_contract(placement)
        return contract.starts_on.isoformat() if contract else ""

    def dehydrate_contract_end(self, placement: Placement) -> str:
        contract = _current_contract(placement)
        return contract.ends_on.isoformat() if contract and contract.ends_on else ""
