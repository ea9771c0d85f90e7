"""One truth for every figure (issue 13), on the demo as a new user finds it, in real Chromium:

- after ``seed_demo``, ``manage.py reconcile`` finds 0 differences for the demo's last month (and
  for this month);
- the demo merchant files a claim on its full-site plan, whose window has passed and missed its
  target ROI; the preview's spend and GMV are the Performance roll-ups' over the window;
- the demo webmaster's funnel adds up on every row of the page.
"""

import contextlib
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Sum

from apps.campaigns.models import Campaign, CampaignType, MerchantUser
from apps.demo.services import DEMO_PASSWORD, demo_seed
from apps.disputes.models import Claim
from apps.tenants.clock import period_of, previous_period, tenant_today
from apps.tenants.scope import tenant_scope
from apps.tracking.models import CampaignDayStats

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = 9  # the 7-day window of the first spend day has passed and can be claimed


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def number(text):
    """A count as the page prints it, thousands separators included."""
    return int(text.replace(",", ""))


def reconcile(tenant, period):
    out = io.StringIO()
    with contextlib.suppress(SystemExit):
        call_command("reconcile", tenant=tenant.slug, period=period, stdout=out)
    return out.getvalue().splitlines()


def test_the_demo_agrees_with_itself(browser_page, new_browser_page, tenant_live_url, shot):
    tenant = demo_seed(days=DAYS, log=lambda _: None).tenant
    base = tenant_live_url(tenant)
    with tenant_scope(tenant):
        today = tenant_today()
        plan = Campaign.objects.get(
            type=CampaignType.FULL_SITE,
            merchant__in=MerchantUser.objects.filter(user__email="merchant@demo.localhost").values(
                "merchant"
            ),
        )
        first = CampaignDayStats.objects.filter(campaign=plan, spend__gt=0).order_by("day")[0].day
        end = first + datetime.timedelta(days=6)
        window = CampaignDayStats.objects.filter(campaign=plan, day__gte=first, day__lte=end)
        totals = window.aggregate(spend=Sum("spend"), gmv=Sum("gmv"))

    # 1. every copy of every figure agrees, for the last month and this one
    for period in (previous_period(today), period_of(today)):
        assert reconcile(tenant, period)[-1:] == ["reconcile: 0 differences"], period

    # 2. the merchant previews and files the claim
    page = browser_page
    sign_in(page, base, "merchant@demo.localhost")
    page.goto(base + "/merchant/claims/new/")
    page.select_option("select[name=campaign]", str(plan.pk))
    page.select_option("select[name=window_days]", "7")
    page.get_by_role("button", name="Preview the claim").click()
    page.wait_for_load_state()
    shot(page, "01-claim-preview")
    assert page.locator("#quote-spend").inner_text() == str(totals["spend"])
    assert page.locator("#quote-gmv").inner_text() == str(totals["gmv"])
    assert page.locator("#quote-window").inner_text().startswith(f"{first:%Y-%m-%d}")
    assert "not_eligible" not in page.content()
    amount = page.locator("#quote-amount").inner_text()
    page.get_by_role("button", name=f"Submit claim for {amount}").click()
    page.wait_for_url(re.compile(r".*/merchant/claims/\d+/$"))
    shot(page, "02-claim-filed")
    with tenant_scope(tenant):
        claim = Claim.objects.get(campaign=plan)
    assert str(claim.computed_amount) == amount
    assert claim.spend == totals["spend"]
    assert claim.gmv == totals["gmv"]

    # 3. the webmaster's funnel adds up on every row
    webmaster = new_browser_page()
    sign_in(webmaster, base, "webmaster@demo.localhost")
    webmaster.goto(base + f"/webmaster/earnings/?from={first:%Y-%m-%d}&to={today:%Y-%m-%d}")
    shot(webmaster, "03-funnel")
    rows = webmaster.locator("table.money-funnel tbody tr")
    assert rows.count() > 0
    for index in range(rows.count()):
        cells = [c.strip() for c in rows.nth(index).locator("td").all_inner_texts()]
        # the invalid cell reads "total bot · dup · cap · self · block"
        clicks, valid, landed, lost = (number(cells[i]) for i in (2, 3, 5, 6))
        invalid, *reasons = (number(part) for part in cells[4].replace("·", " ").split())
        assert clicks == valid + invalid, cells
        # every invalid verdict has its reason (blocked too), so they add up exactly
        assert len(reasons) == 5, cells
        assert invalid == sum(reasons), cells
        assert 0 <= landed <= valid, cells
        assert lost == valid - landed, cells
