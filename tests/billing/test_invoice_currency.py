"""A merchant billed in its own currency (issue 17): the invoice's total in that currency at
the rate of the month's last day, frozen on approval (refused without a rate, naming
currency); the payment arrives in that currency and the ledger exchanges it through the FX
clearing accounts, each currency balancing; reconcile agrees."""

from decimal import Decimal

import pytest

from apps.billing import reconcile
from apps.billing.errors import InvoiceStateError
from apps.billing.models import MerchantInvoice
from apps.billing.services.invoices import (
    invoice_approve,
    invoice_mark_paid,
    invoice_submit,
    invoices_generate,
)
from apps.commissions.models import AccountKind, LedgerEntry
from tests.billing.test_invoices import billed, clock  # noqa: F401 - fixtures
from tests.conftest import make_staff
from tests.fx.factories import FxRateFactory

pytestmark = pytest.mark.django_db


def test_an_invoice_in_usd_is_fixed_on_approval_and_paid_through_fx_legs(tenant, billed):  # noqa: F811
    type(billed).objects.filter(pk=billed.pk).update(currency="USD")
    alice, bob = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    invoices_generate(period="2026-03")
    invoice = invoice_submit(invoice=MerchantInvoice.objects.get(), actor=alice)
    with pytest.raises(InvoiceStateError) as refused:
        invoice_approve(invoice=invoice, actor=bob)
    assert list(refused.value.fields) == ["currency"]
    assert MerchantInvoice.objects.get().status == "submitted"
    # the rate of the month's last day; 14,940.00 CNY at 7.2 CNY per USD
    FxRateFactory(tenant=tenant, day=invoice.period_end, base="USD", quote="CNY",
                  rate=Decimal("7.2"))  # fmt: skip
    invoice = invoice_approve(invoice=invoice, actor=bob)
    assert (invoice.currency, invoice.total, invoice.total_in_currency) == (
        "USD", Decimal("14940.00"), Decimal("2075.00"),
    )  # fmt: skip
    invoice = invoice_mark_paid(invoice=invoice, actor=alice, payment_reference="SWIFT-1")
    legs = {
        (e.account.kind, e.account.currency): e.amount
        for e in LedgerEntry.objects.filter(
            transaction__idempotency_key=f"invoice:{invoice.pk}:paid"
        ).select_related("account")
    }
    assert legs == {
        (AccountKind.NETWORK_CASH, "USD"): Decimal("-2075.00"),
        (AccountKind.FX_CLEARING, "USD"): Decimal("2075.00"),
        (AccountKind.FX_CLEARING, "CNY"): Decimal("-14940.00"),
        (AccountKind.MERCHANT_RECEIVABLE, "CNY"): Decimal("12000.00"),
        (AccountKind.MERCHANT_BALANCE, "CNY"): Decimal("2940.00"),
    }
    assert list(reconcile.payments(period="2026-03")) == []
    assert list(reconcile.invoices(period="2026-03")) == []
