"""Demo data: a tenant with every kind of person and (as the product grows) activity."""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from allauth.account.models import EmailAddress
from django.db import transaction

from apps.demo.steps import STEP_MODULES
from apps.tenants.models import Role, Tenant, User
from apps.tenants.scope import tenant_scope
from apps.tenants.services import membership_grant, tenant_create

DEMO_SLUG = "demo"
DEMO_HOST = "demo.localhost"
DEMO_PASSWORD = "alliance-demo-2026"  # noqa: S105 - printed by `make run`, demo data only

STAFF = [
    ("Tenant admin", "admin@demo.localhost", Role.TENANT_ADMIN),
    ("BD (business development)", "bd@demo.localhost", Role.BD),
    ("Finance", "finance@demo.localhost", Role.FINANCE),
    ("Finance (second approver)", "finance2@demo.localhost", Role.FINANCE),
    ("Risk and claims", "risk@demo.localhost", Role.RISK),
]


@dataclass
class DemoResult:
    tenant: Tenant
    logins: list[tuple[str, str]] = field(default_factory=list)


def _person(email: str, name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
    if superuser and not user.is_superuser:
        user.is_superuser = user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_seed(
    *, days: int = 30, log: Callable[[str], object] = print, port: int = 8000
) -> DemoResult:
    """Create or refresh the demo tenant (idempotent). ``port`` is where the server listens
    (``make run PORT=...``), for the addresses in the logins."""
    with transaction.atomic():
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = tenant_create(slug=DEMO_SLUG, name="Demo Affiliate Network", host=DEMO_HOST)
            log(f"Created tenant {tenant.slug}")
        result = DemoResult(tenant=tenant)
        root = _person("root@alliance.localhost", "Platform operator", superuser=True)
        result.logins.append(
            ("Platform superuser", f"{root.email} (http://localhost:{port}/admin/)")
        )
        for label, email, role in STAFF:
            user = _person(email, label)
            membership_grant(tenant=tenant, user=user, role=role)
            result.logins.append((label, email))
        with tenant_scope(tenant):
            for module_name in STEP_MODULES:
                import_module(module_name).seed(tenant=tenant, days=days, result=result, log=log)
    return result
