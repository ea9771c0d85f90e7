"""Daily earnings per placement and day (DESIGN.md rule 1), step ``commissions.earnings``.

For each placement and tenant-local ``day``:
- ``click_income = quantize_money(valid_clicks x click_rate)`` and
  ``guarantee_topup = max(0, daily_guarantee - click_income)`` come from the placement's
  contract that is *active* on that day (``status="active"``, ``starts_on <= day <=
  ends_on``, open-ended when ``ends_on`` is empty). No contract that day: no click income and
  no top-up (the webmaster is paid only by commission rules). A terminated contract pays
  nothing on any day, also on a rerun of an earlier day: end contracts with ``ends_on`` to
  keep their past days. A contract placement with no traffic still gets its guarantee.
- ... and only on days the placement was **live** (issue 21): webmaster active, site approved,
  placement active, as they stood at the end of that tenant-local day (``live_placements_on``
  reads their history), so a suspension pays nothing from the day it happens and a rerun of
  an earlier day is unchanged.
- ``registration_commission``/``order_commission`` are that day's commissions of the
  placement net of reversals (``amount - reversed_amount``; fully reversed ones are left
  out), with ``registrations``/``orders`` counting the conversions that earned one.
- ``total`` is the sum (a database check guarantees it).
Valid clicks come from tracking's ``PlacementDayStats``. Rows are upserted on
``(tenant, placement, day)``: a rerun gives identical rows.

The contract part (click income + top-up) is paid into the webmaster's payable account:
``earning:<placement>:<day>`` for the first posting and, when a rerun changes the number,
``earning:<placement>:<day>:<n>`` for the difference (ledger rows are never updated).
Commissions post their own transactions (``services.accrual``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum

from apps.commissions.models import (
    AccountKind,
    Commission,
    CommissionStatus,
    DailyEarning,
    LedgerEntry,
)
from apps.commissions.services.accrual import affiliate_accounts
from apps.commissions.services.ledger import Posting, ledger_post_bulk, network_account
from apps.core.db import advisory_xact_lock
from apps.core.money import ZERO, quantize_money
from apps.sites.models import Contract, ContractStatus, Placement
from apps.tenants.clock import day_window
from apps.tenants.scope import current_tenant
from apps.tracking.models import ConversionType, PlacementDayStats

FIELDS = [
    "site",
    "affiliate",
    "contract",
    "valid_clicks",
    "click_rate",
    "daily_guarantee",
    "click_income",
    "guarantee_topup",
    "registrations",
    "registration_commission",
    "orders",
    "order_commission",
    "total",
]


def contract_part(
    *, valid_clicks: int, click_rate: Decimal, daily_guarantee: Decimal
) -> tuple[Decimal, Decimal]:
    """Rule 1's contract part: ``(click_income, guarantee_topup)``."""
    click_income = quantize_money(Decimal(valid_clicks) * click_rate)
    return click_income, max(ZERO, quantize_money(daily_guarantee) - click_income)


def _as_of(model: Any, ids: set[int], end: datetime.datetime, field: str) -> dict[int, Any]:
    """``field`` of each ``model`` row as it stood at ``end`` (its last history row before),
    or, for a row whose history starts later, as it was first recorded."""
    if not ids:
        return {}
    history = model.history.filter(id__in=ids)
    before = dict(
        history.filter(history_date__lt=end)
        .order_by("id", "-history_date")
        .distinct("id")
        .values_list("id", field)
    )
    missing = ids - set(before)
    if missing:
        before.update(
            history.filter(id__in=missing)
            .order_by("id", "history_date")
            .distinct("id")
            .values_list("id", field)
        )
    return before


def live_placements_on(*, day: datetime.date, placements: list[Placement]) -> set[int]:
    """The placements that were live on the tenant-local ``day`` (issue 21): the webmaster
    active, the site approved, the placement active, each *as it stood at the end of that
    day* (their history, django-simple-history). So a status change takes effect from the day
    it happens, and a rerun of an earlier day reads the same past state. A row with no history
    is taken as it is now."""
    from apps.affiliates.models import Affiliate, PipelineStatus
    from apps.sites.models import Site, SiteStatus

    end = day_window(day)[1]
    site_ids = {p.site_id for p in placements}
    affiliate_ids = {p.site.affiliate_id for p in placements}
    placement_active = _as_of(Placement, {p.pk for p in placements}, end, "is_active")
    site_status = _as_of(Site, site_ids, end, "status")
    affiliate_status = _as_of(Affiliate, affiliate_ids, end, "status")
    current_affiliates = dict(
        Affiliate.objects.filter(pk__in=affiliate_ids - set(affiliate_status)).values_list(
            "pk", "status"
        )
    )
    live = set()
    for p in placements:
        active = placement_active.get(p.pk, p.is_active)
        site_ok = site_status.get(p.site_id, p.site.status) == SiteStatus.APPROVED
        status = affiliate_status.get(p.site.affiliate_id) or current_affiliates.get(
            p.site.affiliate_id
        )
        if active and site_ok and status == PipelineStatus.ACTIVE:
            live.add(p.pk)
    return live


def contracts_active_on(
    *, day: datetime.date, placement_ids: Iterable[int] | None = None
) -> dict[int, Contract]:
    """The contract of each placement that is active on ``day`` (module docstring), by
    placement id; also what today's provisional earnings use (issue 15)."""
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )
    if placement_ids is not None:
        contracts = contracts.filter(placement_id__in=list(placement_ids))
    return {c.placement_id: c for c in contracts}


def earnings_compute_day(*, day: datetime.date) -> dict[str, int]:
    """Daily step (order 30): build ``DailyEarning`` rows for ``day`` and post the contract
    part to the ledger (module docstring)."""
    tenant = current_tenant()
    with transaction.atomic():
        advisory_xact_lock(f"commissions.earnings:{tenant.pk}:{day}")
        clicks = dict(
            PlacementDayStats.objects.filter(day=day).values_list("placement_id", "valid_clicks")
        )
        contracts = contracts_active_on(day=day)
        net = F("amount") - F("reversed_amount")
        sums: dict[int, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
        for row in (
            Commission.objects.filter(day=day, placement__isnull=False)
            .exclude(status=CommissionStatus.REVERSED)
            .values("placement_id", "event")
            .annotate(n=Count("conversion_id", distinct=True), total=Sum(net))
        ):
            sums[row["placement_id"]][row["event"]] = (row["n"], row["total"] or ZERO)
        ids = set(clicks) | set(contracts) | set(sums)
        placements = {
            p.pk: p
            for p in Placement.objects.filter(pk__in=ids)
            .select_related("site")
            .only("id", "site_id", "site__affiliate_id", "is_active", "site__status")
        }
        live = live_placements_on(day=day, placements=list(placements.values()))
        rows = []
        for pid in sorted(ids):
            placement = placements[pid]
            contract = contracts.get(pid)
            valid = clicks.get(pid, 0)
            if contract is not None and pid in live:
                income, topup = contract_part(
                    valid_clicks=valid,
                    click_rate=contract.click_rate,
                    daily_guarantee=contract.daily_guarantee,
                )
            else:
                income, topup = ZERO, ZERO
            regs, reg_total = sums[pid].get(ConversionType.REGISTRATION, (0, ZERO))
            orders, order_total = sums[pid].get(ConversionType.ORDER, (0, ZERO))
            rows.append(
                DailyEarning(
                    tenant=tenant,
                    day=day,
                    placement_id=pid,
                    site_id=placement.site_id,
                    affiliate_id=placement.site.affiliate_id,
                    contract=contract,
                    valid_clicks=valid,
                    click_rate=contract.click_rate if contract else Decimal("0"),
                    daily_guarantee=contract.daily_guarantee if contract else None,
                    click_income=income,
                    guarantee_topup=topup,
                    registrations=regs,
                    registration_commission=reg_total,
                    orders=orders,
                    order_commission=order_total,
                    total=income + topup + reg_total + order_total,
                )
            )
        # Rows of placements that no longer earn anything that day become zero rows (a
        # DailyEarning may already be on a statement, so it is never deleted).
        stale = DailyEarning.objects.filter(day=day).exclude(placement_id__in=ids)
        for old in stale.select_related("placement__site"):
            rows.append(
                DailyEarning(
                    tenant=tenant,
                    day=day,
                    placement_id=old.placement_id,
                    site_id=old.site_id,
                    affiliate_id=old.affiliate_id,
                )
            )
        DailyEarning.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["tenant", "placement", "day"],
            update_fields=[*FIELDS, "updated_at"],
            batch_size=1000,
        )
        posted = _post_contract_part(day, rows)
    return {"earnings": len(rows), "earning_postings": posted}


def _post_contract_part(day: datetime.date, rows: list[DailyEarning]) -> int:
    prefix = "earning:"
    already: dict[int, Decimal] = defaultdict(lambda: ZERO)
    seq: dict[int, int] = defaultdict(int)
    for key, amount in LedgerEntry.objects.filter(
        transaction__kind="contract_earning",
        transaction__occurred_on=day,
        account__kind=AccountKind.WEBMASTER_PAYABLE,
    ).values_list("transaction__idempotency_key", "amount"):
        pid = int(key[len(prefix) :].split(":")[0])
        already[pid] += amount
        seq[pid] += 1
    payable = affiliate_accounts(AccountKind.WEBMASTER_PAYABLE, {r.affiliate_id for r in rows})
    cost = network_account(AccountKind.NETWORK_COST)
    postings = []
    for row in rows:
        due = row.click_income + row.guarantee_topup
        diff = due - already[row.placement_id]
        if diff == 0:
            continue
        n = seq[row.placement_id]
        key = f"{prefix}{row.placement_id}:{day}" + (f":{n}" if n else "")
        postings.append(
            Posting(
                kind="contract_earning",
                idempotency_key=key,
                occurred_on=day,
                legs=[(payable[row.affiliate_id], diff), (cost, -diff)],
                memo=f"Clicks and guarantee, placement {row.placement_id}, {day}",
            )
        )
    ledger_post_bulk(postings)
    return len(postings)
