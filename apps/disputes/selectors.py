"""Reads on claims and disputes (all scoped to the active tenant by the managers)."""

import datetime
from typing import Any

from django.db.models import QuerySet

from apps.campaigns.models import Campaign, CampaignType, Merchant, MerchantUser
from apps.disputes.models import Claim, ClaimEvidence, Dispute, DisputeStatus
from apps.tenants.clock import day_window
from apps.tracking.models import Click


def claim_list(*, merchant: Merchant | None = None) -> QuerySet[Claim]:
    queryset = Claim.objects.select_related("campaign", "merchant").order_by("-created_at", "-id")
    if merchant is not None:
        queryset = queryset.filter(merchant=merchant)
    return queryset


def claimable_campaigns(*, merchant: Merchant) -> QuerySet[Campaign]:
    """The merchant's full-site plans that have started and have no claim yet (the claim form
    offers these; ``claim_quote`` says whether each may be filed now)."""
    return (
        Campaign.objects.filter(
            merchant=merchant, type=CampaignType.FULL_SITE, started_at__isnull=False
        )
        .exclude(claims__isnull=False)
        .order_by("-started_at", "-id")
    )


def evidence_for_download(*, evidence_id: int) -> ClaimEvidence | None:
    return ClaimEvidence.objects.select_related("claim").filter(pk=evidence_id).first()


def user_may_read_claim(*, user: Any, claim: Claim, staff_roles: frozenset[str]) -> bool:
    """The claim's merchant users and the tenant's staff (any role) may read a claim and its
    evidence; nobody else (issue 6)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if staff_roles:
        return True
    return MerchantUser.objects.filter(
        user=user, merchant_id=claim.merchant_id, is_active=True
    ).exists()


def dispute_list(
    *, merchant: Merchant | None = None, affiliate: Any = None, status: str = ""
) -> QuerySet[Dispute]:
    """Disputes, newest first, of ``merchant`` and/or ``affiliate`` if given; ``status`` (a
    ``DisputeStatus`` value) narrows them, anything else (a stray query string) is ignored."""
    queryset = Dispute.objects.select_related("merchant", "affiliate").order_by(
        "-created_at", "-id"
    )
    if merchant is not None:
        queryset = queryset.filter(merchant=merchant)
    if affiliate is not None:
        queryset = queryset.filter(affiliate=affiliate)
    if status in DisputeStatus.values:
        queryset = queryset.filter(status=status)
    return queryset


def dispute_merchant_choices(*, affiliate: Any, today: datetime.date) -> QuerySet[Merchant]:
    """The merchants a webmaster may file a missing-commission dispute against, by name
    (issue 15): the active merchants whose campaigns ran on the webmaster's placements, i.e.
    that got clicks from them, within the filing window (``DISPUTE_FILING_DAYS`` before
    ``today``, tenant-local). Read through the clicks' ``(tenant, affiliate, clicked_at)``
    index."""
    from apps.disputes.services.disputes import DISPUTE_FILING_DAYS

    since, _ = day_window(today - datetime.timedelta(days=DISPUTE_FILING_DAYS))
    sent_to = (
        Click.objects.filter(affiliate=affiliate, clicked_at__gte=since)
        .order_by()
        .values("merchant_id")
        .distinct()
    )
    return Merchant.objects.filter(is_active=True, pk__in=sent_to).order_by("name", "code")
