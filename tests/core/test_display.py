"""Money, counts, shares, ROI and times as people read them (issue 14)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.template import Context, Template

from apps.core import display

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_money_has_separators_two_places_and_the_currency():
    assert display.format_money(Decimal("14000"), "CNY") == "14,000.00 CNY"
    assert display.format_money(Decimal("-25.005"), "EUR") == "-25.01 EUR"
    assert display.format_money(None, "CNY") == display.EMPTY


def test_money_takes_the_active_tenants_currency(tenant):
    tenant.currency = "EUR"
    tenant.save(update_fields=["currency"])
    assert display.format_money(Decimal("1234567.5")) == "1,234,567.50 EUR"


def test_shares_and_roi_to_sensible_places():
    assert display.format_percent(Decimal("0.12345")) == "12.3%"
    assert display.format_share(1, 3) == "33.3%"
    assert display.format_share(1, 0) == display.EMPTY
    # the one ROI rule: GMV / spend, two places half-up, none without spend
    assert display.format_roi_of(Decimal("1000"), Decimal("300")) == "3.33"
    assert display.format_roi_of(Decimal("1000"), Decimal("0")) == display.EMPTY


def test_times_are_in_the_tenants_zone_with_the_zone_named(tenant):
    moment = datetime.datetime(2026, 11, 3, 6, 5, tzinfo=datetime.UTC)
    # Asia/Shanghai
    assert display.format_datetime(moment) == "2026-11-03 14:05 UTC+8"
    assert display.format_day(datetime.datetime(2026, 11, 3, 17, tzinfo=datetime.UTC)) == (
        "2026-11-04"
    )
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    assert display.format_datetime(moment, kolkata) == "2026-11-03 11:35 UTC+5:30"


def test_periods_are_named_for_people():
    assert display.format_period("2026-11") == "November 2026"


def test_template_filters(tenant):
    template = Template(
        "{% load alliance_format %}{{ a|money }}|{{ n|count }}|{{ r|percent }}|"
        "{{ g|roi_of:s }}|{{ t|when }}|{{ p|period }}"
    )
    context = Context(
        {
            "a": Decimal("14000"),
            "n": 1234567,
            "r": Decimal("0.5"),
            "g": Decimal("10"),
            "s": Decimal("4"),
            "t": datetime.datetime(2026, 11, 3, 6, 5, tzinfo=datetime.UTC),
            "p": "2026-11",
        }
    )
    assert template.render(context) == (
        "14,000.00 CNY|1,234,567|50.0%|2.50|2026-11-03 14:05 UTC+8|November 2026"
    )
