"""The ``products`` import (API.md "Import formats"):
``merchant, sku, title, url, price, product_type, image_url?``.

``merchant`` is the merchant's code. A (merchant, sku) that exists is updated in place, a new one
is created (``product_upsert``), so the same file imported twice changes nothing. The same
merchant and sku twice in one file is an error on the second line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models.functions import Lower

from apps.campaigns.models import Merchant, Product
from apps.campaigns.services.products import product_upsert
from apps.core.imports import CleanRow, ImportResource, ImportRow, RowError, RowErrors

_url = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class ProductRow:
    merchant: Merchant
    sku: str
    title: str
    url: str
    price: Decimal
    product_type: str
    image_url: str


def clean_product_cells(row: ImportRow, merchants: dict[str, Merchant]) -> ProductRow:
    """Check one row (every bad cell at once) against the tenant's merchants by lower-case code."""
    errors = RowErrors()
    code = row.get("merchant")
    merchant = merchants.get(code.lower()) if code else None
    if not code:
        errors.add("merchant", "a value is required")
    elif merchant is None:
        errors.add("merchant", f"no merchant with the code {code!r} in this network")
    sku = errors.text(row, "sku", 64)
    title = errors.text(row, "title", 300)
    url = errors.text(row, "url", 1000)
    if url:
        try:
            _url(url)
        except ValidationError:
            errors.add("url", f"{url!r} is not an http(s) address")
    price = Decimal(0)
    raw_price = row.get("price")
    if not raw_price:
        errors.add("price", "a value is required")
    else:
        try:
            price = Decimal(raw_price)
            if not price.is_finite() or price < 0:
                raise InvalidOperation
            if price != price.quantize(Decimal("0.01")):
                errors.add("price", f"{raw_price!r} has more than 2 decimals")
        except InvalidOperation:
            errors.add("price", f"{raw_price!r} is not an amount of 0 or more, such as 199.00")
    product_type = errors.text(row, "product_type", 60, required=False)
    image_url = errors.text(row, "image_url", 1000, required=False)
    if image_url:
        try:
            _url(image_url)
        except ValidationError:
            errors.add("image_url", f"{image_url!r} is not an http(s) address")
    errors.raise_if_any()
    return ProductRow(cast(Merchant, merchant), sku, title, url, price, product_type, image_url)


class ProductResource(ImportResource):
    name = "products"
    required_columns = ("merchant", "sku", "title", "url", "price", "product_type")
    optional_columns = ("image_url",)

    def prepare(self, rows: Sequence[ImportRow]) -> None:
        codes = {row.get("merchant").lower() for row in rows if row.get("merchant")}
        self.merchants = {
            merchant.code.lower(): merchant
            for merchant in Merchant.objects.annotate(code_lower=Lower("code")).filter(
                code_lower__in=codes
            )
        }
        self.existing = set(
            Product.objects.filter(merchant__in=self.merchants.values()).values_list(
                "merchant_id", "sku"
            )
        )

    def clean_row(self, row: ImportRow) -> ProductRow:
        return clean_product_cells(row, self.merchants)

    def check_rows(self, rows: Sequence[CleanRow]) -> Iterable[RowError]:
        seen: dict[tuple[int, str], int] = {}
        for row in rows:
            data: ProductRow = row.data
            first = seen.setdefault((data.merchant.pk, data.sku), row.line)
            if first != row.line:
                yield RowError(
                    row.line,
                    "sku",
                    f"{data.merchant.code} / {data.sku} is already on line {first}",
                )

    def save_row(self, row: CleanRow) -> None:
        data: ProductRow = row.data
        _, created = product_upsert(
            merchant=data.merchant,
            sku=data.sku,
            title=data.title,
            url=data.url,
            price=data.price,
            product_type=data.product_type,
            image_url=data.image_url,
        )
        self.counts["products created" if created else "products updated"] += 1
