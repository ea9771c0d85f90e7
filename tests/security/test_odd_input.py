"""No 500 on odd input (issue 22): every admin changelist filter and every partner API
parameter, tried with a NUL, a non-number and a huge number, through the real middleware.

One request per filter (or parameter) per bad-value class keeps it fast. NUL is refused by
``NulByteMiddleware`` before any view (400); the other values must give the admin's
"invalid filter" answer (a redirect to ``?e=1``) or a normal page, and the API's 400 JSON
naming the parameter, a 404, or a normal answer.
"""

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator

import tests
from apps.api.models import AFFILIATE_SCOPES, MERCHANT_SCOPES
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for, make_staff
from tests.tenancy.harness import ENDPOINT_CASES, MODEL_CASES

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


def test_every_admin_filter_with_bad_values_answers_without_500(tenant):
    # given tenant staff with every role, and each changelist's filters
    client = client_for(tenant, make_staff(tenant))
    answers: dict[str, list[str]] = {}
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
            scopes = MERCHANT_SCOPES if view.principal == "merchant" else AFFILIATE_SCOPES
            auth = bearer(issue_key(owner, scopes))
            return auth, reverse(case.url_name, kwargs=case.kwargs(mine))
        auth = self.merchant if view.principal == "merchant" else self.affiliate
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
