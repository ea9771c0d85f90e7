"""Finance approves a statement in the back office, and is refused on their own (four eyes)."""

import datetime

import pytest
from allauth.account.models import EmailAddress

from apps.commissions.models import Statement
from apps.commissions.services.statements import statement_submit, statements_generate
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "finance-e2e-2026"


def _finance(tenant, email):
    user = make_staff(tenant, "finance", email=email)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _sign_in(page, base, email):
    page.goto(base + "/accounts/login/?next=/admin/commissions/statement/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/admin/commissions/statement/**")


def _approve(page, base, statement):
    page.goto(base + "/admin/commissions/statement/")
    page.check(f"input[name=_selected_action][value='{statement.pk}']")
    page.select_option("select[name=action]", "approve_statements")
    page.locator(
        "button[name=index], button[type=submit][title='Run the selected action']"
    ).first.click()
    page.wait_for_selector("#confirm-action")


def test_finance_approves_and_is_refused_on_their_own(
    tenant, browser_page, new_browser_page, tenant_live_url, shot
):
    # given: two submitted statements, one submitted by finance, one by finance2
    finance = _finance(tenant, "finance@alpha.test")
    finance2 = _finance(tenant, "finance2@alpha.test")
    own = AffiliateFactory(tenant=tenant, name="Own Submitted Deals", payout_details=True)
    theirs = AffiliateFactory(tenant=tenant, name="Colleague Submitted Deals", payout_details=True)
    earning(own, datetime.date(2026, 3, 2), "300.00", "200.00")
    earning(theirs, datetime.date(2026, 3, 2), "600.00")
    statements_generate(period="2026-03")
    mine = Statement.objects.get(affiliate=own)
    colleagues = Statement.objects.get(affiliate=theirs)
    statement_submit(statement=mine, actor=finance)
    statement_submit(statement=colleagues, actor=finance2)
    base = tenant_live_url(tenant)
    page = browser_page
    console = []
    page.on("console", lambda message: console.append(message.text))

    # when: finance signs in and sees the list with totals per status
    _sign_in(page, base, finance.email)
    assert "2 · 1,100.00 CNY" in page.content()
    shot(page, "01-statements-by-status")

    # and approves the colleague's statement through the confirmation page
    _approve(page, base, colleagues)
    shot(page, "02-confirm-approval")
    page.click("#confirm-submit")
    page.wait_for_load_state("load")
    assert "1 statement(s) approved" in page.content()
    shot(page, "03-approved")

    # then: approving their own is refused with the four-eyes message
    _approve(page, base, mine)
    page.click("#confirm-submit")
    page.wait_for_load_state("load")
    assert "another finance user must approve it (four eyes)" in page.content()
    shot(page, "04-own-refused")

    # the statement pages run Unfold's scripts (no CSP error on them)
    assert [text for text in console if "Content Security Policy" in text] == []
    assert Statement.objects.get(pk=colleagues.pk).status == "approved"
    assert Statement.objects.get(pk=colleagues.pk).approved_by_id == finance.pk
    assert Statement.objects.get(pk=mine.pk).status == "submitted"
