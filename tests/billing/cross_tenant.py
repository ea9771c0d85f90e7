from apps.billing.models import (
    InvoicedCommission,
    MerchantBillingTerms,
    MerchantDeposit,
    MerchantInvoice,
    MerchantInvoiceLine,
)
from apps.campaigns.models import Merchant
from tests.billing.factories import (
    InvoicedCommissionFactory,
    MerchantBillingTermsFactory,
    MerchantDepositFactory,
    MerchantInvoiceFactory,
    MerchantInvoiceLineFactory,
)
from tests.tenancy.harness import register_admin_page, register_model

register_model(
    MerchantInvoice,
    make=lambda t: MerchantInvoiceFactory(tenant=t),
    search=lambda o: o.merchant.code,
)
register_model(MerchantInvoiceLine, make=lambda t: MerchantInvoiceLineFactory(tenant=t))
register_model(InvoicedCommission, make=lambda t: InvoicedCommissionFactory(tenant=t))
register_model(
    MerchantDeposit, make=lambda t: MerchantDepositFactory(tenant=t), search=lambda o: o.reference
)
register_model(
    MerchantBillingTerms,
    make=lambda t: MerchantBillingTermsFactory(tenant=t),
    search=lambda o: o.merchant.code,
)

register_admin_page("admin:desk-merchant-billing", model=Merchant, kwargs=lambda m: {"pk": m.pk})
