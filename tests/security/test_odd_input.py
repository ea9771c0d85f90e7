"""No 500 on odd input (issue 22): every admin changelist filter and every partner API
parameter, tried with a NUL, a non-number and a huge number, through the real middleware;
the portal's and the tracking endpoints' parameters with the last two (NUL is the
middleware's, the same for every URL).

One request per filter (or parameter) per bad-value class keeps it fast. NUL is refused by
``NulByteMiddleware`` before any view (400); the other values must give the admin's
"invalid filter" answer (a redirect to ``?e=1``) or a normal page, and the API's 400 JSON
naming the parameter, a 404, or a normal answer.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.template import engines
from django.urls import get_resolver, resolve, reverse
from drf_spectacular.generators import SchemaGenerator

import tests
from apps.api.models import AFFILIATE_SCOPES, MERCHANT_SCOPES
from apps.campaigns.models import Merchant, MerchantUser
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for, make_staff
from tests.tenancy.harness import ENDPOINT_CASES, MODEL_CASES
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db

BAD = {"nul": "a\x00b", "word": "abc", "huge": "9" * 30}

for module in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
    if module.ispkg:
        try:
            importlib.import_module(f"tests.{module.name}.cross_tenant")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{module.name}.cross_tenant":
                raise


def _changelist_filters(client, model, model_admin) -> tuple[str, list[tuple[str, ...]]]:
    """A changelist's URL and its filters, each as the query parameters it reads: every
    ``list_filter``, the search box, the date hierarchy."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    filters = [tuple(spec.expected_parameters()) for spec in response.context["cl"].filter_specs]
    filters.append(("q",))
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        filters.append((f"{field}__year", f"{field}__month", f"{field}__day"))
    return url, filters


#: the changelist without Unfold's page around it: the filters as they render, the rows as
#: the page would evaluate them (a bad value that reached SQL would fail here), nothing else
LEAN_CHANGELIST = (
    "{% load admin_list %}{% for spec in cl.filter_specs %}{% admin_list_filter cl spec %}"
    "{% endfor %}{% for row in cl.result_list %}{{ row.pk }}{% endfor %}{{ cl.result_count }}"
)


def test_every_admin_filter_with_bad_values_answers_without_500(tenant, monkeypatch):
    # given tenant staff with every role, and each changelist's filters (the lean page keeps
    # this fast; the harness renders every full changelist)
    client = client_for(tenant, make_staff(tenant))
    lean = engines["django"].from_string(LEAN_CHANGELIST)
    answers: dict[str, list[str]] = {}
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "change_list_template", lean)
    changelists = [
        _changelist_filters(client, model, model_admin)
        for model, model_admin in admin.site._registry.items()
    ]
    # Ordering and page number are read by Django's own code, the same for every
    # changelist: one changelist tries them.
    changelists[0][1].extend([("o",), ("p",)])
    for url, filters in changelists:
        for params in filters:
            for label, value in BAD.items():
                # when a filter gets a value it cannot use (one request per filter)
                response = client.get(url, dict.fromkeys(params, value))
                # then NUL is a 400; anything else the normal page or "invalid filter"
                wanted = {400} if label == "nul" else {200, 302}
                if response.status_code not in wanted:
                    answers.setdefault(str(response.status_code), []).append(
                        f"{url}?{'&'.join(params)}={label}"
                    )
                elif response.status_code == 302:
                    assert "e=1" in response["Location"], response["Location"]
    assert answers == {}


# --- the partner API ----------------------------------------------------------------------


def _good_value(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    if schema.get("enum"):
        return str(schema["enum"][0])
    if schema.get("format") == "date":
        return "2026-03-01"
    if schema.get("type") == "integer":
        return "1"
    if schema.get("type") == "number":
        return "100.00"
    return "x"


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "post", "delete"}
    ]


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


class _World:
    """Per endpoint: a key that may call it, and URL kwargs of an object it may see."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.merchant = bearer(issue_key(MerchantFactory(tenant=tenant), MERCHANT_SCOPES))
        self.affiliate = bearer(issue_key(AffiliateFactory(tenant=tenant), AFFILIATE_SCOPES))

    def auth_and_path(self, path: str, parameters: list[dict[str, Any]]) -> tuple[dict, str]:
        names = [p["name"] for p in parameters if p["in"] == "path"]
        match = resolve(_fill(path, dict.fromkeys(names, "1")))
        view = match.func.view_class  # type: ignore[attr-defined]
        case = ENDPOINT_CASES.get(match.view_name)
        if case is not None and case.kwargs is not None:
            mine = MODEL_CASES[case.model].make(self.tenant)
            owner = case.owner(mine)
            scopes = MERCHANT_SCOPES if isinstance(owner, Merchant) else AFFILIATE_SCOPES
            auth = bearer(issue_key(owner, scopes))
            return auth, reverse(case.url_name, kwargs=case.kwargs(mine))
        # endpoints for either kind of key (webhooks) get the merchant's
        auth = self.affiliate if view.principal == "affiliate" else self.merchant
        return auth, _fill(path, dict.fromkeys(names, "1"))


def test_every_api_parameter_with_bad_values_answers_without_500(tenant):
    world = _World(tenant)
    client = client_for(tenant)
    wrong: list[str] = []
    for path, method, operation in _operations():
        parameters = operation.get("parameters", [])
        auth, good_path = world.auth_and_path(path, parameters)
        call = getattr(client, method)
        body = {"data": {}, "content_type": "application/json"} if method == "post" else {}
        required = {
            p["name"]: _good_value(p)
            for p in parameters
            if p["in"] == "query" and p.get("required")
        }
        for parameter in parameters:
            name, where = parameter["name"], parameter["in"]
            if where not in {"path", "query"}:
                continue
            for label, value in BAD.items():
                if where == "path":
                    names = [p["name"] for p in parameters if p["in"] == "path"]
                    url = _fill(path, {n: ("1" if n != name else value) for n in names})
                    response = call(url.replace("\x00", "%00"), **body, **auth)
                else:
                    query = {**required, name: value}
                    response = (
                        call(f"{good_path}", query, **auth)
                        if method == "get"
                        else (
                            call(
                                f"{good_path}?{name}={value.replace(chr(0), '%00')}", **body, **auth
                            )
                        )
                    )
                where_said = f"{method.upper()} {path} {where} {name}={label}"
                if response.status_code >= 500:
                    wrong.append(f"{where_said}: {response.status_code}")
                elif not response["Content-Type"].startswith("application/json"):
                    wrong.append(f"{where_said}: {response.status_code} not JSON")
                elif response.status_code == 400:
                    fields = response.json().get("extra", {}).get("fields", {})
                    if where == "query" and method == "get" and name not in fields:
                        wrong.append(f"{where_said}: 400 without naming it ({fields})")
    assert wrong == []


# --- the portal and the public tracking endpoints -----------------------------------------

PARAM_RE = re.compile(r"""(?:GET|params|query_params)(?:\.get\(|\[)\s*f?["']([a-z_0-9]+)["']""")


def _parameters_read_by(callback: Any) -> set[str]:
    """The query parameters a view reads (``request.GET.get("from")``, ``GET["site"]``), in
    its own code and in the module's helpers it calls (``_window(request)``)."""
    view = inspect.unwrap(callback)
    module = inspect.getmodule(view)
    source = inspect.getsource(view)
    for helper in set(re.findall(r"\b(_[a-z_0-9]+)\(", source)):
        function = getattr(module, helper, None)
        if inspect.isfunction(function):
            source += inspect.getsource(function)
    return set(PARAM_RE.findall(source))


def _gettable_pages(namespace: str) -> list[tuple[str, Any]]:
    resolver = get_resolver()
    pages = []
    for pattern in resolver.url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            if getattr(pattern, "namespace", None) == namespace and not sub.pattern.converters:
                pages.append((reverse(f"{namespace}:{sub.name}"), sub.callback))
    return pages


def test_every_portal_and_tracking_parameter_with_bad_values_answers_without_500(tenant):
    from tests.tracking.conftest import make_shop

    # given a webmaster and a merchant user signed in, and a live placement with a product
    shop = make_shop(tenant)
    webmaster_user = UserFactory(email="wm@odd.example")
    AffiliateFactory(tenant=tenant, user=webmaster_user, email=webmaster_user.email)
    merchant_user = UserFactory(email="buyer@odd.example")
    MerchantUser.objects.create(tenant=tenant, merchant=shop.merchant, user=merchant_user)
    by_area = {
        "/webmaster/": client_for(tenant, webmaster_user),
        "/merchant/": client_for(tenant, merchant_user),
    }
    anonymous = client_for(tenant)
    # the conversion pixel and postback read the event's fields by name from a list
    conversion_fields = {
        "type", "external_id", "click_id", "amount", "currency", "coupon", "customer_type",
        "customer_ref", "occurred_at", "item1_sku", "item1_quantity", "item1_amount",
    }  # fmt: skip
    wrong = []
    # when every parameter a page reads gets a non-number and a huge number
    for namespace in ("portal", "tracking"):
        for url, callback in _gettable_pages(namespace):
            client = next((c for p, c in by_area.items() if url.startswith(p)), anonymous)
            names = _parameters_read_by(callback)
            if url in ("/px/conv", "/postback"):
                names |= conversion_fields
            for name in sorted(names):
                for label in ("word", "huge"):
                    response = client.get(url, {name: BAD[label]})
                    # then never a 500
                    if response.status_code >= 500:
                        wrong.append(f"{url}?{name}={label}: {response.status_code}")
    for url in (f"/c/{shop.placement.code}", f"/serve/{shop.placement.code}"):
        for name in ("sku", "url", "sub", "cid", "imp"):
            for label in ("word", "huge"):
                response = anonymous.get(url, {"sku": "SKU-1", name: BAD[label]})
                if response.status_code >= 500:
                    wrong.append(f"{url}?{name}={label}: {response.status_code}")
    assert wrong == []
