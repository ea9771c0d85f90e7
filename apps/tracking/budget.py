"""Daily budgets that stop at once: provisional spend kept as it happens, and pacing.

Each charged event adds to its campaign's spend of the tenant-local day in the same SQL
statement as the event's own write (``apps.tracking.hot``): a rendered CPM impression
(``/px/imp``) adds price_cpm / 1000, a click on a CPC winner's ad (``/c/`` with ``cid`` and
``imp``) its impression's cpc_price. The counter rows (``CampaignSpend``) are sharded by
worker process (``slot``), so workers never wait on each other's row lock, and a process
knows its own slot's figure from the statement's answer at once and the other slots' from its
poll (every ``TRACKING_SPEND_POLL_SECONDS``, default 0.5 s). So a campaign that reaches its
budget stops winning in its own process at the next auction and in every other within the
poll period. Why PostgreSQL and not Redis: docs/click-path.md "Budgets".

Pacing spreads a budget over the day: a campaign whose spend runs ahead of the day's elapsed
share (``apps.tenants.clock.day_elapsed_share``) plus ``TRACKING_PACING_SLACK`` of its budget
(default 10 %) sits out until the clock catches up.

``run_daily`` stays the truth for money (valid clicks only, after classification); the
provisional figure is an upper bound that only gates serving.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from apps.core.events import event_emit
from apps.tenants.scope import tenant_scope

log = logging.getLogger("alliance.tracking.budget")

#: counter rows per campaign and day (a worker writes the one of its pid)
SLOTS = 16
#: days of provisional counters kept (run_daily prunes older ones)
SPEND_KEPT_DAYS = 7
ZERO = Decimal(0)


def spend_slot() -> int:
    """This process's counter row (after a fork, the child's own)."""
    return os.getpid() % SLOTS


def pacing_slack() -> Decimal:
    return Decimal(str(getattr(settings, "TRACKING_PACING_SLACK", "0.10")))


def may_spend(*, daily_budget: Decimal, spent: Decimal, share: Decimal) -> bool:
    """A campaign may win an impression while its spend today is below its budget and below
    ``budget x min(1, elapsed share of the day + slack)`` (pacing)."""
    if spent >= daily_budget:
        return False
    allowed = daily_budget * min(Decimal(1), share + pacing_slack())
    return spent < allowed


class SpendBook:
    """One tenant's provisional spend today in this process: ``{campaign: {slot: amount}}``.

    Each slot's amount only grows during a day, so merging keeps the larger of what this
    process wrote itself (the statement's answer) and what the poll read."""

    def __init__(self) -> None:
        self.day: datetime.date | None = None
        self.amounts: dict[int, dict[int, Decimal]] = {}
        self._lock = threading.Lock()

    def _roll(self, day: datetime.date) -> None:
        if self.day != day:
            self.day, self.amounts = day, {}

    def total(self, campaign_id: int, day: datetime.date) -> Decimal:
        if self.day != day:
            return ZERO
        slots = self.amounts.get(campaign_id)
        return sum(slots.values(), ZERO) if slots else ZERO

    def note(self, *, campaign_id: int, slot: int, amount: Decimal, day: datetime.date) -> None:
        with self._lock:
            self._roll(day)
            slots = self.amounts.setdefault(campaign_id, {})
            if amount > slots.get(slot, ZERO):
                slots[slot] = amount

    def merge(self, *, day: datetime.date, rows: Iterable[tuple[int, int, Decimal]]) -> None:
        with self._lock:
            if self.day is not None and day < self.day:
                return
            self._roll(day)
            for campaign_id, slot, amount in rows:
                slots = self.amounts.setdefault(campaign_id, {})
                if amount > slots.get(slot, ZERO):
                    slots[slot] = amount


_books: dict[int, SpendBook] = {}
_books_lock = threading.Lock()
#: (tenant, campaign, day) whose exhaustion this process has already recorded
_told: set[tuple[int, int, datetime.date]] = set()


def book(tenant_id: int) -> SpendBook:
    found = _books.get(tenant_id)
    if found is None:
        with _books_lock:
            found = _books.setdefault(tenant_id, SpendBook())
    return found


def clear() -> None:
    """Forget every figure (tests)."""
    with _books_lock:
        _books.clear()
        _told.clear()


def spend_refresh(*, tenant: object, day: datetime.date) -> None:
    """Read the tenant's counters of ``day`` (every slot) into its book: one query."""
    from apps.tracking.models import CampaignSpend

    with tenant_scope(tenant):  # type: ignore[arg-type]
        rows = list(
            CampaignSpend.objects.filter(day=day).values_list("campaign_id", "slot", "amount")
        )
    book(tenant.pk).merge(day=day, rows=rows)  # type: ignore[attr-defined]


def exhaustion_check(*, tenant: object, snapshot: object, day: datetime.date) -> int:
    """Record ``campaign.budget_exhausted`` once per campaign and day for each campaign of the
    snapshot whose provisional spend reached its budget that day (the budget of the phase in
    force on ``day``, else the plan's); returns how many were new here.

    The ``BudgetExhaustion`` row's unique key makes it once whichever process sees it first."""
    from apps.tracking.models import BudgetExhaustion

    spend = book(tenant.pk)  # type: ignore[attr-defined]
    new = 0
    for campaign in snapshot.campaigns:  # type: ignore[attr-defined]
        key = (tenant.pk, campaign.id, day)  # type: ignore[attr-defined]
        if key in _told:
            continue
        spent = spend.total(campaign.id, day)
        daily_budget = campaign.terms(day).daily_budget  # the phase in force that day
        if daily_budget <= 0 or spent < daily_budget:
            continue  # a zero-budget day (a pre-heat phase) was never going to spend
        with tenant_scope(tenant), transaction.atomic():  # type: ignore[arg-type]
            _, created = BudgetExhaustion.objects.get_or_create(
                campaign_id=campaign.id,
                day=day,
                defaults={
                    "tenant_id": tenant.pk,  # type: ignore[attr-defined]
                    "spend": spent,
                    "daily_budget": daily_budget,
                },
            )
            if created:
                event_emit(
                    "campaign.budget_exhausted",
                    data={
                        "campaign": campaign.id,
                        "day": day.isoformat(),
                        "daily_budget": str(daily_budget),
                        "spend": str(spent.quantize(Decimal("0.01"))),
                    },
                    merchant_id=campaign.merchant_id,
                )
                new += 1
                log.info("campaign %s reached its daily budget on %s", campaign.id, day)
        _told.add(key)
    return new


def spend_prune(*, before: datetime.date) -> int:
    """Drop the active tenant's counters of days before ``before`` (run_daily's truth has
    replaced them long ago)."""
    from apps.tracking.models import CampaignSpend

    deleted, _ = CampaignSpend.objects.filter(day__lt=before).delete()
    return deleted
