"""Risk's home: merchant claims and webmaster disputes waiting for a decision, oldest first,
with their age (issue 14). Four queries."""

from __future__ import annotations

from django.db.models import Count, Min
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apps.core.admin_home import Figure, Panel, register_home_panel
from apps.core.display import format_count, format_money
from apps.disputes.models import Claim, ClaimStatus, Dispute, DisputeStatus

ROWS = 4


def _age(created) -> str:
    days = (timezone.now() - created).days
    return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"


def waiting_panel(request: HttpRequest) -> Panel:
    tenant = request.tenant  # type: ignore[attr-defined]
    claims = Claim.objects.filter(tenant=tenant, status=ClaimStatus.SUBMITTED)
    disputes = Dispute.objects.filter(tenant=tenant, status=DisputeStatus.SUBMITTED)
    claim_totals = claims.aggregate(count=Count("id"), oldest=Min("created_at"))
    dispute_totals = disputes.aggregate(count=Count("id"), oldest=Min("created_at"))
    claim_url = (
        reverse("admin:disputes_claim_changelist")
        + "?"
        + urlencode({"status__exact": ClaimStatus.SUBMITTED})
    )
    dispute_url = (
        reverse("admin:disputes_dispute_changelist")
        + "?"
        + urlencode({"status__exact": DisputeStatus.SUBMITTED})
    )
    rows = [
        {
            "cells": [
                f"Claim #{c.pk} · {c.merchant.name}",
                format_money(c.computed_amount),
                _age(c.created_at),
            ],
            "url": reverse("admin:disputes_claim_change", args=[c.pk]),
            "bar": None,
        }
        for c in claims.select_related("merchant").order_by("created_at", "pk")[:ROWS]
    ]
    rows += [
        {
            "cells": [
                f"Dispute #{d.pk} · {d.affiliate.name}",
                format_money(d.amount),
                _age(d.created_at),
            ],
            "url": reverse("admin:disputes_dispute_change", args=[d.pk]),
            "bar": None,
        }
        for d in disputes.select_related("affiliate").order_by("created_at", "pk")[:ROWS]
    ]
    return Panel(
        id="waiting",
        title="Claims and disputes waiting",
        figures=[
            Figure(
                "Claims waiting",
                format_count(claim_totals["count"]),
                claim_url,
                hint=f"oldest {_age(claim_totals['oldest'])}" if claim_totals["oldest"] else "",
                tone="warn" if claim_totals["count"] else "",
            ),
            Figure(
                "Disputes waiting",
                format_count(dispute_totals["count"]),
                dispute_url,
                hint=f"oldest {_age(dispute_totals['oldest'])}" if dispute_totals["oldest"] else "",
                tone="warn" if dispute_totals["count"] else "",
            ),
        ],
        columns=["Oldest first", "Amount", "Waiting"],
        rows=rows,
        empty="Nothing is waiting for a decision.",
    )


register_home_panel("risk", 30, "disputes.waiting", "apps.disputes.admin_home.waiting_panel")
