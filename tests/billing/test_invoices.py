"""Monthly merchant invoices (issue 21): what is billed, four eyes, the ledger, reconcile."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.billing import reconcile
from apps.billing.errors import InvoiceError, InvoiceFourEyesError, InvoiceStateError
from apps.billing.models import InvoicedCommission, MerchantInvoice
from apps.billing.services.invoices import (
    invoice_approve,
    invoice_mark_paid,
    invoice_return_to_draft,
    invoice_submit,
    invoices_generate,
)
from apps.commissions.models import AccountKind, LedgerEntry
from apps.commissions.services.orders import commissions_reverse_for_conversion
from tests.billing.factories import MerchantBillingTermsFactory
from tests.campaigns.factories import CampaignFactory, MerchantFactory
from tests.commissions.factories import CommissionFactory, RebateTierFactory
from tests.conftest import client_for, make_staff
from tests.tracking.factories import CampaignDayStatsFactory, ConversionFactory

pytestmark = pytest.mark.django_db

APRIL = datetime.datetime(2026, 4, 3, 4, 0, tzinfo=datetime.UTC)
MARCH_DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def clock():
    with time_machine.travel(APRIL, tick=False) as traveller:
        yield traveller


@pytest.fixture
def billed(tenant, clock):
    """The worked example: 10,000.00 of approved commissions, a 20 % fee, 3,000.00 of CPM
    spend and a 2 % rebate (60.00): 12,000.00 + 3,000.00 - 60.00 = 14,940.00."""
    tenant.network_fee_percent = Decimal("20")
    tenant.save()
    merchant = MerchantFactory(tenant=tenant, tier="brand", code="ACME")
    for _ in range(4):
        CommissionFactory(
            tenant=tenant, merchant=merchant, status="approved", amount=Decimal("2500.00")
        )
    CommissionFactory(tenant=tenant, merchant=merchant, status="pending", amount=Decimal("99.00"))
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, name="Spring CPM")
    CampaignDayStatsFactory(
        tenant=tenant, campaign=campaign, day=MARCH_DAY, spend=Decimal("3000.00")
    )
    RebateTierFactory(
        tenant=tenant, merchant_tier="brand", monthly_spend_from=Decimal("0"), rate=Decimal("0.02")
    )
    return merchant


def _ledger(merchant=None, key=None):
    entries = LedgerEntry.objects.all()
    if key:
        entries = entries.filter(transaction__idempotency_key=key)
    return {
        (e.account.kind, e.account.merchant_id): e.amount for e in entries.select_related("account")
    }


def test_worked_example_invoices_commissions_fee_spend_less_rebate(tenant, billed):
    summary = invoices_generate(period="2026-03")
    invoice = MerchantInvoice.objects.get(merchant=billed)
    lines = list(invoice.lines.values_list("kind", "quantity", "amount"))

    assert summary["created"] == 1
    assert invoice.commissions_total == Decimal("10000.00")
    assert invoice.fee_percent == Decimal("20.0000")
    assert invoice.fee_total == Decimal("2000.00")
    assert invoice.commissions_total + invoice.fee_total == Decimal("12000.00")
    assert invoice.spend_total == Decimal("3000.00")
    assert invoice.rebate_total == Decimal("60.00")
    assert invoice.credit_total == Decimal("0.00")
    assert invoice.total == Decimal("14940.00")
    assert lines == [
        ("commission", 4, Decimal("10000.00")),
        ("fee", 0, Decimal("2000.00")),
        ("spend", 0, Decimal("3000.00")),
        ("rebate", 0, Decimal("-60.00")),
    ]


def test_generate_twice_changes_nothing_and_bills_no_commission_twice(tenant, billed):
    invoices_generate(period="2026-03")
    again = invoices_generate(period="2026-03")
    assert again["created"] == 0
    assert InvoicedCommission.objects.count() == 4
    invoice = MerchantInvoice.objects.get()
    invoice_submit(invoice=invoice, actor=make_staff(tenant, "finance"))
    # April's run finds March's commissions billed already.
    with time_machine.travel(datetime.datetime(2026, 5, 3, tzinfo=datetime.UTC), tick=False):
        april = invoices_generate(period="2026-04")
    assert InvoicedCommission.objects.count() == 4
    assert april["invoices"] == 0


def test_an_open_month_is_not_invoiced(tenant, billed):
    with pytest.raises(InvoiceError) as refused:
        invoices_generate(period="2026-04")
    assert refused.value.code == InvoiceError.PERIOD_OPEN
    assert refused.value.fields == {"period": [refused.value.message]}


def test_four_eyes_then_approval_posts_the_receivable(tenant, billed):
    alice, bob = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    invoices_generate(period="2026-03")
    invoice = invoice_submit(invoice=MerchantInvoice.objects.get(), actor=alice)
    with pytest.raises(InvoiceFourEyesError):
        invoice_approve(invoice=invoice, actor=alice)
    assert not LedgerEntry.objects.filter(transaction__kind="merchant_invoice").exists()
    invoice = invoice_approve(invoice=invoice, actor=bob)
    invoice_approve(invoice=invoice, actor=bob)  # a double click is a no-op
    posted = _ledger(key=f"invoice:{invoice.pk}:approved")

    assert invoice.status == "approved"
    assert invoice.approved_by == bob
    assert posted == {
        (AccountKind.MERCHANT_RECEIVABLE, billed.pk): Decimal("-12000.00"),
        (AccountKind.NETWORK_REVENUE, None): Decimal("10000.00"),
        (AccountKind.NETWORK_FEE_REVENUE, None): Decimal("2000.00"),
    }


def test_payment_settles_the_receivable_and_the_months_balance(tenant, billed):
    alice, bob = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    invoices_generate(period="2026-03")
    invoice = invoice_submit(invoice=MerchantInvoice.objects.get(), actor=alice)
    invoice = invoice_approve(invoice=invoice, actor=bob)
    with pytest.raises(InvoiceError):
        invoice_mark_paid(invoice=invoice, actor=alice, payment_reference=" ")
    invoice = invoice_mark_paid(invoice=invoice, actor=alice, payment_reference="BANK-77")
    posted = _ledger(key=f"invoice:{invoice.pk}:paid")
    differences = list(reconcile.invoices(period="2026-03"))

    assert invoice.status == "paid"
    assert posted == {
        (AccountKind.NETWORK_CASH, None): Decimal("-14940.00"),
        (AccountKind.MERCHANT_RECEIVABLE, billed.pk): Decimal("12000.00"),
        (AccountKind.MERCHANT_BALANCE, billed.pk): Decimal("2940.00"),
    }
    assert differences == []


def test_a_commission_changed_after_the_draft_refuses_approval(tenant, billed, clock):
    alice, bob = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    invoices_generate(period="2026-03")
    invoice = invoice_submit(invoice=MerchantInvoice.objects.get(), actor=alice)
    link = InvoicedCommission.objects.order_by("pk").first()
    commission = link.commission
    commission.reversed_amount = Decimal("500.00")
    commission.save(update_fields=["reversed_amount"])
    with pytest.raises(InvoiceStateError) as refused:
        invoice_approve(invoice=invoice, actor=bob)
    invoice = invoice_return_to_draft(invoice=invoice, actor=bob, reason="refund came in")
    invoices_generate(period="2026-03")
    invoice.refresh_from_db()
    assert refused.value.code == InvoiceStateError.STALE
    assert invoice.status == "draft"
    assert invoice.commissions_total == Decimal("9500.00")
    assert invoice.fee_total == Decimal("1900.00")


def test_a_refund_after_billing_is_credited_once_on_the_next_invoice(tenant, clock):
    alice, bob = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    merchant = MerchantFactory(tenant=tenant)
    MerchantBillingTermsFactory(tenant=tenant, merchant=merchant, fee_percent=Decimal("10"))
    conversion = ConversionFactory(tenant=tenant, merchant=merchant, day=MARCH_DAY)
    conversion_commission = CommissionFactory(
        tenant=tenant,
        merchant=merchant,
        source="conversion",
        source_reference="",
        conversion=conversion,
        affiliate=conversion.affiliate,
        status="approved",
        amount=Decimal("40.00"),
    )
    invoices_generate(period="2026-03")
    march = invoice_submit(invoice=MerchantInvoice.objects.get(), actor=alice)
    march = invoice_approve(invoice=march, actor=bob)
    conversion.status = "cancelled"
    conversion.save(update_fields=["status"])
    commissions_reverse_for_conversion(conversion=conversion)
    with time_machine.travel(datetime.datetime(2026, 5, 3, tzinfo=datetime.UTC), tick=False):
        invoices_generate(period="2026-04")
        invoices_generate(period="2026-04")
        april = MerchantInvoice.objects.get(period="2026-04")
        lines = list(april.lines.values_list("kind", "amount"))
        links = list(
            InvoicedCommission.objects.filter(commission=conversion_commission)
            .order_by("pk")
            .values_list("invoice__period", "amount")
        )
    assert march.total == Decimal("44.00")
    assert lines == [("correction", Decimal("-40.00")), ("fee", Decimal("-4.00"))]
    assert april.total == Decimal("-44.00")
    assert links == [("2026-03", Decimal("40.00")), ("2026-04", Decimal("-40.00"))]


def test_reconcile_names_an_invoice_that_does_not_add_up(tenant, billed):
    invoices_generate(period="2026-03")
    MerchantInvoice.objects.update(spend_total=Decimal("2999.00"), total=Decimal("14939.00"))
    differences = list(reconcile.invoices(period="2026-03"))
    figures = sorted(d.figure for d in differences)
    assert figures == [
        "spend (run_daily's charges of the month)",
        "spend_total (sum of its lines)",
    ]
    assert all("ACME" in d.where for d in differences)


def test_print_view_shows_the_invoice_and_hides_another_networks(tenant, other_tenant, billed):
    invoices_generate(period="2026-03")
    invoice = MerchantInvoice.objects.get()
    mine = client_for(tenant, make_staff(tenant, "finance"))
    theirs = client_for(other_tenant, make_staff(other_tenant, "finance"))
    bd = client_for(tenant, make_staff(tenant, "bd"))
    url = f"/admin/billing/merchantinvoice/{invoice.pk}/print/"

    page = mine.get(url)
    assert page.status_code == 200
    assert b"14940.00" in page.content
    assert b"Network fee" in page.content
    assert theirs.get(url).status_code == 404
    assert bd.get(url).status_code == 403
