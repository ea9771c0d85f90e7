"""A merchant files a compensation claim in the portal and risk staff approve it in the
back office, in real Chromium; the merchant then sees the decision (issue 6)."""

import datetime
import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db.models import Sum
from django.utils import timezone

from apps.commissions.models import LedgerEntry, LedgerTransaction
from apps.disputes.models import Claim
from tests.campaigns.factories import MerchantUserFactory
from tests.conftest import make_staff
from tests.disputes.factories import FullSitePlanFactory, spread
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-42"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def verified(user):
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def press(locator, key):
    locator.focus()
    locator.press(key)


def admin_shot(page, shot, name):
    """Screenshot a back-office page without Unfold's search overlay, which Alpine.js would
    hide but cannot start under the CSP (see ``press``); the page itself is unchanged."""
    page.add_style_tag(content='[x-data="searchCommand()"] { display: none !important; }')
    shot(page, name)


def test_merchant_files_a_claim_and_staff_approve_it(
    tenant, browser_page, new_browser_page, tenant_live_url, shot, artifacts_dir
):
    base = tenant_live_url(tenant)
    # given a full-site plan that started 10 days ago and missed ROI 3.0 over its 7-day window
    today = timezone.localdate(timezone=tenant.zone)
    start = today - datetime.timedelta(days=10)
    plan = FullSitePlanFactory(tenant=tenant, name="Spring full-site push")
    spread(plan, spend="10000.00", gmv="25000.00", start=start)
    merchant_user = verified(UserFactory(email="buyer@shop.example"))
    MerchantUserFactory(tenant=tenant, merchant=plan.merchant, user=merchant_user)
    staff = verified(make_staff(tenant, "risk", email="risk@alpha.example"))
    evidence = artifacts_dir / "dashboard.png"
    evidence.write_bytes(PNG)

    # 1. the merchant chooses the plan and previews the claim
    page = browser_page
    sign_in(page, base, merchant_user.email)
    page.goto(base + "/merchant/claims/")
    shot(page, "01-claims-empty")
    page.get_by_role("link", name="New claim").click()
    page.select_option("select[name=campaign]", str(plan.pk))
    page.select_option("select[name=window_days]", "7")
    shot(page, "02-choose-plan")
    page.get_by_role("button", name="Preview the claim").click()
    page.wait_for_load_state()
    assert page.locator("#quote-spend").inner_text() == "10000.00"
    assert page.locator("#quote-gmv").inner_text() == "25000.00"
    assert page.locator("#quote-roi").inner_text() == "2.50"
    assert page.locator("#quote-target").inner_text() == "3.00"
    assert page.locator("#quote-amount").inner_text() == "1666.67"
    end = start + datetime.timedelta(days=6)
    assert page.locator("#quote-window").inner_text() == (
        f"{start:%Y-%m-%d} \u2013 {end:%Y-%m-%d} (7 days)"
    )
    shot(page, "03-preview")

    # 2. with a note and an evidence file, the merchant submits
    page.fill("textarea[name=note]", "Traffic quality dropped after day 3.")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.get_by_role("button", name="Submit claim for 1666.67").click()
    page.wait_for_url(re.compile(r".*/merchant/claims/\d+/$"))
    assert "Submitted" in page.locator("h1 + .badge, .badge").first.inner_text()
    assert "dashboard.png" in page.locator(".evidence").inner_text()
    shot(page, "04-claim-submitted")
    claim = Claim.objects.get()
    assert claim.computed_amount == Decimal("1666.67")
    claim_url = page.url

    # 3. risk staff find it in the queue and approve it
    admin = new_browser_page()
    sign_in(admin, base, staff.email)
    admin.goto(base + "/admin/disputes/claim/?status__exact=submitted")
    assert "1,666.67" in admin.content()  # amounts in the back office carry separators
    admin_shot(admin, shot, "05-review-queue")
    admin.goto(base + f"/admin/disputes/claim/{claim.pk}/change/")
    admin_shot(admin, shot, "06-claim-in-admin")
    # The back office is driven by keyboard: under the site's CSP (no 'unsafe-eval') Unfold's
    # Alpine.js does not start, and its search overlay stays over every admin page.
    press(admin.get_by_role("link", name="Review and decide"), "Enter")
    admin.wait_for_url(re.compile(rf".*/admin/disputes/claim/{claim.pk}/decide/$"))
    press(admin.locator("input[name=decision][value=approve]"), "Space")
    assert admin.locator("input[name=decision][value=approve]").is_checked()
    admin_shot(admin, shot, "07-decide")
    press(admin.get_by_role("button", name="Record the decision"), "Enter")
    admin.wait_for_url(re.compile(rf".*/admin/disputes/claim/{claim.pk}/change/$"))
    assert "Decided: this claim is final." in admin.content()
    admin_shot(admin, shot, "08-approved-in-admin")

    # 4. a double click: the decision page posted again changes nothing
    admin.goto(base + f"/admin/disputes/claim/{claim.pk}/decide/")
    press(admin.locator("input[name=decision][value=approve]"), "Space")
    press(admin.get_by_role("button", name="Record the decision"), "Enter")
    admin.wait_for_load_state()

    # 5. the merchant sees the decision and was emailed
    page.goto(claim_url)
    assert page.locator("#approved-amount").inner_text() == "1666.67"
    shot(page, "09-merchant-sees-approval")
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.decided_by == staff
    assert LedgerTransaction.objects.filter(idempotency_key=f"claim:{claim.pk}:credit").count() == 1
    balance = LedgerEntry.objects.filter(
        account__kind="merchant_balance", account__merchant=plan.merchant
    ).aggregate(total=Sum("amount"))["total"]
    assert balance == Decimal("1666.67")
    decided_mail = [m for m in mail.outbox if m.to == [merchant_user.email]]
    assert len(decided_mail) == 1
    assert "approved" in decided_mail[0].subject
