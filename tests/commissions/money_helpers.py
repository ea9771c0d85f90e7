"""Builders for the money tests: conversions on one placement, rules, accounts."""

import datetime
from decimal import Decimal

from apps.commissions.models import AccountKind, LedgerEntry
from apps.tenants.scope import current_tenant
from tests.campaigns.factories import ProductFactory
from tests.commissions.factories import CommissionRuleFactory
from tests.tracking.factories import ClickFactory, ConversionFactory, ConversionItemFactory

DAY = datetime.date(2026, 3, 2)


def conversion(placement, *, merchant=None, type="order", amount=Decimal("200.00"), items=(),
               customer_type="new", day=DAY, product=None, **kwargs):  # fmt: skip
    """A conversion attributed to ``placement``; ``items`` is [(product_type, amount), ...]."""
    product = product or ProductFactory(
        tenant=placement.tenant, **({"merchant": merchant} if merchant else {})
    )
    click = ClickFactory(tenant=placement.tenant, placement=placement, product=product)
    conv = ConversionFactory(
        tenant=placement.tenant,
        click=click,
        type=type,
        amount=amount,
        customer_type=customer_type if type == "order" else "",
        day=day,
        **kwargs,
    )
    for product_type, item_amount in items:
        ConversionItemFactory(
            tenant=placement.tenant, conversion=conv, product_type=product_type, amount=item_amount
        )
    return conv


def rule(**kwargs):
    kwargs.setdefault("tenant", current_tenant())
    kwargs.setdefault("valid_from", datetime.date(2026, 1, 1))
    if "value" in kwargs:
        kwargs["value"] = Decimal(str(kwargs["value"]))
    return CommissionRuleFactory(**kwargs)


def balances(affiliate):
    """(pending, payable) of one webmaster, from the legs."""
    out = {}
    for kind in (AccountKind.WEBMASTER_PENDING, AccountKind.WEBMASTER_PAYABLE):
        legs = LedgerEntry.objects.filter(account__kind=kind, account__affiliate=affiliate)
        out[kind] = sum((e.amount for e in legs), Decimal("0.00"))
    return out[AccountKind.WEBMASTER_PENDING], out[AccountKind.WEBMASTER_PAYABLE]
