"""Claim quotes and submission: the issue's worked numbers, every refusal, the window edges."""

import datetime
from decimal import Decimal

import pytest

from apps.disputes.errors import ClaimError
from apps.disputes.models import Claim
from apps.disputes.selectors import claim_list
from apps.disputes.services import claim_quote, claim_submit, compensation_amount
from tests.disputes.factories import START, ClaimFactory, FullSitePlanFactory, spend_days, spread

pytestmark = pytest.mark.django_db

FILE_DAY = START + datetime.timedelta(days=7)  # the day after a 7-day window


@pytest.fixture
def plan(tenant):
    return FullSitePlanFactory(tenant=tenant, target_roi=Decimal("3.00"))


def refused(plan, code, **kwargs):
    kwargs.setdefault("today", FILE_DAY)
    with pytest.raises(ClaimError) as caught:
        claim_submit(campaign=plan, **kwargs)
    assert caught.value.code == code
    assert Claim.objects.count() == 0
    return caught.value


# --- the worked numbers (issue 6 "Must show") ---------------------------------------------


@pytest.mark.parametrize(
    ("spend", "gmv", "roi", "tolerance", "amount"),
    [
        ("10000.00", "25000.00", "3.0", "0", "1666.67"),
        ("10000.00", "31000.00", "3.0", "0", "0.00"),
        ("10000.00", "20000.00", "3.0", "0.2", "1666.67"),
        ("10000.00", "25000.00", "3.0", "0.2", "0.00"),
        ("10000.00", "30000.00", "3.0", "0", "0.00"),  # exactly met
        ("0.01", "0.00", "3.0", "0", "0.01"),
    ],
)
def test_compensation_amount_formula(spend, gmv, roi, tolerance, amount):
    assert compensation_amount(
        spend=Decimal(spend),
        gmv=Decimal(gmv),
        target_roi=Decimal(roi),
        tolerance=Decimal(tolerance),
    ) == Decimal(amount)


def test_compensation_rounds_half_up_once():
    # 100 - 200.01 / 2 = 100 - 100.005 -> -0.005 -> 0 ; 100.01 - 200.01/2 = 0.005 -> 0.01
    assert compensation_amount(
        spend=Decimal("100.01"),
        gmv=Decimal("200.01"),
        target_roi=Decimal("2"),
        tolerance=Decimal(0),
    ) == Decimal("0.01")


def test_worked_claim_spend_10000_gmv_25000_roi_3_is_1666_67(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")

    claim = claim_submit(campaign=plan, window_days=7, note="Missed ROI", today=FILE_DAY)

    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert claim.computed_amount == Decimal("1666.67")
    assert (claim.spend, claim.gmv, claim.target_roi) == (
        Decimal("10000.00"),
        Decimal("25000.00"),
        Decimal("3.00"),
    )
    assert (claim.window_start, claim.window_end) == (START, datetime.date(2026, 3, 7))
    assert claim.merchant_id == plan.merchant_id
    assert claim.tolerance == Decimal("0")
    assert claim.note == "Missed ROI"


def test_worked_claim_gmv_31000_meets_roi_and_is_refused(scoped, plan):
    spread(plan, spend="10000.00", gmv="31000.00")
    error = refused(plan, ClaimError.NOTHING_TO_COMPENSATE, window_days=7)
    assert "Nothing to compensate" in error.message


def test_worked_claim_with_tolerance_0_2_gmv_20000_is_1666_67(scoped, tenant, plan):
    tenant.claim_tolerance = Decimal("0.2")
    tenant.save(update_fields=["claim_tolerance"])
    spread(plan, spend="10000.00", gmv="20000.00")

    claim = claim_submit(campaign=plan, window_days=7, today=FILE_DAY)

    assert claim.computed_amount == Decimal("1666.67")
    assert claim.tolerance == Decimal("0.2")


def test_worked_claim_with_tolerance_0_2_gmv_25000_is_nothing(scoped, tenant, plan):
    tenant.claim_tolerance = Decimal("0.2")
    tenant.save(update_fields=["claim_tolerance"])
    spread(plan, spend="10000.00", gmv="25000.00")
    refused(plan, ClaimError.NOTHING_TO_COMPENSATE, window_days=7)


def test_untagged_product_is_refused_as_not_eligible(scoped, tenant):
    plan = FullSitePlanFactory(tenant=tenant, product_was_tagged=False)
    spread(plan, spend="10000.00", gmv="25000.00")
    error = refused(plan, ClaimError.NOT_ELIGIBLE)
    assert "not tagged" in error.message


def test_16_day_window_is_refused(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00", days=16)
    error = refused(
        plan, ClaimError.BAD_WINDOW, window_days=16, today=START + datetime.timedelta(20)
    )
    assert "7 to 15" in error.message


# --- the other refusals -------------------------------------------------------------------


def test_six_day_window_is_refused(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    refused(plan, ClaimError.BAD_WINDOW, window_days=6)


def test_target_roi_not_a_tier_is_not_eligible(scoped, tenant):
    plan = FullSitePlanFactory(tenant=tenant, target_roi_was_tier=False)
    spread(plan, spend="10000.00", gmv="25000.00")
    error = refused(plan, ClaimError.NOT_ELIGIBLE)
    assert "recommended tiers" in error.message


def test_a_cpc_plan_is_not_eligible(scoped, tenant):
    plan = FullSitePlanFactory(tenant=tenant, type="cpc", bid=Decimal("0.5"))
    spread(plan, spend="10000.00", gmv="25000.00")
    error = refused(plan, ClaimError.NOT_ELIGIBLE)
    assert "not a full-site" in error.message


def test_a_plan_that_never_started_is_too_early(scoped, tenant):
    plan = FullSitePlanFactory(
        tenant=tenant, status="draft", started_at=None, product_was_tagged=None
    )
    error = refused(plan, ClaimError.TOO_EARLY)
    assert "has not started" in error.message


def test_a_plan_without_spend_is_too_early(scoped, plan):
    refused(plan, ClaimError.TOO_EARLY)


def test_the_last_day_of_the_window_is_too_early(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    error = refused(plan, ClaimError.TOO_EARLY, today=datetime.date(2026, 3, 7))
    assert "2026-03-08" in error.message


def test_the_day_after_the_window_is_the_first_filing_day(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    claim = claim_submit(campaign=plan, today=datetime.date(2026, 3, 8))
    assert claim.computed_amount == Decimal("1666.67")


def test_thirty_days_after_the_window_is_the_last_filing_day(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    quote = claim_quote(campaign=plan, window_days=7, today=datetime.date(2026, 4, 6))
    assert quote.is_eligible
    assert quote.file_until == datetime.date(2026, 4, 6)
    refused(plan, ClaimError.TOO_LATE, today=datetime.date(2026, 4, 7))


def test_a_second_claim_on_the_plan_is_refused(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    first = claim_submit(campaign=plan, today=FILE_DAY)
    with pytest.raises(ClaimError) as caught:
        claim_submit(campaign=plan, window_days=8, today=FILE_DAY)
    assert caught.value.code == ClaimError.ALREADY_CLAIMED
    assert list(Claim.objects.values_list("pk", flat=True)) == [first.pk]


# --- the window ---------------------------------------------------------------------------


def test_window_starts_on_the_first_day_with_spend(scoped, plan):
    # given a zero-spend day before the first charge, and spend outside the window
    spend_days(
        plan,
        [
            (START - datetime.timedelta(days=1), "0.00", "50.00"),
            *[(START + datetime.timedelta(days=i), "1000.00", "2000.00") for i in range(7)],
            (START + datetime.timedelta(days=7), "9999.00", "0.00"),
        ],
    )

    quote = claim_quote(campaign=plan, window_days=7, today=FILE_DAY)

    assert (quote.window_start, quote.window_end) == (START, datetime.date(2026, 3, 7))
    assert (quote.spend, quote.gmv) == (Decimal("7000.00"), Decimal("14000.00"))
    # 7000 - 14000 / 3 = 2333.333... -> 2333.33
    assert quote.amount == Decimal("2333.33")
    assert quote.roi == Decimal("2.00")


def test_a_15_day_window_counts_15_days(scoped, plan):
    spend_days(plan, [(START + datetime.timedelta(days=i), "100.00", "0.00") for i in range(16)])

    quote = claim_quote(campaign=plan, window_days=15, today=datetime.date(2026, 3, 16))

    assert quote.is_eligible
    assert quote.window_end == datetime.date(2026, 3, 15)
    assert quote.spend == Decimal("1500.00")
    assert quote.amount == Decimal("1500.00")
    assert claim_quote(
        campaign=plan, window_days=15, today=datetime.date(2026, 3, 15)
    ).refusal_code == (ClaimError.TOO_EARLY)


def test_quote_writes_nothing(scoped, plan):
    spread(plan, spend="10000.00", gmv="25000.00")
    claim_quote(campaign=plan, today=FILE_DAY)
    assert Claim.objects.count() == 0


# --- tenancy -------------------------------------------------------------------------------


def test_other_tenants_claims_are_invisible_and_do_not_block(tenant, other_tenant):
    theirs = ClaimFactory(tenant=other_tenant)

    assert list(claim_list()) == []
    assert Claim.objects.filter(pk=theirs.pk).count() == 0
