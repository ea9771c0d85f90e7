"""Exchange rates (issue 17): the ``fx_rates`` import (all or nothing, errors by line and
column, also ``import_data``), the rate of a day (or its inverse, never a nearby day), and the
scheduled fetch, off by default and fed a stub here (tests never touch the network)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from apps.core.import_runner import run_import
from apps.core.money import CurrencyMismatchError, Money
from apps.fx.errors import FxRateMissingError
from apps.fx.models import FxRate
from apps.fx.selectors import fx_rate_on
from apps.fx.services import fx_convert, fx_rates_fetch
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantFactory
from tests.fx.factories import FxRateFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def load(tenant, body, **kwargs):
    return run_import(
        "fx_rates",
        filename="rates.csv",
        content=("date,base,quote,rate\n" + body).encode(),
        tenant=tenant,
        **kwargs,
    )


def test_money_refuses_to_add_two_currencies_and_converts_half_up():
    assert Money(Decimal("1.10"), "usd") + Money(Decimal("2.05"), "USD") == Money(
        Decimal("3.15"), "USD"
    )
    with pytest.raises(CurrencyMismatchError, match="USD and CNY"):
        Money(Decimal("1"), "USD") + Money(Decimal("1"), "CNY")
    with pytest.raises(CurrencyMismatchError):
        Money(Decimal("1"), "USD") < Money(Decimal("1"), "CNY")  # noqa: B015
    converted = Money(Decimal("0.07"), "USD").converted(rate=Decimal("7.2"), to="CNY")
    assert converted == Money(Decimal("0.50"), "CNY")  # 0.504 half-up
    assert Money(Decimal("100.00"), "USD").converted(rate=Decimal("7.2"), to="CNY").amount == (
        Decimal("720.00")
    )
    with pytest.raises(ValueError, match="above 0"):
        Money(Decimal("1"), "USD").converted(rate=Decimal("0"), to="CNY")


def test_import_stores_rates_and_a_second_run_changes_nothing(tenant):
    body = "2026-03-02,USD,CNY,7.2\n2026-03-02,eur,cny,7.81234567\n"
    report = load(tenant, body)
    assert report.errors == []
    assert report.counts == {"rates created": 2}
    assert fx_rate_on(day=DAY, base="USD", quote="CNY") == Decimal("7.20000000")
    assert fx_rate_on(day=DAY, base="EUR", quote="CNY") == Decimal("7.81234567")
    again = load(tenant, body.replace("7.2\n", "7.3\n"))
    assert again.counts == {"rates unchanged": 1, "rates updated": 1}
    rate = FxRate.objects.get(base="USD")
    assert rate.rate == Decimal("7.3")
    assert [h.rate for h in rate.history.order_by("history_id")] == [Decimal("7.2"), Decimal("7.3")]


def test_a_bad_row_imports_nothing_and_names_line_and_column(tenant):
    body = (
        "2026-03-02,USD,CNY,7.2\n"
        "2026-02-30,USD,CNY,7.2\n"
        "2026-03-03,US,CNY,0\n"
        "2026-03-04,USD,USD,1.123456789\n"
        "2026-03-02,USD,CNY,7.25\n"
    )
    report = load(tenant, body)
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "date"), (4, "base"), (4, "rate"), (5, "quote"), (5, "rate"), (6, "date"),
    ]  # fmt: skip
    assert "more than 8 decimals" in str(report.errors[4])
    assert "already on line 2" in str(report.errors[5])
    assert FxRate.objects.count() == 0


@pytest.mark.unscoped
def test_import_data_command_takes_fx_rates(tenant, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n2026-03-02,USD,CNY,7.2000\n")
    out = io.StringIO()
    call_command("import_data", "fx_rates", str(path), tenant=tenant.slug, stdout=out)
    with tenant_scope(tenant):
        assert FxRate.objects.get().rate == Decimal("7.2")


def test_the_rate_of_the_day_its_inverse_and_never_a_nearby_day(tenant):
    FxRateFactory(tenant=tenant, day=DAY, base="CNY", quote="USD", rate=Decimal("0.125"))
    assert fx_rate_on(day=DAY, base="USD", quote="CNY") == Decimal("8.00000000")
    assert fx_rate_on(day=DAY, base="CNY", quote="CNY") == Decimal(1)
    assert fx_rate_on(day=DAY + datetime.timedelta(days=1), base="USD", quote="CNY") is None
    with pytest.raises(FxRateMissingError) as caught:
        fx_convert(Money(Decimal("1.00"), "USD"), day=DAY - datetime.timedelta(days=1), to="CNY")
    assert caught.value.fields == {"currency": [caught.value.message]}
    assert "2026-03-01" in caught.value.message


ECB = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-03-02"><Cube currency="USD" rate="1.0850"/>
<Cube currency="CNY" rate="7.8120"/></Cube></Cube></gesmes:Envelope>"""


def test_the_scheduled_fetch_is_off_by_default_and_crosses_ecb_rates(tenant):
    MerchantFactory(tenant=tenant, currency="USD")
    calls = []

    def fetch(url):
        calls.append(url)
        return ECB

    assert fx_rates_fetch(day=DAY, fetch=fetch) == {"skipped": "FX_RATES_PROVIDER is off"}
    assert calls == []
    with override_settings(FX_RATES_PROVIDER="ecb"):
        assert fx_rates_fetch(day=DAY, fetch=fetch) == {"stored": 1, "missing": []}
    # 1 USD = 7.8120 / 1.0850 CNY
    assert fx_rate_on(day=DAY, base="USD", quote="CNY") == Decimal("7.20000000")
    assert FxRate.objects.get().source == "provider"


def test_an_xlsx_file_imports_the_same_and_a_formula_is_text(tenant):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["date", "base", "quote", "rate"])
    sheet.append(["2026-03-02", "USD", "CNY", "7.2000"])
    sheet.append(["2026-03-03", "USD", "CNY", "=7.2*1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run_import("fx_rates", filename="rates.xlsx", content=buffer.getvalue(), tenant=tenant)
    assert [(e.line, e.column) for e in report.errors] == [(3, "rate")]
    assert FxRate.objects.count() == 0
