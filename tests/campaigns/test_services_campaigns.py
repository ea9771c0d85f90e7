"""Plans: create, update and the status transition, with the refusals of issue 4."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.campaigns.errors import CampaignError, CampaignStateError
from apps.campaigns.models import Campaign, CampaignProduct
from apps.campaigns.services.campaigns import (
    campaign_create,
    campaign_transition,
    campaign_update,
)
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantFactory, ProductFactory

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _create(merchant, products, type="cpc", **overrides):
    values = {
        "name": f"{type} plan",
        "bid": Decimal("0.50") if type in {"cpc", "cpm"} else None,
        "daily_budget": Decimal("100.00"),
        "target_roi": Decimal("3.00") if type == "full_site" else None,
        "starts_at": START,
    }
    values.update(overrides)
    return campaign_create(merchant=merchant, type=type, products=products, **values)


@pytest.fixture
def merchant(scoped):
    return MerchantFactory(tenant=scoped, code="SHOP")


@pytest.fixture
def product(merchant):
    return ProductFactory(tenant=merchant.tenant, merchant=merchant, sku="KETTLE")


def _status(campaign):
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


def test_create_active_runs_the_activation_rules(merchant, product):
    campaign = _create(merchant, [product], status="active")
    assert _status(campaign) == "active"
    assert campaign.started_at is not None
    assert list(
        CampaignProduct.objects.filter(campaign=campaign).values_list("product_id", flat=True)
    ) == [product.pk]


def test_full_site_without_target_roi_is_refused(merchant, product):
    with pytest.raises(CampaignError) as excinfo:
        _create(merchant, [product], type="full_site", target_roi=None)
    assert excinfo.value.code == "full_site_needs_target_roi"
    assert "needs a target ROI" in excinfo.value.message
    assert Campaign.objects.count() == 0


def test_bidding_plan_without_bid_is_refused(merchant, product):
    with pytest.raises(CampaignError) as excinfo:
        _create(merchant, [product], type="cpm", bid=None)
    assert excinfo.value.code == "bid_required"
    assert Campaign.objects.count() == 0


def test_full_site_promotes_exactly_one_product(merchant, product):
    second = ProductFactory(tenant=merchant.tenant, merchant=merchant, sku="TOASTER")
    with pytest.raises(CampaignError) as excinfo:
        _create(merchant, [product, second], type="full_site")
    assert excinfo.value.code == "full_site_needs_one_product"
    assert "KETTLE, TOASTER" in excinfo.value.message
    draft = _create(merchant, [], type="full_site")
    with pytest.raises(CampaignError) as excinfo:
        campaign_transition(campaign=draft, to="active")
    assert excinfo.value.code == "campaign_needs_products"
    assert _status(draft) == "draft"


def test_another_merchants_product_is_refused(merchant, product):
    other = ProductFactory(tenant=merchant.tenant, sku="THEIRS")
    with pytest.raises(CampaignError) as excinfo:
        _create(merchant, [product, other])
    assert excinfo.value.code == "product_of_another_merchant"
    assert Campaign.objects.count() == 0


def test_product_in_active_full_site_plan_cannot_join_another_active_plan(merchant, product):
    full = _create(merchant, [product], type="full_site", name="Kettle push", status="active")
    # a draft may hold the product; activating it is refused and leaves it a draft
    cpc = _create(merchant, [product], name="Kettle CPC")
    with pytest.raises(CampaignError) as excinfo:
        campaign_transition(campaign=cpc, to="active")
    assert excinfo.value.code == "product_in_full_site_plan"
    assert "Product KETTLE" in excinfo.value.message
    assert f"“Kettle push” (#{full.pk})" in excinfo.value.message
    assert _status(cpc) == "draft"
    # creating it active is refused and creates nothing
    before = Campaign.objects.count()
    with pytest.raises(CampaignError):
        _create(merchant, [product], type="cpm", status="active")
    assert Campaign.objects.count() == before
    # once the full-site plan is paused, the other plan may run
    campaign_transition(campaign=full, to="paused")
    campaign_transition(campaign=cpc, to="active")
    assert _status(cpc) == "active"
    # and now the full-site plan cannot resume (the reverse rule)
    with pytest.raises(CampaignError) as excinfo:
        campaign_transition(campaign=full, to="active")
    assert excinfo.value.code == "full_site_product_in_other_plan"
    assert _status(full) == "paused"


def test_full_site_plan_cannot_start_on_a_product_in_another_active_plan(merchant, product):
    other = ProductFactory(tenant=merchant.tenant, merchant=merchant, sku="TOASTER")
    cpm = _create(merchant, [other, product], type="cpm", name="Shelf", status="active")
    with pytest.raises(CampaignError) as excinfo:
        _create(merchant, [product], type="full_site", status="active")
    assert excinfo.value.code == "full_site_product_in_other_plan"
    assert f"Product KETTLE is in the active plan “Shelf” (#{cpm.pk})" in excinfo.value.message
    assert Campaign.objects.count() == 1


def test_adding_the_product_of_a_full_site_plan_to_an_active_plan_is_refused(merchant, product):
    other = ProductFactory(tenant=merchant.tenant, merchant=merchant, sku="TOASTER")
    _create(merchant, [product], type="full_site", status="active")
    cpc = _create(merchant, [other], status="active")
    with pytest.raises(CampaignError) as excinfo:
        campaign_update(campaign=cpc, products=[other, product])
    assert excinfo.value.code == "product_in_full_site_plan"
    assert list(
        CampaignProduct.objects.filter(campaign=cpc).values_list("product_id", flat=True)
    ) == [other.pk]


def test_quota_counts_active_plans_only(merchant, product):
    merchant.plan_quota = 2
    merchant.save(update_fields=["plan_quota"])
    _create(merchant, [product], status="active")
    second = _create(merchant, [product], status="active")
    paused_later = _create(merchant, [product])
    with pytest.raises(CampaignError) as excinfo:
        campaign_transition(campaign=paused_later, to="active")
    assert excinfo.value.code == "plan_quota_exceeded"
    assert "Merchant SHOP already runs 2 active plans, its quota of 2" in excinfo.value.message
    assert _status(paused_later) == "draft"
    # pausing one frees a slot
    campaign_transition(campaign=second, to="paused")
    campaign_transition(campaign=paused_later, to="active")
    with pytest.raises(CampaignError):
        campaign_transition(campaign=second, to="active")
    assert Campaign.objects.filter(status="active").count() == 2


def test_quota_default_is_200(merchant, product):
    assert merchant.plan_quota == 200


def test_transitions_follow_the_table_and_reapplying_is_a_noop(merchant, product):
    campaign = _create(merchant, [product])
    with pytest.raises(CampaignStateError):
        campaign_transition(campaign=campaign, to="paused")
    campaign_transition(campaign=campaign, to="active")
    first_start = Campaign.objects.get(pk=campaign.pk).started_at
    again = campaign_transition(campaign=campaign, to="active")
    assert (again.status, again.started_at) == ("active", first_start)
    campaign_transition(campaign=campaign, to="paused")
    campaign_transition(campaign=campaign, to="active")
    assert Campaign.objects.get(pk=campaign.pk).started_at == first_start
    campaign_transition(campaign=campaign, to="ended")
    with pytest.raises(CampaignStateError) as excinfo:
        campaign_transition(campaign=campaign, to="active")
    assert excinfo.value.http_status == 409
    assert _status(campaign) == "ended"


def test_transitions_are_recorded_in_history_with_the_actor(merchant, product, staff_user):
    campaign = _create(merchant, [product], actor=staff_user)
    campaign_transition(campaign=campaign, to="active", actor=staff_user)
    rows = list(campaign.history.order_by("history_id").values_list("status", "history_user_id"))
    assert rows == [("draft", staff_user.pk), ("active", staff_user.pk)]


def test_first_full_site_activation_freezes_tagging_facts(merchant, product):
    # given a tagged product with a 30-day ROI of 3.125 -> tiers 2.5 / 3.1 / 3.8
    product_tagging_apply(
        day=datetime.date(2026, 3, 1),
        stats={product.pk: ProductTaggingStats(20, 400, Decimal("5000.00"), Decimal("1600.00"))},
        median_conversion_rate=Decimal("0.01"),
    )
    on_tier = _create(merchant, [product], type="full_site", target_roi=Decimal("3.10"))
    campaign_transition(campaign=on_tier, to="active")
    on_tier.refresh_from_db()
    assert on_tier.product_was_tagged is True
    assert on_tier.roi_tiers_at_start == ["2.5", "3.1", "3.8"]
    assert on_tier.target_roi_was_tier is True
    # when the product loses its tag later, the plan keeps what it started with
    product_tagging_apply(
        day=datetime.date(2026, 3, 2), stats={}, median_conversion_rate=Decimal("0.01")
    )
    campaign_transition(campaign=on_tier, to="paused")
    campaign_transition(campaign=on_tier, to="active")
    on_tier.refresh_from_db()
    assert (on_tier.product_was_tagged, on_tier.roi_tiers_at_start) == (True, ["2.5", "3.1", "3.8"])
    # and its target ROI and product are fixed once started
    with pytest.raises(CampaignError) as excinfo:
        campaign_update(campaign=on_tier, target_roi=Decimal("2.00"))
    assert excinfo.value.code == "full_site_started"
    assert Campaign.objects.get(pk=on_tier.pk).target_roi == Decimal("3.10")


def test_full_site_off_tier_or_untagged_is_recorded_as_such(merchant, product):
    other = ProductFactory(tenant=merchant.tenant, merchant=merchant, sku="UNTAGGED")
    product_tagging_apply(
        day=datetime.date(2026, 3, 1),
        stats={product.pk: ProductTaggingStats(20, 400, Decimal("5000.00"), Decimal("1600.00"))},
        median_conversion_rate=Decimal("0.01"),
    )
    off_tier = _create(merchant, [product], type="full_site", target_roi=Decimal("3.50"))
    campaign_transition(campaign=off_tier, to="active")
    off_tier.refresh_from_db()
    assert (off_tier.product_was_tagged, off_tier.target_roi_was_tier) == (True, False)
    untagged = _create(merchant, [other], type="full_site", status="active")
    untagged.refresh_from_db()
    assert (untagged.product_was_tagged, untagged.roi_tiers_at_start) == (False, [])
    assert untagged.target_roi_was_tier is False


def test_update_changes_fields_and_refuses_ended_plans(merchant, product):
    campaign = _create(merchant, [product], status="active")
    campaign_update(campaign=campaign, daily_budget=Decimal("250.00"), name="Renamed")
    campaign.refresh_from_db()
    assert (campaign.daily_budget, campaign.name) == (Decimal("250.00"), "Renamed")
    with pytest.raises(CampaignError):
        campaign_update(campaign=campaign, status="ended")
    campaign_transition(campaign=campaign, to="ended")
    with pytest.raises(CampaignStateError):
        campaign_update(campaign=campaign, name="Again")
    assert Campaign.objects.get(pk=campaign.pk).name == "Renamed"


def test_activation_after_the_end_date_is_refused(merchant, product):
    campaign = _create(merchant, [product], ends_at=START + datetime.timedelta(days=1))
    with pytest.raises(CampaignError) as excinfo:
        campaign_transition(campaign=campaign, to="active")
    assert excinfo.value.code == "campaign_ended"
    assert _status(campaign) == "draft"


def test_other_tenants_plans_do_not_count(tenant, other_tenant):
    theirs = MerchantFactory(tenant=other_tenant, code="SHOP")
    their_product = ProductFactory(tenant=other_tenant, merchant=theirs, sku="KETTLE")
    with tenant_scope(other_tenant):
        _create(theirs, [their_product], type="full_site", status="active")
    mine = MerchantFactory(tenant=tenant, code="SHOP", plan_quota=1)
    my_product = ProductFactory(tenant=tenant, merchant=mine, sku="KETTLE")
    campaign = _create(mine, [my_product], type="full_site", status="active")
    assert _status(campaign) == "active"
    assert Campaign.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_activations_respect_the_quota(tenant):
    merchant = MerchantFactory(tenant=tenant, plan_quota=1)
    product = ProductFactory(tenant=tenant, merchant=merchant)
    drafts = [_create(merchant, [product]) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def activate(campaign):
        try:
            with tenant_scope(tenant):
                barrier.wait()
                campaign_transition(campaign=campaign, to="active")
                outcomes.append("active")
        except CampaignError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(c,)) for c in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["active", "plan_quota_exceeded"]
    assert Campaign.objects.filter(status="active").count() == 1
