"""The admin's import (issue 3): a dry-run preview listing every row error by line and column,
confirm, large files in a Celery task with a self-refreshing progress page; all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.affiliates.models import Affiliate
from apps.sites.models import Contract, Placement, Site
from apps.tenants.models import ImportJob
from apps.tenants.scope import tenant_scope
from apps.tenants.tasks import import_run_task
from tests.affiliates.import_files import broken_webmaster_rows, to_csv, to_xlsx, webmaster_rows
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

ADD = "/admin/tenants/importjob/add/"


@pytest.fixture
def bd_client(tenant):
    return client_for(tenant, make_staff(tenant, "bd"))


def _upload(client, content, name="webmasters.csv", resource="affiliates", dry_run=True):
    data = {"resource": resource, "file": SimpleUploadedFile(name, content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(ADD, data)


def _counts(tenant):
    with tenant_scope(tenant):
        return tuple(m.objects.count() for m in (Affiliate, Site, Placement, Contract))


def _job(tenant):
    with tenant_scope(tenant):
        return ImportJob.objects.get()


def test_dry_run_preview_shows_every_row_error_with_line_and_column(tenant, bd_client):
    # given: the 500-row file with four bad rows
    rows, expected = broken_webmaster_rows()
    # when
    response = _upload(bd_client, to_csv(rows))
    # then: the job page lists each error's line and column, and nothing was written
    assert response.status_code == 302
    page = bd_client.get(response["Location"]).content.decode()
    assert "4 error(s)" in page
    for line, column in expected:
        assert (
            f'<td class="px-4 py-2">{line}</td><td class="px-4 py-2"><code>{column}</code>' in page
        )
    assert "&#x27;not-an-email&#x27; is not an email address" in page
    assert "IMP0002 is already used on line 4" in page
    job = _job(tenant)
    assert job.status == "failed"
    assert [(e["line"], e["column"]) for e in job.errors] == expected
    assert _counts(tenant) == (0, 0, 0, 0)


def test_dry_run_then_confirm_imports_everything(tenant, bd_client):
    response = _upload(bd_client, to_xlsx(webmaster_rows(20)), name="webmasters.xlsx")
    page = bd_client.get(response["Location"]).content.decode()
    assert "Every one of the 20 row(s) is valid" in page
    assert _counts(tenant) == (0, 0, 0, 0)
    job = _job(tenant)
    assert job.status == "checked"
    response = bd_client.post(f"/admin/tenants/importjob/{job.pk}/confirm/")
    assert response.status_code == 302
    job = _job(tenant)
    assert (job.status, job.processed_rows, job.total_rows) == ("done", 20, 20)
    assert job.counts["webmasters created"] == 20
    assert _counts(tenant) == (20, 20, 20, 20)
    # confirming again does nothing more (the job is done)
    bd_client.post(f"/admin/tenants/importjob/{job.pk}/confirm/")
    assert _counts(tenant) == (20, 20, 20, 20)


def test_unreadable_file_is_a_form_error_and_no_job(tenant, bd_client):
    content = to_csv(webmaster_rows(2)).decode().replace("Publisher 1", "Éditeur").encode("cp1252")
    response = _upload(bd_client, content)
    assert response.status_code == 200
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_large_file_runs_as_a_task_with_a_refreshing_progress_page(
    tenant, bd_client, settings, django_capture_on_commit_callbacks
):
    # given: a threshold of 5 rows, so a 12-row file goes to the worker
    settings.IMPORT_INLINE_MAX_ROWS = 5
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(bd_client, to_csv(webmaster_rows(12)), dry_run=False)
    job = _job(tenant)
    assert (job.status, job.total_rows) == ("queued", 12)
    assert len(callbacks) == 1  # the task, enqueued once the upload commits
    page = bd_client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert '<progress id="import-progress" max="12" value="0"' in page
    # when: the worker runs it (eager Celery)
    callbacks[0]()
    # then
    job = _job(tenant)
    assert (job.status, job.processed_rows) == ("done", 12)
    assert _counts(tenant) == (12, 12, 12, 12)
    page = bd_client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "webmasters created: 12" in page
    # and: a second delivery of the same task is a no-op
    assert import_run_task.delay(tenant_id=tenant.pk, job_id=job.pk).get() == "done"
    assert _counts(tenant) == (12, 12, 12, 12)


def test_a_failure_mid_write_rolls_back_every_row(tenant, bd_client, monkeypatch):
    # given: the database refuses the 3rd contract (as a concurrent writer could make it)
    from apps.sites import resources
    from apps.sites.errors import ContractError

    real = resources.contract_create
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ContractError("Placement IMP0002 already has an active contract.")
        return real(**kwargs)

    monkeypatch.setattr(resources, "contract_create", flaky)
    # when
    _upload(bd_client, to_csv(webmaster_rows(5)), dry_run=False)
    # then: nothing of rows 1-2 is left, and the error names line 4
    job = _job(tenant)
    assert job.status == "failed"
    assert job.errors == [
        {"line": 4, "column": "", "message": "Placement IMP0002 already has an active contract."}
    ]
    assert _counts(tenant) == (0, 0, 0, 0)


def test_import_pages_of_another_tenant_answer_404(tenant, other_tenant, bd_client):
    other = client_for(other_tenant, make_staff(other_tenant, "bd"))
    _upload(other, to_csv(webmaster_rows(2)))
    theirs = _job(other_tenant)
    assert bd_client.get(f"/admin/tenants/importjob/{theirs.pk}/change/").status_code == 404
    assert bd_client.post(f"/admin/tenants/importjob/{theirs.pk}/confirm/").status_code == 404
    assert _job(other_tenant).status == "checked"


def test_merchant_and_webmaster_lists_link_to_the_import(tenant, bd_client):
    response = bd_client.get("/admin/affiliates/affiliate/import-file/")
    assert response["Location"] == ADD + "?resource=affiliates"
    response = bd_client.get("/admin/campaigns/merchant/import-file/")
    assert response["Location"] == ADD + "?resource=merchants"
    page = bd_client.get(ADD + "?resource=merchants").content.decode()
    assert '<option value="merchants" selected>' in page
    assert "code, name, tier, contact_email, domains?, plan_quota?" in page
