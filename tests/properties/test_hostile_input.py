"""Hostile input (issue 8): every bad file, body and URL gets a clear 4xx or row error, never
a 500, and nothing is half-written."""

import io
import json
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.affiliates.models import Affiliate
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, Conversion
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import ProductFactory
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "email,name,kind,site_url,site_name,site_category,placement_code,position,"
    "daily_guarantee,click_rate,contract_start,contract_end,bd_owner_email\n"
)
GOOD = "ok@example.net,Ok,webmaster,https://ok.example/,Ok,deals,,sidebar,500,0.10,2026-01-01,,\n"
BAD_ROWS = [
    "not-an-email,A,webmaster,https://a.example/,A,deals,,sidebar,500,0.10,2026-01-01,,\n",
    "b@example.net,B,wizard,https://b.example/,B,deals,,sidebar,500,0.10,2026-01-01,,\n",
    "c@example.net,C,webmaster,https://c.example/,C,deals,,upside_down,500,0.10,2026-01-01,,\n",
    "d@example.net,D,webmaster,https://d.example/,D,deals,,sidebar,-5,0.10,2026-01-01,,\n",
    "e@example.net,E,webmaster,https://e.example/,E,deals,,sidebar,500,ten,2026-01-01,,\n",
    "f@example.net,F,webmaster,https://f.example/,F,deals,,sidebar,500,0.10,01/13/2026,,\n",
    "g@example.net,G,webmaster,https://g.example/,G,deals,,sidebar,500,0.10,2026-05-01,2026-01-01,\n",
    "h@example.net,H,webmaster,not a url,H,deals,,sidebar,500,0.10,2026-01-01,,\n",
]


def _import(tenant, path: Path) -> str:
    """The command's whole report (row errors are printed, the summary raised)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_data", "affiliates", str(path), tenant=tenant.slug, stdout=out, stderr=err
        )
    return out.getvalue() + err.getvalue() + str(refused.value)


def _affiliates(tenant) -> int:
    with tenant_scope(tenant):
        return Affiliate.objects.count()


def test_every_kind_of_bad_row_is_reported_by_line_and_nothing_is_imported(tenant, tmp_path):
    path = tmp_path / "webmasters.csv"
    path.write_text(HEADER + GOOD + "".join(BAD_ROWS))
    message = _import(tenant, path)
    # every bad line (3 to 10: the header is line 1, the good row line 2) is named
    for line in range(3, 3 + len(BAD_ROWS)):
        assert f"line {line}" in message, (line, message)
    assert "line 2" not in message
    assert _affiliates(tenant) == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf16.csv", (HEADER + GOOD).encode("utf-16")),
        ("latin1.csv", (HEADER + GOOD.replace("Ok,", "Ökø\xff,")).encode("latin-1")),
        ("broken.xlsx", b"PK\x03\x04 this is not a workbook"),
        ("binary.csv", bytes(range(256)) * 40),
        ("empty.csv", b""),
        ("header_only.csv", HEADER.encode()),
        ("missing_columns.csv", b"email,name\nx@example.net,X\n"),
    ],
)
def test_unreadable_files_are_refused_clearly_and_nothing_is_imported(
    tenant, tmp_path, name, content
):
    path = tmp_path / name
    path.write_bytes(content)
    message = None
    try:  # a header-only file may "import" nothing; everything else must be refused
        call_command("import_data", "affiliates", str(path), tenant=tenant.slug)
    except CommandError as refused:
        message = str(refused)
    if name != "header_only.csv":
        assert message, f"{name} was accepted"
    assert _affiliates(tenant) == 0


def test_spreadsheet_formulas_are_imported_as_plain_text(tenant, tmp_path):
    path = tmp_path / "formula.csv"
    formula = '=HYPERLINK("http://evil.example","click")'
    path.write_text(HEADER + GOOD.replace(",Ok,", ',"' + formula.replace('"', '""') + '",', 1))
    call_command("import_data", "affiliates", str(path), tenant=tenant.slug)
    assert Affiliate.objects.get().name == formula


def test_a_large_file_imports_or_is_refused_without_a_crash(tenant, tmp_path):
    path = tmp_path / "large.csv"
    rows = "".join(
        f"wm{i}@example.net,W{i},webmaster,https://w{i}.example/,W,deals,,sidebar,"
        f"-1,0.10,2026-01-01,,\n"
        for i in range(20_000)
    )
    path.write_text(HEADER + rows)
    message = _import(tenant, path)  # every row has a negative guarantee
    assert "line 2" in message
    assert _affiliates(tenant) == 0


# --- the conversions API ---------------------------------------------------------------


@pytest.fixture
def merchant_api(tenant):
    product = ProductFactory(tenant=tenant)
    click = ClickFactory(tenant=tenant, product=product, merchant=product.merchant)
    return client_for(tenant), bearer(issue_key(product.merchant)), click


def _post(client, auth, body, *, raw=False):
    data = body if raw else json.dumps(body)
    return client.post("/api/v1/conversions", data, content_type="application/json", **auth)


def _event(click_id, **extra):
    return {
        "type": "order",
        "external_id": extra.pop("external_id", uuid.uuid4().hex),
        "click_id": str(click_id),
        "occurred_at": "2026-03-02T12:00:00+08:00",
        "amount": "10.00",
        **extra,
    }


def _conversions(tenant) -> int:
    with tenant_scope(tenant):
        return Conversion.objects.count()


def test_a_batch_of_1001_events_is_refused_whole(tenant, merchant_api):
    client, auth, click = merchant_api
    response = _post(client, auth, {"events": [_event(click.click_id) for _ in range(1001)]})
    assert response.status_code == 400
    assert _conversions(tenant) == 0


@pytest.mark.parametrize(
    "body",
    ['{"events": [', "null", "[]", '"events"', '{"events": "all"}', "\x00\xff", "{" * 5000],
)
def test_malformed_bodies_are_400(tenant, merchant_api, body):
    client, auth, _click = merchant_api
    response = _post(client, auth, body, raw=True)
    assert response.status_code == 400
    assert "code" in response.json()
    assert _conversions(tenant) == 0


def test_bad_events_are_rejected_one_by_one_and_good_ones_counted(
    tenant, other_tenant, merchant_api
):
    client, auth, click = merchant_api
    foreign = ClickFactory(tenant=other_tenant)
    events = [
        _event(click.click_id, external_id="good-1"),
        _event(click.click_id, external_id="neg", amount="-10.00"),
        _event(uuid.uuid4(), external_id="unknown-click"),
        _event(foreign.click_id, external_id="other-tenant"),
        _event("not-a-uuid", external_id="bad-click"),
        _event(click.click_id, external_id="bad-amount", amount="12.345"),
        _event(click.click_id, external_id="bad-type", type="refund"),
    ]
    response = _post(client, auth, {"events": events})
    assert response.status_code in (200, 201, 207)
    results = {item["external_id"]: item["status"] for item in response.json()["results"]}
    assert results["good-1"] == "created"
    for name in ("neg", "unknown-click", "other-tenant", "bad-click", "bad-amount", "bad-type"):
        assert results[name] == "rejected", name
    assert _conversions(tenant) == 1
    assert _conversions(other_tenant) == 0


# --- tracking URLs ---------------------------------------------------------------------


ODD_CODES = [
    "A" * 5000,
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3E",
    "%E7%A0%81",
    "code%20with%20spaces",
    "'%20OR%201=1--",
]


@pytest.mark.parametrize("code", ODD_CODES)
def test_odd_placement_codes_are_4xx_and_record_nothing(tenant, code):
    # A NUL anywhere is a 400 (issue 22); any other odd code is an unknown placement.
    expected = 400 if "%00" in code else 404
    client = client_for(tenant)
    for path in (f"/c/{code}?sku=x", f"/serve/{code}"):
        assert client.get(path).status_code == expected, path
    assert Click.objects.count() == 0


def test_a_nul_in_a_placement_code_is_400_and_records_nothing(tenant):
    # issue 22: a NUL anywhere in the path or query string is a 400, before the view
    client = client_for(tenant)
    for path in ("/c/%00?sku=x", "/serve/%00"):
        assert client.get(path).status_code == 400, path
    assert Click.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "sku=" + "S" * 5000,
        "sku=x&sub=" + "s" * 65,
        "url=javascript:alert(1)",
        "url=//evil.example/",
        "url=https://evil.example/",
        "url=http://%00/",
        "sku=",
    ],
)
def test_odd_click_parameters_are_4xx_and_record_nothing(tenant, query):
    placement = PlacementFactory(tenant=tenant)
    ProductFactory(tenant=tenant, sku="x")
    response = client_for(tenant).get(f"/c/{placement.code}?{query}")
    assert 400 <= response.status_code < 500, (query, response.status_code)
    assert Click.objects.count() == 0


@pytest.mark.parametrize("click_id", ["", "not-a-uuid", "A" * 5000, "%00"])
def test_odd_landing_pixels_never_fail(tenant, click_id):
    response = client_for(tenant).get(f"/px/land?click_id={click_id}")
    assert response.status_code < 500
