"""Load and fault tests: real gunicorn, wrk, Celery workers on Redis, PostgreSQL restarts.

They take minutes and restart the database server, so ``make test`` leaves them out; they run
in ``make reliability`` (``.ci/run`` does both), against an embedded server of their own
(``var/postgres-reliability``), so a restart never disturbs anything else.
"""

import datetime
import os
from decimal import Decimal

import pytest
from django.db import connection

from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantDomainFactory, ProductFactory
from tests.sites.factories import ContractFactory, PlacementFactory
from tests.tenants.factories import TenantFactory

ENABLED = os.environ.get("ALLIANCE_RELIABILITY") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/reliability/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
            if not ENABLED:
                item.add_marker(pytest.mark.skip(reason="run by `make reliability`"))


DAY = datetime.date(2026, 3, 2)


def make_network(slug: str, *, placements: int = 20) -> dict:
    """A tenant with live placements under contracts, one merchant and its products."""
    tenant = TenantFactory(slug=slug, name=f"Network {slug}")
    codes, skus, placement_rows = [], [], []
    merchant = None
    for index in range(placements):
        placement = PlacementFactory(tenant=tenant, code=f"{slug[:4].upper()}{index:04d}")
        ContractFactory(
            tenant=tenant,
            placement=placement,
            daily_guarantee=Decimal("500.00"),
            click_rate=Decimal("0.1000"),
            starts_on=datetime.date(2026, 1, 1),
        )
        codes.append(placement.code)
        placement_rows.append(placement)
    for index in range(5):
        product = ProductFactory(
            tenant=tenant, sku=f"{slug}-sku-{index}", **({"merchant": merchant} if merchant else {})
        )
        merchant = product.merchant
        skus.append(product.sku)
    MerchantDomainFactory(tenant=tenant, merchant=merchant, domain=f"{slug}.shop.example")
    return {
        "tenant": tenant,
        "codes": codes,
        "skus": skus,
        "placements": placement_rows,
        "merchant": merchant,
    }


def insert_clicks(network: dict, *, count: int, day: datetime.date = DAY) -> None:
    """``count`` raw clicks on ``day`` in one INSERT ... SELECT, the same for any tenant:
    mostly distinct visitors, some bots, repeats (duplicates) and one heavy address (ip cap)."""
    tenant = network["tenant"]
    placements = network["placements"]
    ids = [p.pk for p in placements]
    affiliates = [p.site.affiliate_id for p in placements]
    start = datetime.datetime.combine(day, datetime.time(1, 0), tzinfo=tenant.zone)
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tracking_click (tenant_id, click_id, clicked_at, placement_id,
                affiliate_id, ip, user_agent, sub, verdict)
            SELECT %(tenant)s, md5(%(tenant)s::text || '-' || n)::uuid,
                   %(start)s::timestamptz + (n * interval '60 milliseconds'),
                   (%(ids)s::bigint[])[1 + n %% %(k)s], (%(affs)s::bigint[])[1 + n %% %(k)s],
                   CASE WHEN n %% 50 = 0 THEN '198.51.100.200'::inet
                        WHEN n %% 7 = 0 THEN ('10.1.' || ((n / 7) %% 200) || '.1')::inet
                        ELSE ('10.' || (2 + n / 65000) || '.' || ((n / 250) %% 250) || '.'
                              || (n %% 250))::inet END,
                   CASE WHEN n %% 23 = 0 THEN 'Googlebot/2.1' ELSE 'Mozilla/5.0 Chrome/120' END,
                   '', ''
            FROM generate_series(1, %(count)s) AS n
            """,
            {
                "tenant": tenant.pk,
                "start": start,
                "ids": ids,
                "affs": affiliates,
                "k": len(ids),
                "count": count,
            },
        )
