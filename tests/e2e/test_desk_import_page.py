"""The import page loads and takes a file without a script error (issue 14: Unfold's script
threw "Cannot read properties of null (reading 'setAttribute')" when a file was chosen), and
the guessable /admin/<app>/<model>/import/ leads to it."""

import pytest
from allauth.account.models import EmailAddress

from tests.affiliates.import_files import to_csv, webmaster_rows
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "bd-e2e-import-page-2026"


def test_import_page_takes_a_file_without_script_errors(
    tenant, browser_page, tenant_live_url, shot, tmp_path
):
    bd = make_staff(tenant, "bd", email="bd@alpha.test")
    bd.set_password(PASSWORD)
    bd.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=bd, email=bd.email, defaults={"verified": True, "primary": True}
    )
    base = tenant_live_url(tenant)
    page = browser_page
    page.set_default_timeout(60_000)
    script_errors = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    page.goto(base + "/accounts/login/?next=/admin/affiliates/affiliate/import/")
    page.fill("input[name=login]", bd.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/admin/tenants/importjob/add/?resource=affiliates")
    bad = webmaster_rows(5)
    bad[1]["email"] = "nope"
    path = tmp_path / "webmasters.csv"
    path.write_bytes(to_csv(bad))
    page.set_input_files("input[name=file]", str(path))
    shot(page, "01-file-chosen")
    assert script_errors == []
    page.locator("form button[type=submit]").last.dispatch_event("click")
    page.wait_for_selector("#import-valid")
    assert "4 of 5 row(s) are valid; 1 have errors." in page.inner_text("#import-valid")
    assert page.locator("#import-errors-csv").count() == 1
    shot(page, "02-dry-run-failed")
    assert script_errors == []
