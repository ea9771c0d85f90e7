"""Writes a plan's phases (issue 18): pre-heat, burst and steady stretches of days, each with
its own daily budget and target ROI."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from apps.campaigns.errors import CampaignError
from apps.campaigns.models import Campaign, CampaignPhase, CampaignStatus, CampaignType, PhaseKind
from apps.campaigns.phases import PhaseTerms
from apps.tenants.clock import local_day, tenant_today
from apps.tenants.live import live_state_changed

PHASED_TYPES = {CampaignType.FULL_SITE, CampaignType.CPC}
MAX_PHASES = 20
_FROZEN = ("kind", "first_day", "daily_budget", "target_roi")


def phase_terms(campaign: Campaign) -> list[PhaseTerms]:
    """The plan's phases as pure terms, in day order."""
    return [
        PhaseTerms(p.kind, p.first_day, p.last_day, p.daily_budget, p.target_roi)
        for p in CampaignPhase.objects.filter(campaign=campaign).order_by("first_day")
    ]


def _refuse(message: str) -> CampaignError:
    return CampaignError(message, code=CampaignError.INVALID, field="phases")


def _parse(index: int, raw: Mapping[str, Any], campaign: Campaign) -> dict[str, Any]:
    label = f"Phase {index + 1}"
    kind = raw.get("kind")
    if kind not in PhaseKind.values:
        raise _refuse(f"{label}: the kind must be one of {', '.join(PhaseKind.values)}.")
    try:
        first = raw["first_day"]
        last = raw["last_day"]
        first = first if isinstance(first, datetime.date) else datetime.date.fromisoformat(first)
        last = last if isinstance(last, datetime.date) else datetime.date.fromisoformat(last)
    except (KeyError, TypeError, ValueError):
        raise _refuse(f"{label}: give its first and last day as YYYY-MM-DD.") from None
    if last < first:
        raise _refuse(f"{label}: its last day {last} is before its first day {first}.")
    try:
        budget = Decimal(str(raw.get("daily_budget", ""))).quantize(Decimal("0.01"))
        if not budget.is_finite() or budget < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise _refuse(f"{label}: the daily budget must be an amount of 0 or more.") from None
    target = raw.get("target_roi")
    if target in (None, ""):
        target = None
    else:
        try:
            target = Decimal(str(target)).quantize(Decimal("0.01"))
            if not target.is_finite() or target <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise _refuse(f"{label}: the target ROI must be above 0, such as 3.5.") from None
    if campaign.type == CampaignType.FULL_SITE and target is None:
        raise _refuse(f"{label}: a full-site plan's phase needs a target ROI.")
    return {"kind": kind, "first_day": first, "last_day": last, "daily_budget": budget,
            "target_roi": target}  # fmt: skip


def campaign_phases_set(
    *,
    campaign: Campaign,
    phases: Sequence[Mapping[str, Any]],
    today: datetime.date | None = None,
) -> list[CampaignPhase]:
    """Replace a full-site or CPC plan's phases with ``phases`` (each ``kind``, ``first_day``,
    ``last_day``, ``daily_budget``, ``target_roi``; days are tenant-local, inclusive).

    Rules: at most 20 phases, none overlapping, each inside the plan's schedule; a full-site
    phase has a target ROI. History is not rewritten: a phase that began before today keeps its
    kind, first day, budget and target (what spend was capped at and claims are judged on),
    and its last day can move only to yesterday or later; new phases start today or later.
    Refusals are ``CampaignError`` naming ``phases``. The serving snapshot reloads on commit
    (``live_state_changed``): a phase starting at midnight needs no write then."""
    today = today or tenant_today()
    if campaign.type not in PHASED_TYPES:
        raise _refuse("Only full-site and CPC plans have phases.")
    if campaign.status == CampaignStatus.ENDED:
        raise CampaignError("The plan has ended; its phases are history.",
                            code=CampaignError.ENDED, field="phases")  # fmt: skip
    if len(phases) > MAX_PHASES:
        raise _refuse(f"A plan has at most {MAX_PHASES} phases.")
    wanted = sorted(
        (_parse(i, raw, campaign) for i, raw in enumerate(phases)), key=lambda p: p["first_day"]
    )
    _check_apart(wanted)
    _check_inside_schedule(wanted, campaign)
    with transaction.atomic():
        Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign.pk).first()
        existing = {p.first_day: p for p in CampaignPhase.objects.filter(campaign=campaign)}
        _check_history_kept(existing, wanted, today)
        by_start = {p["first_day"] for p in wanted}
        for start, phase in existing.items():
            if start not in by_start:
                phase.delete()
        saved = [
            _phase_save(campaign, existing.get(values["first_day"]), values) for values in wanted
        ]
        live_state_changed()
    return saved


def _check_apart(wanted: list[dict[str, Any]]) -> None:
    """No two phases (sorted by first day) overlap."""
    for before, after in itertools.pairwise(wanted):
        if after["first_day"] <= before["last_day"]:
            raise _refuse(
                f"Phases overlap: {before['first_day']}..{before['last_day']} and "
                f"{after['first_day']}..{after['last_day']}."
            )


def _check_inside_schedule(wanted: list[dict[str, Any]], campaign: Campaign) -> None:
    """Every phase lies within the plan's days (an open-ended plan has no last day)."""
    first_allowed = local_day(campaign.starts_at)
    last_allowed = local_day(campaign.ends_at) if campaign.ends_at else None
    for phase in wanted:
        if phase["first_day"] < first_allowed or (
            last_allowed is not None and phase["last_day"] > last_allowed
        ):
            raise _refuse(
                f"The phase {phase['first_day']}..{phase['last_day']} is outside the plan's "
                f"days ({first_allowed}..{last_allowed or 'open-ended'})."
            )


def _check_history_kept(
    existing: dict[datetime.date, CampaignPhase],
    wanted: list[dict[str, Any]],
    today: datetime.date,
) -> None:
    """A phase that began before today keeps its frozen fields and ends yesterday or later;
    a new phase starts today or later."""
    by_start = {p["first_day"]: p for p in wanted}
    for start, phase in existing.items():
        if start >= today:
            continue
        kept = by_start.get(start)
        if kept is None or any(getattr(phase, name) != kept[name] for name in _FROZEN):
            raise _refuse(
                f"The phase that began on {start} has run: keep its kind, budget and target "
                "(its last day may move to yesterday or later)."
            )
        if kept["last_day"] != phase.last_day and kept["last_day"] < today - datetime.timedelta(
            days=1
        ):
            raise _refuse(f"The phase that began on {start} cannot end before yesterday.")
    for values in wanted:
        if values["first_day"] < today and values["first_day"] not in existing:
            raise _refuse(f"A new phase starts today or later, not on {values['first_day']}.")


def _phase_save(
    campaign: Campaign, phase: CampaignPhase | None, values: Mapping[str, Any]
) -> CampaignPhase:
    """``phase`` (or a new one) with ``values``; written only when something changed."""
    phase = phase or CampaignPhase(tenant_id=campaign.tenant_id, campaign=campaign)
    changed = phase.pk is None or any(
        getattr(phase, name) != value for name, value in values.items()
    )
    for name, value in values.items():
        setattr(phase, name, value)
    if changed:
        phase.full_clean(validate_unique=False, validate_constraints=False)
        phase.save()
    return phase
