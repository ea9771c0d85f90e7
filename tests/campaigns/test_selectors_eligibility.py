"""Which products a plan may run with: the reads the activation service refuses with and the
full-site setup's first step lists (one rule, issue 15)."""

import pytest

from apps.campaigns.errors import CampaignError
from apps.campaigns.models import Campaign, CampaignType
from apps.campaigns.selectors.eligibility import full_site_candidates, product_refusals
from apps.campaigns.services.campaigns import campaign_activate
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignProductFactory,
    MerchantFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(tenant):
    return MerchantFactory(tenant=tenant, code="SHOP")


def _draft_full_site(tenant, merchant, product):
    plan = CampaignFactory(
        tenant=tenant, merchant=merchant, type="full_site", bid=None, status="draft",
        target_roi="3.00", name="Push",
    )  # fmt: skip
    CampaignProductFactory(tenant=tenant, campaign=plan, product=product)
    return plan


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda t, m: ProductFactory(tenant=t, merchant=m, is_active=False), "product_inactive"),
        (
            lambda t, m: ProductFactory(
                tenant=t, merchant=m, url="https://far.example.net/p", verified_domain=False
            ),
            "product_off_verified_domain",
        ),
    ],
)
def test_activation_refuses_with_the_reason_step_one_lists(tenant, merchant, make, code):
    # given a full-site draft on a product that cannot run
    product = make(tenant, merchant)
    plan = _draft_full_site(tenant, merchant, product)
    [candidate] = full_site_candidates(merchant=merchant)
    # when it is activated, then it is refused with the very reason step 1 shows
    with pytest.raises(CampaignError) as excinfo:
        campaign_activate(campaign=plan)
    assert [r.code for r in candidate.refusals] == [code]
    assert (excinfo.value.code, excinfo.value.message) == (code, candidate.refusals[0].message)
    assert Campaign.objects.get(pk=plan.pk).status == "draft"


def test_a_product_in_a_full_site_plan_is_refused_to_every_other_plan(tenant, merchant):
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE")
    holder = _draft_full_site(tenant, merchant, product)
    campaign_activate(campaign=holder)
    refusals = product_refusals(merchant=merchant, plan_type=CampaignType.CPC, products=[product])
    assert [(r.code, r.plan) for r in refusals[product.pk]] == [
        ("product_in_full_site_plan", Campaign.objects.get(pk=holder.pk))
    ]
    # the plan itself is never "another" plan
    assert product_refusals(
        merchant=merchant, plan_type=CampaignType.FULL_SITE, products=[product], campaign=holder
    ) == {product.pk: []}


def test_a_cpc_plan_may_share_a_product_with_another_cpc_plan(tenant, merchant):
    product = ProductFactory(tenant=tenant, merchant=merchant)
    plan = CampaignFactory(tenant=tenant, merchant=merchant)
    CampaignProductFactory(tenant=tenant, campaign=plan, product=product)
    assert product_refusals(merchant=merchant, plan_type=CampaignType.CPC, products=[product]) == {
        product.pk: []
    }


def test_candidates_list_free_products_first_and_only_the_merchants_own(
    tenant, other_tenant, merchant
):
    held = ProductFactory(tenant=tenant, merchant=merchant, sku="A-HELD")
    plan = CampaignFactory(tenant=tenant, merchant=merchant)
    CampaignProductFactory(tenant=tenant, campaign=plan, product=held)
    ProductFactory(tenant=tenant, merchant=merchant, sku="B-FREE")
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    ProductFactory(tenant=other_tenant, sku="FOREIGN")
    rows = [(c.product.sku, c.can_join) for c in full_site_candidates(merchant=merchant)]
    assert rows == [("B-FREE", True), ("A-HELD", False)]
