"""Faults injected into real processes: a Celery worker SIGKILLed in the middle of the nightly
run and of settlement generation (acks_late redelivers the task; the rerun must give a clean
run's totals and duplicate nothing), and PostgreSQL restarted under click load (requests fail
cleanly while it is down, succeed after, and no row is half-written)."""

import datetime
import threading
import time
import urllib.request
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from apps.affiliates.models import Affiliate
from apps.commissions.models import DailyEarning, Statement, StatementLine
from apps.sites.models import Placement, Site
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, DailyRun, PlacementDayStats
from tests.reliability import processes
from tests.reliability.conftest import DAY, insert_clicks, make_network

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "2026-03"


def _wait(predicate, *, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _run_status(tenant) -> str | None:
    with tenant_scope(tenant):
        run = DailyRun.objects.filter(day=DAY).first()
        return run.status if run else None


def _daily_totals(tenant) -> dict:
    with tenant_scope(tenant):
        stats = PlacementDayStats.objects.filter(day=DAY).aggregate(
            rows=Count("id"),
            clicks=Sum("clicks"),
            valid=Sum("valid_clicks"),
            bots=Sum("bot_clicks"),
            duplicates=Sum("duplicate_clicks"),
            ip_cap=Sum("ip_cap_clicks"),
        )
        earnings = DailyEarning.objects.filter(day=DAY).aggregate(
            rows=Count("id"), total=Sum("total")
        )
        verdicts = dict(
            Click.objects.values_list("verdict").annotate(n=Count("id")).order_by("verdict")
        )
    return {"stats": stats, "earnings": earnings, "verdicts": verdicts}


def _other_backends_active() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'active'"
        )
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_run_daily_reruns_to_a_clean_runs_totals(tmp_path):
    # given two networks with the very same day of 200,000 clicks
    clean, faulty = make_network("cleanrun"), make_network("faultrun")
    for network in (clean, faulty):
        insert_clicks(network, count=200_000)
    began = time.monotonic()
    call_command("run_daily", tenant="cleanrun", date=DAY.isoformat())
    clean_seconds = time.monotonic() - began
    expected = _daily_totals(clean["tenant"])
    assert expected["stats"]["clicks"] == 200_000
    processes.purge_broker()

    # when a real worker takes the task and is SIGKILLed half-way through
    with processes.celery_worker(tmp_path, "first") as worker:
        processes.send_task(
            "tracking.run_daily", tenant_id=faulty["tenant"].pk, day=DAY.isoformat()
        )
        _wait(lambda: _run_status(faulty["tenant"]) == "running", timeout=90, what="the run")
        time.sleep(max(clean_seconds * 0.4, 0.5))
        assert _run_status(faulty["tenant"]) == "running", "the run finished before the kill"
        processes.kill_hard(worker)
    # then nothing of the half-done run is visible
    assert _daily_totals(faulty["tenant"])["stats"]["rows"] == 0

    # and when another worker comes up, the broker redelivers (acks_late) and it completes
    with processes.celery_worker(tmp_path, "second"):
        _wait(lambda: _run_status(faulty["tenant"]) == "done", timeout=240, what="the rerun")
    # with exactly the clean run's numbers
    assert _daily_totals(faulty["tenant"]) == expected
    print("fault run_daily:", {"clean_seconds": round(clean_seconds, 2), **expected})  # noqa: T201


def _webmasters_with_earnings(network: dict, count: int) -> None:
    """``count`` more webmasters, each with a placement and 30 days of earnings in PERIOD."""
    tenant = network["tenant"]
    slug = tenant.slug
    with tenant_scope(tenant):
        affiliates = Affiliate.objects.bulk_create(
            Affiliate(tenant=tenant, email=f"wm{i}@{slug}.example", name=f"WM {i}", status="active")
            for i in range(count)
        )
        sites = Site.objects.bulk_create(
            Site(
                tenant=tenant,
                affiliate=affiliate,
                url=f"https://wm{i}.{slug}.example/",
                name=f"Site {i}",
                status="approved",
            )
            for i, affiliate in enumerate(affiliates)
        )
        placements = Placement.objects.bulk_create(
            Placement(tenant=tenant, site=site, code=f"{slug[:3]}{i:05d}", position="sidebar")
            for i, site in enumerate(sites)
        )
        days = [datetime.date(2026, 3, d) for d in range(1, 31)]
        DailyEarning.objects.bulk_create(
            (
                DailyEarning(
                    tenant=tenant,
                    day=day,
                    placement=placement,
                    site=placement.site,
                    affiliate=placement.site.affiliate,
                    valid_clicks=1000 + i,
                    click_rate=Decimal("0.1000"),
                    click_income=Decimal(1000 + i) / 10,
                    total=Decimal(1000 + i) / 10,
                )
                for i, placement in enumerate(placements)
                for day in days
            ),
            batch_size=5000,
        )


def _statement_totals(tenant) -> dict:
    with tenant_scope(tenant):
        statements = Statement.objects.filter(period=PERIOD).aggregate(
            n=Count("id"), total=Sum("total")
        )
        lines = StatementLine.objects.filter(statement__period=PERIOD).aggregate(
            n=Count("id"), total=Sum("amount")
        )
    return {"statements": statements, "lines": lines}


def test_worker_killed_mid_generate_settlements_reruns_to_a_clean_runs_totals(tmp_path):
    # given two networks with the same month for 1,500 webmasters
    clean, faulty = make_network("cleanpay", placements=1), make_network("faultpay", placements=1)
    for network in (clean, faulty):
        _webmasters_with_earnings(network, 1500)
    began = time.monotonic()
    call_command("generate_settlements", tenant="cleanpay", period=PERIOD)
    clean_seconds = time.monotonic() - began
    expected = _statement_totals(clean["tenant"])
    assert expected["statements"]["n"] >= 1500
    processes.purge_broker()

    # when the worker generating them is SIGKILLed while it works
    with processes.celery_worker(tmp_path, "pay-first") as worker:
        processes.send_task(
            "commissions.generate_settlements", tenant_id=faulty["tenant"].pk, period=PERIOD
        )
        _wait(_other_backends_active, timeout=90, what="the worker's queries", every=0.05)
        time.sleep(max(clean_seconds * 0.3, 0.2))
        processes.kill_hard(worker)
    at_kill = _statement_totals(faulty["tenant"])
    assert (at_kill["statements"]["n"] or 0) < expected["statements"]["n"], "finished before kill"

    # then the redelivered task completes to the clean run's totals, nothing twice
    with processes.celery_worker(tmp_path, "pay-second"):
        _wait(
            lambda: _statement_totals(faulty["tenant"]) == expected,
            timeout=240,
            what="the rerun's statements",
            every=1,
        )
    call_command("generate_settlements", tenant="faultpay", period=PERIOD)
    assert _statement_totals(faulty["tenant"]) == expected
    print("fault generate_settlements:", {"clean_seconds": round(clean_seconds, 2)})  # noqa: T201


def test_postgres_restart_under_click_load_fails_cleanly_and_loses_nothing(tmp_path):
    if not connection.settings_dict.get("EMBEDDED_PGDATA"):
        pytest.skip("restarts the embedded server only")
    network = make_network("restartnet")
    code, sku = network["codes"][0], network["skus"][0]
    downtime: list[float] = []
    with processes.gunicorn(tmp_path) as server:
        restart = threading.Timer(8, lambda: downtime.append(processes.restart_embedded_postgres()))
        restart.start()
        result = processes.wrk(
            server.url("restartnet.localhost", f"/c/{code}?sku={sku}"),
            host="restartnet.localhost",
            seconds=25,
            connections=16,
            tmp_path=tmp_path,
        )
        restart.join()
        # after the restart, a click succeeds again
        request = urllib.request.Request(  # noqa: S310 - loopback
            server.url("", f"/c/{code}?sku={sku}"), headers={"Host": "restartnet.localhost"}
        )
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=10)
        redirect.value.close()
        assert redirect.value.code == 302
    connection.close()  # our own connection was cut by the restart too
    answered_302, answered_503 = server.answered(302), server.answered(503)
    with tenant_scope(network["tenant"]):
        stored = Click.objects.count()
    print(  # noqa: T201
        "restart:",
        {
            "downtime_s": round(downtime[0], 2),
            "302": answered_302,
            "503": answered_503,
            "stored": stored,
            "wrk": result.statuses,
        },
    )
    # requests failed cleanly (503, never 500 or a dropped connection) and no row is partial
    assert result.socket_errors == 0, result.output
    assert set(result.statuses) <= {302, 503}, result.statuses
    assert stored == answered_302


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
