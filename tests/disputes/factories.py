import datetime
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from apps.disputes.models import Claim, ClaimEvidence, Dispute
from apps.tenants.scope import tenant_scope
from apps.tracking.models import CampaignDayStats
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import CampaignFactory, MerchantFactory
from tests.factories import TenantOwnedFactory

#: The eligible plan of the tests: it started and first spent on this tenant-local day.
START = datetime.date(2026, 3, 1)


class FullSitePlanFactory(CampaignFactory):
    """A full-site plan whose product was tagged and whose target ROI was a tier at start."""

    type = "full_site"
    bid = None
    target_roi = Decimal("3.00")
    starts_at = factory.LazyFunction(lambda: datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))
    started_at = factory.SelfAttribute("starts_at")
    product_was_tagged = True
    roi_tiers_at_start = factory.LazyFunction(lambda: ["2.00", "3.00", "4.00"])
    target_roi_was_tier = True


class ClaimFactory(TenantOwnedFactory):
    class Meta:
        model = Claim

    campaign = factory.SubFactory(FullSitePlanFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SelfAttribute("campaign.merchant")
    window_days = 7
    window_start = START
    window_end = START + datetime.timedelta(days=6)
    spend = Decimal("10000.00")
    gmv = Decimal("25000.00")
    target_roi = Decimal("3.00")
    computed_amount = Decimal("1666.67")


class ClaimEvidenceFactory(TenantOwnedFactory):
    class Meta:
        model = ClaimEvidence

    claim = factory.SubFactory(ClaimFactory, tenant=factory.SelfAttribute("..tenant"))
    original_name = "invoice.txt"
    content_type = "text/plain"
    size = 5
    file = factory.LazyFunction(lambda: ContentFile(b"hello", name="invoice.txt"))


class DisputeFactory(TenantOwnedFactory):
    class Meta:
        model = Dispute

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    order_reference = factory.Sequence(lambda n: f"ORD-D{n:05d}")
    order_date = datetime.date(2026, 3, 2)
    amount = Decimal("300.00")
    evidence = factory.LazyFunction(lambda: {"clicks": {"count": 0}, "order": {"found": False}})


def spend_days(plan, rows):
    """``rows`` = [(day, spend, gmv)]: the plan's daily roll-up, as tracking writes it."""
    with tenant_scope(plan.tenant):
        for day, spend, gmv in rows:
            CampaignDayStats.objects.create(
                tenant=plan.tenant,
                campaign=plan,
                merchant=plan.merchant,
                day=day,
                spend=Decimal(spend),
                gmv=Decimal(gmv),
            )


def spread(plan, *, spend, gmv, days=7, start=START):
    """Spend and GMV spread evenly over ``days`` days from ``start`` (the last day takes the
    remainder so the totals are exact)."""
    spend, gmv = Decimal(spend), Decimal(gmv)
    per_spend = (spend / days).quantize(Decimal("0.01"))
    per_gmv = (gmv / days).quantize(Decimal("0.01"))
    rows = []
    for i in range(days):
        last = i == days - 1
        rows.append(
            (
                start + datetime.timedelta(days=i),
                spend - per_spend * (days - 1) if last else per_spend,
                gmv - per_gmv * (days - 1) if last else per_gmv,
            )
        )
    spend_days(plan, rows)
