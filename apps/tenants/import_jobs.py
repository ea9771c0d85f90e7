"""Back-office imports as jobs: upload, dry run, confirm, run inline or in a Celery task.

Issue 3: "large imports run as a Celery task with progress shown". A file of up to
``IMPORT_INLINE_MAX_ROWS`` rows (default 2,000) runs inside the request; a larger one is
queued (``import_run_task``) and its page refreshes itself until it is done. Either way the
rows go through :func:`apps.core.import_runner.run_import`, exactly as ``import_data`` does:
every row error with its line and column, nothing written unless every row is valid.

``status`` moves only through :func:`import_job_transition` (``ALLOWED``):
queued → running → checked (a dry run passed) | done | failed; checked → queued (confirmed).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from apps.core.db import lock_object
from apps.core.errors import StateConflictError
from apps.core.import_runner import ImportFileError, ImportReport, read_table, run_import
from apps.core.imports import import_names
from apps.tenants.models import ImportJob, ImportJobStatus, User
from apps.tenants.scope import current_tenant

S = ImportJobStatus

ALLOWED: dict[str, set[str]] = {
    S.QUEUED: {S.RUNNING, S.FAILED},
    S.RUNNING: {S.CHECKED, S.DONE, S.FAILED},
    S.CHECKED: {S.QUEUED},
    S.DONE: set(),
    S.FAILED: set(),
}

#: the most bytes an uploaded import file may have
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: errors kept on a job (a file of bad rows can have many; the command shows them all)
MAX_STORED_ERRORS = 5000


class ImportJobError(StateConflictError):
    code = "import_job_state"


class _AlreadyDone(Exception):  # noqa: N818 - control flow: another worker finished the job
    pass


def inline_max_rows() -> int:
    return int(getattr(settings, "IMPORT_INLINE_MAX_ROWS", 2000))


def _progress_key(job_id: int) -> str:
    return f"import-job-progress:{job_id}"


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(processed rows, total rows) of a job; live from the cache while it runs."""
    if job.is_active:
        live = cache.get(_progress_key(job.pk))
        if live is not None:
            return min(int(live), job.total_rows), job.total_rows
    return job.processed_rows, job.total_rows


def import_job_transition(*, job: ImportJob, to: str, **fields: Any) -> ImportJob:
    """Move a job's status (``ALLOWED``) under a row lock; re-applying it is a no-op."""
    with transaction.atomic():
        locked = lock_object(ImportJob.objects.all(), job.pk)
        if locked.status != to:
            if to not in ALLOWED[locked.status]:
                raise ImportJobError(
                    f"Import #{locked.pk} cannot move from {locked.status} to {to}."
                )
            locked.status = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated_at", *fields])
    for name in ("status", *fields):
        setattr(job, name, getattr(locked, name))
    return job


def import_job_create(
    *,
    resource: str,
    upload: UploadedFile,
    actor: User | None,
    dry_run: bool = True,
    request: Any = None,
) -> ImportJob:
    """Store an uploaded import file privately and start its first run.

    Rules: the resource is a registered one; the file is .csv or .xlsx, readable, at most
    ``MAX_UPLOAD_BYTES``; otherwise :class:`ImportFileError` and nothing is stored. With
    ``dry_run`` (the admin's default) the run only validates; confirm it with
    :func:`import_job_confirm`.
    """
    if resource not in import_names():
        raise ImportFileError(f"Unknown resource {resource!r}.", code="import_resource_unknown")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"The file is {upload.size // (1024 * 1024)} MB; imports take at most "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB (split it).",
            code="import_file_too_large",
        )
    content = upload.read()
    filename = upload.name or "upload"
    _header, rows = read_table(filename, content)  # an unreadable file is refused right here
    with transaction.atomic():
        job = ImportJob(
            tenant=current_tenant(),
            resource=resource,
            original_name=filename[:255],
            dry_run=dry_run,
            status=S.QUEUED,
            total_rows=len(rows),
            created_by=actor,
        )
        job.file.save(filename, ContentFile(content), save=False)
        job.save()
    return import_job_start(job=job, request=request)


def import_job_confirm(*, job: ImportJob, actor: User | None, request: Any = None) -> ImportJob:
    """Run for real an import whose dry run passed (checked → queued → ...)."""
    with transaction.atomic():
        locked = lock_object(ImportJob.objects.all(), job.pk)
        if locked.status != S.CHECKED:
            raise ImportJobError(
                f"Import #{locked.pk} is {locked.get_status_display().lower()}; only a checked "
                "import can be confirmed."
            )
        import_job_transition(job=job, to=S.QUEUED, dry_run=False, processed_rows=0, errors=[])
    return import_job_start(job=job, request=request)


def import_job_start(*, job: ImportJob, request: Any = None) -> ImportJob:
    """Run a queued job now (small files) or hand it to a worker after the commit."""
    if job.total_rows <= inline_max_rows():
        return import_job_run(job_id=job.pk, request=request)
    from apps.tenants.tasks import import_run_task

    import_run_task.delay_on_commit(tenant_id=job.tenant_id, job_id=job.pk)
    return job


def import_job_run(*, job_id: int, request: Any = None) -> ImportJob:
    """Run one queued job. Idempotent: a job that is checked, done or failed is left alone;
    a job left ``running`` by a worker that died is run again (its writes were rolled back,
    since the rows are written in one transaction)."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (S.QUEUED, S.RUNNING):
        return job
    import_job_transition(job=job, to=S.RUNNING, started_at=timezone.now(), processed_rows=0)

    def progress(done: int, total: int) -> None:
        rows = job.total_rows * done // total if total else 0
        cache.set(_progress_key(job.pk), rows, 24 * 3600)

    def lock_still_running() -> None:
        # Two deliveries of the same task: the second waits here and then finds it done.
        if lock_object(ImportJob.objects.all(), job.pk).status != S.RUNNING:
            raise _AlreadyDone

    def mark_done(report: ImportReport) -> None:
        import_job_transition(
            job=job,
            to=S.DONE,
            counts=report.counts,
            processed_rows=report.total_rows,
            finished_at=timezone.now(),
        )

    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        report = run_import(
            job.resource,
            filename=job.original_name,
            content=content,
            tenant=job.tenant,
            actor=job.created_by,
            request=request,
            dry_run=job.dry_run,
            progress=progress,
            on_write_start=lock_still_running,
            on_write_end=mark_done,
        )
    except _AlreadyDone:
        job.refresh_from_db()
        return job
    except (ImportFileError, FileNotFoundError) as exc:
        return import_job_transition(
            job=job,
            to=S.FAILED,
            errors=[{"line": None, "column": "", "message": str(exc)}],
            finished_at=timezone.now(),
        )
    finally:
        cache.delete(_progress_key(job.pk))
    if report.errors:
        # How many rows were fine (issue 14): a row with any error counts once; an error of
        # the whole file (a missing column) leaves no row valid.
        bad_lines = {error.line for error in report.errors}
        data_lines = bad_lines - {None, 1}  # line 1 is the header
        whole_file = len(data_lines) < len(bad_lines)
        valid = 0 if whole_file else max(report.total_rows - len(data_lines), 0)
        return import_job_transition(
            job=job,
            to=S.FAILED,
            counts={"valid_rows": valid, "invalid_rows": report.total_rows - valid},
            errors=[error.as_dict() for error in report.errors[:MAX_STORED_ERRORS]],
            processed_rows=report.total_rows,
            total_rows=report.total_rows,
            finished_at=timezone.now(),
        )
    if report.dry_run:
        return import_job_transition(
            job=job,
            to=S.CHECKED,
            processed_rows=report.total_rows,
            total_rows=report.total_rows,
            finished_at=timezone.now(),
        )
    return job  # mark_done moved it to done with the rows
