"""Demo data: claims and disputes. Idempotent; runs inside the demo tenant's scope.

Claims: every full-site plan that may be claimed today gets a claim (7-day window); the first
is approved by a risk (or any) staff member, so both states can be seen. Plans that are not
eligible (e.g. their product was not tagged when they started) are skipped, with the reason
logged. Disputes: the demo webmaster disputes one order tracking recorded and one it did not,
so both evidence panels can be seen; the first is accepted if a commission rule matches.
A rerun finds everything in place and changes nothing.
"""

import contextlib
import datetime
from decimal import Decimal
from typing import Any

from apps.affiliates.models import Affiliate
from apps.campaigns.models import Campaign, CampaignType, MerchantUser
from apps.core.errors import DomainError
from apps.disputes.models import Claim, ClaimStatus, Dispute, DisputeStatus
from apps.disputes.services import (
    claim_decide,
    claim_quote,
    claim_submit,
    dispute_decide,
    dispute_file,
)
from apps.tenants.clock import tenant_today
from apps.tenants.models import Membership, Role
from apps.tracking.models import Conversion, ConversionType

WEBMASTER_LOGIN = "webmaster@demo.localhost"
MERCHANT_LOGIN = "merchant@demo.localhost"
MISSING_REFERENCE = "DEMO-NOT-TRACKED-1"


def _reviewer() -> Any:
    membership = (
        Membership.objects.filter(is_active=True, role=Role.RISK).select_related("user").first()
        or Membership.objects.filter(is_active=True).select_related("user").first()
    )
    return membership.user if membership else None


def _claims(reviewer: Any, log: Any) -> None:
    plans = Campaign.objects.filter(type=CampaignType.FULL_SITE, started_at__isnull=False)
    filed = 0
    # The demo merchant login's own plans are left for that merchant to claim in the portal.
    own = MerchantUser.objects.filter(user__email=MERCHANT_LOGIN).values("merchant_id")
    for plan in plans.exclude(claims__isnull=False).exclude(merchant_id__in=own).order_by("pk"):
        quote = claim_quote(campaign=plan, window_days=7)
        if not quote.is_eligible:
            log(f"Claims: {plan.name} skipped ({quote.refusal_code})")
            continue
        claim_submit(campaign=plan, window_days=7, note="Demo: ROI below target.")
        filed += 1
    first = Claim.objects.order_by("pk").first()
    if first is not None and reviewer is not None and first.status == ClaimStatus.SUBMITTED:
        with contextlib.suppress(DomainError):
            claim_decide(claim=first, decision="approve", actor=reviewer)
    log(f"Claims: {filed} filed, {Claim.objects.count()} in all")


def _disputes(reviewer: Any, log: Any) -> None:
    affiliate = Affiliate.objects.filter(email=WEBMASTER_LOGIN).first()
    order = Conversion.objects.filter(type=ConversionType.ORDER).order_by("-occurred_at").first()
    if affiliate is None or order is None:
        log("Disputes: no demo webmaster or no orders, skipped")
        return
    today = tenant_today(affiliate.tenant)
    cases = [
        (order.external_id, order.day, order.amount or Decimal("100.00")),
        (MISSING_REFERENCE, today - datetime.timedelta(days=3), Decimal("259.00")),
    ]
    filed = 0
    for reference, day, amount in cases:
        if Dispute.objects.filter(
            affiliate=affiliate, merchant=order.merchant, order_reference=reference
        ).exists():
            continue
        with contextlib.suppress(DomainError):
            dispute_file(
                affiliate=affiliate,
                merchant=order.merchant,
                order_reference=reference,
                order_date=day,
                amount=amount,
                note="Demo: the customer sent us the receipt.",
            )
            filed += 1
    first = Dispute.objects.filter(affiliate=affiliate).order_by("pk").first()
    if first is not None and reviewer is not None and first.status == DisputeStatus.SUBMITTED:
        with contextlib.suppress(DomainError):
            dispute_decide(dispute=first, accept=True, actor=reviewer)
    log(f"Disputes: {filed} filed, {Dispute.objects.count()} in all")


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    reviewer = _reviewer()
    _claims(reviewer, log)
    _disputes(reviewer, log)
