"""A merchant's billing terms (issue 21, docs/billing.md "Billing terms"): finance sets the
network's fee on one merchant's CPS commissions instead of the tenant's ``network_fee_percent``.

One writer, ``merchant_billing_terms_set``: validated (the refusal names the field), with a
history row saying who, when, what and why; a change that alters an open invoice (a draft,
which freezes nothing until it is submitted) needs the person's confirmation and then
refreshes those drafts, so no draft shows a fee the merchant no longer has. Submitted,
approved and paid invoices keep the fee they were frozen with.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from apps.billing.errors import BillingTermsError
from apps.billing.models import MerchantBillingTerms
from apps.billing.selectors import drafts_changed_by_fee
from apps.campaigns.models import Merchant
from apps.core.db import lock_object, model_update
from apps.core.history import history_note
from apps.tenants.scope import current_tenant

#: a fee above the commission itself is a typing slip (2000 for 20.00), not a term
MAX_FEE_PERCENT = Decimal("100")


def fee_percent_parse(value: Any) -> Decimal | None:
    """A fee as typed (``"20"``, ``"12.5"``, blank for the network's default) or refused with
    the field named: a number from 0 to 100 with at most 4 decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        fee = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        fee = None
    if fee is None or not fee.is_finite():
        raise BillingTermsError(
            f"The fee is a percentage such as 20 or 12.5, not {value!r}.",
            code=BillingTermsError.FEE,
            field="fee_percent",
        )
    if fee < 0 or fee > MAX_FEE_PERCENT:
        raise BillingTermsError(
            f"The fee is a percentage from 0 to {MAX_FEE_PERCENT} (20 = 20 %), not {fee}.",
            code=BillingTermsError.FEE,
            field="fee_percent",
        )
    if fee != fee.quantize(Decimal("0.0001")):
        raise BillingTermsError(
            f"The fee has at most 4 decimals, not {fee}.",
            code=BillingTermsError.FEE,
            field="fee_percent",
        )
    return fee


def merchant_billing_terms_set(
    *,
    merchant: Merchant,
    fee_percent: Decimal | str | None,
    reason: str,
    actor: Any = None,
    note: str | None = None,
    confirm_open_invoices: bool = False,
) -> MerchantBillingTerms:
    """Set ``merchant``'s own fee (``None``/blank: the network's default applies) and note.

    Rules: the fee is 0 to 100 percent, 4 decimals (``fee_percent_parse``); a reason is
    required (kept on the history row with the actor); the same terms again write nothing.
    When the merchant has draft invoices whose fee would change, the change is refused with
    code ``billing_terms_open_invoices`` (``extra["invoices"]`` lists them) unless
    ``confirm_open_invoices``; confirmed, those drafts' months are generated again (the
    documented *Generate*), so each draft shows the new fee."""
    from apps.billing.services.invoices import invoices_generate

    fee = fee_percent_parse(fee_percent)
    reason = (reason or "").strip()
    if not reason:
        raise BillingTermsError(
            "Say why the billing terms change (kept in their history).",
            code=BillingTermsError.REASON_REQUIRED,
            field="reason",
        )
    tenant = current_tenant()
    with transaction.atomic():
        # the merchant's row serializes two people changing its terms at once
        lock_object(Merchant.objects.all(), merchant.pk)
        terms = MerchantBillingTerms.objects.filter(merchant=merchant).first()
        fields: dict[str, Any] = {"fee_percent": fee}
        if note is not None:
            fields["note"] = note.strip()[:300]
        if terms is not None and all(getattr(terms, k) == v for k, v in fields.items()):
            return terms
        if terms is None and fee is None and not fields.get("note"):
            # no terms and none wanted: the network's default already applies
            return MerchantBillingTerms(tenant=tenant, merchant=merchant)
        drafts = drafts_changed_by_fee(merchant=merchant, fee_percent=fee)
        if drafts and not confirm_open_invoices:
            names = ", ".join(f"{inv.period} ({inv.fee_percent} %)" for inv in drafts)
            raise BillingTermsError(
                f"{merchant.name} has draft invoices computed with another fee: {names}. "
                "Confirm to change the terms and generate those drafts again.",
                code=BillingTermsError.OPEN_INVOICES,
                invoices=[inv.pk for inv in drafts],
            )
        why = f"{reason}:"
        if terms is None:
            terms = MerchantBillingTerms(tenant=tenant, merchant=merchant, **fields)
            terms.full_clean()
            history_note(terms, actor, f"{why} set fee_percent, note")
            terms.save()
        else:
            terms, _ = model_update(instance=terms, fields=fields, actor=actor, reason=why)
        for period in sorted({inv.period for inv in drafts}):
            invoices_generate(period=period, actor=actor)
    return terms
