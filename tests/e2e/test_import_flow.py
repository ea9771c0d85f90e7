"""BD imports webmasters in the back office: a bad file's dry run lists every error by line
and column and imports nothing; the fixed file imports after confirmation; then a bulk action
goes through its confirmation page."""

import pytest
from allauth.account.models import EmailAddress

from apps.affiliates.models import Affiliate
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.affiliates.import_files import broken_webmaster_rows, to_csv, webmaster_rows
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "bd-e2e-import-2026"


def _bd(tenant):
    user = make_staff(tenant, "bd", email="bd@alpha.test")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _submit(page):
    # a DOM click: unfold's command palette overlay can cover the page until Alpine starts
    page.locator("form button[type=submit]").last.dispatch_event("click")


def _count(tenant):
    with tenant_scope(tenant):
        return Affiliate.objects.count()


def test_bd_imports_webmasters_with_a_dry_run(
    tenant, browser_page, tenant_live_url, shot, tmp_path
):
    bd = _bd(tenant)
    base = tenant_live_url(tenant)
    page = browser_page
    page.set_default_timeout(60_000)  # the first pages compile templates on a loaded machine
    page.goto(base + "/accounts/login/?next=/admin/affiliates/affiliate/")
    page.fill("input[name=login]", bd.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/admin/affiliates/affiliate/**")

    # the list's "Import" leads to the upload page for webmasters
    page.goto(base + "/admin/affiliates/affiliate/import-file/")
    page.wait_for_url("**/admin/tenants/importjob/add/?resource=affiliates")
    shot(page, "01-upload")

    # a file with four bad rows: every one listed, nothing imported
    rows, expected = broken_webmaster_rows()
    bad = tmp_path / "webmasters-bad.csv"
    bad.write_bytes(to_csv(rows))
    page.set_input_files("input[name=file]", str(bad))
    _submit(page)
    page.wait_for_selector("#import-errors")
    table = page.inner_text("#import-errors")
    for line, column in expected:
        assert f"{line}\t{column}" in table
    assert _count(tenant) == 0
    shot(page, "02-dry-run-errors")

    # the fixed file: checked, then imported on confirmation
    good = tmp_path / "webmasters.csv"
    good.write_bytes(to_csv(webmaster_rows(40)))
    page.goto(base + "/admin/tenants/importjob/add/?resource=affiliates")
    page.set_input_files("input[name=file]", str(good))
    _submit(page)
    page.wait_for_selector("#import-confirm")
    assert _count(tenant) == 0
    shot(page, "03-dry-run-ok")
    page.dispatch_event("#import-confirm", "click")
    page.wait_for_selector("#import-counts")
    assert "webmasters created: 40" in page.inner_text("#import-counts")
    assert _count(tenant) == 40
    shot(page, "04-imported")

    # a bulk action asks first
    page.goto(base + "/admin/affiliates/affiliate/?q=wm0001")
    page.locator("input[name=_selected_action]").first.dispatch_event("click")
    page.select_option("select[name=action]", "suspend")
    page.locator(
        "button[name=index], button[type=submit][title='Run the selected action']"
    ).first.dispatch_event("click")
    page.wait_for_selector("#confirm-objects")
    shot(page, "05-confirm-suspend")
    page.fill("input[name=reason]", "checking traffic")
    _submit(page)
    page.wait_for_selector("text=Suspended 1 webmaster(s).")
    shot(page, "06-suspended")
    assert Affiliate.objects.get(email="wm0001@publisher.example").status == "suspended"

    # and a webmaster who signed up on their own is approved, after a confirmation
    AffiliateFactory(
        tenant=tenant, email="newcomer@publisher.example", name="Newcomer", status="pending"
    )
    page.goto(base + "/admin/affiliates/affiliate/?q=newcomer")
    page.locator("input[name=_selected_action]").first.dispatch_event("click")
    page.select_option("select[name=action]", "approve")
    page.locator(
        "button[name=index], button[type=submit][title='Run the selected action']"
    ).first.dispatch_event("click")
    page.wait_for_selector("#confirm-objects")
    shot(page, "07-confirm-approve")
    _submit(page)
    page.wait_for_selector("text=Approved 1 webmaster(s).")
    shot(page, "08-approved")
    assert Affiliate.objects.get(email="newcomer@publisher.example").status == "active"
