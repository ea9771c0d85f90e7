"""Writes on tenants, domains and staff memberships."""

from decimal import Decimal

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from apps.core.db import model_update
from apps.core.errors import DomainError
from apps.tenants.models import Membership, Role, Tenant, TenantDomain, User
from apps.tenants.scope import tenant_scope
from apps.tenants.selectors import clear_host_cache, normalize_host


class TenantError(DomainError):
    code = "tenant_error"


#: steps that give a new tenant its starting data, by name → dotted path of
#: ``def setup(*, tenant) -> object``, run inside the new tenant's scope by ``tenant_create``
#: (registered from the owning apps' ``ready()``, e.g. commissions' default rebate tiers)
_SETUP_STEPS: dict[str, str] = {}


def register_tenant_setup(name: str, path: str) -> None:
    _SETUP_STEPS[name] = path


def _run_setup_steps(tenant: Tenant) -> None:
    from django.utils.module_loading import import_string

    with tenant_scope(tenant):
        for name in sorted(_SETUP_STEPS):
            import_string(_SETUP_STEPS[name])(tenant=tenant)


def tenant_create(
    *,
    slug: str,
    name: str,
    host: str,
    currency: str = "CNY",
    timezone: str = "Asia/Shanghai",
    **settings: int | Decimal,
) -> Tenant:
    """Create a network and its first host.

    Refuses a slug or host that already exists, naming which; nothing is written then. The
    registered setup steps give it its starting data (``register_tenant_setup``).
    """
    host = normalize_host(host)
    if Tenant.objects.filter(slug=slug).exists():
        raise TenantError(f"A tenant with slug {slug!r} already exists.", code="slug_taken")
    if TenantDomain.objects.filter(host=host).exists():
        raise TenantError(f"The host {host!r} already serves a tenant.", code="host_taken")
    tenant = Tenant(slug=slug, name=name, currency=currency.upper(), timezone=timezone, **settings)
    tenant.full_clean()
    domain = TenantDomain(tenant=tenant, host=host, is_primary=True)
    domain.full_clean(exclude=["tenant"])
    try:
        with transaction.atomic():
            tenant.save()
            domain.tenant = tenant
            domain.save()
            _run_setup_steps(tenant)
    except IntegrityError as exc:  # a concurrent create of the same slug or host
        raise TenantError(f"Tenant {slug!r} or host {host!r} already exists.") from exc
    clear_host_cache()
    return tenant


def tenant_domain_add(*, tenant: Tenant, host: str, is_primary: bool = False) -> TenantDomain:
    host = normalize_host(host)
    if TenantDomain.objects.filter(host=host).exists():
        raise TenantError(f"The host {host!r} already serves a tenant.", code="host_taken")
    domain = TenantDomain(tenant=tenant, host=host, is_primary=is_primary)
    domain.full_clean()
    domain.save()
    clear_host_cache()
    return domain


def membership_grant(*, tenant: Tenant, user: User, role: str) -> Membership:
    """Give ``user`` a staff ``role`` in ``tenant`` (idempotent)."""
    if role not in Role.values:
        raise TenantError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    with tenant_scope(tenant), transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            tenant=tenant, user=user, role=role, defaults={"is_active": True}
        )
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active", "updated_at"])
    # Django's admin needs is_staff to let a user through its login view.
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


def user_invite(*, email: str, name: str = "", request: HttpRequest | None = None) -> User:
    """The account for ``email``, created with no password and an invitation to set one.

    An existing account is returned as it is (accounts are shared by networks). The invitation
    (allauth's set-password mail; the link proves the address) goes out after the commit, so
    that the caller's tie (the membership or merchant user it creates in the same
    transaction) exists by then: the link goes only to a host the account belongs to
    (``apps.tenants.accounts``), built for that host, never from the request's.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    user = User.objects.create_user(email=email, password=None, name=name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    if request is not None:
        transaction.on_commit(lambda: _invitation_send(email=email, request=request))
    return user


def _invitation_send(*, email: str, request: HttpRequest) -> None:
    from contextlib import nullcontext

    from allauth.core.context import request_context

    form = ResetPasswordForm(data={"email": email})
    tenant = getattr(request, "tenant", None)
    # After the commit the request may be over: enter its tenant (the tie is looked up there)
    # and allauth's request context (its adapter reads the request from it).
    with tenant_scope(tenant) if tenant is not None else nullcontext(), request_context(request):
        if form.is_valid():
            form.save(request)


#: the settings staff may change with ``tenant_settings_update`` (money and tracking rules)
TENANT_SETTINGS = (
    "dedupe_window_hours",
    "ip_daily_cap",
    "click_window_days",
    "lock_period_days",
    "minimum_payout",
    "claim_tolerance",
    "network_fee_percent",
    "prepayment_required",
    "low_balance_warning",
    # income-tax withholding on statements (issue 17)
    "withholding_rule",
    "withholding_flat_percent",
    # raw event retention (issue 19, docs/scale.md)
    "raw_event_retention_days",
)


def tenant_settings_update(
    *, tenant: Tenant, actor: User | None = None, reason: str = "", **changes: object
) -> Tenant:
    """Change the network's money and tracking settings (``TENANT_SETTINGS``), validated, with
    a history row saying who, when and why (issue 21). Unknown names are refused; unchanged
    values write nothing."""
    unknown = sorted(set(changes) - set(TENANT_SETTINGS))
    if unknown:
        raise TenantError(
            f"{', '.join(unknown)} cannot be changed here; the settings are "
            f"{', '.join(TENANT_SETTINGS)}.",
            code="unknown_setting",
            fields={name: ["not a tenant setting"] for name in unknown},
        )
    locked, changed = model_update(
        instance=tenant,
        fields=changes,
        actor=actor,
        reason=f"{reason}:" if reason else "settings:",
        clean=lambda row: row.full_clean(),
    )
    for name in changed:
        setattr(tenant, name, getattr(locked, name))
    return tenant
