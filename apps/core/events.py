"""Domain events: what happened, told once, to whoever subscribed (webhooks, postbacks).

Services emit after their write, inside their transaction::

    event_emit("commission.approved", data={...}, affiliate_id=c.affiliate_id,
               merchant_id=c.merchant_id)

Sinks are registered from an ``AppConfig.ready()`` (the integrations app registers the one
that stores the event and schedules webhook and postback deliveries on commit), so an app on
the left can emit without importing the apps that listen. A sink runs in the emitter's
transaction: an event of a rolled-back write is never delivered.

``merchant_id`` / ``affiliate_id`` say whose event it is: a merchant's endpoint hears only
its own events, a webmaster's only theirs, the network's own endpoints hear all of the tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

#: the event types of API.md v1.1 "Webhooks"
EVENT_TYPES = (
    "conversion.created",
    "commission.approved",
    "commission.reversed",
    "statement.approved",
    "statement.paid",
    "claim.decided",
    "dispute.decided",
    "campaign.budget_exhausted",
)


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: Mapping[str, Any]
    merchant_id: int | None = None
    affiliate_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


_sinks: list[str] = []


def register_event_sink(path: str) -> None:
    """Register ``def sink(event: DomainEvent) -> None`` by dotted path."""
    if path not in _sinks:
        _sinks.append(path)


def event_emit(
    type: str,
    *,
    data: Mapping[str, Any],
    merchant_id: int | None = None,
    affiliate_id: int | None = None,
    **extra: Any,
) -> None:
    """Hand one event to every registered sink (in the caller's transaction and tenant)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; add it to EVENT_TYPES and API.md")
    event = DomainEvent(
        type=type, data=data, merchant_id=merchant_id, affiliate_id=affiliate_id, extra=extra
    )
    for path in _sinks:
        sink: Callable[[DomainEvent], None] = import_string(path)
        sink(event)
