"""Writes and lookups of commission rules (API.md "commission_rules")."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.commissions.models import CommissionRule, RateType
from apps.commissions.resolution import resolve_rule
from apps.core.db import model_update
from apps.core.history import history_note, person
from apps.tenants.scope import current_tenant


class RuleBook:
    """The rules that can apply on one day, indexed by event and merchant, so resolving
    20,000 conversions looks only at the candidates of each conversion's merchant."""

    def __init__(self, *, on_day: datetime.date, events: list[str] | None = None) -> None:
        rules = CommissionRule.objects.filter(is_active=True, valid_from__lte=on_day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_day)
        )
        if events:
            rules = rules.filter(event__in=events)
        self.on_day = on_day
        self._by: dict[tuple[str, int | None], list[CommissionRule]] = defaultdict(list)
        for rule in rules:
            self._by[(rule.event, rule.merchant_id)].append(rule)

    def resolve(
        self,
        *,
        event: str,
        merchant_id: int,
        affiliate_id: int | None,
        affiliate_kind: str,
        customer_type: str,
        product_type: str,
        on_day: datetime.date | None = None,
    ) -> CommissionRule | None:
        candidates = self._by.get((event, merchant_id), []) + self._by.get((event, None), [])
        return resolve_rule(
            candidates,
            event=event,
            merchant_id=merchant_id,
            affiliate_id=affiliate_id,
            affiliate_kind=affiliate_kind,
            customer_type=customer_type,
            product_type=product_type,
            on_day=on_day or self.on_day,
        )


def commission_rule_create(
    *,
    event: str,
    rate_type: str,
    value: Decimal,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    merchant: Any = None,
    affiliate: Any = None,
    affiliate_kind: str = "",
    customer_type: str = "any",
    product_type: str = "",
    priority: int = 0,
    is_active: bool = True,
    actor: Any = None,
) -> CommissionRule:
    """Create one rule (admin, import, demo). Validated by the model's own checks first, so a
    bad value is a message naming the field, not a database error. History names ``actor``."""
    rule = CommissionRule(
        tenant=current_tenant(),
        event=event,
        rate_type=rate_type,
        value=value,
        valid_from=valid_from,
        valid_to=valid_to,
        merchant=merchant,
        affiliate=affiliate,
        affiliate_kind=affiliate_kind,
        customer_type=customer_type or "any",
        product_type=product_type,
        priority=priority,
        is_active=is_active,
        created_by=person(actor),
    )
    _check(rule)
    history_note(rule, actor, "created")
    with transaction.atomic():
        rule.save()
    return rule


#: What staff may change on a rule (the admin form); a rule's tenant and author never change.
RULE_FIELDS = frozenset(
    {
        "event",
        "rate_type",
        "value",
        "priority",
        "is_active",
        "merchant",
        "affiliate",
        "affiliate_kind",
        "customer_type",
        "product_type",
        "valid_from",
        "valid_to",
    }
)


def _check(rule: CommissionRule) -> None:
    if rule.rate_type == RateType.PERCENT and rule.value > 100:
        raise ValidationError({"value": "A percent rule pays at most 100 (%) of the line."})
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        raise ValidationError({"valid_to": "valid_to must not be before valid_from."})
    rule.full_clean(exclude=["tenant", "created_by"])


def commission_rule_update(
    *, rule: CommissionRule, actor: Any = None, **fields: Any
) -> CommissionRule:
    """Change a rule (``RULE_FIELDS``), validated like a new one, under a row lock, with a
    history row naming ``actor`` and the changed fields. Conversions already accrued keep
    the commission they were given; the new terms apply from the next accrual."""
    unknown = sorted(set(fields) - RULE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked, _ = model_update(instance=rule, fields=fields, actor=actor, clean=_check)
    return locked
