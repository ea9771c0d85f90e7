"""Reads of the tracking app. The click and serve paths read nothing here: they serve from the
tenant's live snapshot (``apps.tracking.snapshot``)."""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.db.models import QuerySet

from apps.campaigns.models import Merchant
from apps.tracking.models import (
    Click,
    Conversion,
    Coupon,
    DailyRun,
    MerchantTrackingKey,
    ProvisionalRun,
    RawEventRetention,
)


def click_by_click_id(*, click_id: uuid.UUID) -> Click | None:
    return Click.objects.filter(click_id=click_id).first()


def conversion_list() -> QuerySet[Conversion]:
    return Conversion.objects.select_related("merchant", "placement", "affiliate").order_by(
        "-occurred_at", "-id"
    )


def daily_run_for_day(*, day: datetime.date) -> DailyRun | None:
    return DailyRun.objects.filter(day=day).first()


def days_to_rerun(*, yesterday: datetime.date, lookback_days: int = 90) -> list[datetime.date]:
    """The days the nightly beat should run: ``yesterday`` unless its run is done, and any day
    of the last ``lookback_days`` whose conversions changed status after that day's run."""
    from django.db.models import OuterRef, Subquery

    from apps.tracking.models import DailyRunStatus

    days: set[datetime.date] = set()
    if not DailyRun.objects.filter(day=yesterday, status=DailyRunStatus.DONE).exists():
        days.add(yesterday)
    finished = DailyRun.objects.filter(day=OuterRef("day"), status=DailyRunStatus.DONE).values(
        "finished_at"
    )[:1]
    changed = (
        Conversion.objects.filter(
            day__gte=yesterday - datetime.timedelta(days=lookback_days),
            day__lt=yesterday,
            status_changed_at__isnull=False,
        )
        .annotate(run_finished=Subquery(finished))
        .filter(run_finished__isnull=False, status_changed_at__gt=models.F("run_finished"))
        .values_list("day", flat=True)
        .distinct()
    )
    days.update(changed)
    # days whose raw events retention removed are not rebuilt (issue 19)
    purged_before = RawEventRetention.objects.values_list("purged_before", flat=True).first()
    return sorted(day for day in days if purged_before is None or day >= purged_before)


def coupon_list(*, merchant: Merchant) -> QuerySet[Coupon]:
    """A merchant's live coupons (issue 16), with their webmaster and placement."""
    return (
        Coupon.objects.filter(merchant=merchant, deleted_at__isnull=True)
        .select_related("affiliate", "placement")
        .order_by("code", "id")
    )


def tracking_key_list(*, merchant: Merchant) -> QuerySet[MerchantTrackingKey]:
    """A merchant's postback keys and pixel tokens, live ones first."""
    return MerchantTrackingKey.objects.filter(merchant=merchant).order_by(
        "kind", "revoked_at", "-created_at"
    )


def provisional_run_for(*, day: datetime.date) -> ProvisionalRun | None:
    """The provisional count of ``day`` (``ProvisionalRun``: when it was counted), or None
    when the day has none (closed by the nightly run, or not counted yet) (issue 15)."""
    return ProvisionalRun.objects.filter(day=day).first()
