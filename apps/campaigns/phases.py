"""Campaign phases (seed 002, issue 18): which phase of a plan is in force on a tenant-local
day, and so which daily budget and target ROI the plan runs at. Pure: the serving snapshot,
run_daily's spend, performance and claims all answer "what were the plan's terms on day D"
with ``terms_on``; SQL that cannot call Python (the roll-up's budget cap) joins the phase whose
``first_day <= D <= last_day`` (phases never overlap: ``campaign_phases_set``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PhaseTerms:
    kind: str
    first_day: datetime.date
    last_day: datetime.date
    daily_budget: Decimal
    target_roi: Decimal | None


@dataclass(frozen=True, slots=True)
class Terms:
    """A plan's terms on one day: its phase's, or its own when no phase is in force."""

    daily_budget: Decimal
    target_roi: Decimal | None
    phase: PhaseTerms | None = None


def phase_in_force(phases: Sequence[PhaseTerms], day: datetime.date) -> PhaseTerms | None:
    """The phase whose days include ``day`` (None between, before and after phases)."""
    for phase in phases:
        if phase.first_day <= day <= phase.last_day:
            return phase
    return None


def terms_on(
    *,
    daily_budget: Decimal,
    target_roi: Decimal | None,
    phases: Sequence[PhaseTerms],
    day: datetime.date,
) -> Terms:
    """The daily budget and target ROI a plan runs at on the tenant-local ``day``. A phase
    without a target ROI (a CPC phase) keeps the plan's."""
    phase = phase_in_force(phases, day)
    if phase is None:
        return Terms(daily_budget=daily_budget, target_roi=target_roi)
    return Terms(
        daily_budget=phase.daily_budget,
        target_roi=phase.target_roi if phase.target_roi is not None else target_roi,
        phase=phase,
    )
