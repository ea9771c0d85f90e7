"""Demo data: merchant billing (issue 21). Idempotent; runs inside the demo tenant's scope,
after traffic, settlements and disputes.

The network charges a 20 % fee on CPS commissions. The brand merchant ACME confirms half of
last month's delivered orders (the merchant's confirmation approves their commissions before
the lock period ends), and BOLT pays a deposit. Last month's invoices are generated; finance
submits them all and finance2 approves all but one (four eyes), and one approved invoice is
paid. A rerun changes nothing: the workflow runs only while every invoice is a draft.
"""

from decimal import Decimal
from typing import Any

from apps.billing.models import InvoiceStatus, MerchantDeposit, MerchantInvoice
from apps.billing.services.invoices import (
    invoice_approve,
    invoice_mark_paid,
    invoice_submit,
    invoices_generate,
)
from apps.billing.services.prepaid import merchant_deposit_record
from apps.campaigns.models import Merchant
from apps.commissions.services.orders import order_status_change
from apps.tenants.clock import period_bounds, previous_period, tenant_today
from apps.tenants.models import User
from apps.tenants.services import tenant_settings_update
from apps.tracking.models import Conversion, ConversionStatus, ConversionType

FINANCE = "finance@demo.localhost"
FINANCE2 = "finance2@demo.localhost"
FEE_PERCENT = Decimal("20")


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    if tenant.network_fee_percent == 0:
        tenant_settings_update(tenant=tenant, network_fee_percent=FEE_PERCENT, reason="demo")
    period = previous_period(tenant_today(tenant))
    start, end = period_bounds(period)
    if MerchantInvoice.objects.filter(period=period).exclude(status=InvoiceStatus.DRAFT).exists():
        return  # the workflow ran before
    acme = Merchant.objects.filter(code="ACME").first()
    if acme is not None:
        orders = list(
            Conversion.objects.filter(
                merchant=acme,
                type=ConversionType.ORDER,
                status=ConversionStatus.PENDING,
                day__gte=start,
                day__lte=end,
            ).order_by("pk")
        )
        for order in orders[::2]:
            order_status_change(merchant=acme, external_id=order.external_id, status="confirmed")
        log(f"Billing: ACME confirmed {len(orders[::2])} order(s) of {period}")
    bolt = Merchant.objects.filter(code="BOLT").first()
    if bolt is not None and not MerchantDeposit.objects.filter(merchant=bolt).exists():
        merchant_deposit_record(
            merchant=bolt, amount=Decimal("20000.00"), received_on=start, reference="DEMO-DEP-1"
        )
    summary = invoices_generate(period=period)
    log(f"Invoices {period}: {summary['invoices']} draft(s)")
    finance = User.objects.filter(email=FINANCE).first()
    finance2 = User.objects.filter(email=FINANCE2).first()
    if finance is None or finance2 is None:
        return
    invoices = list(
        MerchantInvoice.objects.filter(period=period)
        .select_related("merchant")
        .order_by("merchant__code")
    )
    for index, invoice in enumerate(invoices):
        invoice_submit(invoice=invoice, actor=finance)
        if index == len(invoices) - 1 and index > 0:
            continue  # waits for finance2 (four eyes)
        invoice_approve(invoice=invoice, actor=finance2)
        if index == 0:
            invoice_mark_paid(
                invoice=invoice, actor=finance, payment_reference=f"DEMO-{period}-PAID"
            )
    log(f"Invoices {period}: {len(invoices)} submitted, approved and one paid")
