"""Runs the cross-tenant harness over every admin page and API endpoint."""

import importlib
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.urls import get_resolver

import tests
from apps.core.admin import TenantAdmin
from apps.core.models import TenantScopedModel
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for, make_staff
from tests.tenancy.harness import (
    ADMIN_PAGE_CASES,
    ENDPOINT_CASES,
    ENDPOINTS_WITHOUT_TENANT_DATA,
    MODEL_CASES,
    PORTAL_PAGE_CASES,
    LeakFoundError,
    check_admin_choices,
    check_admin_model,
    check_admin_page,
    check_endpoint,
    check_portal_page,
    tenant_rows,
)

pytestmark = pytest.mark.django_db

for module in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
    if module.ispkg:
        try:
            importlib.import_module(f"tests.{module.name}.cross_tenant")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{module.name}.cross_tenant":
                raise


def _tenant_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, TenantScopedModel)]


def _api_route_names() -> set[str]:
    names = set()
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "namespace", None) == "api":
            for sub in pattern.url_patterns:
                names.add(f"api:{sub.name}")
    return names


class TestCoverage:
    def test_every_tenant_owned_model_is_registered(self):
        missing = [m.__name__ for m in _tenant_models() if m not in MODEL_CASES]
        assert missing == [], f"register these with the cross-tenant harness: {missing}"

    def test_every_admin_page_is_on_a_registered_tenant_model(self):
        for model, model_admin in admin.site._registry.items():
            assert model in MODEL_CASES, f"{model.__name__} admin is not in the harness"
            assert isinstance(model_admin, TenantAdmin), (
                f"{model.__name__} admin is not a TenantAdmin"
            )

    def test_every_desk_page_is_registered(self):
        from apps.core.admin_home import admin_pages

        missing = [p.name for p in admin_pages() if f"admin:{p.name}" not in ADMIN_PAGE_CASES]
        assert missing == [], f"register these desk pages with the cross-tenant harness: {missing}"

    def test_every_api_route_is_registered(self):
        missing = sorted(_api_route_names() - set(ENDPOINT_CASES) - ENDPOINTS_WITHOUT_TENANT_DATA)
        assert missing == [], f"register these API routes with the cross-tenant harness: {missing}"


@pytest.fixture
def world(tenant, other_tenant):
    """The same kinds of objects in both tenants: {model: (A's object, B's object)}."""
    objects = {}
    for model, case in MODEL_CASES.items():
        objects[model] = (case.make(tenant), case.make(other_tenant))
    return objects


class TestAdmin:
    def test_admin_pages_never_show_other_tenant_objects(self, tenant, other_tenant, world):
        client = client_for(tenant, make_staff(tenant))
        before = tenant_rows(other_tenant)
        for model in admin.site._registry:
            mine, theirs = world[model]
            check_admin_model(client, model, mine, theirs)
        # the refused deletes and actions with B's ids changed nothing of B's
        assert tenant_rows(other_tenant) == before

    def test_admin_choices_and_autocomplete_never_offer_other_tenant_objects(self, tenant, world):
        client = client_for(tenant, make_staff(tenant))
        check_admin_choices(client, {model: pair[1] for model, pair in world.items()})

    def test_desk_pages_never_show_other_tenant_objects(self, tenant, world):
        client = client_for(tenant, make_staff(tenant))
        for case in ADMIN_PAGE_CASES.values():
            mine, theirs = world[case.model]
            check_admin_page(client, case, mine, theirs)

    def test_other_tenant_staff_cannot_enter_this_back_office(self, tenant, other_tenant):
        # given B's staff, signed in, on A's host
        client = client_for(tenant, make_staff(other_tenant))
        # when they open A's back office they are sent to its login page
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == "/admin/login/?next=/admin/"
        # then that page refuses them (signed in, but no staff role here), with no A data
        refused = client.get(response["Location"])
        assert refused.status_code == 403
        assert b"Alpha Network" not in refused.content


class TestApi:
    def test_api_endpoints_answer_404_or_nothing_for_other_tenant_objects(
        self, tenant, other_tenant, world
    ):
        assert ENDPOINT_CASES or not _api_route_names() - ENDPOINTS_WITHOUT_TENANT_DATA
        before = tenant_rows(other_tenant)
        for case in ENDPOINT_CASES.values():
            mine, theirs = world[case.model]
            key = issue_key(case.owner(mine))
            check_endpoint(client_for(tenant), case, mine, theirs, bearer(key))
        # the refused writes with B's ids changed nothing of B's
        assert tenant_rows(other_tenant) == before


#: Portal routes with no page of their own to check: POST-only actions (their objects come
#: from the same lookups as the registered pages), or pages that show no tenant object.
PORTAL_ROUTES_WITHOUT_PAGE = {
    "merchant-campaign-new",
    "merchant-campaign-status",
    "merchant-campaign-phases",
    "merchant-full-site-budget",
    "merchant-full-site-roi",
}


def _portal_client(tenant, case, mine):
    from apps.tenants.scope import tenant_scope
    from tests.campaigns.factories import MerchantUserFactory
    from tests.tenants.factories import UserFactory

    owner = case.owner(mine)
    if case.principal == "merchant":
        return client_for(tenant, MerchantUserFactory(tenant=tenant, merchant=owner).user)
    with tenant_scope(tenant):
        if owner.user_id is None:
            type(owner).objects.filter(pk=owner.pk).update(user=UserFactory())
        owner.refresh_from_db()
        return client_for(tenant, owner.user)


class TestPortal:
    def test_every_merchant_portal_page_is_registered(self):
        from apps.portal.routes import merchant

        names = {p.name for p in merchant.urlpatterns}
        missing = sorted(names - set(PORTAL_PAGE_CASES) - PORTAL_ROUTES_WITHOUT_PAGE)
        assert missing == [], f"register these portal pages with the harness: {missing}"

    def test_portal_pages_answer_404_or_nothing_for_other_tenant_objects(self, tenant, world):
        assert PORTAL_PAGE_CASES
        for case in PORTAL_PAGE_CASES.values():
            mine, theirs = world[case.model]
            check_portal_page(_portal_client(tenant, case, mine), case, mine, theirs)


def _rls_off(table):
    """Wall two off for one table, inside the test's transaction (rolled back after)."""
    with connection.cursor() as cursor:
        # Django's deferred FK checks must fire first: ALTER TABLE refuses pending triggers.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class TestHarnessCatchesLeaks:
    """Prove once that the harness fails when a page leaks, with each wall off in turn."""

    def _make_leaky(self, monkeypatch, model):
        """Break the registered admin the way a careless change would: no tenant filter at all.
        (The URLs are bound to the registered instance, so patch the instance itself.)"""
        model_admin = admin.site._registry[model]

        def get_queryset(request):
            return model.objects.with_scopes_disabled().all()

        def get_search_results(request, queryset, search_term):
            return queryset, False

        monkeypatch.setattr(model_admin, "get_queryset", get_queryset)
        monkeypatch.setattr(model_admin, "get_search_results", get_search_results)

    def test_harness_reports_a_changelist_that_ignores_both_walls(self, tenant, world, monkeypatch):
        from apps.affiliates.models import Affiliate

        mine, theirs = world[Affiliate]
        self._make_leaky(monkeypatch, Affiliate)
        _rls_off("affiliates_affiliate")
        client = client_for(tenant, make_staff(tenant))
        with pytest.raises(LeakFoundError):
            check_admin_model(client, Affiliate, mine, theirs)

    def test_wall_one_alone_holds_when_rls_is_off(self, tenant, world):
        from apps.affiliates.models import Affiliate

        mine, theirs = world[Affiliate]
        _rls_off("affiliates_affiliate")
        client = client_for(tenant, make_staff(tenant))
        check_admin_model(client, Affiliate, mine, theirs)

    def test_wall_two_alone_holds_when_scopes_are_ignored(self, tenant, world, monkeypatch):
        from apps.affiliates.models import Affiliate

        mine, theirs = world[Affiliate]
        self._make_leaky(monkeypatch, Affiliate)
        client = client_for(tenant, make_staff(tenant))
        check_admin_model(client, Affiliate, mine, theirs)
