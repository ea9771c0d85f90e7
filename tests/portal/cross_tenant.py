"""Portal pages in the cross-tenant harness (issue 15): the merchant portal and the webmaster
pages issue 15 added or changed (dashboard, earnings and its CSV, the dispute form's picker)."""

from apps.campaigns.models import Campaign, MerchantDomain, Product
from apps.sites.models import Placement
from apps.tracking.models import Click
from tests.tenancy.harness import register_portal_page


def _merchant(obj):
    return obj.merchant


def _webmaster(placement):
    return placement.site.affiliate


for name, model, marker in (
    ("merchant-dashboard", Campaign, lambda o: o.name),
    ("merchant-campaigns", Campaign, lambda o: o.name),
    ("merchant-performance", Campaign, lambda o: o.name),
    ("merchant-products", Product, lambda o: o.sku),
    ("merchant-full-site", Product, lambda o: o.sku),
    ("merchant-domains", MerchantDomain, lambda o: o.domain),
):
    register_portal_page(name, principal="merchant", model=model, owner=_merchant, marker=marker)
register_portal_page(
    "merchant-campaign",
    principal="merchant",
    model=Campaign,
    owner=_merchant,
    kwargs=lambda o: {"pk": o.pk},
)

# The webmaster's figures need rolled-up days to show A's own placement: absence is checked.
for name in ("webmaster-dashboard", "webmaster-earnings", "webmaster-earnings-csv"):
    register_portal_page(
        name,
        principal="webmaster",
        model=Placement,
        owner=_webmaster,
        marker=lambda o: o.code,
        shows_mine=False,
    )
register_portal_page(
    "webmaster-disputes",
    principal="webmaster",
    model=Click,
    owner=lambda o: o.affiliate,
    marker=lambda o: o.merchant.name,
    shows_mine=False,
)
