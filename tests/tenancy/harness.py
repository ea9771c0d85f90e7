"""The cross-tenant harness.

With two tenants that hold the same kinds of objects, it visits, as tenant A's staff or API
key and with tenant B's ids: every admin changelist (plain and searched), change, history and
delete page; every admin autocomplete endpoint and every related-field choice list on add
pages; and every partner API endpoint. Each must answer 404 or show none of B's objects.

Apps register their models and endpoints in ``tests/<app>/cross_tenant.py``:

    register_model(Affiliate, make=lambda t: AffiliateFactory(tenant=t), search=lambda o: o.email)
    register_endpoint("api:site-detail", principal="affiliate", model=Site,
                      kwargs=lambda site: {"pk": site.pk})

``tests/tenancy/test_cross_tenant.py`` fails for any tenant-owned model, admin page or API
route that is not registered, so nothing new escapes the harness.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from apps.core.models import TenantScopedModel
from apps.tenants.models import Tenant
from apps.tenants.scope import tenant_scope


class LeakFoundError(AssertionError):
    """Tenant A's session or key was shown tenant B's data."""


@dataclass
class ModelCase:
    model: type[Model]
    make: Callable[[Tenant], Model]
    search: Callable[[Model], str] | None = None


@dataclass
class EndpointCase:
    url_name: str
    principal: str  # "merchant" or "affiliate"
    #: model whose B object is put into the URL (detail) or must be absent (list)
    model: type[Model]
    kwargs: Callable[[Model], dict[str, Any]] | None = None
    #: for list endpoints: the value identifying an object in the JSON results
    identify: Callable[[Model], Any] = field(default=lambda obj: obj.pk)
    id_field: str = "id"
    #: the merchant or webmaster that owns an object; A's key is issued for owner(mine)
    owner: Callable[[Model], Model] = field(default=lambda obj: obj)
    method: str = "get"
    query: dict[str, str] = field(default_factory=dict)
    body: Callable[[Model], Any] | None = None


@dataclass
class AdminPageCase:
    """A back-office page outside the model admins' standard views (issue 14: role homes, the
    risk desk, 360 pages, statement buttons). With ``kwargs`` it is an object page: B's object
    in the URL must answer 404 (A's: 200). Without, it is a list page: fetched with
    ``query(theirs)`` it must not show ``marker(theirs)``, and with ``query(mine)`` it must show
    ``marker(mine)`` (so the check can fail)."""

    url_name: str
    model: type[Model]
    kwargs: Callable[[Model], dict[str, Any]] | None = None
    query: Callable[[Model], dict[str, Any]] = field(default=lambda obj: {})
    marker: Callable[[Model], str] | None = None


@dataclass
class PortalPageCase:
    """A partner portal page (issue 15), visited on tenant A's host signed in as the portal
    user of ``owner(mine)`` (a merchant's user or a webmaster). With ``kwargs`` it is an object
    page: B's object in the URL answers 404 (A's: 200). Without, it is a list page or download:
    fetched with ``query(theirs)`` it must not show ``marker(theirs)``; with ``shows_mine`` it
    must show ``marker(mine)`` (so the check can fail); pages whose figures need rolled-up
    activity set it False and prove only the absence."""

    url_name: str
    principal: str  # "merchant" or "webmaster"
    model: type[Model]
    owner: Callable[[Model], Model]
    kwargs: Callable[[Model], dict[str, Any]] | None = None
    query: Callable[[Model], dict[str, Any]] = field(default=lambda obj: {})
    marker: Callable[[Model], str] | None = None
    shows_mine: bool = True


MODEL_CASES: dict[type[Model], ModelCase] = {}
ADMIN_PAGE_CASES: dict[str, AdminPageCase] = {}
ENDPOINT_CASES: dict[str, EndpointCase] = {}
PORTAL_PAGE_CASES: dict[str, PortalPageCase] = {}
#: API route names that need no case (schema, docs, the key's own identity)
ENDPOINTS_WITHOUT_TENANT_DATA: set[str] = {"api:schema", "api:docs", "api:me"}


def register_model(
    model: type[Model],
    make: Callable[[Tenant], Model],
    search: Callable[[Model], str] | None = None,
) -> None:
    MODEL_CASES[model] = ModelCase(model=model, make=make, search=search)


def register_endpoint(url_name: str, **kwargs: Any) -> None:
    ENDPOINT_CASES[url_name] = EndpointCase(url_name=url_name, **kwargs)


def register_admin_page(url_name: str, **kwargs: Any) -> None:
    ADMIN_PAGE_CASES[url_name] = AdminPageCase(url_name=url_name, **kwargs)


def register_portal_page(url_name: str, **kwargs: Any) -> None:
    PORTAL_PAGE_CASES[url_name] = PortalPageCase(url_name=url_name, **kwargs)


def check_portal_page(client: Client, case: PortalPageCase, mine: Model, theirs: Model) -> None:
    name = f"portal:{case.url_name}"
    if case.kwargs is not None:
        response = client.get(reverse(name, kwargs=case.kwargs(theirs)))
        if response.status_code != 404:
            raise LeakFoundError(
                f"{name}: tenant B's object answered {response.status_code}, not 404"
            )
        response = client.get(reverse(name, kwargs=case.kwargs(mine)))
        if response.status_code != 200:
            raise AssertionError(f"{name}: A's own object answered {response.status_code}")
        return
    response = client.get(reverse(name), case.query(theirs))
    if response.status_code != 200:
        raise AssertionError(f"{name} answered {response.status_code}")
    if case.marker is None:
        return
    if re.search(re.escape(case.marker(theirs)) + r"(?!\d)", response.content.decode()):
        raise LeakFoundError(f"{name}: shows tenant B's {case.marker(theirs)!r}")
    if case.shows_mine:
        own = client.get(reverse(name), case.query(mine)).content.decode()
        if not re.search(re.escape(case.marker(mine)) + r"(?!\d)", own):
            raise AssertionError(f"{name}: does not show A's own object (harness broken?)")


def check_admin_page(client: Client, case: AdminPageCase, mine: Model, theirs: Model) -> None:
    if case.kwargs is not None:
        response = client.get(reverse(case.url_name, kwargs=case.kwargs(theirs)))
        if response.status_code != 404:
            raise LeakFoundError(
                f"{case.url_name}: tenant B's object answered {response.status_code}, not 404"
            )
        response = client.get(reverse(case.url_name, kwargs=case.kwargs(mine)))
        if response.status_code != 200:
            raise AssertionError(f"{case.url_name}: A's own object answered {response.status_code}")
        return
    url = reverse(case.url_name)
    response = client.get(url, case.query(theirs))
    if response.status_code != 200:
        raise AssertionError(f"{case.url_name} answered {response.status_code}")
    if case.marker is not None:
        pattern = re.escape(case.marker(theirs)) + r"(?!\d)"
        if re.search(pattern, response.content.decode()):
            raise LeakFoundError(f"{case.url_name}: shows tenant B's {case.marker(theirs)!r}")
        own = client.get(url, case.query(mine)).content.decode()
        if not re.search(re.escape(case.marker(mine)) + r"(?!\d)", own):
            raise AssertionError(f"{case.url_name}: does not show A's own object (harness broken?)")


def tenant_rows(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    """Every row ``tenant`` owns, model by model: compared before and after a sweep of refused
    cross-tenant requests to show that nothing of the other tenant changed (STYLE.md 8)."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    with tenant_scope(tenant):
        for model in apps.get_models():
            if issubclass(model, TenantScopedModel) and not model._meta.proxy:
                snapshot[model._meta.label] = list(model.objects.order_by("pk").values())
    return snapshot


@contextmanager
def rows_unchanged(*tenants: Tenant) -> Iterator[None]:
    """Asserts that a refused write changed nothing: every row of each of ``tenants`` is the
    same after the block as before, field by field, and none was created or deleted."""
    before = {tenant.slug: tenant_rows(tenant) for tenant in tenants}
    yield
    for tenant in tenants:
        assert tenant_rows(tenant) == before[tenant.slug], f"{tenant.slug}'s rows changed"


# --- admin checks -------------------------------------------------------------------------


def _admin_url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _change_link_ids(content: str, model: type[Model]) -> set[str]:
    prefix = re.escape(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    return set(re.findall(prefix + r"(\d+)/change/", content))


def check_admin_model(client: Client, model: type[Model], mine: Model, theirs: Model) -> None:
    """Raise ``LeakFoundError`` if tenant B's ``theirs`` shows through tenant A's back office."""
    model_admin = admin.site._registry[model]
    label = f"{model._meta.app_label}.{model._meta.model_name}"
    changelist = _admin_url(model, "changelist")
    response = client.get(changelist)
    if response.status_code != 200:
        raise AssertionError(f"{label} changelist answered {response.status_code}")
    ids = _change_link_ids(response.content.decode(), model)
    if str(theirs.pk) in ids:
        raise LeakFoundError(f"{label}: changelist lists tenant B's object {theirs.pk}")
    if model_admin.list_display_links is not None and str(mine.pk) not in ids:
        raise AssertionError(f"{label}: changelist does not list A's own object (harness broken?)")

    case = MODEL_CASES[model]
    if case.search is not None and model_admin.search_fields:
        term = case.search(theirs)
        response = client.get(changelist, {"q": term})
        if str(theirs.pk) in _change_link_ids(response.content.decode(), model):
            raise LeakFoundError(f"{label}: search for {term!r} finds tenant B's object")

    for view in ("change", "history", "delete"):
        response = client.get(_admin_url(model, view, theirs.pk))
        if response.status_code != 404:
            raise LeakFoundError(
                f"{label}: {view} page of B's object answered {response.status_code}, not 404"
            )
    # Writes with B's id: confirming its delete page, and an action on the changelist with B's
    # id selected. Both must leave B's rows as they were (the caller compares tenant_rows).
    if model_admin.has_delete_permission is not None:
        response = client.post(_admin_url(model, "delete", theirs.pk), {"post": "yes"})
        if response.status_code != 404:
            raise LeakFoundError(
                f"{label}: deleting B's object answered {response.status_code}, not 404"
            )
    for action in _action_names(model_admin):
        client.post(
            changelist, {"action": action, "_selected_action": [str(theirs.pk)], "post": "yes"}
        )


def _action_names(model_admin: admin.ModelAdmin) -> list[str]:
    names = [name for name, _ in model_admin.admin_site.actions]
    for action in model_admin.actions or ():
        names.append(action if isinstance(action, str) else action.__name__)
    return names


def check_admin_choices(client: Client, objects_b: dict[type[Model], Model]) -> None:
    """Every add page's related-field choices and every autocomplete omit tenant B's rows."""
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if model_admin.has_add_permission is not None:
            response = client.get(_admin_url(model, "add"))
            if response.status_code == 200:
                content = response.content.decode()
                for field_name, related in _relations(model):
                    theirs = objects_b.get(related)
                    if theirs is None:
                        continue
                    if str(theirs.pk) in _select_options(content, field_name):
                        raise LeakFoundError(
                            f"{label}.{field_name}: add form offers tenant B's {theirs.pk}"
                        )
        for field_name in model_admin.get_autocomplete_fields(None):
            related = model._meta.get_field(field_name).remote_field.model
            theirs = objects_b.get(related)
            if theirs is None:
                continue
            response = client.get(
                reverse("admin:autocomplete"),
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                },
            )
            if response.status_code == 200:
                ids = {item["id"] for item in response.json()["results"]}
                if str(theirs.pk) in ids:
                    raise LeakFoundError(
                        f"{label}.{field_name}: autocomplete offers tenant B's {theirs.pk}"
                    )


def _relations(model: type[Model]) -> list[tuple[str, type[Model]]]:
    return [
        (f.name, f.remote_field.model)
        for f in model._meta.get_fields()
        if getattr(f, "remote_field", None) is not None
        and getattr(f, "concrete", False)
        and (f.many_to_one or f.many_to_many)
    ]


def _select_options(content: str, field_name: str) -> set[str]:
    match = re.search(
        r'<select[^>]*name="' + re.escape(field_name) + r'"[^>]*>(.*?)</select>', content, re.S
    )
    if not match:
        return set()
    return {html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', match.group(1))}


# --- API checks ---------------------------------------------------------------------------


def check_endpoint(
    client: Client, case: EndpointCase, mine: Model, theirs: Model, auth: dict
) -> None:
    if case.kwargs is not None:
        url = reverse(case.url_name, kwargs=case.kwargs(theirs))
        call = getattr(client, case.method)
        extra: dict[str, Any] = {}
        if case.body is not None:
            extra = {"data": case.body(theirs), "content_type": "application/json"}
        response = call(url, **extra, **auth)
        if response.status_code != 404:
            raise LeakFoundError(
                f"{case.url_name}: tenant B's object answered {response.status_code}, not 404"
            )
        return
    response = client.get(reverse(case.url_name), case.query, **auth)
    if response.status_code != 200:
        raise AssertionError(f"{case.url_name}: list answered {response.status_code}")
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    ids = {row.get(case.id_field) for row in rows}
    if case.identify(theirs) in ids:
        raise LeakFoundError(f"{case.url_name}: lists tenant B's object {case.identify(theirs)!r}")
    if case.identify(mine) not in ids:
        raise AssertionError(f"{case.url_name}: does not list A's own object (harness broken?)")
