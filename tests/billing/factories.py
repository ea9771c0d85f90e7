import datetime
from decimal import Decimal

import factory

from apps.billing.models import (
    InvoicedCommission,
    MerchantBillingTerms,
    MerchantDeposit,
    MerchantInvoice,
    MerchantInvoiceLine,
)
from tests.campaigns.factories import MerchantFactory
from tests.commissions.factories import CommissionFactory
from tests.factories import TenantOwnedFactory


class MerchantInvoiceFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantInvoice

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    period = "2026-03"
    period_start = datetime.date(2026, 3, 1)
    period_end = datetime.date(2026, 3, 31)


class MerchantInvoiceLineFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantInvoiceLine

    invoice = factory.SubFactory(MerchantInvoiceFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = "spend"
    description = "CPM spend: Spring"
    amount = Decimal("0.00")


class InvoicedCommissionFactory(TenantOwnedFactory):
    class Meta:
        model = InvoicedCommission

    invoice = factory.SubFactory(MerchantInvoiceFactory, tenant=factory.SelfAttribute("..tenant"))
    commission = factory.SubFactory(CommissionFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = Decimal("2.00")


class MerchantDepositFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantDeposit

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = Decimal("1000.00")
    received_on = datetime.date(2026, 3, 2)
    reference = factory.Sequence(lambda n: f"BANK-{n}")


class MerchantBillingTermsFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantBillingTerms

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    fee_percent = Decimal("15.0000")
