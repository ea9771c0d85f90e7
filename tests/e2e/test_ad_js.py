"""The unified ad code in real Chromium: a webmaster's page on another origin embeds the
snippet; the ad renders inside a shadow root, in the placement's position, the host page's
styles and globals are untouched, and the impression is reported."""

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.tracking.models import Impression
from apps.tracking.snapshot import registry
from tests.campaigns.factories import CampaignFactory, CampaignProductFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.conftest import make_shop

pytestmark = pytest.mark.django_db(transaction=True)

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A webmaster's page</title>
<style>
  * {{ font-family: Georgia, serif; }}
  div, span, a {{ color: rgb(255, 0, 0) !important; font-size: 40px !important; }}
  .content {{ color: rgb(0, 0, 128); font-size: 18px; }}
</style>
<script>window.__before = Object.getOwnPropertyNames(window);</script>
</head><body>
<p class="content" id="story">An article the webmaster wrote.</p>
<div id="slot">
<script async src="{origin}/ad.js" data-placement="{banner}"></script>
</div>
<p class="content">More text.</p>
<script async src="{origin}/ad.js" data-placement="{corner}"></script>
</body></html>
"""


@pytest.fixture
def host_site() -> Iterator[Callable[[str], str]]:
    """A webmaster's site: a real HTTP server on loopback, another origin than the tenant's.
    (A page Playwright fulfils itself counts as a public origin, and Chromium's local network
    access rules refuse its requests to loopback; a real webmaster's page and our host would
    both be public.) ``host_site(html)`` serves ``html`` and answers its URL."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(html: str) -> str:
        path = f"/page{len(pages)}.html"
        pages[path] = html.encode()
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield serve
    server.shutdown()
    server.server_close()


def test_ad_renders_in_a_shadow_root_without_touching_the_host_page(
    tenant, browser_page, tenant_live_url, shot, host_site
):
    shop = make_shop(tenant, code="CORNER")
    banner = PlacementFactory(tenant=tenant, code="BANNER", position="banner",
                              site=shop.placement.site)  # fmt: skip
    campaign = CampaignFactory(tenant=tenant, merchant=shop.merchant)
    CampaignProductFactory(tenant=tenant, campaign=campaign, product=shop.product)
    registry.clear()
    origin = tenant_live_url(tenant)
    page = browser_page
    host_url = host_site(
        HOST_PAGE.format(origin=origin, banner=banner.code, corner=shop.placement.code)
    )
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.on("requestfailed", lambda r: console.append(f"failed {r.url} {r.failure}"))
    page.goto(host_url)
    try:
        page.wait_for_function("document.querySelectorAll('alliance-ad').length === 2")
    except Exception:
        raise AssertionError(f"no ads; browser said {console}") from None

    # the ad lives in a shadow root: title and price inside, the host's rules do not reach it
    ads = page.evaluate(
        """() => [...document.querySelectorAll('alliance-ad')].map(host => {
            const root = host.shadowRoot;
            const title = root.querySelector('.title');
            return {
                placement: host.dataset.placement,
                position: getComputedStyle(host).position,
                title: title.textContent,
                price: root.querySelector('.price').textContent,
                href: root.querySelector('a.ad').href,
                titleSize: getComputedStyle(title).fontSize,
                titleColor: getComputedStyle(title).color,
                lightDomChildren: host.children.length,
                afterScript: host.previousElementSibling
                    && host.previousElementSibling.tagName === 'SCRIPT',
            };
        })"""
    )
    by_placement = {ad["placement"]: ad for ad in ads}
    corner, inline = by_placement["CORNER"], by_placement["BANNER"]
    assert corner["position"] == "fixed"
    assert inline["position"] != "fixed"
    assert inline["afterScript"] is True
    for ad in ads:
        assert ad["title"] == shop.product.title
        assert ad["price"] == "100.00"
        assert ad["href"].startswith(f"{origin}/c/{ad['placement']}?sku=SKU-1&cid={campaign.pk}")
        assert ad["titleSize"] != "40px"
        assert ad["titleColor"] != "rgb(255, 0, 0)"
        assert ad["lightDomChildren"] == 0

    # the host page is as it was: its styles, its style sheets, its globals
    host = page.evaluate(
        """() => ({
            color: getComputedStyle(document.getElementById('story')).color,
            size: getComputedStyle(document.getElementById('story')).fontSize,
            font: getComputedStyle(document.getElementById('story')).fontFamily,
            sheets: document.styleSheets.length,
            styles: document.querySelectorAll('style').length,
            newGlobals: Object.getOwnPropertyNames(window)
                .filter(name => name !== '__before' && !window.__before.includes(name)),
        })"""
    )
    assert host == {
        "color": "rgb(0, 0, 128)",
        "size": "18px",
        "font": "Georgia, serif",
        "sheets": 1,
        "styles": 1,
        "newGlobals": [],
    }

    # both impressions are reported as rendered
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rendered = Impression.objects.filter(rendered_at__isnull=False).count()
        if rendered == 2:
            break
        time.sleep(0.1)
    assert rendered == 2
    assert shot(page, "ad-on-host-page").stat().st_size > 0


def test_nothing_is_rendered_when_no_campaign_is_eligible(
    tenant, browser_page, tenant_live_url, shot, host_site
):
    shop = make_shop(tenant, code="CORNER")
    registry.clear()
    served = []
    page = browser_page
    page.on("response", lambda r: served.append(r.status) if "/serve/" in r.url else None)
    host_url = host_site(
        HOST_PAGE.format(origin=tenant_live_url(tenant), banner="NOPE", corner=shop.placement.code)
    )
    page.goto(host_url)
    page.wait_for_function("() => true")
    deadline = time.monotonic() + 5
    while len(served) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert sorted(served) == [204, 404]
    assert page.evaluate("document.querySelectorAll('alliance-ad').length") == 0
    shot(page, "no-ad")
