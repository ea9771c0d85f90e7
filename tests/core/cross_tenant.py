"""The desk's pages (issue 14) in the cross-tenant harness: role homes, the risk desk, the
webmaster and merchant 360 pages, the statement page's buttons and the holds form."""

from apps.affiliates.models import Affiliate
from apps.campaigns.models import Merchant
from apps.commissions.models import Statement
from apps.disputes.models import Dispute
from apps.tracking.models import PlacementDayStats
from tests.tenancy.harness import register_admin_page

register_admin_page("admin:index", model=Dispute, marker=lambda d: f"Dispute #{d.pk} ·")
register_admin_page(
    "admin:desk-risk",
    model=PlacementDayStats,
    query=lambda stats: {"webmaster": stats.affiliate_id, "until": stats.day.isoformat()},
    marker=lambda stats: stats.placement.code,
)
register_admin_page("admin:desk-webmaster", model=Affiliate, kwargs=lambda a: {"pk": a.pk})
register_admin_page("admin:desk-merchant", model=Merchant, kwargs=lambda m: {"pk": m.pk})
register_admin_page(
    "admin:commissions_webmasterpaymenthold_add",
    model=Affiliate,
    query=lambda a: {"affiliate": a.pk},
    marker=lambda a: a.email,
)
for action in ("submit", "adjust"):  # a draft shows these; the others 404 the same way
    register_admin_page(
        f"admin:commissions_statement_detail_{action}",
        model=Statement,
        kwargs=lambda s: {"object_id": s.pk},
    )
