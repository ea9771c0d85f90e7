"""A webmaster's first visit in real Chromium: signup → verification code from the outbox →
sign in → register a site and a placement → staff approval → the live ad code."""

import datetime
import re

import pytest
from django.core import mail

from apps.affiliates.models import Affiliate
from apps.affiliates.services import affiliate_approve
from apps.sites.models import Placement, Site
from apps.sites.services import site_transition
from tests.commissions.factories import DailyEarningFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "e2e.webmaster@example.net"
PASSWORD = "Correct-Horse-Battery-42"
# The API call goes from the page itself (same origin; Chromium resolves *.localhost).
FETCH_PLACEMENTS = """async (key) => {
  const r = await fetch("/api/v1/placements", {headers: {Authorization: "Bearer " + key}});
  return [r.status, await r.json()];
}"""


def test_webmaster_signs_up_and_sees_ad_code(
    tenant, staff_user, browser_page, tenant_live_url, shot
):
    page = browser_page
    base = tenant_live_url(tenant)

    # 1. the landing page invites webmasters; the signup form asks for name and kind
    page.goto(base + "/")
    page.get_by_role("link", name="Join as a webmaster").first.click()
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.fill("input[name=name]", "Deal Hunters")
    page.select_option("select[name=kind]", "content")
    shot(page, "01-signup-form")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" in page.url
    shot(page, "02-verification-sent")

    # 2. type the code from the email into the page; it also offers a new code or another
    # address (issue 15)
    assert page.get_by_role("button", name="Request new code").count() == 1
    assert page.get_by_text("Use a different email address").count() == 1
    codes = re.findall(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.MULTILINE)
    assert codes, mail.outbox[-1].body
    page.fill("input[name=code]", codes[-1])
    shot(page, "03-confirm-email")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    affiliate = Affiliate.objects.get(email=EMAIL)
    assert affiliate.status == "pending"

    # 3. sign out and back in: a pending webmaster lands on the dashboard with a banner
    page.goto(base + "/")
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    shot(page, "04-sign-in")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/webmaster/dashboard/$"))
    assert "pending review" in page.locator(".wm-banner").inner_text()
    shot(page, "05-dashboard-pending")

    # 4. register a site; the page explains both ways to prove ownership
    page.get_by_role("link", name="Sites", exact=True).click()
    page.fill("input[name=url]", "https://deals.example.org")
    page.fill("input[name=name]", "Deals")
    page.fill("input[name=category]", "shopping")
    page.get_by_role("button", name="Register site").click()
    page.wait_for_url(re.compile(r".*/webmaster/sites/\d+/$"))
    assert "alliance-site-verification" in page.locator("#meta-tag").inner_text()
    shot(page, "06-site-verification")

    # 5. add a placement: no live code before approval
    page.select_option("select[name=position]", "bottom_right")
    page.get_by_role("button", name="Add placement").click()
    page.wait_for_load_state()
    assert "available once your account is approved" in page.locator(".wm-locked").inner_text()
    shot(page, "07-placement-before-approval")

    # 6. staff approve the webmaster (an email goes out) and the site
    affiliate_approve(affiliate=affiliate, actor=staff_user)
    site_transition(site=Site.objects.get(affiliate=affiliate), to="approved", actor=staff_user)
    code = Placement.objects.get(site__affiliate=affiliate).code
    assert mail.outbox[-1].to == [EMAIL]

    # 7. the placements page shows the unified ad code, and Copy copies it
    page.get_by_role("link", name="Placements").click()
    snippet = page.locator(f"#ad-code-{code}").inner_text()
    assert snippet == f'<script async src="{base}/ad.js" data-placement="{code}"></script>'
    button = page.locator(f'[data-copy-target="ad-code-{code}"]')
    button.click()
    assert button.inner_text() in {"Copied", "Press Ctrl+C"}
    assert "approved" in page.locator(".wm-banner").inner_text()
    shot(page, "08-ad-code-live")

    # 8. the same page on a phone-sized screen
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "09-ad-code-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 9. an API key, shown once, gives the same ad code through the API; revoking stops it
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert key.startswith("ak_")
    shot(page, "10-api-key-created")
    status, body = page.evaluate(FETCH_PLACEMENTS, key)
    assert status == 200
    assert body["results"][0]["ad_code"] == snippet
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert "revoked" in page.locator(".messages").inner_text()
    shot(page, "11-api-key-revoked")
    status, _ = page.evaluate(FETCH_PLACEMENTS, key)
    assert status == 401

    # 10. after a few days of traffic, the dashboard's earnings chart draws them
    days = [datetime.date(2026, 11, 27) + datetime.timedelta(days=n) for n in range(3)]
    placement = Placement.objects.select_related("site__affiliate").get(code=code)
    site, affiliate = placement.site, placement.site.affiliate
    for n, day in enumerate(days):
        PlacementDayStatsFactory(
            tenant=tenant,
            placement=placement,
            site=site,
            affiliate=affiliate,
            day=day,
            clicks=4000 + n,
            valid_clicks=3000 + n,
        )
        DailyEarningFactory(
            tenant=tenant, placement=placement, site=site, affiliate=affiliate, day=day
        )
    page.goto(f"{base}/webmaster/earnings/?from={days[0]}&to={days[-1]}")
    page.wait_for_selector(".money-chart svg")
    assert page.locator(".money-chart svg").count() == 1
    shot(page, "12-earnings-chart")
