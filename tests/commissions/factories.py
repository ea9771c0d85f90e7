import datetime
from decimal import Decimal

import factory

from apps.commissions.models import (
    BonusTier,
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
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory
from tests.factories import TenantOwnedFactory
from tests.sites.factories import PlacementFactory

DAY = datetime.date(2026, 3, 2)


class CommissionRuleFactory(TenantOwnedFactory):
    class Meta:
        model = CommissionRule

    event = "order"
    customer_type = "any"
    rate_type = "fixed"
    value = Decimal("2.0000")
    valid_from = datetime.date(2026, 1, 1)


class CommissionFactory(TenantOwnedFactory):
    class Meta:
        model = Commission

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    source = "dispute"
    source_reference = factory.Sequence(lambda n: f"DSP-{n}")
    event = "order"
    day = DAY
    rate_type = "fixed"
    rate_value = Decimal("2.0000")
    amount = Decimal("2.00")


class DailyEarningFactory(TenantOwnedFactory):
    class Meta:
        model = DailyEarning

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    site = factory.SelfAttribute("placement.site")
    affiliate = factory.SelfAttribute("placement.site.affiliate")
    day = DAY
    valid_clicks = 3000
    click_rate = Decimal("0.1000")
    daily_guarantee = Decimal("500.00")
    click_income = Decimal("300.00")
    guarantee_topup = Decimal("200.00")
    total = Decimal("500.00")


class LedgerAccountFactory(TenantOwnedFactory):
    class Meta:
        model = LedgerAccount

    kind = "webmaster_payable"
    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    currency = factory.LazyAttribute(lambda account: account.tenant.currency)


class LedgerTransactionFactory(TenantOwnedFactory):
    class Meta:
        model = LedgerTransaction

    kind = "adjustment"
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    occurred_on = DAY


class LedgerEntryFactory(TenantOwnedFactory):
    class Meta:
        model = LedgerEntry

    transaction = factory.SubFactory(
        LedgerTransactionFactory, tenant=factory.SelfAttribute("..tenant")
    )
    account = factory.SubFactory(LedgerAccountFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = Decimal("0.00")


class RebateTierFactory(TenantOwnedFactory):
    class Meta:
        model = RebateTier

    merchant_tier = "brand"
    monthly_spend_from = factory.Sequence(lambda n: Decimal(n * 1000))
    rate = Decimal("0.0250")  # within every tier's cap


class MerchantRebateFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantRebate

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    period = "2026-03"
    spend = Decimal("1000.00")
    rate = Decimal("0.0250")
    amount = Decimal("25.00")


class StatementFactory(TenantOwnedFactory):
    class Meta:
        model = Statement

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    period = "2026-03"
    period_start = datetime.date(2026, 3, 1)
    period_end = datetime.date(2026, 3, 31)


class StatementLineFactory(TenantOwnedFactory):
    class Meta:
        model = StatementLine

    statement = factory.SubFactory(StatementFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = "adjustment"
    description = "Manual correction"
    reason = "Agreed bonus"
    amount = Decimal("0.00")


class ReconcileRunFactory(TenantOwnedFactory):
    class Meta:
        model = ReconcileRun

    period = "2026-03"
    ran_at = factory.LazyFunction(lambda: datetime.datetime(2026, 4, 2, 7, 15, tzinfo=datetime.UTC))
    differences = 1
    report = "[ledger.balance] transaction #1 (x): sum of legs expected 0.00, found 1.00"


class BonusTierFactory(TenantOwnedFactory):
    class Meta:
        model = BonusTier

    merchant = None
    gmv_from = factory.Sequence(lambda n: Decimal(100000 + n * 1000))
    percent = Decimal("1.0000")
