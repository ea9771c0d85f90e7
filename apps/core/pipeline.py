"""The registry of daily-pipeline steps (API.md ``run_daily``).

``run_daily --tenant SLUG --date DAY`` runs, inside the tenant's scope and in ``order``, every
registered step for that tenant-local day. Apps register their steps from
``AppConfig.ready()``, so the pipeline can span apps without an app importing one to its right:

    register_daily_step(10, "tracking.rollup", "apps.tracking.services.traffic_rollup_day")
    register_daily_step(30, "commissions.earnings", "apps.commissions.services.earnings_day")

A step is ``def step(*, day: datetime.date) -> dict[str, int]`` (the counts it reports). Every
step must be idempotent: a rerun of a day gives the same numbers and creates nothing twice.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class DailyStep:
    order: int
    name: str
    path: str

    def load(self) -> Callable[..., dict[str, int]]:
        return cast("Callable[..., dict[str, int]]", import_string(self.path))


_STEPS: dict[str, DailyStep] = {}


def register_daily_step(order: int, name: str, path: str) -> None:
    _STEPS[name] = DailyStep(order=order, name=name, path=path)


def daily_steps() -> list[DailyStep]:
    return sorted(_STEPS.values(), key=lambda step: (step.order, step.name))


def run_daily_steps(
    *, day: datetime.date, on_step: Callable[[DailyStep], object] | None = None
) -> dict[str, dict[str, int]]:
    """Run every registered step for ``day`` in the active tenant scope; counts by step."""
    results: dict[str, dict[str, int]] = {}
    for step in daily_steps():
        if on_step is not None:
            on_step(step)
        results[step.name] = step.load()(day=day) or {}
    return results
