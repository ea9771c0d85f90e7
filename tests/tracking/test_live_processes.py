"""Live state in real processes: two gunicorn workers (production settings, listener thread
each) see a campaign created, paused, resumed, its product deactivated, and a webmaster
suspended on /serve/ and /c/ within a second, with no failed request in between (issue 12).

About 20 s: one gunicorn start, then one second per change."""

import datetime
import re
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from apps.affiliates.services import affiliate_suspend
from apps.campaigns.services.campaigns import campaign_create, campaign_transition
from apps.campaigns.services.products import product_upsert
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, ProductFactory
from tests.reliability import processes
from tests.sites.factories import PlacementFactory
from tests.tenants.factories import TenantFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WITHIN = 1.0  # seconds: the promise
ACCESS = '%(p)s "%(r)s" %(s)s'


class Workers:
    """gunicorn with 2 workers whose access log names the worker (pid) of each answer."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.log = tmp_path / "access.log"

    def __enter__(self):
        import subprocess

        self.port = processes.free_port()
        self.log.touch()
        env = processes.app_env(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="2",
            GUNICORN_ACCESSLOG=str(self.log),
            GUNICORN_ACCESS_LOG_FORMAT=ACCESS,
            GUNICORN_LOGLEVEL="warning",
            GUNICORN_PRELOAD="true",
        )
        self.err = (self.tmp_path / "gunicorn.err").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [str(processes.BIN / "gunicorn"), "-c", str(processes.ROOT / "config/gunicorn.py")],
            cwd=processes.ROOT,
            env=env,
            stdout=self.err,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes._wait_for_port(self.port, self.process, self.tmp_path / "gunicorn.err")
        return self

    def __exit__(self, *exc):
        processes._stop(self.process)
        self.err.close()

    def get(self, path, host="livenet.localhost"):
        """One request on a new connection (so both workers take turns): (status, pid)."""
        marker = f"n={time.monotonic_ns()}"
        url = f"http://127.0.0.1:{self.port}{path}{'&' if '?' in path else '?'}{marker}"
        request = urllib.request.Request(url, headers={"Host": host})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as answered:
            status = answered.code
        for _ in range(50):  # the access line is written right after the answer
            match = re.search(
                rf'^<(\d+)> "GET [^"]*{marker}[^"]*" (\d+)$', self.log.read_text(), re.M
            )
            if match:
                return status, int(match.group(1))
            time.sleep(0.01)
        raise AssertionError(f"no access log line for {path}")

    def answers(self, path, *, seconds):
        """Requests for ``seconds``: [(seconds since start, status, pid)]."""
        started = time.monotonic()
        seen = []
        while (elapsed := time.monotonic() - started) < seconds:
            status, pid = self.get(path)
            seen.append((elapsed, status, pid))
        return seen


def settle(workers, path, want, *, before=None):
    """After a change: every answer within WITHIN s is ``before`` or ``want`` (nothing else,
    no error); after it, ``want`` from both workers."""
    during = workers.answers(path, seconds=WITHIN)
    allowed = {want} | ({before} if before else set())
    assert {status for _, status, _ in during} <= allowed, during
    after = workers.answers(path, seconds=0.6)
    while len({pid for _, _, pid in after}) < 2:  # until both workers have answered
        after += workers.answers(path, seconds=0.2)
    assert {status for _, status, _ in after} == {want}, after


def test_changes_reach_every_worker_within_a_second(tmp_path):
    tenant = TenantFactory(slug="livenet")
    placement = PlacementFactory(tenant=tenant, code="LIVE1")
    merchant = MerchantFactory(tenant=tenant)
    MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="live.example.com")
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="LIVE-SKU",
                             url="https://live.example.com/p/1")  # fmt: skip
    serve, click = "/serve/LIVE1", "/c/LIVE1?sku=LIVE-SKU"
    with Workers(tmp_path) as workers:
        # both workers hold the tenant: nothing to serve yet, clicks recorded
        warm = workers.answers(serve, seconds=0.5)
        while len({pid for _, _, pid in warm}) < 2:
            warm += workers.answers(serve, seconds=0.2)
        assert {status for _, status, _ in warm} == {204}
        assert workers.get(click)[0] == 302

        with tenant_scope(tenant):
            campaign = campaign_create(
                merchant=merchant, name="Live", type="cpm", products=[product],
                bid=Decimal("10.0000"), daily_budget=Decimal("1000.00"),
                starts_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), status="active",
            )  # fmt: skip
        settle(workers, serve, 200, before=204)

        with tenant_scope(tenant):
            campaign_transition(campaign=campaign, to="paused")
        settle(workers, serve, 204, before=200)

        with tenant_scope(tenant):
            campaign_transition(campaign=campaign, to="active")
        settle(workers, serve, 200, before=204)

        with tenant_scope(tenant):
            product_upsert(merchant=merchant, sku="LIVE-SKU", title=product.title,
                           url=product.url, price=product.price, is_active=False)  # fmt: skip
        settle(workers, serve, 204, before=200)
        settle(workers, click, 404, before=302)

        with tenant_scope(tenant):
            product_upsert(merchant=merchant, sku="LIVE-SKU", title=product.title,
                           url=product.url, price=product.price, is_active=True)  # fmt: skip
        settle(workers, click, 302, before=404)
        with tenant_scope(tenant):
            affiliate_suspend(affiliate=placement.site.affiliate, actor=None, reason="test")
        settle(workers, click, 404, before=302)
        settle(workers, serve, 204, before=200)
    assert "Traceback" not in (tmp_path / "gunicorn.err").read_text()
