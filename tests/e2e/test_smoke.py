"""The browser harness itself: a tenant's landing page renders in real Chromium."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_landing_page_renders_in_chromium(tenant, browser_page, tenant_live_url, shot):
    browser_page.goto(tenant_live_url(tenant) + "/")
    assert browser_page.locator("h1").inner_text() == "Alpha Network"
    assert shot(browser_page, "landing").stat().st_size > 0
