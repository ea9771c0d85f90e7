"""The registry of reconciliation checks (``manage.py reconcile --tenant SLUG --period YYYY-MM``).

Finance trusts a figure when every place that shows it agrees. Each app that keeps a copy of
a figure registers a check from its ``AppConfig.ready()``::

    register_reconcile_check(20, "commissions.earnings", "apps.commissions.reconcile.earnings")

A check is ``def check(*, period: str) -> Iterable[Difference]``, run inside the tenant's
scope; it yields one ``Difference`` per disagreement, saying where (placement, day, account,
invoice...) and the two values. ``reconcile_run`` runs them all in order; the command prints
each difference and ends with ``reconcile: N differences``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Difference:
    check: str
    #: where the two copies disagree, for a person: "placement P-01 (#12), 2026-11-03"
    where: str
    #: what the figure is: "valid clicks", "order commission", "ledger balance"
    figure: str
    expected: Any
    found: Any
    detail: str = ""

    def __str__(self) -> str:
        text = (
            f"[{self.check}] {self.where}: {self.figure} "
            f"expected {self.expected}, found {self.found}"
        )
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class ReconcileCheck:
    order: int
    name: str
    path: str

    def load(self) -> Callable[..., Iterable[Difference]]:
        return cast("Callable[..., Iterable[Difference]]", import_string(self.path))


_CHECKS: dict[str, ReconcileCheck] = {}


def register_reconcile_check(order: int, name: str, path: str) -> None:
    _CHECKS[name] = ReconcileCheck(order=order, name=name, path=path)


def reconcile_checks() -> list[ReconcileCheck]:
    return sorted(_CHECKS.values(), key=lambda check: (check.order, check.name))


def reconcile_run(*, period: str) -> list[Difference]:
    """Every registered check for ``period`` in the active tenant scope, in order."""
    differences: list[Difference] = []
    for check in reconcile_checks():
        differences.extend(check.load()(period=period))
    return differences
