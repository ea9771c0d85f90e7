"""bench/lower_bound.sql, the pipeline's one-statement lower bound, applies the product's
classification (issue 20): on a small generated tenant it gives exactly run_daily's verdicts,
click by click, and the same placement funnel."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from apps.tenants.scope import tenant_scope
from apps.tracking.models import BlockRule, Click, PlacementDayStats
from bench import generate, inprocess

pytestmark = pytest.mark.django_db

FUNNEL = [
    "placement_id",
    "clicks",
    "valid_clicks",
    "bot_clicks",
    "duplicate_clicks",
    "ip_cap_clicks",
    "self_clicks",
    "blocked_clicks",
    "landings",
    "registrations",
    "orders",
    "gmv",
]


def _verdicts(tenant, day):
    params = inprocess.day_params(tenant, day)
    with tenant_scope(tenant):
        clicks = Click.objects.filter(clicked_at__gte=params["start"], clicked_at__lt=params["end"])
        return dict(clicks.values_list("id", "verdict"))


def _funnel(tenant, day):
    with tenant_scope(tenant):
        rows = PlacementDayStats.objects.filter(day=day).order_by("placement_id")
        return list(rows.values_list(*FUNNEL))


def _unclassify(tenant, day):
    params = inprocess.day_params(tenant, day)
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_click SET verdict = '' WHERE tenant_id = %(tenant)s "
            "AND clicked_at >= %(start)s AND clicked_at < %(end)s",
            params,
        )
        cursor.execute(
            "DELETE FROM tracking_placementdaystats WHERE tenant_id = %(tenant)s AND day = %(day)s",
            params,
        )


def test_lower_bound_gives_run_dailys_verdicts_and_funnel():
    # given a small generated tenant whose block list catches one IP-cap offender
    result = generate.generate(slug="lb", scale=0.002, seed=11, analyze=False)
    tenant = generate.ensure_tenant("lb")
    day = datetime.date.fromisoformat(result["day"])
    with tenant_scope(tenant):
        BlockRule.objects.create(
            tenant=tenant, kind="user_agent", value="Offender 0; build 1)", reason="bench offender"
        )
    # when run_daily classifies the day, then the lower bound classifies it from scratch
    call_command("run_daily", "--tenant", "lb", "--date", day.isoformat())
    by_run_daily = _verdicts(tenant, day)
    funnel_by_run_daily = _funnel(tenant, day)
    _unclassify(tenant, day)
    outcome = inprocess.lower_bound_once(tenant, day)
    by_lower_bound = _verdicts(tenant, day)

    # then every click has the same verdict, and every verdict occurs
    assert by_lower_bound == by_run_daily
    counts = inprocess.verdict_counts(tenant, day)
    assert set(counts) == {"valid", "bot", "duplicate", "ip_cap", "self", "blocked"}
    assert outcome["verdicts_written"] == len(by_run_daily) == sum(counts.values())
    assert outcome["valid_clicks"] == counts["valid"]
    # and the same placement funnel
    assert _funnel(tenant, day) == funnel_by_run_daily


def test_generated_mix_follows_the_tenants_cap_and_window():
    # given the generator's intended mix, drawn with the tenant's own cap and dedupe window
    result = generate.generate(slug="lb", scale=0.002, seed=11, analyze=False)
    tenant = generate.ensure_tenant("lb")
    day = datetime.date.fromisoformat(result["day"])
    # when the product classifies the day
    call_command("run_daily", "--tenant", "lb", "--date", day.isoformat())
    # then the verdicts are the intended ones (no block rule here)
    counts = inprocess.verdict_counts(tenant, day)
    assert counts == {k: v for k, v in result["intended_click_mix"].items() if v}
