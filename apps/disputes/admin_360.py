"""The 360 pages' disputes and claims (issue 14). One query each."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from apps.core.admin_home import Panel, register_profile_section
from apps.core.display import format_day, format_money
from apps.disputes.models import Claim, Dispute

ROWS = 6


def disputes_section(request: HttpRequest, affiliate) -> Panel:
    disputes = list(
        Dispute.objects.filter(affiliate=affiliate)
        .select_related("merchant")
        .order_by("-created_at")[:ROWS]
    )
    return Panel(
        id="disputes",
        title="Disputes",
        url=reverse("admin:disputes_dispute_changelist") + f"?q={affiliate.email}",
        columns=["Order", "Amount", "Status", "Filed"],
        rows=[
            {
                "cells": [
                    f"{d.merchant.name} · {d.order_reference}",
                    format_money(d.amount),
                    d.get_status_display(),
                    format_day(d.created_at),
                ],
                "url": reverse("admin:disputes_dispute_change", args=[d.pk]),
            }
            for d in disputes
        ],
        empty="No disputes.",
    )


def claims_section(request: HttpRequest, merchant) -> Panel:
    claims = list(
        Claim.objects.filter(merchant=merchant)
        .select_related("campaign")
        .order_by("-created_at")[:ROWS]
    )
    return Panel(
        id="claims",
        title="Compensation claims",
        url=reverse("admin:disputes_claim_changelist") + f"?q={merchant.code}",
        columns=["Plan", "Amount", "Status", "Filed"],
        rows=[
            {
                "cells": [
                    c.campaign.name,
                    format_money(
                        c.approved_amount if c.approved_amount is not None else c.computed_amount
                    ),
                    c.get_status_display(),
                    format_day(c.created_at),
                ],
                "url": reverse("admin:disputes_claim_change", args=[c.pk]),
            }
            for c in claims
        ],
        empty="No claims.",
    )


register_profile_section(
    "webmaster", 60, "disputes.disputes", "apps.disputes.admin_360.disputes_section"
)
register_profile_section(
    "merchant", 50, "disputes.claims", "apps.disputes.admin_360.claims_section"
)
