"""Writes on products: upserts by sku (feed API, imports, admin) and the nightly tagging.

Product tagging and ROI tiers (issue 4, DESIGN.md rule 7): a product is *tagged* when it has at
least 20 attributed orders in the last 30 days and a conversion rate (orders / valid clicks) at
or above the tenant's median over products with clicks. Its recommended ROI tiers are its 30-day
ROI (GMV / spend) x 0.8, x 1.0 and x 1.2, rounded half-up to one decimal, at least 1.0.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet

from apps.campaigns.domains import url_within
from apps.campaigns.models import Merchant, MerchantDomain, Product
from apps.core import money
from apps.core.history import history_note
from apps.core.money import quantize_money
from apps.tenants.live import live_state_changed

TAG_MIN_ORDERS = 20
TIER_FACTORS = (Decimal("0.8"), Decimal("1.0"), Decimal("1.2"))
TIER_PLACES = Decimal("0.1")
TIER_MINIMUM = Decimal("1.0")
UPSERT_FIELDS = ("title", "url", "price", "product_type", "image_url")


def _price(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"price": f"{value!r} is not a decimal amount."}) from None


def product_upsert(
    *,
    merchant: Merchant,
    sku: str,
    title: str,
    url: str,
    price: Decimal | str,
    product_type: str = "",
    image_url: str = "",
    is_active: bool | None = None,
) -> tuple[Product, bool]:
    """Create the merchant's product ``sku`` or update it in place; ``(product, created)``.

    The sku is unique per merchant (``product_sku_unique_per_merchant``); the row is locked
    while it is updated, so two feeds posting the same sku end with one row. Fields are
    validated with ``full_clean`` (a ``ValidationError`` names each bad field). Tagging fields
    are never touched here (only ``product_tagging_apply`` writes them)."""
    sku = (sku or "").strip()
    if not sku:
        raise ValidationError({"sku": "A sku is required."})
    values = {
        "title": (title or "").strip(),
        "url": (url or "").strip(),
        "price": quantize_money(_price(price)),
        "product_type": (product_type or "").strip(),
        "image_url": (image_url or "").strip(),
    }
    with transaction.atomic():
        product = (
            Product.objects.select_for_update(of=("self",))
            .filter(merchant=merchant, sku=sku)
            .first()
        )
        created = product is None
        if product is None:
            product = Product(tenant_id=merchant.tenant_id, merchant=merchant, sku=sku, **values)
        else:
            wanted = {**values, **({"is_active": is_active} if is_active is not None else {})}
            if all(getattr(product, name) == value for name, value in wanted.items()):
                return product, False  # a feed repeating itself writes nothing (nor history)
            for name, value in values.items():
                setattr(product, name, value)
        if is_active is not None:
            product.is_active = is_active
        product.full_clean(validate_unique=False, validate_constraints=False)
        _check_url_on_verified_domain(merchant, product.url)
        # The price history names no person for feeds (an API key is not one).
        history_note(product, None)
        product.save()
        live_state_changed()
    return product, created


def _check_url_on_verified_domain(merchant: Merchant, url: str) -> None:
    """A product's URL is where ``/c/?sku=`` redirects: only a verified domain of its merchant
    (or a subdomain of one) may be the target (never an open redirect)."""
    if not url:
        return  # full_clean names the missing URL
    verified = list(
        MerchantDomain.objects.filter(merchant=merchant, verified_at__isnull=False).values_list(
            "domain", flat=True
        )
    )
    if not url_within(url, verified):
        where = ", ".join(sorted(verified)) or "none yet"
        raise ValidationError(
            {
                "url": f"{url} is not on a verified domain of merchant {merchant.code} "
                f"({where}): add and verify the domain first."
            }
        )


@dataclass(frozen=True)
class ProductUpsertResult:
    sku: str
    #: "created", "updated" or "rejected"
    status: str
    product: Product | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def product_upsert_many(
    *, merchant: Merchant, items: Iterable[Mapping[str, Any]]
) -> list[ProductUpsertResult]:
    """Upsert a batch (the feed API): one result per item, in order. A bad item is rejected
    with its field errors and the others still go through (each item has its own savepoint)."""
    results: list[ProductUpsertResult] = []
    for item in items:
        sku = str(item.get("sku") or "")
        try:
            with transaction.atomic():
                product, created = product_upsert(
                    merchant=merchant,
                    sku=sku,
                    title=item.get("title", ""),
                    url=item.get("url", ""),
                    price=item.get("price", ""),
                    product_type=item.get("product_type", "") or "",
                    image_url=item.get("image_url", "") or "",
                )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"item": exc.messages}
            results.append(ProductUpsertResult(sku=sku, status="rejected", errors=errors))
            continue
        results.append(
            ProductUpsertResult(
                sku=product.sku, status="created" if created else "updated", product=product
            )
        )
    return results


@dataclass(frozen=True)
class ProductTaggingStats:
    """One product's last 30 days, computed from the roll-ups (apps.tracking.performance)."""

    orders: int
    valid_clicks: int
    gmv: Decimal
    spend: Decimal

    @property
    def conversion_rate(self) -> Decimal | None:
        if self.valid_clicks <= 0:
            return None
        return (Decimal(self.orders) / Decimal(self.valid_clicks)).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_UP
        )

    @property
    def roi(self) -> Decimal | None:
        return money.roi(gmv=self.gmv, spend=self.spend)


def product_is_taggable(
    *, stats: ProductTaggingStats, median_conversion_rate: Decimal | None
) -> bool:
    """>= 20 attributed orders and a conversion rate at or above the tenant's median. A product
    with no spend in the window has no ROI, so no tiers to offer: it is not tagged."""
    rate = stats.conversion_rate
    return (
        stats.orders >= TAG_MIN_ORDERS
        and stats.roi is not None
        and rate is not None
        and median_conversion_rate is not None
        and rate >= median_conversion_rate
    )


def product_tagging_apply(
    *,
    day: datetime.date,
    stats: Mapping[int, ProductTaggingStats],
    median_conversion_rate: Decimal | None,
) -> dict[str, int]:
    """Set the tagging facts of every product of the scoped tenant from ``stats`` (by product
    id; a product missing from it had no activity: untagged, 0 orders, no rate, no ROI).

    Idempotent: the same stats give the same rows. Campaigns that already started keep the
    facts they froze at start (``Campaign.product_was_tagged``, ``roi_tiers_at_start``)."""
    changed: list[Product] = []
    tagged = 0
    empty = ProductTaggingStats(orders=0, valid_clicks=0, gmv=Decimal(0), spend=Decimal(0))
    median = median_conversion_rate
    with transaction.atomic():
        products = Product.objects.select_for_update(of=("self",)).order_by("pk")
        for product in products:
            row = stats.get(product.pk, empty)
            is_tagged = product_is_taggable(stats=row, median_conversion_rate=median)
            tagged += is_tagged
            product.is_tagged = is_tagged
            product.orders_30d = row.orders
            product.conversion_rate_30d = row.conversion_rate
            product.roi_30d = row.roi
            product.tagging_refreshed_on = day
            changed.append(product)
        Product.objects.bulk_update(
            changed,
            ["is_tagged", "orders_30d", "conversion_rate_30d", "roi_30d", "tagging_refreshed_on"],
            batch_size=500,
        )
        live_state_changed()  # bids read the day's roll-ups: serve from the new ones
    return {"products": len(changed), "tagged": tagged}


#: ``product_tagging_refresh``'s one statement. ``round(N * a / b)`` half-up for a, b >= 0 is
#: ``div(2 * N * a + b, 2 * b)`` in exact integer arithmetic, so the conversion rate (6 places)
#: and the ROI (2 places, ``apps.core.money.roi``) equal the Python rules to the last digit;
#: the median is ``statistics.median``'s (the middle rate, or the mean of the two middle ones).
_TAGGING_SQL = """
WITH stats (product_id, orders, valid_clicks, gmv, spend) AS ({stats}),
rated AS (
    SELECT product_id, orders, valid_clicks,
        CASE WHEN valid_clicks > 0 THEN
            div(2 * 1000000 * orders::numeric + valid_clicks, 2 * valid_clicks::numeric)
            / 1000000
        END AS rate,
        CASE WHEN spend > 0 THEN
            sign(gmv) * div(2 * 100 * abs(gmv) + spend, 2 * spend) / 100
        END AS roi
    FROM stats
),
ranked AS (
    SELECT rate, row_number() OVER (ORDER BY rate) AS rn, count(*) OVER () AS n
    FROM rated WHERE rate IS NOT NULL
),
median AS (SELECT avg(rate) AS rate FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)),
products (id) AS ({products}),
updated AS (
    UPDATE {table} AS p SET
        is_tagged = COALESCE(
            r.orders >= %s AND r.roi IS NOT NULL AND r.rate IS NOT NULL
            AND m.rate IS NOT NULL AND r.rate >= m.rate,
            false
        ),
        orders_30d = COALESCE(r.orders, 0),
        conversion_rate_30d = r.rate,
        roi_30d = r.roi,
        tagging_refreshed_on = %s
    FROM products AS mine LEFT JOIN rated AS r ON r.product_id = mine.id CROSS JOIN median AS m
    WHERE p.id = mine.id
    RETURNING p.is_tagged
)
SELECT count(*), count(*) FILTER (WHERE is_tagged) FROM updated
"""


def product_tagging_refresh(*, day: datetime.date, stats: QuerySet[Any]) -> dict[str, int]:
    """The nightly tagging in one SQL statement (issue 19): the same facts and tags as
    ``product_tagging_apply`` with ``median_conversion_rate`` over the same stats, for every
    product of the scoped tenant, without loading a product into Python (flat memory at any
    number of products).

    ``stats`` is a query of ``(product_id, orders, valid_clicks, gmv, spend)`` rows, one per
    product with activity (``apps.tracking.performance.product_tagging_stats_query``); a
    product missing from it is untagged with 0 orders, no rate and no ROI. Idempotent.
    Campaigns that already started keep the facts they froze at start."""
    stats_sql, stats_params = stats.order_by().query.sql_with_params()
    products_sql, products_params = Product.objects.order_by().values("pk").query.sql_with_params()
    sql = _TAGGING_SQL.format(
        stats=stats_sql,
        products=products_sql,
        table=connection.ops.quote_name(Product._meta.db_table),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*stats_params, *products_params, TAG_MIN_ORDERS, day])
        products, tagged = cursor.fetchone()
        live_state_changed()  # bids read the day's roll-ups: serve from the new ones
    return {"products": products, "tagged": tagged}


def roi_tiers_for(roi: Decimal | None) -> list[Decimal]:
    """ROI x 0.8, x 1.0, x 1.2, one decimal half-up, at least 1.0 (issue 4)."""
    if roi is None:
        return []
    return [
        max((roi * factor).quantize(TIER_PLACES, rounding=ROUND_HALF_UP), TIER_MINIMUM)
        for factor in TIER_FACTORS
    ]


def roi_tiers(product: Product) -> list[Decimal]:
    """The product's three recommended target-ROI tiers, or [] when it is not tagged."""
    if not product.is_tagged:
        return []
    return roi_tiers_for(product.roi_30d)
