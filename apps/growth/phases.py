"""Performance per campaign phase (issue 18): each phase judged on its own days, budget and
target ROI, from the roll-ups, with the day its spend began (a compensation window on a phase
starts there, as the seeds have it for a plan)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Sum
from django.db.models.functions import Coalesce

from apps.campaigns.models import Campaign, PhaseKind
from apps.campaigns.services.phases import phase_terms
from apps.core.money import attainment, roi
from apps.tenants.clock import tenant_today
from apps.tracking.models import CampaignDayStats

_MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0.00")


def campaign_phase_performance(
    *, campaign: Campaign, today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """One row per phase, in day order: its terms, spend, GMV, ROI and attainment over its
    days, the first day it spent, and whether it is ``upcoming``, ``in_force`` or ``over`` on
    ``today`` (tenant-local). One grouped read of the plan's roll-ups."""
    phases = phase_terms(campaign)
    if not phases:
        return []
    today = today or tenant_today()
    rows = (
        CampaignDayStats.objects.filter(
            campaign=campaign, day__gte=phases[0].first_day, day__lte=phases[-1].last_day
        )
        .values("day")
        .annotate(
            spend=Coalesce(Sum("spend"), ZERO, output_field=_MONEY),
            gmv=Coalesce(Sum("gmv"), ZERO, output_field=_MONEY),
        )
        .order_by("day")
    )
    days = {row["day"]: (row["spend"], row["gmv"]) for row in rows}
    answer = []
    for phase in phases:
        inside = [(d, s, g) for d, (s, g) in days.items() if phase.first_day <= d <= phase.last_day]
        spend = sum((s for _, s, _ in inside), ZERO)
        gmv = sum((g for _, _, g in inside), ZERO)
        target = phase.target_roi if phase.target_roi is not None else campaign.target_roi
        first_spend = min((d for d, s, _ in inside if s > 0), default=None)
        if today < phase.first_day:
            state = "upcoming"
        elif today <= phase.last_day:
            state = "in_force"
        else:
            state = "over"
        answer.append(
            {
                "phase": phase,
                "label": PhaseKind(phase.kind).label,
                "state": state,
                "spend": spend,
                "gmv": gmv,
                "roi": roi(gmv=gmv, spend=spend),
                "target_roi": target,
                "attainment": attainment(gmv=gmv, spend=spend, target_roi=target),
                "first_spend_on": first_spend,
            }
        )
    return answer
