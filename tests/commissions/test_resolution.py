"""``resolve_rule``: API.md's specificity order, exhaustively and as properties."""

import datetime
import itertools
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.commissions.resolution import resolve_rule, rule_matches

DAY = datetime.date(2026, 3, 2)
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
_ids = itertools.count(1)


@dataclass
class R:
    """A rule as resolve_rule sees it (no database needed: the function is pure)."""

    event: str = "order"
    merchant_id: int | None = None
    affiliate_id: int | None = None
    affiliate_kind: str = ""
    customer_type: str = "any"
    product_type: str = ""
    priority: int = 0
    valid_from: datetime.date = datetime.date(2026, 1, 1)
    valid_to: datetime.date | None = None
    is_active: bool = True
    id: int = field(default_factory=lambda: next(_ids))
    created_at: datetime.datetime = T0


FACTS = {
    "event": "order",
    "merchant_id": 7,
    "affiliate_id": 3,
    "affiliate_kind": "cashback",
    "customer_type": "new",
    "product_type": "electronics",
    "on_day": DAY,
}


def resolve(rules, **changes):
    return resolve_rule(rules, **{**FACTS, **changes})


def test_no_rules_no_winner():
    assert resolve([]) is None


def test_affiliate_beats_kind_beats_any():
    general = R(priority=99)
    kind = R(affiliate_kind="cashback")
    mine = R(affiliate_id=3)
    assert resolve([general, kind, mine]) is mine
    assert resolve([general, kind]) is kind
    assert resolve([general]) is general


def test_affiliate_dimension_outranks_all_others():
    mine = R(affiliate_id=3)
    detailed_kind = R(
        affiliate_kind="cashback", merchant_id=7, product_type="electronics", customer_type="new"
    )
    assert resolve([detailed_kind, mine]) is mine


def test_merchant_beats_product_type_beats_customer_type():
    merchant = R(merchant_id=7)
    product = R(product_type="electronics", customer_type="new")
    customer = R(customer_type="new", priority=50)
    assert resolve([customer, product, merchant]) is merchant
    assert resolve([customer, product]) is product
    assert resolve([customer, R()]) is customer


def test_priority_then_newest_break_ties():
    low = R(priority=1)
    high = R(priority=2)
    assert resolve([high, low]) is high
    old = R(created_at=T0)
    new = R(created_at=T0 + datetime.timedelta(seconds=1))
    assert resolve([new, old]) is new
    same_time_a, same_time_b = R(id=100), R(id=101)
    assert resolve([same_time_b, same_time_a]) is same_time_b


def test_non_matching_dimensions_exclude_a_rule():
    assert resolve([R(affiliate_id=4)]) is None
    assert resolve([R(affiliate_kind="influencer")]) is None
    assert resolve([R(merchant_id=8)]) is None
    assert resolve([R(product_type="apparel")]) is None
    assert resolve([R(customer_type="returning")]) is None
    assert resolve([R(event="registration")]) is None
    assert resolve([R(is_active=False)]) is None


def test_validity_window_is_inclusive():
    assert resolve([R(valid_from=DAY)]) is not None
    assert resolve([R(valid_to=DAY)]) is not None
    assert resolve([R(valid_from=DAY + datetime.timedelta(days=1))]) is None
    assert resolve([R(valid_to=DAY - datetime.timedelta(days=1))]) is None


def test_unknown_customer_and_product_type_match_only_any():
    specific = R(customer_type="new", priority=9)
    typed = R(product_type="electronics", priority=9)
    general = R()
    assert resolve([specific, typed, general], customer_type="", product_type="") is general


def test_product_type_is_compared_case_insensitively():
    rule = R(product_type="Electronics")
    assert resolve([rule]) is rule


# --- properties ------------------------------------------------------------------------------

rules_st = st.builds(
    R,
    event=st.sampled_from(["order", "registration"]),
    merchant_id=st.sampled_from([None, 7, 8]),
    affiliate_id=st.sampled_from([None, 3, 4]),
    affiliate_kind=st.sampled_from(["", "cashback", "content"]),
    customer_type=st.sampled_from(["any", "new", "returning"]),
    product_type=st.sampled_from(["", "electronics", "apparel"]),
    priority=st.integers(0, 3),
    valid_from=st.sampled_from([datetime.date(2026, 1, 1), DAY, datetime.date(2026, 4, 1)]),
    valid_to=st.sampled_from([None, DAY, datetime.date(2026, 2, 1)]),
    is_active=st.booleans(),
    created_at=st.sampled_from([T0, T0 + datetime.timedelta(hours=1)]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(rules_st, max_size=12))
def test_winner_always_matches_and_is_most_specific(rules):
    winner = resolve(rules)
    matching = [r for r in rules if rule_matches(r, **FACTS)]
    if not matching:
        assert winner is None
        return
    assert winner in matching
    assert all(_key(winner) >= _key(r) for r in matching), (
        "a matching rule is more specific than the winner"
    )


GENERALIZE = {
    "affiliate_id": None,
    "affiliate_kind": "",
    "merchant_id": None,
    "product_type": "",
    "customer_type": "any",
}


@settings(max_examples=300, deadline=None)
@given(st.lists(rules_st, min_size=1, max_size=10), st.data())
def test_adding_a_less_specific_rule_never_changes_the_winner(rules, data):
    winner = resolve(rules)
    if winner is None:
        return
    # a copy of the winner with one more dimension set to "any" (or a lower priority):
    # it still matches, and is strictly less specific
    dims = [d for d, blank in GENERALIZE.items() if getattr(winner, d) != blank]
    if winner.affiliate_id is not None and "affiliate_kind" in dims:
        dims.remove("affiliate_kind")  # a rule for the affiliate ranks the same with or without
    dim = data.draw(st.sampled_from([*dims, "priority"]))
    weaker = R(**{**winner.__dict__, "id": next(_ids)})
    if dim == "priority":
        weaker.priority = winner.priority - 1
    else:
        weaker.__dict__[dim] = GENERALIZE[dim]
        if dim == "affiliate_id" and winner.affiliate_kind == "":
            weaker.affiliate_kind = ""
    assert rule_matches(weaker, **FACTS)
    assert resolve([*rules, weaker]) is winner
    assert resolve([weaker, *rules]) is winner


@settings(max_examples=300, deadline=None)
@given(st.lists(rules_st, max_size=10), rules_st)
def test_a_rule_less_specific_than_the_winner_never_wins(rules, extra):
    winner = resolve(rules)
    if winner is None or _key(extra) >= _key(winner):
        return
    assert resolve([*rules, extra]) is winner


@settings(max_examples=200, deadline=None)
@given(st.lists(rules_st, max_size=10), st.randoms())
def test_order_of_rules_does_not_matter(rules, rnd):
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    assert resolve(shuffled) is resolve(rules)


def _key(rule):
    from apps.commissions.resolution import rule_specificity

    return rule_specificity(rule)
