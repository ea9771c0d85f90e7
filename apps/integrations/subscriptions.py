"""Who listens to what, per tenant, cached: the event sink runs for every event emitted
(a batch of 1000 conversions emits 1000), so it must not query when nobody listens.

The cache holds plain tuples and lives ``TTL`` seconds; every write to an endpoint or a
postback template calls ``subscriptions_changed`` (now, and again after commit, so a
process that re-read the old rows meanwhile forgets them too).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

TTL = 30


@dataclass(frozen=True)
class EndpointSub:
    id: int
    merchant_id: int | None
    affiliate_id: int | None
    events: frozenset[str]


@dataclass(frozen=True)
class PostbackSub:
    id: int
    affiliate_id: int
    placement_id: int | None
    events: frozenset[str]


@dataclass(frozen=True)
class Subscriptions:
    endpoints: tuple[EndpointSub, ...]
    postbacks: tuple[PostbackSub, ...]


def _key(tenant_id: int) -> str:
    return f"integrations:subscriptions:{tenant_id}"


def subscriptions_for(tenant_id: int) -> Subscriptions:
    found = cache.get(_key(tenant_id))
    if found is not None:
        return found
    from apps.integrations.models import PostbackTemplate, WebhookEndpoint

    live = {"is_active": True, "deleted_at__isnull": True}
    subs = Subscriptions(
        endpoints=tuple(
            EndpointSub(pk, merchant_id, affiliate_id, frozenset(events))
            for pk, merchant_id, affiliate_id, events in WebhookEndpoint.objects.filter(
                **live
            ).values_list("id", "merchant_id", "affiliate_id", "events")
        ),
        postbacks=tuple(
            PostbackSub(pk, affiliate_id, placement_id, frozenset(events))
            for pk, affiliate_id, placement_id, events in PostbackTemplate.objects.filter(
                **live
            ).values_list("id", "affiliate_id", "placement_id", "events")
        ),
    )
    cache.set(_key(tenant_id), subs, TTL)
    return subs


def subscriptions_changed(tenant_id: int) -> None:
    cache.delete(_key(tenant_id))
    transaction.on_commit(lambda: cache.delete(_key(tenant_id)))
