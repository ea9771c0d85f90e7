"""Writes of the tracking app: clicks and impressions (``events``), conversions
(``conversions``), the nightly classification and roll-ups (``rollup``) and the daily run
(``daily``)."""

from apps.tracking.services.conversions import conversion_status_set, conversions_record
from apps.tracking.services.daily import daily_run_execute
from apps.tracking.services.events import (
    click_record,
    impression_mark_rendered,
    impression_record,
    landing_mark,
)
from apps.tracking.services.rollup import traffic_rollup_day

__all__ = [
    "click_record",
    "conversion_status_set",
    "conversions_record",
    "daily_run_execute",
    "impression_mark_rendered",
    "impression_record",
    "landing_mark",
    "traffic_rollup_day",
]
