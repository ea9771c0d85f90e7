"""Which commission rule pays a conversion (API.md "commission_rules", DESIGN.md rule 10).

``resolve_rule`` is pure: it gets candidate rules (model rows or any object with the same
attributes) and the facts of one conversion line, and returns the winner or ``None``.

A rule *matches* when its event is the conversion's, it is active, ``on_day`` is within
``valid_from..valid_to`` (inclusive; open-ended when ``valid_to`` is empty), and each of its
dimensions is either blank ("any") or equal to the conversion's: merchant, affiliate,
affiliate kind, product type (case-insensitive) and customer type (``"any"`` matches every
customer; an unknown customer type, ``""``, is matched only by ``"any"``; likewise an unknown
product type is matched only by a blank one).

Among matches the most specific wins, compared lexicographically exactly in API.md's order:
1. the affiliate dimension: a rule for this affiliate > a rule for its kind > any affiliate;
2. merchant given > any;
3. product type given > any;
4. customer type given > any;
5. higher ``priority``;
6. newest: later ``created_at``, then higher ``id``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

_MIN_TIME = datetime.datetime.min.replace(tzinfo=datetime.UTC)


def rule_matches(
    rule: Any,
    *,
    event: str,
    merchant_id: int | None,
    affiliate_id: int | None,
    affiliate_kind: str,
    customer_type: str,
    product_type: str,
    on_day: datetime.date,
) -> bool:
    if rule.event != event or not getattr(rule, "is_active", True):
        return False
    if rule.valid_from > on_day or (rule.valid_to is not None and rule.valid_to < on_day):
        return False
    if rule.affiliate_id is not None and rule.affiliate_id != affiliate_id:
        return False
    if rule.affiliate_kind and rule.affiliate_kind != affiliate_kind:
        return False
    if rule.merchant_id is not None and rule.merchant_id != merchant_id:
        return False
    if rule.product_type and rule.product_type.casefold() != (product_type or "").casefold():
        return False
    return not (rule.customer_type not in ("", "any") and rule.customer_type != customer_type)


def rule_specificity(rule: Any) -> tuple:
    """The sort key of API.md's order (bigger is more specific)."""
    if rule.affiliate_id is not None:
        affiliate_rank = 2
    elif rule.affiliate_kind:
        affiliate_rank = 1
    else:
        affiliate_rank = 0
    return (
        affiliate_rank,
        rule.merchant_id is not None,
        bool(rule.product_type),
        rule.customer_type not in ("", "any"),
        rule.priority,
        getattr(rule, "created_at", None) or _MIN_TIME,
        rule.id or 0,
    )


def resolve_rule(
    rules: Iterable[Any],
    *,
    event: str,
    merchant_id: int | None,
    affiliate_id: int | None,
    affiliate_kind: str,
    customer_type: str,
    product_type: str,
    on_day: datetime.date,
) -> Any | None:
    """The most specific matching rule of ``rules`` for one conversion line, or ``None``."""
    best = None
    best_key: tuple | None = None
    for rule in rules:
        if not rule_matches(
            rule,
            event=event,
            merchant_id=merchant_id,
            affiliate_id=affiliate_id,
            affiliate_kind=affiliate_kind,
            customer_type=customer_type,
            product_type=product_type,
            on_day=on_day,
        ):
            continue
        key = rule_specificity(rule)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best
