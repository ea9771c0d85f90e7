"""A merchant's billing settings in the back office (issue 21): the network's fee on its CPS
commissions and its prepaid position, on one desk page (``/admin/desk/merchant/<id>/billing/``)
linked from the merchant's 360 page and the billing terms list.

Finance changes the fee there through ``merchant_billing_terms_set`` (a reason is required;
a refusal names its field; a change that alters a draft invoice asks for confirmation first);
BD reads it. The terms' history (who, when, what, why) is listed under the form. Deposits are
recorded on their own admin page (``merchant_deposit_record``), linked from here. Another
tenant's merchant id answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.billing.errors import BillingTermsError
from apps.billing.models import (
    InvoiceStatus,
    MerchantBillingTerms,
    MerchantDeposit,
    MerchantInvoice,
)
from apps.billing.selectors import merchant_prepaid_positions
from apps.billing.services.invoices import fee_percent_for
from apps.billing.services.prepaid import is_low
from apps.billing.services.terms import merchant_billing_terms_set
from apps.campaigns.models import Merchant
from apps.core.admin_home import Figure, Panel, register_admin_page, register_profile_section
from apps.core.admin_site import staff_roles_for
from apps.core.display import format_money
from apps.core.errors import DomainError
from apps.core.roles import BD, FINANCE

#: who reads a merchant's billing settings, and who changes them
READERS = FINANCE | BD
WRITERS = FINANCE
HISTORY_ROWS = 20


def _merchant(request: HttpRequest, pk: int) -> Merchant:
    merchant = Merchant.objects.filter(tenant=request.tenant, pk=pk).first()  # type: ignore[attr-defined]
    if merchant is None:
        raise Http404
    return merchant


def _why(change_reason: str) -> str:
    """The person's reason of a history row (``"<reason>: <fields changed>"``)."""
    reason, colon, _ = change_reason.rpartition(":")
    return reason if colon else change_reason


def _history(terms: MerchantBillingTerms | None) -> list[dict[str, Any]]:
    """The terms' history rows, newest first, each with the fee before and after."""
    if terms is None or terms.pk is None:
        return []
    rows = list(terms.history.select_related("history_user").order_by("history_date", "pk"))
    out = []
    before = None
    for row in rows:
        out.append(
            {
                "when": row.history_date,
                "who": row.history_user,
                "before": before,
                "after": row.fee_percent,
                "note": row.note,
                "why": _why(row.history_change_reason or ""),
            }
        )
        before = row.fee_percent
    return list(reversed(out))[:HISTORY_ROWS]


def merchant_billing(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    merchant = _merchant(request, pk)
    may_change = bool(staff_roles_for(request) & WRITERS)
    terms = MerchantBillingTerms.objects.filter(merchant=merchant).first()
    values = {
        "fee_percent": "" if terms is None or terms.fee_percent is None else terms.fee_percent,
        "note": terms.note if terms is not None else "",
        "reason": "",
    }
    errors: dict[str, list[str]] = {}
    confirm: DomainError | None = None
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        posted = {name: request.POST.get(name, "").strip() for name in values}
        values = dict(posted)
        try:
            merchant_billing_terms_set(
                merchant=merchant,
                fee_percent=posted["fee_percent"],
                note=posted["note"],
                reason=posted["reason"],
                actor=request.user,
                confirm_open_invoices=request.POST.get("confirm") == "1",
            )
        except DomainError as exc:
            if exc.code == BillingTermsError.OPEN_INVOICES:
                confirm = exc
            else:
                errors = exc.fields or {"__all__": [str(exc)]}
                messages.error(request, str(exc))
                status = 400
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
            status = 400
        else:
            messages.success(
                request,
                f"Billing terms of {merchant.name}: fee "
                f"{fee_percent_for(merchant=merchant, tenant=tenant)} %.",
            )
            return HttpResponseRedirect(request.path)
    position = merchant_prepaid_positions(merchant_ids=[merchant.pk])[merchant.pk]
    open_invoices = list(
        MerchantInvoice.objects.filter(
            merchant=merchant, status__in=[InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED]
        ).order_by("period")
    )
    context = {
        **admin.site.each_context(request),
        "title": f"Billing settings: {merchant.name}",
        "merchant": merchant,
        "terms": terms,
        "fee": fee_percent_for(merchant=merchant, tenant=tenant),
        "own_fee": terms is not None and terms.fee_percent is not None,
        "network_fee": tenant.network_fee_percent,
        "values": values,
        "errors": errors,
        "general_errors": errors.get("__all__", []),
        "confirm": confirm,
        "may_change": may_change,
        "position": position,
        "is_low": is_low(position, tenant=tenant),
        "prepayment_required": tenant.prepayment_required,
        "low_balance_warning": tenant.low_balance_warning,
        "deposits": list(MerchantDeposit.objects.filter(merchant=merchant)[:5]),
        "deposit_url": reverse("admin:billing_merchantdeposit_add") + f"?merchant={merchant.pk}",
        "open_invoices": open_invoices,
        "history": _history(terms),
        "profile_url": reverse("admin:desk-merchant", args=[merchant.pk]),
    }
    return TemplateResponse(request, "admin/billing/merchant_billing.html", context, status=status)


def billing_section(request: HttpRequest, merchant: Merchant) -> Panel:
    """The merchant 360 page's billing figures, linking to the settings page."""
    tenant = request.tenant  # type: ignore[attr-defined]
    position = merchant_prepaid_positions(merchant_ids=[merchant.pk])[merchant.pk]
    url = reverse("admin:desk-merchant-billing", args=[merchant.pk])
    low = is_low(position, tenant=tenant)
    return Panel(
        id="billing",
        title="Billing",
        figures=[
            Figure("Network fee", f"{fee_percent_for(merchant=merchant, tenant=tenant)} %", url),
            Figure(
                "Prepaid available",
                format_money(position.available),
                url,
                tone="warn" if low or merchant.prepaid_exhausted else "",
            ),
        ],
        url=url,
    )


register_admin_page(
    "merchant/<int:pk>/billing/",
    "desk-merchant-billing",
    "apps.billing.admin_terms.merchant_billing",
    title="Merchant billing settings",
    roles=READERS,
)
register_profile_section(
    "merchant", 40, "billing.terms", "apps.billing.admin_terms.billing_section"
)
