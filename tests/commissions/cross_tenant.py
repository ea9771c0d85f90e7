from decimal import Decimal

from apps.commissions.models import (
    Commission,
    CommissionRule,
    DailyEarning,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    MerchantRebate,
    RebateTier,
    ReconcileRun,
    Statement,
    StatementLine,
)
from tests.commissions.factories import (
    CommissionFactory,
    CommissionRuleFactory,
    DailyEarningFactory,
    LedgerAccountFactory,
    LedgerEntryFactory,
    LedgerTransactionFactory,
    MerchantRebateFactory,
    RebateTierFactory,
    ReconcileRunFactory,
    StatementFactory,
    StatementLineFactory,
)
from tests.tenancy.harness import register_model

register_model(CommissionRule, make=lambda t: CommissionRuleFactory(tenant=t))
register_model(
    Commission, make=lambda t: CommissionFactory(tenant=t), search=lambda o: o.affiliate.email
)
register_model(DailyEarning, make=lambda t: DailyEarningFactory(tenant=t))
register_model(LedgerAccount, make=lambda t: LedgerAccountFactory(tenant=t))
register_model(
    LedgerTransaction,
    make=lambda t: LedgerTransactionFactory(tenant=t),
    search=lambda o: o.idempotency_key,
)
register_model(LedgerEntry, make=lambda t: LedgerEntryFactory(tenant=t))
register_model(RebateTier, make=lambda t: RebateTierFactory(tenant=t))
register_model(MerchantRebate, make=lambda t: MerchantRebateFactory(tenant=t))
register_model(
    Statement, make=lambda t: StatementFactory(tenant=t), search=lambda o: o.affiliate.email
)
register_model(StatementLine, make=lambda t: StatementLineFactory(tenant=t))

# Issue 17: bonus tiers and the monthly withholding report.
from apps.commissions.models import BonusTier  # noqa: E402
from tests.commissions.factories import BonusTierFactory  # noqa: E402
from tests.tenancy.harness import register_admin_page  # noqa: E402

register_model(BonusTier, make=lambda t: BonusTierFactory(tenant=t))


def _withheld(tenant):
    """A statement that withheld tax, for the report page (found by its webmaster's email)."""
    return StatementFactory(
        tenant=tenant,
        lines_total=Decimal("3000.00"),
        tax_withheld=Decimal("440.00"),
        total=Decimal("2560.00"),
        withholding_rule="prc_labour",
    )


# the statement of every tenant withholds tax, so the report page has a row to show or hide
register_model(Statement, make=_withheld, search=lambda o: o.affiliate.email)
register_admin_page(
    "admin:commissions_statement_withholding",
    model=Statement,
    query=lambda s: {"period": s.period},
    marker=lambda s: s.affiliate.email,
)


# Payment holds (risk): the webmaster seen through the proxy; no table of its own.
from apps.commissions.models import WebmasterPaymentHold  # noqa: E402
from apps.tenants.scope import tenant_scope  # noqa: E402
from tests.affiliates.factories import AffiliateFactory  # noqa: E402


def _payment_hold(tenant):
    # the holds page lists held webmasters only
    affiliate = AffiliateFactory(tenant=tenant, payment_hold=True, payment_hold_reason="KYC")
    with tenant_scope(tenant):
        return WebmasterPaymentHold.objects.get(pk=affiliate.pk)


register_model(WebmasterPaymentHold, make=_payment_hold, search=lambda o: o.email)


# Order status (money): A's merchant key posts B's order id and must get 404.
from apps.tracking.models import Conversion  # noqa: E402
from tests.tenancy.harness import register_endpoint  # noqa: E402

register_endpoint(
    "api:order-status",
    principal="merchant",
    model=Conversion,
    kwargs=lambda c: {"external_id": c.external_id},
    owner=lambda c: c.merchant,
    method="post",
    body=lambda c: {"status": "confirmed"},
)

# Reports and settlements for webmaster keys.
from apps.tracking.models import PlacementDayStats  # noqa: E402
from tests.tenancy.harness import register_endpoint  # noqa: E402

register_endpoint(
    "api:reports-daily",
    principal="affiliate",
    model=PlacementDayStats,
    identify=lambda stats: stats.placement.code,
    id_field="placement",
    owner=lambda stats: stats.affiliate,
    query={"from": "2026-03-01", "to": "2026-03-31"},
)
register_endpoint(
    "api:settlements", principal="affiliate", model=Statement, owner=lambda s: s.affiliate
)
register_endpoint(
    "api:settlement-detail",
    principal="affiliate",
    model=Statement,
    kwargs=lambda s: {"pk": s.pk},
    owner=lambda s: s.affiliate,
)
register_model(ReconcileRun, make=lambda t: ReconcileRunFactory(tenant=t))
