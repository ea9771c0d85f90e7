"""The webmaster's daily report (API.md ``GET /reports/daily``, DESIGN.md rule 3).

Aggregates only: the funnel comes from the tracking roll-ups (``PlacementDayStats``, or
``PlacementSubDayStats`` with ``by_sub``), the contract earnings from ``DailyEarning``, and the
conversion earnings from the commission records net of reversals (API.md: "``earnings`` leave
reversed commissions out"), so a refund shows up in the report without rerunning the day. No
merchant's order record is ever read into a row. Three or four queries whatever the range.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Sum

from apps.commissions.models import Commission, CommissionStatus, DailyEarning
from apps.commissions.services.earnings import (
    contract_part,
    contracts_active_on,
    live_placements_on,
)
from apps.core.money import ZERO, allocate
from apps.sites.models import Placement, Site
from apps.tracking.funnel import (
    INVALID_REASONS,
    funnel_row,
    funnel_zero,
    orders_on_invalid_clicks,
)
from apps.tracking.models import (
    ConversionType,
    PlacementDayStats,
    PlacementSubDayStats,
    ProvisionalPlacementDay,
    ProvisionalPlacementSubDay,
    ProvisionalRun,
)

EARNING_KEYS = ("clicks", "guarantee_topup", "registrations", "orders")


def _earnings(
    clicks: Decimal = ZERO,
    guarantee_topup: Decimal = ZERO,
    registrations: Decimal = ZERO,
    orders: Decimal = ZERO,
) -> dict[str, Decimal]:
    return {
        "clicks": clicks,
        "guarantee_topup": guarantee_topup,
        "registrations": registrations,
        "orders": orders,
        "total": clicks + guarantee_topup + registrations + orders,
    }


def _filtered(queryset: Any, *, site: Any, placement: Any) -> Any:
    if site is not None:
        queryset = queryset.filter(placement__site=site)
    if placement is not None:
        queryset = queryset.filter(placement=placement)
    return queryset


def daily_report(
    *,
    affiliate: Any,
    date_from: datetime.date,
    date_to: datetime.date,
    site: Any = None,
    placement: Any = None,
    by_sub: bool = False,
    provisional: bool = True,
) -> list[dict[str, Any]]:
    """Rows per day and placement (and ``sub`` tag with ``by_sub``), oldest first:
    ``{date, site, site_name, placement, clicks, valid_clicks, invalid_clicks,
    invalid_by_reason, landings, lost_after_jump, registrations, orders, earnings,
    provisional}``.

    Days the nightly run has not closed (today, and yesterday until its run) come from the
    provisional roll-up (``apps.tracking.services.intraday``) with ``provisional: True``;
    their contract earnings are rule 1 on the valid clicks so far (``contract_part`` with the
    contract active that day: a guaranteed placement shows its guarantee until its clicks pay
    more), their conversion fees the commissions so far. ``provisional=False`` leaves them out
    (reconcile compares closed days only).

    The funnel columns are ``apps.tracking.funnel.funnel_row`` (defined once there):
    ``landings`` counts valid clicks that landed, so ``lost_after_jump = valid_clicks -
    landings`` is never negative and adds up over a range. With ``by_sub`` each
    placement-day's earnings are split over its sub rows (click income and top-up by valid
    clicks, conversion fees by registrations and orders; largest remainder, so the rows add up
    to the placement's day to the cent)."""
    range_filter = {"affiliate": affiliate, "day__gte": date_from, "day__lte": date_to}
    earnings = {
        (row.placement_id, row.day): row
        for row in _filtered(
            DailyEarning.objects.filter(**range_filter), site=site, placement=placement
        ).select_related("placement", "site")
    }
    fees: dict[tuple[int, datetime.date], dict[str, Decimal]] = defaultdict(
        lambda: {"registrations": ZERO, "orders": ZERO}
    )
    commission_rows = (
        _filtered(Commission.objects.filter(**range_filter), site=site, placement=placement)
        .filter(placement__isnull=False)
        .exclude(status=CommissionStatus.REVERSED)
        .values("placement_id", "day", "event")
        .annotate(net=Sum(F("amount") - F("reversed_amount")))
        .order_by()
    )
    for row in commission_rows:
        key = "registrations" if row["event"] == ConversionType.REGISTRATION else "orders"
        fees[(row["placement_id"], row["day"])][key] += row["net"] or ZERO

    today = _Provisional.load(
        affiliate=affiliate,
        range_filter=range_filter,
        site=site,
        placement=placement,
        by_sub=by_sub,
        enabled=provisional,
    )

    def earnings_of(placement_id: int, day: datetime.date) -> dict[str, Decimal]:
        fee = fees.get((placement_id, day), {"registrations": ZERO, "orders": ZERO})
        if day in today.days:
            income, topup = today.contract_part(placement_id, day)
        else:
            earning = earnings.get((placement_id, day))
            income = earning.click_income if earning else ZERO
            topup = earning.guarantee_topup if earning else ZERO
        return _earnings(income, topup, fee["registrations"], fee["orders"])

    if by_sub:
        return _sub_rows(
            affiliate=affiliate,
            range_filter=range_filter,
            site=site,
            placement=placement,
            earnings_of=earnings_of,
            provisional=today,
        )

    rows: dict[tuple[int, datetime.date], dict[str, Any]] = {}
    stats = _filtered(
        PlacementDayStats.objects.filter(**range_filter), site=site, placement=placement
    ).select_related("placement", "site")
    invalid_orders = orders_on_invalid_clicks(
        **{
            **range_filter,
            **({"placement__site": site} if site is not None else {}),
            **({"placement": placement} if placement is not None else {}),
        }
    )
    for stat in [*stats, *today.stats]:
        rows[(stat.placement_id, stat.day)] = {
            **_identity(stat.day, stat.site, stat.placement),
            **funnel_row(stat, invalid_orders=invalid_orders.get((stat.placement_id, stat.day))),
        }
    # A guaranteed day without any click still pays its top-up: it gets a row of its own.
    guaranteed = [(key, e.site, e.placement) for key, e in earnings.items()]
    guaranteed += [
        ((pid, day), today.placements[pid].site, today.placements[pid])
        for pid, day in today.contracts
    ]
    for (placement_id, day), row_site, row_placement in guaranteed:
        if (placement_id, day) not in rows:
            rows[(placement_id, day)] = {
                **_identity(day, row_site, row_placement),
                **_zero_funnel(),
                "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0),
            }
    for (placement_id, day), row in rows.items():
        row["earnings"] = earnings_of(placement_id, day)
        row["provisional"] = day in today.days
    return sorted(rows.values(), key=lambda r: (r["date"], r["site"], r["placement"]))


@dataclass
class _Provisional:
    """The range's days the nightly run has not closed, with their provisional roll-up rows
    and the contracts active on them (issue 15)."""

    days: set[datetime.date] = field(default_factory=set)
    stats: list[Any] = field(default_factory=list)
    contracts: dict[tuple[int, datetime.date], Any] = field(default_factory=dict)
    placements: dict[int, Any] = field(default_factory=dict)
    valid: dict[tuple[int, datetime.date], int] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        *,
        affiliate: Any,
        range_filter: dict[str, Any],
        site: Any,
        placement: Any,
        by_sub: bool,
        enabled: bool,
    ) -> _Provisional:
        found = cls()
        if not enabled:
            return found
        day_filter = {k: v for k, v in range_filter.items() if k != "affiliate"}
        found.days = set(ProvisionalRun.objects.filter(**day_filter).values_list("day", flat=True))
        if not found.days:
            return found
        if by_sub:
            queryset: Any = ProvisionalPlacementSubDay.objects.select_related("placement__site")
        else:
            queryset = ProvisionalPlacementDay.objects.select_related("placement", "site")
        found.stats = list(
            _filtered(
                queryset.filter(**range_filter, day__in=found.days), site=site, placement=placement
            )
        )
        for stat in found.stats:
            key = (stat.placement_id, stat.day)
            found.valid[key] = found.valid.get(key, 0) + stat.valid_clicks
        placements = Placement.objects.filter(site__affiliate=affiliate)
        if site is not None:
            placements = placements.filter(site=site)
        if placement is not None:
            placements = placements.filter(pk=placement.pk)
        found.placements = {p.pk: p for p in placements.select_related("site__affiliate")}
        for day in sorted(found.days):
            # rule 1 and issue 21 as the nightly earnings apply them: an active contract of a
            # placement that is live that day
            live = live_placements_on(day=day, placements=list(found.placements.values()))
            active = contracts_active_on(day=day, placement_ids=live)
            found.contracts.update(((pid, day), contract) for pid, contract in active.items())
        return found

    def contract_part(self, placement_id: int, day: datetime.date) -> tuple[Decimal, Decimal]:
        contract = self.contracts.get((placement_id, day))
        if contract is None:
            return ZERO, ZERO
        return contract_part(
            valid_clicks=self.valid.get((placement_id, day), 0),
            click_rate=contract.click_rate,
            daily_guarantee=contract.daily_guarantee,
        )


def _identity(day: datetime.date, site: Any, placement: Any) -> dict[str, Any]:
    return {
        "date": day,
        "site": site.pk,
        "site_name": site.name,
        "placement": placement.code,
        "placement_id": placement.pk,
    }


def _zero_funnel() -> dict[str, int]:
    return funnel_zero()


def _split(amount: Decimal, weights: list[int]) -> list[Decimal]:
    if not weights:
        return []
    if sum(weights) == 0:
        weights = [1] * len(weights)
    return allocate(amount, [Decimal(weight) for weight in weights])


def _sub_rows(
    *,
    affiliate: Any,
    range_filter: dict[str, Any],
    site: Any,
    placement: Any,
    earnings_of: Any,
    provisional: _Provisional,
) -> list[dict[str, Any]]:
    groups: dict[tuple[int, datetime.date], list[dict[str, Any]]] = defaultdict(list)
    stats = _filtered(
        PlacementSubDayStats.objects.filter(**range_filter), site=site, placement=placement
    ).select_related("placement__site")
    for stat in [*stats, *provisional.stats]:
        groups[(stat.placement_id, stat.day)].append(
            {
                **_identity(stat.day, stat.placement.site, stat.placement),
                "sub": stat.sub,
                **funnel_row(stat, with_reasons=False),  # the sub roll-up keeps no reasons
                "provisional": stat.day in provisional.days,
            }
        )
    rows: list[dict[str, Any]] = []
    for (placement_id, day), group in groups.items():
        total = earnings_of(placement_id, day)
        group.sort(key=lambda r: r["sub"])
        valid = [r["valid_clicks"] for r in group]
        parts = {
            "clicks": _split(total["clicks"], valid),
            "guarantee_topup": _split(total["guarantee_topup"], valid),
            "registrations": _split(total["registrations"], [r["registrations"] for r in group]),
            "orders": _split(total["orders"], [r["orders"] for r in group]),
        }
        for index, row in enumerate(group):
            row["earnings"] = _earnings(*(parts[key][index] for key in EARNING_KEYS))
            rows.append(row)
    return sorted(rows, key=lambda r: (r["date"], r["site"], r["placement"], r["sub"]))


def funnel_by_placement(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum daily rows per site and placement over the range (the portal's funnel table)."""
    totals: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["site"], row["placement"])
        total = totals.get(key)
        if total is None:
            total = totals[key] = {
                "site": row["site"],
                "site_name": row["site_name"],
                "placement": row["placement"],
                **_zero_funnel(),
                "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0),
                "earnings": _earnings(),
            }
        for name in _zero_funnel():
            total[name] += row[name]
        for reason, count in (row.get("invalid_by_reason") or {}).items():
            total["invalid_by_reason"][reason] += count
        for name, amount in row["earnings"].items():
            total["earnings"][name] += amount
    return sorted(totals.values(), key=lambda r: (r["site_name"], r["placement"]))


def earnings_by_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum daily rows per date (the portal's earnings chart)."""
    days: dict[datetime.date, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(row["date"], {"date": row["date"], **_earnings()})
        for name, amount in row["earnings"].items():
            day[name] += amount
    return [days[key] for key in sorted(days)]


def commission_status_split(
    *, affiliate: Any, date_from: datetime.date, date_to: datetime.date
) -> list[dict[str, Any]]:
    """The webmaster's commissions of [from, to] by event and status, net of reversals (the
    earnings page's split; the same statuses the statements' notes use): pending (locked,
    paid on a later statement once approved), approved (due on the next statement unless
    already on a draft), settled (paid by an approved statement). Fully reversed ones are
    left out, as in ``daily_report``."""
    labels = dict(Commission._meta.get_field("event").choices)  # type: ignore[arg-type]
    statuses = dict(Commission._meta.get_field("status").choices)  # type: ignore[arg-type]
    rows = (
        Commission.objects.filter(affiliate=affiliate, day__gte=date_from, day__lte=date_to)
        .exclude(status=CommissionStatus.REVERSED)
        .values("event", "status")
        .annotate(count=Count("pk"), amount=Sum(F("amount") - F("reversed_amount")))
        .order_by("event", "status")
    )
    return [
        {
            **row,
            "amount": row["amount"] or ZERO,
            "event_label": labels.get(row["event"], row["event"]),
            "status_label": statuses.get(row["status"], row["status"]),
        }
        for row in rows
    ]


class DailyReportRows:
    """``daily_report``'s rows, paged in SQL (issue 19): what Django's ``Paginator`` needs
    (``count()`` and slicing), so ``GET /reports/daily`` reads one page's keys and then only
    that page's roll-ups, earnings and commissions, whatever the range.

    The row keys are selected first: the ``(placement, day)`` pairs (with ``by_sub``,
    ``(placement, day, sub)``) of the roll-ups, the daily earnings (a guaranteed day without
    a click has a row) and the provisional days' rows and contracts, in the order
    ``daily_report`` sorts them (day, site, placement code, sub), with ``LIMIT/OFFSET``; the
    count is the same union counted. A page is then built exactly as ``daily_report`` builds
    the whole range, from the page's keys only (a sub row's split needs its whole
    placement-day, so those are read whole). The query count of a page is constant: the
    provisional days, the count, the keys, the roll-up, the earnings, the commissions and the
    orders on invalid clicks (with provisional days on the page, their roll-up and contracts
    too). ``tests/commissions/test_reports_daily_paged.py`` holds every page to
    ``daily_report``'s rows."""

    def __init__(
        self,
        *,
        affiliate: Any,
        date_from: datetime.date,
        date_to: datetime.date,
        site: Any = None,
        placement: Any = None,
        by_sub: bool = False,
        provisional: bool = True,
    ) -> None:
        self.affiliate = affiliate
        self.site = site
        self.placement = placement
        self.by_sub = by_sub
        self.range_filter = {"affiliate": affiliate, "day__gte": date_from, "day__lte": date_to}
        self.today = _Provisional.load(
            affiliate=affiliate,
            range_filter=self.range_filter,
            site=site,
            placement=placement,
            by_sub=by_sub,
            enabled=provisional,
        )
        self._count: int | None = None

    # -- the keys, in SQL --------------------------------------------------------------
    def _keys_sql(self) -> tuple[str, list[Any]]:
        def part(queryset: Any, *columns: str) -> tuple[str, list[Any]]:
            queryset = _filtered(
                queryset.filter(**self.range_filter), site=self.site, placement=self.placement
            )
            sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
            return f"({sql})", list(params)

        today = self.today
        if self.by_sub:
            columns: tuple[str, ...] = ("placement_id", "day", "sub")
            parts = [part(PlacementSubDayStats.objects.all(), *columns)]
            extra: list[tuple[Any, ...]] = sorted(
                {(s.placement_id, s.day, s.sub) for s in today.stats}
            )
        else:
            columns = ("placement_id", "day")
            parts = [
                part(PlacementDayStats.objects.all(), *columns),
                part(DailyEarning.objects.all(), *columns),
            ]
            extra = sorted({(s.placement_id, s.day) for s in today.stats} | set(today.contracts))
        # the provisional days' keys (computed in Python, a day or two of placements)
        unnest = ", ".join(
            f"unnest(%s::{kind}[])" for kind in ("integer", "date", "text")[: len(columns)]
        )
        parts.append(
            (f"(SELECT {unnest})", [[key[i] for key in extra] for i in range(len(columns))])
        )
        names = ", ".join(("k_placement", "k_day", "k_sub")[: len(columns)])
        sql = " UNION ".join(sql for sql, _ in parts)
        params = [p for _, part_params in parts for p in part_params]
        # only model tables and ORM-compiled parts are put in the text; values are parameters
        return f"SELECT * FROM ({sql}) AS keys ({names})", params  # noqa: S608

    def count(self) -> int:
        if self._count is None:
            sql, params = self._keys_sql()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608
                self._count = int(cursor.fetchone()[0])
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _page_keys(self, offset: int, limit: int | None) -> list[tuple[Any, ...]]:
        sql, params = self._keys_sql()
        placements = connection.ops.quote_name(Placement._meta.db_table)
        sites = connection.ops.quote_name(Site._meta.db_table)
        sub = ', keys.k_sub COLLATE "C"' if self.by_sub else ""
        sub_column = ", keys.k_sub" if self.by_sub else ""
        # the order of daily_report's sort: day, site, placement code (Python compares code
        # points: COLLATE "C"), sub; the placement id last so equal codes page stably
        # table names from the models, values as parameters
        query = (
            f"SELECT keys.k_placement, keys.k_day, p.code, p.site_id, s.name{sub_column} "  # noqa: S608
            f"FROM ({sql}) AS keys JOIN {placements} p ON p.id = keys.k_placement "
            f"JOIN {sites} s ON s.id = p.site_id "
            f'ORDER BY keys.k_day, p.site_id, p.code COLLATE "C"{sub}, keys.k_placement '
            "LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [*params, limit, offset])
            return list(cursor.fetchall())

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("DailyReportRows pages by slices")
        start = index.start or 0
        limit = None if index.stop is None else max(0, index.stop - start)
        if limit == 0:
            return []
        keys = self._page_keys(start, limit)
        if not keys:
            return []
        return self._sub_page(keys) if self.by_sub else self._page(keys)

    # -- one page's rows, from its keys --------------------------------------------------
    def _page_filter(self, keys: list[tuple[Any, ...]]) -> dict[str, Any]:
        return {
            "affiliate": self.affiliate,
            "placement_id__in": sorted({key[0] for key in keys}),
            "day__in": sorted({key[1] for key in keys}),
        }

    def _earnings_of(self, keys: list[tuple[Any, ...]]) -> Any:
        page_filter = self._page_filter(keys)
        earnings = {
            (row["placement_id"], row["day"]): row
            for row in DailyEarning.objects.filter(**page_filter)
            .order_by()
            .values("placement_id", "day", "click_income", "guarantee_topup")
        }
        fees: dict[tuple[int, datetime.date], dict[str, Decimal]] = defaultdict(
            lambda: {"registrations": ZERO, "orders": ZERO}
        )
        commission_rows = (
            Commission.objects.filter(**page_filter)
            .exclude(status=CommissionStatus.REVERSED)
            .values("placement_id", "day", "event")
            .annotate(net=Sum(F("amount") - F("reversed_amount")))
            .order_by()
        )
        for row in commission_rows:
            key = "registrations" if row["event"] == ConversionType.REGISTRATION else "orders"
            fees[(row["placement_id"], row["day"])][key] += row["net"] or ZERO
        today = self.today

        def earnings_of(placement_id: int, day: datetime.date) -> dict[str, Decimal]:
            fee = fees.get((placement_id, day), {"registrations": ZERO, "orders": ZERO})
            if day in today.days:
                income, topup = today.contract_part(placement_id, day)
            else:
                earning = earnings.get((placement_id, day))
                income = earning["click_income"] if earning else ZERO
                topup = earning["guarantee_topup"] if earning else ZERO
            return _earnings(income, topup, fee["registrations"], fee["orders"])

        return earnings_of

    @staticmethod
    def _identity_of(key: tuple[Any, ...]) -> dict[str, Any]:
        placement_id, day, code, site_id, site_name = key[:5]
        return {
            "date": day,
            "site": site_id,
            "site_name": site_name,
            "placement": code,
            "placement_id": placement_id,
        }

    def _page(self, keys: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        page_filter = self._page_filter(keys)
        wanted = {(key[0], key[1]) for key in keys}
        stats = {
            (stat.placement_id, stat.day): stat
            for stat in PlacementDayStats.objects.filter(**page_filter).order_by()
            if (stat.placement_id, stat.day) in wanted
        }
        stats.update(
            ((stat.placement_id, stat.day), stat)
            for stat in self.today.stats
            if (stat.placement_id, stat.day) in wanted
        )
        invalid_orders = orders_on_invalid_clicks(**page_filter)
        earnings_of = self._earnings_of(keys)
        rows = []
        for key in keys:
            placement_id, day = key[0], key[1]
            stat = stats.get((placement_id, day))
            if stat is not None:
                funnel = funnel_row(stat, invalid_orders=invalid_orders.get((placement_id, day)))
            else:  # a guaranteed day without any click
                funnel = {**_zero_funnel(), "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0)}
            rows.append(
                {
                    **self._identity_of(key),
                    **funnel,
                    "earnings": earnings_of(placement_id, day),
                    "provisional": day in self.today.days,
                }
            )
        return rows

    def _sub_page(self, keys: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        page_filter = self._page_filter(keys)
        wanted = {(key[0], key[1]) for key in keys}
        groups: dict[tuple[int, datetime.date], list[Any]] = defaultdict(list)
        closed = PlacementSubDayStats.objects.filter(**page_filter).order_by()
        for stat in [*closed, *self.today.stats]:
            if (stat.placement_id, stat.day) in wanted:
                groups[(stat.placement_id, stat.day)].append(stat)
        earnings_of = self._earnings_of(keys)
        split: dict[tuple[int, datetime.date, str], dict[str, Any]] = {}
        for (placement_id, day), group in groups.items():
            total = earnings_of(placement_id, day)
            group.sort(key=lambda stat: stat.sub)
            valid = [stat.valid_clicks for stat in group]
            parts = {
                "clicks": _split(total["clicks"], valid),
                "guarantee_topup": _split(total["guarantee_topup"], valid),
                "registrations": _split(total["registrations"], [s.registrations for s in group]),
                "orders": _split(total["orders"], [s.orders for s in group]),
            }
            for index, stat in enumerate(group):
                split[(placement_id, day, stat.sub)] = {
                    "sub": stat.sub,
                    **funnel_row(stat, with_reasons=False),
                    "provisional": day in self.today.days,
                    "earnings": _earnings(*(parts[name][index] for name in EARNING_KEYS)),
                }
        return [
            {**self._identity_of(key), **split[(key[0], key[1], key[5])]}
            for key in keys
            if (key[0], key[1], key[5]) in split
        ]
