"""Reads on claims and disputes (all scoped to the active tenant by the managers)."""

from typing import Any

from django.db.models import QuerySet

from apps.campaigns.models import Campaign, CampaignType, Merchant, MerchantUser
from apps.disputes.models import Claim, ClaimEvidence, Dispute


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


def dispute_list(*, merchant: Merchant | None = None, affiliate: Any = None) -> QuerySet[Dispute]:
    queryset = Dispute.objects.select_related("merchant", "affiliate").order_by(
        "-created_at", "-id"
    )
    if merchant is not None:
        queryset = queryset.filter(merchant=merchant)
    if affiliate is not None:
        queryset = queryset.filter(affiliate=affiliate)
    return queryset
