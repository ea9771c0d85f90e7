"""A merchant's billing terms (issue 21): finance sets its own fee on the merchant's billing
settings page through ``merchant_billing_terms_set``: validated (the refusal names the field),
with history (who, when, what, why), a confirmation before a change that alters a draft
invoice, and another tenant's merchant id answering 404."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.billing.errors import BillingTermsError
from apps.billing.models import MerchantBillingTerms, MerchantInvoice
from apps.billing.services.invoices import fee_percent_for, invoice_submit, invoices_generate
from apps.billing.services.terms import merchant_billing_terms_set
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantFactory
from tests.commissions.factories import CommissionFactory
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

APRIL = datetime.datetime(2026, 4, 3, 4, 0, tzinfo=datetime.UTC)


def _page(merchant):
    return f"/admin/desk/merchant/{merchant.pk}/billing/"


@pytest.fixture
def merchant(tenant):
    tenant.network_fee_percent = Decimal("20")
    tenant.save()
    return MerchantFactory(tenant=tenant, name="Acme Shop", code="ACME")


@pytest.fixture
def finance(tenant):
    return make_staff(tenant, "finance")


def _terms(tenant, merchant):
    with tenant_scope(tenant):
        return MerchantBillingTerms.objects.filter(merchant=merchant).first()


def test_set_change_and_clear_keep_who_what_and_why(tenant, merchant, finance):
    with tenant_scope(tenant):
        # when: finance gives the merchant its own fee, repeats it, changes it, clears it
        terms = merchant_billing_terms_set(
            merchant=merchant, fee_percent="15", reason="brand deal", actor=finance
        )
        merchant_billing_terms_set(
            merchant=merchant, fee_percent="15", reason="again", actor=finance
        )  # same terms: no history row
        merchant_billing_terms_set(
            merchant=merchant, fee_percent=Decimal("12.5"), reason="renewal", actor=finance
        )
        assert fee_percent_for(merchant=merchant) == Decimal("12.5000")
        merchant_billing_terms_set(merchant=merchant, fee_percent="", reason="ended", actor=finance)
        # then: the network's default applies again, and the history says it all
        assert fee_percent_for(merchant=merchant) == Decimal("20.0000")
        rows = list(terms.history.order_by("history_date").values_list(
            "fee_percent", "history_user", "history_change_reason"))  # fmt: skip
    assert [(fee, user) for fee, user, _ in rows] == [
        (Decimal("15.0000"), finance.pk),
        (Decimal("12.5000"), finance.pk),
        (None, finance.pk),
    ]
    assert [why.split(":")[0] for _, _, why in rows] == ["brand deal", "renewal", "ended"]


@pytest.mark.parametrize(
    ("fee", "reason", "field"),
    [
        ("abc", "x", "fee_percent"),
        ("-1", "x", "fee_percent"),
        ("150", "x", "fee_percent"),  # over 100 %: a typing slip
        ("12.34567", "x", "fee_percent"),
        ("NaN", "x", "fee_percent"),
        ("15", "  ", "reason"),
    ],
)
def test_refusals_name_the_field_and_change_nothing(tenant, merchant, fee, reason, field):
    with tenant_scope(tenant):
        with pytest.raises(BillingTermsError) as refused:
            merchant_billing_terms_set(merchant=merchant, fee_percent=fee, reason=reason)
        assert list(refused.value.fields) == [field]
        assert MerchantBillingTerms.objects.count() == 0
        assert MerchantBillingTerms.history.count() == 0


@pytest.fixture
def draft(tenant, merchant):
    """March's draft invoice: 10,000.00 of approved commissions at the network's 20 %."""
    with time_machine.travel(APRIL, tick=False):
        for _ in range(4):
            CommissionFactory(
                tenant=tenant, merchant=merchant, status="approved", amount=Decimal("2500.00")
            )
        with tenant_scope(tenant):
            invoices_generate(period="2026-03")
            yield MerchantInvoice.objects.get(merchant=merchant)


def test_a_change_that_alters_a_draft_invoice_needs_confirmation(tenant, merchant, draft):
    assert draft.fee_total == Decimal("2000.00")
    with time_machine.travel(APRIL, tick=False), tenant_scope(tenant):
        # when: the fee changes without confirmation
        with pytest.raises(BillingTermsError) as refused:
            merchant_billing_terms_set(merchant=merchant, fee_percent="25", reason="new deal")
        # then: refused, listing the draft; nothing changed
        assert refused.value.code == BillingTermsError.OPEN_INVOICES
        assert refused.value.extra["invoices"] == [draft.pk]
        assert MerchantBillingTerms.objects.count() == 0
        draft.refresh_from_db()
        assert (draft.fee_percent, draft.fee_total) == (Decimal("20.0000"), Decimal("2000.00"))
        # when: confirmed, the draft is generated again with the new fee
        merchant_billing_terms_set(
            merchant=merchant, fee_percent="25", reason="new deal", confirm_open_invoices=True
        )
        draft.refresh_from_db()
        assert (draft.fee_percent, draft.fee_total) == (Decimal("25.0000"), Decimal("2500.00"))
        assert draft.total == Decimal("12500.00")


def test_a_submitted_invoice_keeps_its_fee_and_needs_no_confirmation(
    tenant, merchant, draft, finance
):
    with time_machine.travel(APRIL, tick=False), tenant_scope(tenant):
        invoice_submit(invoice=draft, actor=finance)
        merchant_billing_terms_set(merchant=merchant, fee_percent="25", reason="from April")
        draft.refresh_from_db()
    assert (draft.status, draft.fee_percent) == ("submitted", Decimal("20.0000"))


def test_finance_changes_the_fee_on_the_page(tenant, merchant, finance):
    client = client_for(tenant, finance)
    page = client.get(_page(merchant))
    assert page.status_code == 200
    content = page.content.decode()
    assert "20.0000 %" in content
    assert "(the network's default)" in content
    assert 'id="billing-position"' in content
    assert "Record a deposit" in content
    # a bad fee: 400, the field named, nothing saved
    refused = client.post(_page(merchant), {"fee_percent": "2000", "reason": "typo"})
    assert refused.status_code == 400
    assert 'data-error="fee_percent"' in refused.content.decode()
    assert _terms(tenant, merchant) is None
    # no reason: the reason named
    refused = client.post(_page(merchant), {"fee_percent": "15", "reason": ""})
    assert 'data-error="reason"' in refused.content.decode()
    # a good one: saved, and the history row on the page
    done = client.post(
        _page(merchant), {"fee_percent": "15", "note": "2026 deal", "reason": "brand deal"}
    )
    assert done.status_code == 302
    assert _terms(tenant, merchant).fee_percent == Decimal("15.0000")
    content = client.get(_page(merchant)).content.decode()
    assert "15.0000 %" in content
    assert "brand deal" in content
    assert finance.email in content


def test_the_page_asks_before_changing_a_draft_invoice(tenant, merchant, draft, finance):
    client = client_for(tenant, finance)
    with time_machine.travel(APRIL, tick=False):
        asked = client.post(_page(merchant), {"fee_percent": "25", "reason": "new deal"})
        assert asked.status_code == 200
        content = asked.content.decode()
        assert 'id="billing-confirm"' in content
        assert "2026-03 (20.0000 %)" in content
        assert _terms(tenant, merchant) is None
        done = client.post(
            _page(merchant), {"fee_percent": "25", "reason": "new deal", "confirm": "1"}
        )
    assert done.status_code == 302
    with tenant_scope(tenant):
        draft.refresh_from_db()
    assert draft.fee_total == Decimal("2500.00")


def test_bd_reads_the_page_but_cannot_change_it(tenant, merchant):
    client = client_for(tenant, make_staff(tenant, "bd"))
    page = client.get(_page(merchant)).content.decode()
    assert "Finance changes the fee." in page
    assert 'id="billing-terms-form"' not in page
    assert client.post(_page(merchant), {"fee_percent": "1", "reason": "x"}).status_code == 403
    assert _terms(tenant, merchant) is None


def test_another_tenants_merchant_is_404_and_unchanged(tenant, other_tenant, finance):
    theirs = MerchantFactory(tenant=other_tenant)
    client = client_for(tenant, finance)
    assert client.get(_page(theirs)).status_code == 404
    response = client.post(_page(theirs), {"fee_percent": "1", "reason": "x"})
    assert response.status_code == 404
    assert _terms(other_tenant, theirs) is None


def test_the_merchant_360_page_links_to_the_billing_settings(tenant, merchant, finance):
    content = client_for(tenant, finance).get(f"/admin/desk/merchant/{merchant.pk}/").content
    assert _page(merchant) in content.decode()
