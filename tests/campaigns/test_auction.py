"""The auction as a pure function (issue 4), with the issue's worked numbers.

No database: ``apps.campaigns.auction`` is plain Decimal arithmetic over frozen dataclasses.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.campaigns.auction import (
    CPC,
    CPM,
    Bid,
    BidInputs,
    best_bid_per_merchant,
    bid_for_campaign,
    ecpm,
    full_site_cpc,
    is_eligible,
    predicted_ctr,
    run_auction,
)

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
CTR_3 = Decimal("0.030000")


def _bid(campaign_id, merchant_id, kind, amount, ctr=CTR_3, age_days=0):
    return Bid(
        campaign_id=campaign_id,
        merchant_id=merchant_id,
        created_at=T0 - datetime.timedelta(days=age_days),
        kind=kind,
        amount=Decimal(amount),
        predicted_ctr=Decimal(ctr),
    )


# --- the building blocks ---------------------------------------------------------------------


def test_predicted_ctr_is_smoothed_with_one_click_in_a_hundred_impressions():
    assert predicted_ctr(0, 0) == Decimal("0.010000")
    assert predicted_ctr(2, 0) == Decimal("0.030000")
    assert predicted_ctr(29, 900) == Decimal("0.030000")
    assert predicted_ctr(0, 200) == Decimal("0.003333")  # 1/300, 6 decimals half-up


def test_predicted_ctr_refuses_negative_counts():
    with pytest.raises(ValueError, match="negative"):
        predicted_ctr(-1, 0)


def test_ecpm_of_cpm_is_the_bid_and_of_cpc_is_bid_times_ctr_times_1000():
    assert ecpm(kind=CPM, amount=Decimal("20.00"), ctr=CTR_3) == Decimal("20.0000")
    assert ecpm(kind=CPC, amount=Decimal("0.50"), ctr=CTR_3) == Decimal("15.0000")
    with pytest.raises(ValueError, match="unknown bid kind"):
        ecpm(kind="cps", amount=Decimal("1"), ctr=CTR_3)


# --- the worked numbers of issue 4 -----------------------------------------------------------


def test_cpm_20_beats_cpc_050_at_3_percent_and_pays_15_10():
    # given CPM 20.00 (eCPM 20.00) and CPC 0.50 x 3% x 1000 (eCPM 15.00)
    cpm = _bid(1, 100, CPM, "20.00")
    cpc = _bid(2, 200, CPC, "0.50")
    # when
    result = run_auction([cpc, cpm], floor_cpm=Decimal("1.00"))
    # then the CPM campaign wins and pays the runner-up's 15.00 + 0.10
    assert result is not None
    assert result.winner == cpm
    assert result.winner_ecpm == Decimal("20.0000")
    assert result.runner_up == cpc
    assert result.price_cpm == Decimal("15.1000")
    assert result.cpc_price is None


def test_a_second_bid_of_the_same_merchant_does_not_set_the_price():
    # given merchant 100 bids 20.00 and 19.00; merchant 200 bids eCPM 15.00
    best = _bid(1, 100, CPM, "20.00")
    same_merchant = _bid(3, 100, CPM, "19.00")
    other = _bid(2, 200, CPC, "0.50")
    result = run_auction([same_merchant, best, other], floor_cpm=Decimal("0"))
    # then the price is 15.10 (set by merchant 200), not 19.10
    assert result.winner == best
    assert result.runner_up == other
    assert result.price_cpm == Decimal("15.1000")


def test_a_merchant_alone_with_two_bids_pays_floor_plus_010():
    best = _bid(1, 100, CPM, "20.00")
    same_merchant = _bid(3, 100, CPM, "19.00")
    result = run_auction([best, same_merchant], floor_cpm=Decimal("2.00"))
    assert result.winner == best
    assert result.runner_up is None
    assert result.price_cpm == Decimal("2.1000")


def test_a_single_bidder_pays_floor_plus_010():
    only = _bid(1, 100, CPM, "20.00")
    result = run_auction([only], floor_cpm=Decimal("5.00"))
    assert result.price_cpm == Decimal("5.1000")
    assert result.runner_up is None


def test_a_single_bidder_pays_at_most_its_own_ecpm():
    only = _bid(1, 100, CPM, "5.05")
    result = run_auction([only], floor_cpm=Decimal("5.00"))
    assert result.price_cpm == Decimal("5.0500")


def test_the_winner_never_pays_more_than_its_own_ecpm():
    # given a tie-breaker gap smaller than the 0.10 increment
    a = _bid(1, 100, CPM, "15.05")
    b = _bid(2, 200, CPC, "0.50")  # eCPM 15.00
    result = run_auction([a, b], floor_cpm=Decimal("0"))
    assert result.winner == a
    assert result.price_cpm == Decimal("15.0500")


def test_ties_go_to_the_older_campaign():
    newer = _bid(1, 100, CPM, "15.00", age_days=1)
    older = _bid(2, 200, CPC, "0.50", age_days=5)  # eCPM 15.00 as well
    result = run_auction([newer, older], floor_cpm=Decimal("0"))
    assert result.winner == older
    # equal eCPMs: min(15.00, 15.00 + 0.10)
    assert result.price_cpm == Decimal("15.0000")
    assert result.cpc_price == Decimal("0.5000")


def test_ties_within_a_merchant_pick_the_older_campaign_too():
    newer = _bid(7, 100, CPM, "10.00", age_days=0)
    older = _bid(8, 100, CPM, "10.00", age_days=3)
    assert best_bid_per_merchant([newer, older]) == [older]


def test_a_cpc_winner_pays_per_click_price_cpm_over_ctr_times_1000():
    # given CPC 0.80 at 3% (eCPM 24.00) against CPM 20.00
    cpc = _bid(1, 100, CPC, "0.80")
    cpm = _bid(2, 200, CPM, "20.00")
    result = run_auction([cpm, cpc], floor_cpm=Decimal("0"))
    # then it clears at 20.10 per mille, i.e. 20.10 / (0.03 x 1000) = 0.67 per click
    assert result.winner == cpc
    assert result.price_cpm == Decimal("20.1000")
    assert result.cpc_price == Decimal("0.6700")


def test_a_cpc_per_click_price_is_rounded_to_4_decimals_half_up():
    cpc = _bid(1, 100, CPC, "1.00", ctr="0.070000")  # eCPM 70.00
    cpm = _bid(2, 200, CPM, "10.00")
    result = run_auction([cpc, cpm], floor_cpm=Decimal("0"))
    # 10.10 / 70 = 0.144285... -> 0.1443
    assert result.cpc_price == Decimal("0.1443")


def test_a_cpc_winner_never_pays_more_per_click_than_its_bid():
    # given CPC 0.17 at CTR 0.0123%: eCPM 0.17 x 0.000123 x 1000 = 0.02091 -> 0.0209
    # and at 0.02095 -> 0.0210 (rounded up), alone above a zero floor
    alone = _bid(1, 100, CPC, "0.17", ctr="0.000123")
    assert run_auction([alone], floor_cpm=Decimal("0")).cpc_price <= Decimal("0.17")
    rounded_up = _bid(2, 100, CPC, "0.50", ctr="0.000041")  # 0.0205 exactly: pays its eCPM
    result = run_auction([rounded_up], floor_cpm=Decimal("0"))
    assert result.price_cpm == Decimal("0.0205")
    assert result.cpc_price == Decimal("0.5000")
    tricky = _bid(3, 100, CPC, "0.0101", ctr="0.000105")  # 0.00106 -> eCPM 0.0011
    result = run_auction([tricky], floor_cpm=Decimal("0"))
    # 0.0011 / 0.105 = 0.010476 -> 0.0105 would exceed the 0.0101 bid: capped
    assert result.price_cpm == Decimal("0.0011")
    assert result.cpc_price == Decimal("0.0101")


def test_bids_below_the_floor_or_worth_nothing_take_no_part():
    low = _bid(1, 100, CPM, "1.99")
    zero = _bid(2, 200, CPC, "0.00")
    assert run_auction([low, zero], floor_cpm=Decimal("2.00")) is None
    assert run_auction([], floor_cpm=Decimal("0")) is None
    # a bid below the floor does not set the price of one above it
    high = _bid(3, 300, CPM, "9.00")
    result = run_auction([low, high], floor_cpm=Decimal("2.00"))
    assert result.winner == high
    assert result.runner_up is None
    assert result.price_cpm == Decimal("2.1000")


# --- full-site CPC ---------------------------------------------------------------------------


def test_full_site_cpc_uses_30_day_gmv_per_click_over_target_roi():
    # GMV 3000.00 over 1000 clicks = 3.00 per click; target ROI 4 -> 0.75 per click
    cpc = full_site_cpc(
        gmv_30d=Decimal("3000.00"),
        clicks_30d=1000,
        product_price=Decimal("199.00"),
        target_roi=Decimal("4.0"),
    )
    assert cpc == Decimal("0.7500")


def test_full_site_cpc_without_history_uses_2_percent_of_the_price():
    # price 199.00 x 2% = 3.98; target ROI 3 -> 1.3267
    kwargs = {"product_price": Decimal("199.00"), "target_roi": Decimal("3.0")}
    assert full_site_cpc(gmv_30d=Decimal("0"), clicks_30d=0, **kwargs) == Decimal("1.3267")
    # clicks but no GMV yet: still the fallback, never a zero bid
    assert full_site_cpc(gmv_30d=Decimal("0"), clicks_30d=50, **kwargs) == Decimal("1.3267")


def test_full_site_cpc_refuses_a_non_positive_target_roi():
    with pytest.raises(ValueError, match="target ROI"):
        full_site_cpc(
            gmv_30d=Decimal("1"), clicks_30d=1, product_price=Decimal("1"), target_roi=Decimal(0)
        )


def test_bid_for_campaign_maps_each_type():
    inputs = BidInputs(clicks=2, impressions=0, gmv_30d=Decimal("300.00"), clicks_30d=100)
    common = {
        "campaign_id": 1,
        "merchant_id": 2,
        "created_at": T0,
        "product_price": Decimal("100.00"),
        "inputs": inputs,
    }
    cpm = bid_for_campaign(type="cpm", bid=Decimal("20.00"), target_roi=None, **common)
    assert (cpm.kind, cpm.amount, cpm.predicted_ctr) == (CPM, Decimal("20.00"), CTR_3)
    cpc = bid_for_campaign(type="cpc", bid=Decimal("0.50"), target_roi=None, **common)
    assert (cpc.kind, cpc.ecpm) == (CPC, Decimal("15.0000"))
    full = bid_for_campaign(type="full_site", bid=None, target_roi=Decimal("2.00"), **common)
    # 300 / 100 = 3.00 per click, / 2 = 1.50
    assert (full.kind, full.amount) == (CPC, Decimal("1.5000"))
    assert bid_for_campaign(type="cps", bid=None, target_roi=None, **common) is None
    assert bid_for_campaign(type="cpc", bid=None, target_roi=None, **common) is None


def test_is_eligible_checks_status_schedule_budget_and_weight():
    base = {
        "status": "active",
        "starts_at": T0,
        "ends_at": T0 + datetime.timedelta(days=10),
        "now": T0 + datetime.timedelta(days=1),
        "daily_budget": Decimal("100.00"),
        "spend_today": Decimal("99.99"),
        "min_site_weight": 5,
        "site_weight": 5,
    }
    assert is_eligible(**base)
    assert not is_eligible(**{**base, "status": "paused"})
    assert not is_eligible(**{**base, "now": T0 - datetime.timedelta(seconds=1)})
    assert not is_eligible(**{**base, "now": T0 + datetime.timedelta(days=10)})
    assert not is_eligible(**{**base, "spend_today": Decimal("100.00")})
    assert not is_eligible(**{**base, "site_weight": 4})
    assert is_eligible(**{**base, "ends_at": None})


# --- properties ------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("200.00"), places=2)
ctrs = st.decimals(min_value=Decimal("0.000100"), max_value=Decimal("0.500000"), places=6)
bids = st.builds(
    Bid,
    campaign_id=st.integers(min_value=1, max_value=50),
    merchant_id=st.integers(min_value=1, max_value=6),
    created_at=st.datetimes(
        min_value=datetime.datetime(2025, 1, 1), max_value=datetime.datetime(2026, 1, 1)
    ).map(lambda d: d.replace(tzinfo=datetime.UTC)),
    kind=st.sampled_from([CPM, CPC]),
    amount=amounts,
    predicted_ctr=ctrs,
)
floors = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("30.00"), places=2)


@settings(deadline=None)
@given(st.lists(bids, max_size=12), floors)
def test_property_price_is_between_the_floor_and_the_winners_ecpm(bid_list, floor):
    result = run_auction(bid_list, floor_cpm=floor)
    if result is None:
        assert all(b.ecpm <= 0 or b.ecpm < floor for b in bid_list)
        return
    assert result.price_cpm <= result.winner_ecpm
    assert result.price_cpm >= floor
    assert result.winner_ecpm >= floor


@settings(deadline=None)
@given(st.lists(bids, min_size=1, max_size=12), floors)
def test_property_winner_has_the_highest_ecpm_and_pays_at_most_next_plus_010(bid_list, floor):
    result = run_auction(bid_list, floor_cpm=floor)
    if result is None:
        return
    competing = [b for b in bid_list if b.ecpm > 0 and b.ecpm >= floor]
    assert result.winner_ecpm == max(b.ecpm for b in competing)
    others = [b.ecpm for b in competing if b.merchant_id != result.winner.merchant_id]
    reference = max(others) if others else floor
    assert result.price_cpm == min(result.winner_ecpm, reference + Decimal("0.10"))
    assert result.runner_up is None or result.runner_up.merchant_id != result.winner.merchant_id


@settings(deadline=None)
@given(st.lists(bids, min_size=1, max_size=12), floors)
def test_property_the_winners_other_bids_never_change_the_outcome(bid_list, floor):
    result = run_auction(bid_list, floor_cpm=floor)
    if result is None:
        return
    without_siblings = [
        b for b in bid_list if b.merchant_id != result.winner.merchant_id or b == result.winner
    ]
    again = run_auction(without_siblings, floor_cpm=floor)
    assert again.winner == result.winner
    assert again.price_cpm == result.price_cpm


@settings(deadline=None)
@given(st.lists(bids, min_size=1, max_size=12), floors)
def test_property_the_result_does_not_depend_on_bid_order(bid_list, floor):
    forward = run_auction(bid_list, floor_cpm=floor)
    backward = run_auction(list(reversed(bid_list)), floor_cpm=floor)
    if forward is None:
        assert backward is None
        return
    assert (forward.winner.campaign_id, forward.price_cpm) == (
        backward.winner.campaign_id,
        backward.price_cpm,
    )


@settings(deadline=None)
@given(st.lists(bids, min_size=1, max_size=12), floors)
def test_property_a_cpc_winner_per_click_price_reproduces_the_clearing_price(bid_list, floor):
    result = run_auction(bid_list, floor_cpm=floor)
    if result is None or result.winner.kind != CPC:
        return
    expected = result.price_cpm / (result.winner.predicted_ctr * 1000)
    # 4-decimal rounding of the per-click price, never above the CPC bid
    rounded = expected.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    assert result.cpc_price == min(rounded, result.winner.amount)
    assert result.cpc_price <= result.winner.amount
