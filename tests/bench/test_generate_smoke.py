"""The benchmark's data generator at a tiny scale, so bench/ does not rot between runs."""

import datetime

import pytest
from django.db import connection

from apps.affiliates.models import Affiliate
from apps.campaigns.models import Merchant, Product
from apps.sites.models import Contract, Placement
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, Conversion, Impression, PlacementDayStats
from bench import generate
from bench.loader import Loader

pytestmark = pytest.mark.django_db


def _fingerprint(tenant):
    fields = ["clicked_at", "ip", "user_agent", "placement__code", "product__sku", "sub"]
    with tenant_scope(tenant):
        return list(Click.objects.order_by(*fields).values_list(*fields))


def _indexes(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return cursor.fetchall()


def test_generates_every_table_at_a_tiny_scale_inside_the_tenant(other_tenant, monkeypatch):
    # the click and impression loads take the drop-and-rebuild path for their indexes
    monkeypatch.setattr(Loader, "REBUILD_INDEXES_FROM", 500)
    before = {table: _indexes(table) for table in ("tracking_click", "tracking_impression")}
    result = generate.generate(slug="smoke", scale=0.001, seed=42, analyze=False)
    assert {table: _indexes(table) for table in before} == before
    tenant = generate.ensure_tenant("smoke")
    counts = result["counts"]
    assert counts["clicks"] == 1000
    assert counts["webmasters"] == 2
    with tenant_scope(tenant):
        assert Affiliate.objects.count() == 2
        assert Placement.objects.count() == 5
        assert Contract.objects.filter(status="active").count() == 5
        assert Merchant.objects.count() == 1
        assert Product.objects.count() == 20
        day = datetime.date.fromisoformat(result["day"])
        start = generate.World(tenant=tenant, day=day, zone=tenant.zone, counts={}).day_start()
        on_day = Click.objects.filter(clicked_at__gte=start)
        on_day = on_day.filter(clicked_at__lt=start + datetime.timedelta(days=1))
        assert on_day.count() == 1000
        assert on_day.filter(user_agent__icontains="bot").count() > 0
        assert Impression.objects.count() == 500
        assert Conversion.objects.filter(day=day).count() == 20
        assert PlacementDayStats.objects.count() == 5 * generate.ROLLUP_DAYS
        # ids came from each table's own sequence: the ORM's next insert does not collide
        extra = Affiliate.objects.create(tenant=tenant, email="late@smoke.example", name="Late")
        assert extra.pk > max(Affiliate.objects.exclude(pk=extra.pk).values_list("pk", flat=True))
    assert result["rows"]["tracking_click"] == 1000 + counts["period_conversions"]
    # the other tenant's scope sees none of it (both walls held for the bulk load)
    with tenant_scope(other_tenant):
        assert Click.objects.count() == 0
        assert Affiliate.objects.count() == 0


def test_same_seed_same_data_and_refuses_to_overwrite_without_reset():
    generate.generate(slug="smoke", scale=0.001, seed=7, analyze=False)
    tenant = generate.ensure_tenant("smoke")
    first = _fingerprint(tenant)
    with pytest.raises(SystemExit, match="--reset"):
        generate.generate(slug="smoke", scale=0.001, seed=7, analyze=False)
    assert _fingerprint(tenant) == first
    generate.generate(slug="smoke", scale=0.001, seed=7, reset=True, analyze=False)
    assert _fingerprint(tenant) == first
    assert len(first) == 1020
