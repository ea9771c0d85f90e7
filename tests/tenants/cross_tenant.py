from apps.tenants.models import Membership
from tests.tenancy.harness import register_model
from tests.tenants.factories import MembershipFactory


def _membership(tenant):
    return MembershipFactory(tenant=tenant, role="bd")


register_model(Membership, make=_membership, search=lambda m: m.user.email)


def _import_job(tenant):
    from django.core.files.base import ContentFile

    from apps.tenants.models import ImportJob
    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant):
        job = ImportJob(
            tenant=tenant,
            resource="merchants",
            original_name=f"{tenant.slug}-merchants.csv",
            status="failed",
            total_rows=1,
            errors=[{"line": 2, "column": "tier", "message": "unknown tier"}],
        )
        job.file.save("merchants.csv", ContentFile(b"code,name\n"), save=False)
        job.save()
    return job


from apps.tenants.models import ImportJob  # noqa: E402

register_model(ImportJob, make=_import_job, search=lambda job: job.original_name)
