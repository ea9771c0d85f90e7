"""Shared fixtures: two tenants holding the same kinds of objects, clients on their hosts."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from apps.tenants.models import Role, Tenant, User
from apps.tenants.scope import tenant_scope
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def tenant(db: None) -> Tenant:
    return TenantFactory(slug="alpha", name="Alpha Network")


@pytest.fixture
def other_tenant(db: None) -> Tenant:
    return TenantFactory(slug="beta", name="Beta Network")


@pytest.fixture
def scoped(tenant: Tenant) -> Iterator[Tenant]:
    """Run the test body inside ``tenant``'s scope, as a request or task would."""
    with tenant_scope(tenant):
        yield tenant


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def client_for(tenant: Tenant, user: User | None = None) -> Client:
    client = Client(HTTP_HOST=host_of(tenant))
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def tenant_client(tenant: Tenant) -> Client:
    return client_for(tenant)


def make_staff(tenant: Tenant, *roles: str, email: str | None = None) -> User:
    user = UserFactory(email=email) if email else UserFactory()
    for role in roles or Role.values:
        MembershipFactory(tenant=tenant, user=user, role=role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def staff_user(tenant: Tenant) -> User:
    return make_staff(tenant, *Role.values)


@pytest.fixture
def staff_client(tenant: Tenant, staff_user: User) -> Client:
    return client_for(tenant, staff_user)


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    path = ARTIFACTS / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path
