"""The base every tenant task runs on: it takes ``tenant_id`` and enters that tenant."""

from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import OperationalError

from apps.core.errors import DomainError
from apps.tenants.models import Tenant
from apps.tenants.scope import tenant_scope


class TenantTask(DjangoTask):
    """Like pretix's EventTask: ``tenant_id`` (a keyword argument) is loaded, the body runs in
    ``tenant_scope``. A task without ``tenant_id`` is a programming error and fails loudly."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "tenant_id" not in kwargs:
            raise TypeError(f"{self.name} must be called with tenant_id=... as a keyword")
        tenant = Tenant.objects.get(pk=kwargs["tenant_id"])
        with tenant_scope(tenant):
            return super().__call__(*args, **kwargs)


def tenant_task(
    name: str,
    *,
    max_retries: int = 5,
    throws: tuple[type[Exception], ...] = (DomainError,),
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """``@tenant_task("app.what")``: a per-tenant Celery task the house way (STYLE.md 7).

    - ``TenantTask`` base: called with ``tenant_id=`` as a keyword, the body runs in that
      tenant's scope; bound (``self`` first);
    - ``acks_late``: a worker that dies mid-task leaves it to be redelivered, so every task is
      safe to run twice;
    - transient database errors (``OperationalError``) are retried with backoff, at most
      ``max_retries`` times;
    - domain refusals are listed in ``throws``: expected outcomes, logged without a traceback
      and never retried.
    """
    return shared_task(
        base=TenantTask,
        bind=True,
        acks_late=True,
        name=name,
        max_retries=max_retries,
        autoretry_for=(OperationalError,),
        retry_backoff=True,
        throws=throws,
        **options,
    )


@shared_task(name="tenants.for_each_tenant")
def for_each_tenant_task(task_name: str, **kwargs: Any) -> int:
    """Beat entry point: fan a per-tenant task out to every active tenant."""
    from config.celery import app

    count = 0
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        app.tasks[task_name].apply_async(kwargs={**kwargs, "tenant_id": tenant_id})
        count += 1
    return count


@tenant_task("tenants.import_run", max_retries=3)
def import_run_task(self: Any, *, tenant_id: int, job_id: int) -> str:
    """Run one back-office import (issue 3). Idempotent: a finished job is not run again."""
    from apps.tenants.import_jobs import import_job_run

    return import_job_run(job_id=job_id).status
