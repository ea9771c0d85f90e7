import factory

from apps.affiliates.models import Affiliate, AffiliateIp, AffiliateNote, PayoutDetails
from apps.affiliates.payouts import PURPOSE, _summary
from apps.core.crypto import encrypt_text
from apps.tenants.scope import tenant_scope
from tests.factories import TenantOwnedFactory

#: a valid Unified Social Credit Code (checksum and all) for complete payout details
TAX_ID = "91110000600037341L"


class AffiliateFactory(TenantOwnedFactory):
    class Meta:
        model = Affiliate
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"webmaster{n}@example.net")
    name = factory.Sequence(lambda n: f"Webmaster {n}")
    kind = "webmaster"
    status = "active"

    @factory.post_generation
    def payout_details(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """``AffiliateFactory(payout_details=True)`` (or a dict of values) also gives the
        webmaster complete payout details, so their statements can be approved and exported."""
        if create and extracted:
            values = extracted if isinstance(extracted, dict) else {}
            give_payout_details(self, **values)


def give_payout_details(
    affiliate,
    *,
    method="bank_transfer",
    account_holder=None,
    bank="ICBC Shanghai Branch",
    account_number="6222020200112233445",
    tax_id=TAX_ID,
):  # type: ignore[no-untyped-def]
    """Complete payout details written straight to the table (the service's checks and email
    are tested on their own; here any text may go in, e.g. formula-like values)."""
    holder = account_holder if account_holder is not None else affiliate.name
    values = {
        "account_holder": holder,
        "bank": bank,
        "account_number": account_number,
        "tax_id": tax_id,
    }
    with tenant_scope(affiliate.tenant):
        return PayoutDetails.objects.update_or_create(
            affiliate=affiliate,
            defaults={
                "tenant": affiliate.tenant,
                "method": method,
                **{f"{k}_encrypted": encrypt_text(v, purpose=PURPOSE) for k, v in values.items()},
                "summary": _summary(method, holder, bank, account_number, tax_id),
                "is_complete": True,
            },
        )[0]


class PayoutDetailsFactory(TenantOwnedFactory):
    class Meta:
        model = PayoutDetails

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    method = "bank_transfer"
    account_holder_encrypted = factory.LazyFunction(lambda: encrypt_text("Li Wei", purpose=PURPOSE))
    bank_encrypted = factory.LazyFunction(lambda: encrypt_text("ICBC", purpose=PURPOSE))
    account_number_encrypted = factory.LazyFunction(
        lambda: encrypt_text("6222020200112233445", purpose=PURPOSE)
    )
    tax_id_encrypted = factory.LazyFunction(lambda: encrypt_text(TAX_ID, purpose=PURPOSE))
    summary = "Bank transfer · ICBC · L••• W••• · •••• 3445 · tax id •••• 341L"
    is_complete = True


class AffiliateNoteFactory(TenantOwnedFactory):
    class Meta:
        model = AffiliateNote

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    body = "Called; interested in the bottom-right slot."


class AffiliateIpFactory(TenantOwnedFactory):
    class Meta:
        model = AffiliateIp

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    ip = factory.Sequence(lambda n: f"198.51.100.{n % 250 + 1}")
