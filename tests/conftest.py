"""Shared fixtures: two tenants holding the same kinds of objects, clients on their hosts.

Tenancy in tests, the pretix way (docs/development.md "Tests"):

- Fixture *setup* runs with django-scopes disabled (``pytest_fixture_setup`` below), inside the
  test's home tenant (the ``tenant`` fixture) once that exists, so a fixture may read and call
  services without opening a scope. Row-level security still applies: a fixture sees the home
  tenant's rows (factories create each row in its own tenant's scope).
- The test *body* runs in the home tenant's scope (the autouse ``_test_body_scope``), as a
  request or task of that tenant would. ``@pytest.mark.unscoped`` opts out (wall tests, entry
  points without a tenant); the other tenant's side of a two-tenant test opens
  ``tenant_scope(other_tenant)`` itself.
- A request made with Django's test client starts outside the test's scope, as in production:
  the middleware enters the host's tenant or none.
"""

import contextvars
import inspect
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import django_scopes.state
import pytest
from django.test import Client
from django.test.client import ClientHandler
from django_scopes import scopes_disabled

from apps.core import observability
from apps.tenants import rls
from apps.tenants import scope as tenant_scopes
from apps.tenants.models import Role, Tenant, User
from apps.tenants.scope import tenant_scope
from tests.tenants.factories import MembershipFactory, TenantFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# The test's home tenant: set by the ``tenant`` fixture, read by the hooks below.
HOME_TENANT = pytest.StashKey[Tenant]()


def _home_tenant(request: pytest.FixtureRequest) -> Tenant | None:
    node = getattr(request, "node", None)
    return node.stash.get(HOME_TENANT, None) if node is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest):
    """Fixture setup runs unscoped at wall one and in the home tenant at wall two (pretix's
    hook). Yield fixtures are left alone: a scope they open must outlive this wrapper, and
    django-scopes restores its previous state on exit, which would close theirs."""
    if inspect.isgeneratorfunction(fixturedef.func):
        return (yield)
    with ExitStack() as stack:
        home = _home_tenant(request)
        if home is not None:
            stack.enter_context(tenant_scope(home))
        stack.enter_context(scopes_disabled())
        return (yield)


@pytest.fixture(autouse=True)
def _test_body_scope(request: pytest.FixtureRequest) -> Iterator[Tenant | None]:
    """The test body runs in its home tenant's scope, if it has one (it uses ``tenant``) and
    is not marked ``unscoped``."""
    if "tenant" not in request.fixturenames or request.node.get_closest_marker("unscoped"):
        yield None
        return
    home = request.getfixturevalue("tenant")
    with tenant_scope(home):
        yield home


def _outside_any_scope(call: Any, *args: Any) -> Any:
    django_scopes.state.state.set(None)
    tenant_scopes._current_tenant.set(None)
    observability.tenant_var.set("-")
    rls.set_current_tenant_id(None)
    return call(*args)


@pytest.fixture(autouse=True, scope="session")
def _requests_start_outside_the_test_scope() -> Iterator[None]:
    """Django's test client handles a request in the test's thread, so it would inherit the
    test's scope: a platform-host page that forgot its tenant would pass here and fail in
    production. Each request runs in a copy of the context with no scope instead; afterwards
    the open transaction gets the test's tenant back (the setting is per transaction)."""
    original = ClientHandler.__call__

    def call_unscoped(self: ClientHandler, environ: dict[str, Any]) -> Any:
        try:
            return contextvars.copy_context().run(_outside_any_scope, original, self, environ)
        finally:
            rls.set_current_tenant_id(rls.current_tenant_id())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientHandler, "__call__", call_unscoped)
        yield


@pytest.fixture(autouse=True)
def _fresh_tracking_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no tenant snapshot or spend figure in this process, and merchant
    domain checks never reach the network (tests that check them patch these again)."""
    from apps.campaigns import domains
    from apps.sites.verification import FetchError
    from apps.tracking import budget
    from apps.tracking.snapshot import registry

    def offline(*args: object) -> None:
        raise FetchError("no network in tests")

    monkeypatch.setattr(domains, "txt_records", lambda name: [])
    monkeypatch.setattr(domains, "fetch_proof_file", offline)
    registry.clear()
    budget.clear()
    yield
    registry.clear()
    budget.clear()


@pytest.fixture
def tenant(request: pytest.FixtureRequest, db: None) -> Tenant:
    """Tenant A, the test's home tenant (see the module docstring)."""
    home = TenantFactory(slug="alpha", name="Alpha Network")
    request.node.stash[HOME_TENANT] = home
    return home


@pytest.fixture
def other_tenant(db: None) -> Tenant:
    return TenantFactory(slug="beta", name="Beta Network")


@pytest.fixture
def scoped(tenant: Tenant) -> Tenant:
    """The home tenant; kept for older tests (the body is scoped anyway, see above)."""
    return tenant


def host_of(tenant: Tenant) -> str:
    return f"{tenant.slug}.localhost"


def client_for(tenant: Tenant, user: User | None = None) -> Client:
    client = Client(headers={"host": host_of(tenant)})
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
