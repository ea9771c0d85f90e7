"""Imports that help (issue 14): a template per resource, a failed dry run that says how many
rows were valid and offers its row errors as CSV, Unfold's file widget on the upload page, and
``/admin/<app>/<model>/import/`` leading to the import page."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.affiliates.models import Affiliate
from apps.tenants.models import ImportJob
from apps.tenants.scope import tenant_scope
from tests.affiliates.import_files import AFFILIATE_HEADER, to_csv, webmaster_rows
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

JOBS = "/admin/tenants/importjob/"


@pytest.fixture
def bd_client(tenant):
    return client_for(tenant, make_staff(tenant, "bd"))


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_each_resource_has_a_template_linked_from_the_upload_page(bd_client):
    page = bd_client.get(f"{JOBS}add/?resource=affiliates").content.decode()
    assert f'href="{JOBS}template/affiliates.csv"' in page
    assert 'data-template="merchants"' in page
    response = bd_client.get(f"{JOBS}template/affiliates.csv")
    assert response["Content-Type"] == "text/csv"
    assert set(_rows(response.content)[0]) == set(AFFILIATE_HEADER)
    assert bd_client.get(f"{JOBS}template/nothing.csv").status_code == 404


def test_a_failed_dry_run_counts_valid_rows_and_offers_the_errors_as_csv(tenant, bd_client):
    rows = webmaster_rows(10)
    rows[3]["email"] = "not-an-email"
    rows[7]["position"] = "top_middle"
    rows[7]["daily_guarantee"] = "-5"  # two errors on one row: still one invalid row
    upload = SimpleUploadedFile("webmasters.csv", to_csv(rows), content_type="text/csv")
    response = bd_client.post(
        f"{JOBS}add/", {"resource": "affiliates", "file": upload, "dry_run": "on"}, follow=True
    )
    content = response.content.decode()
    assert "8 of 10 row(s) are valid; 2 have errors." in content
    job = ImportJob.objects.get()
    assert Affiliate.objects.count() == 0
    errors = bd_client.get(f"{JOBS}{job.pk}/errors.csv")
    assert errors["Content-Type"] == "text/csv"
    table = _rows(errors.content)
    assert table[0] == ["line", "column", "error"]
    assert {(line, column) for line, column, _ in table[1:]} == {
        ("5", "email"),
        ("9", "position"),
        ("9", "daily_guarantee"),
    }


def test_a_missing_column_leaves_no_row_valid(tenant, bd_client):
    rows = webmaster_rows(3)
    header = [c for c in AFFILIATE_HEADER if c != "email"]
    upload = SimpleUploadedFile("webmasters.csv", to_csv(rows, header), content_type="text/csv")
    response = bd_client.post(
        f"{JOBS}add/", {"resource": "affiliates", "file": upload, "dry_run": "on"}, follow=True
    )
    assert "0 of 3 row(s) are valid" in response.content.decode()


def test_the_upload_page_uses_unfolds_file_widget(bd_client):
    page = bd_client.get(f"{JOBS}add/").content.decode()
    # the widget's own text box, which Unfold's script fills with the chosen file's name
    assert 'type="file"' in page
    assert page.count('type="text"') >= 1


@pytest.mark.parametrize(
    ("path", "resource"),
    [
        ("/admin/affiliates/affiliate/import/", "affiliates"),
        ("/admin/campaigns/merchant/import/", "merchants"),
        ("/admin/campaigns/product/import/", "products"),
        ("/admin/commissions/commissionrule/import/", "commission_rules"),
    ],
)
def test_the_guessable_import_address_leads_to_the_import_page(bd_client, path, resource):
    response = bd_client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{JOBS}add/?resource={resource}"


def test_another_tenants_errors_are_404(tenant, other_tenant, bd_client):
    with tenant_scope(other_tenant):
        job = ImportJob.objects.create(
            tenant=other_tenant, resource="affiliates", original_name="x.csv", status="failed",
            errors=[{"line": 2, "column": "email", "message": "secret"}],
        )  # fmt: skip
    assert bd_client.get(f"{JOBS}{job.pk}/errors.csv").status_code == 404
