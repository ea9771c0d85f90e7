"""The benchmarks that run in Python: the daily pipeline and its lower bound, conversions,
settlements, and the admin and API reads."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

from bench.common import BENCH, RESULTS, ROOT, log, out_of_time, percentile, summarize

READ_SAMPLES = 20
READ_BUDGET_S = 15.0  # a slow page gets fewer samples (at least READ_MIN_SAMPLES)
READ_MIN_SAMPLES = 5


# --------------------------------------------------------------------------- helpers


def tenant_named(slug: str) -> Any:
    from apps.tenants.models import Tenant

    return Tenant.objects.get(slug=slug)


def day_params(tenant: Any, day: datetime.date) -> dict[str, Any]:
    """The product's own classification parameters of the tenant-day (``rollup_params``: its
    window, dedupe window, per-IP cap and bot patterns), never a copy (issue 20)."""
    from apps.tenants.scope import tenant_scope
    from apps.tracking.services.rollup import rollup_params

    with tenant_scope(tenant):
        return rollup_params(day)


def reset_verdicts(tenant: Any, day: datetime.date) -> int:
    """Undo the day's classification (and vacuum), so the next run classifies every click."""
    from django.db import connection, transaction

    from apps.tenants.scope import tenant_scope

    params = day_params(tenant, day)
    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tracking_click SET verdict = '' WHERE tenant_id = %(tenant)s "
            "AND clicked_at >= %(start)s AND clicked_at < %(end)s AND verdict <> ''",
            params,
        )
        changed = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) tracking_click")
    return changed


def verdict_counts(tenant: Any, day: datetime.date) -> dict[str, int]:
    from django.db import connection

    from apps.tenants.scope import tenant_scope

    params = day_params(tenant, day)
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT verdict, count(*) FROM tracking_click WHERE tenant_id = %(tenant)s "
            "AND clicked_at >= %(start)s AND clicked_at < %(end)s GROUP BY verdict",
            params,
        )
        return {verdict or "unclassified": n for verdict, n in cursor.fetchall()}


def registered(command: str) -> bool:
    from django.core.management import get_commands

    return command in get_commands()


# --------------------------------------------------------------------------- run_daily


def run_daily_once(slug: str, day: datetime.date) -> dict[str, Any]:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.measure",
            "run_daily",
            "--tenant",
            slug,
            "--date",
            day.isoformat(),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        last = completed.stderr.strip().splitlines()[-1:] or ["(no output)"]
        (RESULTS / "run_daily-stderr.log").write_text(completed.stderr)
        raise RuntimeError(f"run_daily failed: {last[0]} (bench/results/run_daily-stderr.log)")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def lower_bound_once(tenant: Any, day: datetime.date) -> dict[str, Any]:
    from django.db import connection, transaction

    from apps.tenants.scope import tenant_scope

    sql = (BENCH / "lower_bound.sql").read_text()
    params = day_params(tenant, day)
    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")  # what the product's step sets too
        started = time.perf_counter()
        cursor.execute(sql, params)
        written, rows, clicks, valid = cursor.fetchone()
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "verdicts_written": written,
        "placement_rows": rows,
        "clicks": clicks,
        "valid_clicks": valid,
    }


def _step_summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [step["step"] for step in runs[0].get("steps", [])] if runs else []
    out = []
    for name in names:
        seconds = [s["seconds"] for r in runs for s in r.get("steps", []) if s["step"] == name]
        peaks = [s["peak_rss_mb"] for r in runs for s in r.get("steps", []) if s["step"] == name]
        out.append({"step": name, "seconds": summarize(seconds), "peak_rss_mb": max(peaks)})
    return out


def bench_daily(*, slug: str, day: datetime.date, runs: int) -> dict[str, Any]:
    if not registered("run_daily"):
        return {"not_measured": "run_daily is not built yet"}
    tenant = tenant_named(slug)
    pipeline: list[dict[str, Any]] = []
    bound: list[dict[str, Any]] = []
    for run in range(runs):
        if run and out_of_time():
            log("  out of time: no further runs")
            break
        # One reset per run: run_daily classifies from scratch; the lower bound, run right
        # after, rewrites every verdict whatever its value (no "only if changed" filter),
        # so its work is the same as on fresh rows. Resetting a million rows costs as much as
        # classifying them, so this halves the benchmark's time without changing either side.
        reset_verdicts(tenant, day)
        result = run_daily_once(slug, day)
        pipeline.append(result)
        log(
            f"  run_daily run {run + 1}: {result['seconds']:.1f}s, "
            f"peak RSS {result['peak_rss_mb']:.0f} MB"
        )
        result = lower_bound_once(tenant, day)
        bound.append(result)
        log(f"  lower bound run {run + 1}: {result['seconds']:.1f}s")
    # The day stays classified (the lower bound writes the same verdicts and funnel rows as
    # the product; the other roll-ups are the product's own from its runs).
    from apps.core.pipeline import daily_steps

    return {
        "run_daily_seconds": summarize([r["seconds"] for r in pipeline]),
        "run_daily_peak_rss_mb": summarize([r["peak_rss_mb"] for r in pipeline]),
        "run_daily_rss_before_mb": summarize([r["rss_before_mb"] for r in pipeline]),
        "lower_bound_seconds": summarize([r["seconds"] for r in bound]),
        "steps": [step.name for step in daily_steps()],
        "verdicts": verdict_counts(tenant, day),
        "lower_bound_result": bound[-1] if bound else {},
        "run_daily_output": pipeline[-1]["output"] if pipeline else "",
        "run_daily_steps": _step_summary(pipeline),
    }


# --------------------------------------------------------------------------- conversions


def conversion_batches(tenant: Any, day: datetime.date, *, batches: int, size: int, tag: str):  # type: ignore[no-untyped-def]
    """``batches`` lists of ``size`` events, each batch one merchant's clicks of ``day``."""
    from django.db import connection

    from apps.campaigns.models import Merchant, Product
    from apps.tenants.scope import tenant_scope

    params = day_params(tenant, day)
    out = []
    with tenant_scope(tenant):
        merchants = list(Merchant.objects.order_by("id")[: max(1, batches)])
        for b in range(batches):
            merchant = merchants[b % len(merchants)]
            products = list(
                Product.objects.filter(merchant=merchant)
                .order_by("id")
                .values_list("sku", "product_type", "price")[:20]
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT click_id, clicked_at FROM tracking_click WHERE tenant_id = %s "
                    "AND merchant_id = %s AND clicked_at >= %s AND clicked_at < %s "
                    "ORDER BY id LIMIT %s",
                    [tenant.pk, merchant.pk, params["start"], params["end"], size],
                )
                clicks = cursor.fetchall()
            if not clicks:
                continue
            events = []
            for i in range(size):
                click_id, clicked_at = clicks[i % len(clicks)]
                occurred = (clicked_at + datetime.timedelta(minutes=5)).isoformat()
                external_id = f"{tag}-{b:03d}-{i:05d}"
                if i % 5 < 3:
                    sku, product_type, price = products[i % len(products)]
                    events.append(
                        {
                            "type": "order",
                            "external_id": external_id,
                            "click_id": str(click_id),
                            "occurred_at": occurred,
                            "amount": str(price),
                            "customer_type": "new" if i % 2 else "returning",
                            "customer_ref": f"bench-{i}",
                            "items": [
                                {
                                    "sku": sku,
                                    "product_type": product_type,
                                    "quantity": 1,
                                    "amount": str(price),
                                }
                            ],
                        }
                    )
                else:
                    events.append(
                        {
                            "type": "registration",
                            "external_id": external_id,
                            "click_id": str(click_id),
                            "occurred_at": occurred,
                        }
                    )
            out.append((merchant, events))
    return out


def api_keys_for(tenant: Any, merchants: list[Any]) -> dict[int, str]:
    from apps.api.services import api_key_create
    from apps.tenants.scope import tenant_scope

    keys = {}
    with tenant_scope(tenant):
        for merchant in merchants:
            if merchant.pk not in keys:
                keys[merchant.pk] = api_key_create(merchant=merchant, name="bench").plaintext
    return keys


def post_batches(port: int, host: str, batches: list[Any], keys: dict[int, str]) -> dict[str, Any]:
    import http.client

    statuses: dict[str, int] = {}
    http_errors: list[str] = []
    events = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    for merchant, batch in batches:
        body = json.dumps({"events": batch})
        conn.request(
            "POST",
            "/api/v1/conversions",
            body=body,
            headers={
                "Host": host,
                "Content-Type": "application/json",
                "Authorization": f"Bearer {keys[merchant.pk]}",
            },
        )
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            http_errors.append(f"{response.status}: {payload[:300]!r}")
            continue
        for result in json.loads(payload)["results"]:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            if result["status"] == "rejected" and len(http_errors) < 3:
                http_errors.append(json.dumps(result)[:300])
        events += len(batch)
    seconds = time.perf_counter() - started
    conn.close()
    return {"seconds": seconds, "events": events, "statuses": statuses, "errors": http_errors}


def bulk_create_batches(tenant: Any, batches: list[Any]) -> dict[str, Any]:
    """The same events written with ``bulk_create`` (click ids resolved with one query per
    batch, the least any attribution needs): the ceiling the API is compared with."""
    from django.db import transaction
    from django.utils.dateparse import parse_datetime

    from apps.tenants.scope import tenant_scope
    from apps.tracking.models import Click, Conversion, ConversionItem

    zone = tenant.zone
    events = 0
    started = time.perf_counter()
    with tenant_scope(tenant):
        for merchant, batch in batches:
            with transaction.atomic():
                ids = [uuid.UUID(e["click_id"]) for e in batch]
                clicks = {
                    row["click_id"]: row
                    for row in Click.objects.filter(click_id__in=ids).values(
                        "id",
                        "click_id",
                        "placement_id",
                        "affiliate_id",
                        "campaign_id",
                        "product_id",
                    )
                }
                conversions = []
                lines = []
                for e in batch:
                    click = clicks[uuid.UUID(e["click_id"])]
                    occurred = parse_datetime(e["occurred_at"])
                    conversion = Conversion(
                        tenant=tenant,
                        merchant=merchant,
                        type=e["type"],
                        external_id="BULK" + e["external_id"],
                        click_id=click["id"],
                        placement_id=click["placement_id"],
                        affiliate_id=click["affiliate_id"],
                        campaign_id=click["campaign_id"],
                        product_id=click["product_id"],
                        occurred_at=occurred,
                        day=occurred.astimezone(zone).date(),
                        amount=Decimal(e["amount"]) if "amount" in e else None,
                        customer_type=e.get("customer_type", ""),
                        customer_ref=e.get("customer_ref", ""),
                    )
                    conversions.append(conversion)
                    for item in e.get("items", []):
                        lines.append((conversion, item))
                Conversion.objects.bulk_create(conversions, batch_size=1000)
                ConversionItem.objects.bulk_create(
                    [
                        ConversionItem(
                            tenant=tenant,
                            conversion=conversion,
                            sku=item["sku"],
                            product_type=item["product_type"],
                            quantity=item["quantity"],
                            amount=Decimal(item["amount"]),
                        )
                        for conversion, item in lines
                    ],
                    batch_size=1000,
                )
            events += len(batch)
    return {"seconds": time.perf_counter() - started, "events": events}


def delete_bench_conversions(tenant: Any, prefixes: list[str]) -> int:
    """Remove what the benchmark posted (and what the API derived from it)."""
    from django.db import connection, transaction

    from apps.tenants.scope import tenant_scope

    deleted = 0
    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM tracking_conversion WHERE "
            + " OR ".join(["external_id LIKE %s"] * len(prefixes)),
            [f"{p}%" for p in prefixes],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return 0
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name IN "
            "('conversion_id', 'conversion_item_id') AND table_name <> 'tracking_conversionitem'"
        )
        dependants = cursor.fetchall()
        for table, column in dependants:
            if column == "conversion_item_id":
                cursor.execute(
                    f'DELETE FROM "{table}" WHERE {column} IN (SELECT id FROM '
                    "tracking_conversionitem WHERE conversion_id = ANY(%s))",
                    [ids],
                )
        for table, column in dependants:
            if column == "conversion_id":
                cursor.execute(f'DELETE FROM "{table}" WHERE {column} = ANY(%s)', [ids])
        cursor.execute("DELETE FROM tracking_conversionitem WHERE conversion_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM tracking_conversion WHERE id = ANY(%s)", [ids])
        deleted = cursor.rowcount
    return deleted


def bench_conversions(
    *, slug: str, day: datetime.date, runs: int, batches: int, size: int
) -> dict[str, Any]:
    from django.urls import NoReverseMatch, reverse

    from bench.clicks import gunicorn

    try:
        reverse("api:conversions")
    except NoReverseMatch:
        return {"not_measured": "POST /api/v1/conversions is not built yet"}
    tenant = tenant_named(slug)
    api_runs, bulk_runs = [], []
    prefixes = []
    with gunicorn() as port:
        for run in range(runs):
            if run and out_of_time():
                log("  out of time: no further runs")
                break
            tag = f"BX{int(time.time())}{run}"
            prefixes += [tag, f"BULK{tag}"]
            work = conversion_batches(tenant, day, batches=batches, size=size, tag=tag)
            keys = api_keys_for(tenant, [merchant for merchant, _ in work])
            api = post_batches(port, f"{slug}.localhost", work, keys)
            api["events_per_s"] = api["events"] / api["seconds"] if api["seconds"] else 0
            bulk = bulk_create_batches(tenant, work)
            bulk["events_per_s"] = bulk["events"] / bulk["seconds"] if bulk["seconds"] else 0
            log(
                f"  conversions run {run + 1}: API {api['events_per_s']:.0f} events/s "
                f"{api['statuses']}, bulk_create {bulk['events_per_s']:.0f} events/s"
            )
            api_runs.append(api)
            bulk_runs.append(bulk)
    removed = delete_bench_conversions(tenant, prefixes)
    return {
        "batches": batches,
        "batch_size": size,
        "api_events_per_s": summarize([r["events_per_s"] for r in api_runs]),
        "bulk_events_per_s": summarize([r["events_per_s"] for r in bulk_runs]),
        "api_statuses": [r["statuses"] for r in api_runs],
        "api_errors": [e for r in api_runs for e in r["errors"]][:5],
        "removed_afterwards": removed,
    }


# --------------------------------------------------------------------------- settlements


def clear_statements(tenant: Any, period: str) -> None:
    from django.db import connection, transaction

    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND column_name = 'statement_id'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f'DELETE FROM "{table}" WHERE statement_id IN '
                "(SELECT id FROM commissions_statement WHERE period = %s)",
                [period],
            )
        cursor.execute("DELETE FROM commissions_statement WHERE period = %s", [period])
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = "
            "'commissions_historicalstatement'"
        )
        if cursor.fetchone():
            cursor.execute(
                "DELETE FROM commissions_historicalstatement WHERE period = %s", [period]
            )


def settlements_once(slug: str, period: str) -> dict[str, Any]:
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        call_command("generate_settlements", tenant=slug, period=period, stdout=out)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": len(queries), "output": out.getvalue().strip()}


def webmasters(slug: str) -> int:
    from apps.affiliates.models import Affiliate
    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant_named(slug)):
        return Affiliate.objects.count()


def bench_settlements(*, slugs: list[str], period: str, runs: int) -> dict[str, Any]:
    if not registered("generate_settlements"):
        return {"not_measured": "generate_settlements is not built yet"}
    out: dict[str, Any] = {"period": period, "by_tenant": {}}
    for slug in slugs:
        tenant = tenant_named(slug)
        results = []
        for run in range(runs):
            if run and out_of_time():
                log("  out of time: no further runs")
                break
            clear_statements(tenant, period)
            result = settlements_once(slug, period)
            log(
                f"  generate_settlements {slug} run {run + 1}: {result['seconds']:.2f}s, "
                f"{result['queries']} queries"
            )
            results.append(result)
        # an idempotent rerun over the drafts just made
        rerun = settlements_once(slug, period) if not out_of_time() else None
        out["by_tenant"][slug] = {
            "webmasters": webmasters(slug),
            "seconds": summarize([r["seconds"] for r in results]),
            "queries": summarize([float(r["queries"]) for r in results]),
            "rerun_seconds": rerun["seconds"] if rerun else None,
            "rerun_queries": rerun["queries"] if rerun else None,
            "output": results[-1]["output"],
        }
    return out


# --------------------------------------------------------------------------- reads


def staff_client(slug: str, role: str = "") -> Any:
    """A signed-in staff client of the tenant: the person holding every role, or with
    ``role`` the one holding only that role."""
    from django.test import Client

    from apps.tenants.models import User
    from bench.generate import ROLE_STAFF_EMAIL, STAFF_EMAIL

    email = ROLE_STAFF_EMAIL.format(role=role, slug=slug) if role else STAFF_EMAIL.format(slug=slug)
    client = Client(HTTP_HOST=f"{slug}.localhost")
    client.force_login(User.objects.get(email=email))
    return client


_slowest: dict[str, tuple[float, str]] = {}


def timed_get(client: Any, url: str, **extra: Any) -> tuple[int, int, float]:
    """Status, query count and seconds of one GET; notes the URL's slowest query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, **extra)
        seconds = time.perf_counter() - started
    timed = [(float(q["time"]), q["sql"]) for q in queries.captured_queries]
    if timed:
        worst = max(timed)
        if worst[0] > _slowest.get(url, (0.0, ""))[0]:
            _slowest[url] = (worst[0], " ".join(worst[1].split())[:300])
    return response.status_code, len(queries), seconds


def slowest_query(url: str) -> dict[str, Any]:
    seconds, sql = _slowest.get(url, (0.0, ""))
    return {"slowest_query_ms": seconds * 1000, "slowest_query": sql}


def sample_times(get: Any, samples: int) -> list[float]:
    """Milliseconds of up to ``samples`` requests, fewer when they exceed the time budget."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < samples:
        times.append(get() * 1000)
        spent = time.perf_counter() - started
        if len(times) >= READ_MIN_SAMPLES and (spent > READ_BUDGET_S or out_of_time()):
            break
    return times


def desk_pages(small: str, full: str) -> list[tuple[str, dict[str, str]]]:
    """The desk's pages (issue 14): the role homes (the bench staff holds every role, so the
    home runs every panel), the risk desk and the 360 pages of each tenant's first webmaster
    and merchant."""
    from django.urls import reverse

    from apps.affiliates.models import Affiliate
    from apps.campaigns.models import Merchant
    from apps.tenants.scope import tenant_scope

    urls: dict[str, dict[str, str]] = {
        "desk: role homes": {},
        "desk: risk desk": {},
        "desk: webmaster 360": {},
        "desk: merchant 360": {},
    }
    for slug in (small, full):
        with tenant_scope(tenant_named(slug)):
            webmaster = Affiliate.objects.order_by("pk").first()
            merchant = Merchant.objects.order_by("pk").first()
        urls["desk: role homes"][slug] = reverse("admin:index")
        urls["desk: risk desk"][slug] = reverse("admin:desk-risk")
        if webmaster is not None:
            urls["desk: webmaster 360"][slug] = reverse("admin:desk-webmaster", args=[webmaster.pk])
        if merchant is not None:
            urls["desk: merchant 360"][slug] = reverse("admin:desk-merchant", args=[merchant.pk])
    return [(label, by_slug) for label, by_slug in urls.items() if len(by_slug) == 2]


def bench_admin(*, small: str, full: str, samples: int = READ_SAMPLES) -> dict[str, Any]:
    from django.contrib import admin
    from django.urls import reverse

    clients = {small: staff_client(small), full: staff_client(full)}
    targets: list[tuple[str, dict[str, str]]] = []
    for model, _model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        targets.append((opts.label, {small: url, full: url}))
    targets += desk_pages(small, full)
    pages = []
    for label, urls in targets:
        if urls[small] == urls[full]:
            pages.append(_read_row(label, clients, urls[full], small, full, samples))
            continue
        row: dict[str, Any] = {"model": label, "url": urls[full]}
        for slug in (small, full):  # per-process caches (content types, ...) filled first
            clients[slug].get(urls[slug])
        for slug, key in ((small, "small"), (full, "full")):
            status, queries, _ = timed_get(clients[slug], urls[slug])
            row[f"{key}_status"] = status
            row[f"{key}_queries"] = queries
        if row["full_status"] == 200:
            url = urls[full]
            times = sample_times(lambda u=url: timed_get(clients[full], u)[2], samples)
            row["samples"] = len(times)
            row["p95_ms"] = percentile(times, 95)
            row["median_ms"] = percentile(times, 50)
            row.update(slowest_query(url))
        log(
            f"  {label}: {row['small_queries']} / {row['full_queries']} queries, "
            f"p95 {row.get('p95_ms', float('nan')):.0f} ms (status {row['full_status']})"
        )
        pages.append(row)
    return {"pages": pages, "samples": samples}


def _read_row(label: str, clients: dict[str, Any], url: str, small: str, full: str, samples: int):  # type: ignore[no-untyped-def]
    """Query counts of one page at the small and the full tenant, and its p95 at full."""
    row: dict[str, Any] = {"model": label, "url": url}
    for slug in (small, full):  # per-process caches (content types, ...) filled first
        clients[slug].get(url)
    for slug, key in ((small, "small"), (full, "full")):
        status, queries, _ = timed_get(clients[slug], url)
        row[f"{key}_status"] = status
        row[f"{key}_queries"] = queries
    if row["full_status"] == 200:
        times = sample_times(lambda: timed_get(clients[full], url)[2], samples)
        row["samples"] = len(times)
        row["p95_ms"] = percentile(times, 95)
        row["median_ms"] = percentile(times, 50)
        row.update(slowest_query(url))
    log(
        f"  {label}: {row['small_queries']} / {row['full_queries']} queries, "
        f"p95 {row.get('p95_ms', float('nan')):.0f} ms (status {row['full_status']})"
    )
    return row


def bench_homes(*, small: str, full: str, samples: int = READ_SAMPLES) -> dict[str, Any]:
    """The staff role homes (issue 14, ``apps/core/admin_home.py``): the admin index as a
    person holding only BD, only finance, only risk sees it, and as the tenant admin (every
    role's panels), at the small tenant and at full scale: query counts (which must be
    equal) and p95."""
    from django.urls import reverse

    from apps.core.admin_home import ROLE_SECTIONS, home_panels
    from bench.generate import ROLE_STAFF

    url = reverse("admin:index")
    pages = []
    for role in (*ROLE_STAFF, ""):
        clients = {slug: staff_client(slug, role) for slug in (small, full)}
        label = f"{role} home" if role else "admin index (tenant admin: every role's home)"
        row = _read_row(label, clients, url, small, full, samples)
        row["role"] = role or "tenant_admin"
        row["panels"] = (
            sum(len(home_panels(r)) for r, _ in ROLE_SECTIONS)
            if not role
            else len(home_panels(role))
        )
        pages.append(row)
    return {"pages": pages, "samples": samples}


def webmaster_key(slug: str) -> tuple[str, int]:
    from apps.affiliates.models import Affiliate
    from apps.api.services import api_key_create
    from apps.tenants.scope import tenant_scope
    from bench.generate import STAFF_EMAIL  # noqa: F401 - same module family

    tenant = tenant_named(slug)
    with tenant_scope(tenant):
        affiliate = Affiliate.objects.get(email=f"wm00000@{slug}.example")
        placements = affiliate.sites.values_list("placements", flat=True).count()
        return api_key_create(affiliate=affiliate, name="bench").plaintext, placements


def bench_report(
    *, small: str, full: str, day: datetime.date, samples: int = READ_SAMPLES
) -> dict[str, Any]:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from bench.generate import ROLLUP_DAYS

    try:
        path = reverse("api:reports-daily")
    except NoReverseMatch:
        path = "/api/v1/reports/daily"
    first = day - datetime.timedelta(days=ROLLUP_DAYS)
    last = day - datetime.timedelta(days=1)
    query = f"?from={first.isoformat()}&to={last.isoformat()}"
    out: dict[str, Any] = {"path": path + query, "days": ROLLUP_DAYS}
    for slug, key in ((small, "small"), (full, "full")):
        plaintext, placements = webmaster_key(slug)
        client = Client(HTTP_HOST=f"{slug}.localhost")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
        client.get(path + query, **auth)  # per-process caches filled first
        status, queries, _ = timed_get(client, path + query, **auth)
        if status == 404 and key == "small":
            response = client.get(path + query, **auth)
            if b"Not Found" in response.content or response.get("Content-Type", "").startswith(
                "text/html"
            ):
                return {"not_measured": "/api/v1/reports/daily is not built yet"}
        out[f"{key}_status"] = status
        out[f"{key}_queries"] = queries
        out[f"{key}_placements"] = placements
        if key == "full" and status == 200:
            response = client.get(path + query, **auth)
            body = response.json()
            out["full_rows_on_page"] = len(body.get("results", body.get("rows", [])))
            out["full_count"] = body.get("count")
            times = sample_times(
                lambda c=client, a=auth: timed_get(c, path + query, **a)[2], samples
            )
            out["samples"] = len(times)
            out.update(slowest_query(path + query))
            out["p95_ms"] = percentile(times, 95)
            out["median_ms"] = percentile(times, 50)
    log(f"  reports/daily: {out}")
    return out


# --------------------------------------------------------------------------- reconcile


def bench_reconcile(*, slug: str, periods: list[str]) -> dict[str, Any]:
    """``manage.py reconcile --tenant SLUG --period P`` (issue 13) on the generated tenant
    after run_daily, for each period, in a fresh process: its last line (``reconcile: N
    differences``), exit code, wall time and the first differences it printed."""
    out: dict[str, Any] = {"slug": slug, "periods": []}
    for period in periods:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "manage.py", "reconcile", "--tenant", slug, "--period", period],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        lines = completed.stdout.strip().splitlines()
        last = lines[-1] if lines else ""
        differences = None
        if last.startswith("reconcile: "):
            differences = int(last.split()[1])
        else:
            (RESULTS / f"reconcile-{period}-stderr.log").write_text(completed.stderr)
        row = {
            "period": period,
            "last_line": last or (completed.stderr.strip().splitlines() or ["(no output)"])[-1],
            "differences": differences,
            "exit_code": completed.returncode,
            "seconds": round(seconds, 1),
            "first_differences": lines[:-1][:20],
        }
        log(f"  reconcile {period}: {row['last_line']} ({row['seconds']} s)")
        out["periods"].append(row)
    return out


# --------------------------------------------------------------------------- forecast


def bench_forecast(*, slug: str, scale: float) -> dict[str, Any]:
    """The forecast back-test (issue 18, ``bench.forecast_backtest``) on the generated tenant."""
    from bench.forecast_backtest import backtest

    result = backtest(slug=slug)
    result["scale"] = str(scale)
    (RESULTS / "forecast_backtest.json").write_text(json.dumps(result, indent=2) + "\n")
    gmv, spend = result["mape_gmv_pct"], result["mape_spend_pct"]
    log(f"  forecast back-test: MAPE GMV {gmv}%, spend {spend}%")
    return result
