"""The tenant's block list (issue 14): risk staff add an IP range or a user agent from the risk
desk; the next ``run_daily`` classifies matching clicks ``blocked`` (``rollup.CLASSIFY_SQL``).

Rules: an IP entry is one address or a CIDR range, kept in its network form
(``203.0.113.7/24`` -> ``203.0.113.0/24``), at most as broad as a /10 (IPv4) or /24 (IPv6) so
one typo never blocks a continent; a user-agent entry is 3-200 characters, matched as a
case-insensitive substring; every entry has a reason. Adding an entry that is already active
is a no-op; entries are switched off, never deleted (a past verdict stays explainable).
History records who added or switched off each entry.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import transaction

from apps.core.db import lock_object
from apps.core.history import history_note, person
from apps.tenants.scope import current_tenant
from apps.tracking.errors import BlockRuleError
from apps.tracking.models import BlockKind, BlockRule

BROADEST_PREFIX = {4: 10, 6: 24}


def _clean_value(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == BlockKind.IP_RANGE:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise BlockRuleError(
                f"{value!r} is not an IP address or a range such as 203.0.113.0/24.",
                field="value",
            ) from exc
        broadest = BROADEST_PREFIX[network.version]
        if network.prefixlen < broadest:
            raise BlockRuleError(
                f"{network} is too broad: block at most a /{broadest} at once.", field="value"
            )
        return str(network)
    if kind == BlockKind.USER_AGENT:
        if not 3 <= len(value) <= 200:
            raise BlockRuleError(
                "A user-agent entry is 3 to 200 characters of the user agent.", field="value"
            )
        return value
    raise BlockRuleError(f"Unknown block-list kind {kind!r}.", field="kind")


def block_rule_add(*, kind: str, value: str, reason: str, actor: Any) -> BlockRule:
    """Add an active entry to the block list (see the module's rules)."""
    cleaned = _clean_value(kind, value)
    reason = (reason or "").strip()
    if not reason:
        raise BlockRuleError("Give a reason for blocking.", field="reason")
    with transaction.atomic():
        existing = BlockRule.objects.filter(kind=kind, value=cleaned, is_active=True).first()
        if existing is not None:
            return existing
        rule = BlockRule(
            tenant=current_tenant(),
            kind=kind,
            value=cleaned,
            reason=reason[:300],
            created_by=person(actor),
        )
        history_note(rule, actor, f"blocked: {reason}")
        rule.save()
    return rule


def block_rule_deactivate(*, rule: BlockRule, actor: Any) -> BlockRule:
    """Switch an entry off: from the next run its clicks are classified as before."""
    with transaction.atomic():
        locked = lock_object(BlockRule.objects.all(), rule.pk)
        if locked.is_active:
            locked.is_active = False
            history_note(locked, actor, "switched off")
            locked.save(update_fields=["is_active", "updated_at"])
    rule.is_active = False
    return rule
