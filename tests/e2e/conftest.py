"""Browser journeys in real headless Chromium (Debian's /usr/bin/chromium, never a downloaded
browser), driven by Playwright's sync API against pytest-django's live server.

The live server answers every host; ``tenant_live_url(tenant)`` gives the tenant's
``http://<slug>.localhost:<port>`` (Chromium resolves ``*.localhost`` to loopback). Without
Chromium these tests are skipped, unless ``ALLIANCE_REQUIRE_BROWSER=1`` (CI), where that fails.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run where a
# loop is running unless told it is safe (it is: the test thread is not serving async code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def browser_page(browser: object) -> Iterator[object]:
    """A fresh page (own cookies) with a 10 s default timeout."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def new_browser_page(browser: object) -> Iterator[Callable[[], object]]:
    """A factory of further isolated pages (e.g. staff beside a webmaster)."""
    contexts: list[object] = []

    def make() -> object:
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


@pytest.fixture
def tenant_live_url(live_server: object) -> Callable[[object], str]:
    """``tenant_live_url(tenant)`` -> ``http://<slug>.localhost:<port>``."""
    port = urlparse(live_server.url).port  # type: ignore[attr-defined]

    def url_for(tenant: object) -> str:
        return f"http://{tenant.slug}.localhost:{port}"  # type: ignore[attr-defined]

    return url_for


@pytest.fixture
def shot(artifacts_dir: Path) -> Callable[[object, str], Path]:
    """``shot(page, "01-signup")`` saves a full-page screenshot into the test's artifacts."""

    def take(page: object, name: str) -> Path:
        path = artifacts_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take
