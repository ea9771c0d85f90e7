"""The desk in real Chromium (issue 14), with screenshots:

1. BD opens the home, follows "Awaiting approval" and approves the webmaster.
2. Finance puts a webmaster's payouts on hold and lifts the hold.
3. Finance is refused approval of a statement whose webmaster has no payout details; the
   webmaster enters them in the portal; finance approves; the bank export carries them.
4. Risk blocks an IP range from the risk desk; the next run_daily classifies those clicks
   ``blocked``.
"""

import csv
import datetime
import io
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count

from apps.affiliates.models import Affiliate
from apps.commissions.models import Statement
from apps.commissions.services.statements import statement_submit, statements_generate
from apps.tracking.models import Click
from tests.affiliates.factories import TAX_ID, AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import make_staff
from tests.sites.factories import PlacementFactory
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "desk-e2e-2026-Correct"


def _person(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _staff(tenant, role, email):
    return _person(make_staff(tenant, role, email=email))


def _sign_in(page, base, email, next_url="/admin/"):
    page.goto(f"{base}/accounts/login/?{urlencode({'next': next_url})}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("load")


def _run_action(page, pk, action):
    page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    page.locator(
        "button[name=index], button[type=submit][title='Run the selected action']"
    ).first.click()
    page.wait_for_load_state("load")


@pytest.fixture
def page(browser_page):
    browser_page.set_default_timeout(60_000)  # the first pages compile templates
    return browser_page


def test_bd_follows_awaiting_approval_from_the_home_and_approves(
    tenant, page, tenant_live_url, shot
):
    bd = _staff(tenant, "bd", "bd@alpha.test")
    waiting = AffiliateFactory(tenant=tenant, name="Sunrise Deals", status="pending")
    AffiliateFactory(tenant=tenant, name="Already Active")
    base = tenant_live_url(tenant)
    _sign_in(page, base, bd.email)
    assert page.locator("#home-bd").count() == 1
    shot(page, "01-bd-home")
    figure = page.locator("[data-figure='Awaiting approval']")
    assert figure.inner_text().split()[-1] == "1"
    figure.click()
    page.wait_for_url("**/admin/affiliates/affiliate/?status__exact=pending")
    assert "Already Active" not in page.content()
    shot(page, "02-awaiting-approval")
    _run_action(page, waiting.pk, "approve")
    shot(page, "03-confirm")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    assert "Approved 1 webmaster(s)." in page.content()
    shot(page, "04-approved")
    assert Affiliate.objects.get(pk=waiting.pk).status == "active"


def test_finance_puts_a_hold_and_lifts_it(tenant, page, tenant_live_url, shot):
    finance = _staff(tenant, "finance", "finance@alpha.test")
    webmaster = AffiliateFactory(tenant=tenant, name="Held Publisher")
    base = tenant_live_url(tenant)
    _sign_in(page, base, finance.email, f"/admin/desk/webmaster/{webmaster.pk}/")
    shot(page, "01-webmaster-360")
    page.get_by_role("link", name="Hold payouts").click()
    page.wait_for_selector("#hold-form")
    page.fill("input[name=reason]", "KYC documents missing")
    shot(page, "02-hold-form")
    page.click("#hold-submit")
    page.wait_for_load_state("load")
    assert "Payouts to Held Publisher are on hold: KYC documents missing" in page.content()
    shot(page, "03-held")
    _run_action(page, webmaster.pk, "lift_hold")
    page.fill("#id_reason", "documents received")
    page.click("#confirm-submit")
    page.wait_for_load_state("load")
    assert "1 hold(s) lifted." in page.content()
    shot(page, "04-lifted")
    held = Affiliate.objects.get(pk=webmaster.pk)
    reasons = [h.history_change_reason for h in held.history.order_by("history_date")]
    assert held.payment_hold is False
    assert reasons[-2:] == [
        "payment hold set: KYC documents missing",
        "payment hold released: documents received",
    ]


def test_approval_waits_for_payout_details_then_the_bank_file_carries_them(
    tenant, page, new_browser_page, tenant_live_url, shot
):
    finance = _staff(tenant, "finance", "finance@alpha.test")
    submitter = make_staff(tenant, "finance", email="finance2@alpha.test")
    user = _person(UserFactory(email="li.wei@publisher.example"))
    webmaster = AffiliateFactory(tenant=tenant, user=user, email=user.email, name="Li Wei")
    earning(webmaster, datetime.date(2026, 3, 2), "600.00")
    statements_generate(period="2026-03")
    statement = Statement.objects.get(affiliate=webmaster)
    statement_submit(statement=statement, actor=submitter)
    base = tenant_live_url(tenant)
    statement_url = f"/admin/commissions/statement/{statement.pk}/change/"

    # finance opens the statement (named for people) and is refused
    _sign_in(page, base, finance.email, statement_url)
    assert "March 2026 · Li Wei · 600.00 CNY" in page.content()
    shot(page, "01-statement-page")
    page.goto(f"{base}/admin/commissions/statement/{statement.pk}/approve/")
    page.click("#confirm-submit")
    page.wait_for_load_state("load")
    assert "Li Wei has no payout details entered" in page.content()
    shot(page, "02-refused-no-payout-details")

    # the webmaster enters payout details in the portal
    portal = new_browser_page()
    portal.set_default_timeout(60_000)
    _sign_in(portal, base, user.email, "/webmaster/payout/")
    portal.wait_for_selector("#payout-missing")
    portal.select_option("select[name=method]", "bank_transfer")
    portal.fill("input[name=account_holder]", "Li Wei")
    portal.fill("input[name=bank]", "ICBC Shanghai Branch")
    portal.fill("input[name=account_number]", "DE89 3704 0044 0532 0130 00")
    portal.fill("input[name=tax_id]", TAX_ID)
    shot(portal, "03-portal-payout-details")
    portal.locator("#payout-form button[type=submit]").click()
    portal.wait_for_selector("#payout-summary")
    assert "•••• 3000" in portal.inner_text("#payout-summary")
    shot(portal, "04-portal-saved-masked")

    # finance approves from the statement page's button
    page.goto(base + statement_url)
    page.locator("a[href$='/approve/']").first.click()
    page.click("#confirm-submit")
    page.wait_for_load_state("load")
    assert "1 statement(s) approved" in page.content()
    shot(page, "05-approved")

    # the bank export carries the details
    page.goto(f"{base}/admin/commissions/statement/")
    page.check(f"input[name=_selected_action][value='{statement.pk}']")
    page.select_option("select[name=action]", "export_csv")
    with page.expect_download() as download:
        page.locator(
            "button[name=index], button[type=submit][title='Run the selected action']"
        ).first.click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert (row["account_name"], row["bank"], row["account_number"], row["tax_id"]) == (
        "Li Wei",
        "ICBC Shanghai Branch",
        "DE89370400440532013000",
        TAX_ID,
    )
    assert (row["total"], row["currency"]) == ("600.00", "CNY")


def test_risk_blocks_a_range_from_the_desk_and_the_next_run_classifies_it(
    tenant, page, tenant_live_url, shot
):
    risk = _staff(tenant, "risk", "risk@alpha.test")
    placement = PlacementFactory(tenant=tenant)
    day = datetime.date(2026, 3, 2)
    noon = datetime.datetime(2026, 3, 2, 4, 0, tzinfo=datetime.UTC)
    Click.objects.bulk_create(
        Click(
            tenant=tenant,
            placement=placement,
            affiliate=placement.site.affiliate,
            ip=f"203.0.113.{n % 200 + 1}" if n < 90 else f"192.0.2.{n}",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
            clicked_at=noon + datetime.timedelta(seconds=n),
        )
        for n in range(120)
    )
    call_command("run_daily", tenant=tenant.slug, date=day.isoformat())
    base = tenant_live_url(tenant)
    desk = f"/admin/desk/risk/?webmaster={placement.site.affiliate_id}&until={day.isoformat()}"
    _sign_in(page, base, risk.email, desk)
    page.wait_for_selector("#risk-desk")
    assert placement.code in page.inner_text("#risk-placement")
    shot(page, "01-risk-desk")
    page.select_option("#block-form select[name=kind]", "ip_range")
    page.fill("#block-form input[name=value]", "203.0.113.0/24")
    page.fill("#block-form input[name=reason]", "click farm on " + placement.code)
    page.click("#block-submit")
    page.wait_for_load_state("load")
    assert "Blocked ip address or range 203.0.113.0/24" in page.content()
    assert "203.0.113.0/24" in page.inner_text("#block-rules")
    shot(page, "02-blocked")
    # the next run
    call_command("run_daily", tenant=tenant.slug, date=day.isoformat())
    verdicts = dict(
        Click.objects.filter(placement=placement).values_list("verdict").annotate(n=Count("id"))
    )
    assert verdicts == {"blocked": 90, "valid": 30}
    page.reload()
    assert "block list" in page.inner_text("[data-reason='blocked']").lower()
    assert "75.0% · 90" in page.inner_text("[data-reason='blocked']")
    shot(page, "03-after-the-next-run")
