import datetime
from decimal import Decimal

import factory

from apps.sites.models import Contract, Placement, Site
from tests.affiliates.factories import AffiliateFactory
from tests.factories import TenantOwnedFactory


class SiteFactory(TenantOwnedFactory):
    class Meta:
        model = Site

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    url = factory.Sequence(lambda n: f"https://site{n}.example.org/")
    name = factory.Sequence(lambda n: f"Site {n}")
    category = "deals"
    status = "approved"


class PlacementFactory(TenantOwnedFactory):
    class Meta:
        model = Placement

    site = factory.SubFactory(SiteFactory, tenant=factory.SelfAttribute("..tenant"))
    code = factory.Sequence(lambda n: f"PL{n:05d}")
    position = "bottom_right"


class ContractFactory(TenantOwnedFactory):
    class Meta:
        model = Contract

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    daily_guarantee = Decimal("500.00")
    click_rate = Decimal("0.1000")
    starts_on = datetime.date(2026, 1, 1)
