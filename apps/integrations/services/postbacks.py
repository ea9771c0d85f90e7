"""Webmaster postbacks (issue 16): a GET to the webmaster's own tracker (Voluum, Keitaro,
...) when a conversion is attributed to them and when its commission is approved or
reversed. One template per placement, and one for the whole account that placements without
their own use. Delivered by the webhook machinery (same SSRF rules, retries, log, replay).

Macros, URL-encoded into the template:
``{click_id}`` our click id (empty for a coupon order), ``{sub}`` the webmaster's own tag
from the click, ``{event}`` ``conversion.created|commission.approved|commission.reversed``,
``{status}`` ``pending|approved|reversed``, ``{amount}`` the order amount (empty for a
registration), ``{commission}`` the conversion's commission (pending ones for a new
conversion, usually 0.00 until the nightly accrual; the approved net for ``approved``; the
reversed amount for ``reversed``), ``{currency}`` the network's currency, ``{conversion_id}``.
The URL is rendered at its first attempt and kept, so a replay sends the same URL.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast
from urllib.parse import quote

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from apps.affiliates.models import Affiliate
from apps.commissions.models import Commission, CommissionStatus
from apps.integrations.errors import WebhookError
from apps.integrations.models import POSTBACK_EVENTS, PostbackTemplate
from apps.integrations.outbound import RefusedError, url_check
from apps.integrations.subscriptions import subscriptions_changed
from apps.sites.models import Placement
from apps.tenants.scope import current_tenant
from apps.tracking.models import Conversion

MACROS = (
    "click_id", "sub", "event", "amount", "commission", "status", "currency", "conversion_id",
)  # fmt: skip
MACRO_RE = re.compile(r"\{([^{}]*)\}")
STATUS_OF = {
    "conversion.created": "pending",
    "commission.approved": "approved",
    "commission.reversed": "reversed",
}
_SAMPLE = dict.fromkeys(MACROS, "x")


def postback_template_clean(url_template: Any) -> str:
    if not isinstance(url_template, str) or not url_template.strip():
        raise WebhookError("Enter the postback URL.", field="url_template")
    url_template = url_template.strip()
    unknown = sorted({m for m in MACRO_RE.findall(url_template) if m not in MACROS})
    if unknown:
        raise WebhookError(
            f"Unknown macro(s) {', '.join('{' + m + '}' for m in unknown)}; use "
            f"{', '.join('{' + m + '}' for m in MACROS)}.",
            field="url_template",
        )
    sample = MACRO_RE.sub(lambda m: _SAMPLE[m.group(1)], url_template)
    if "{" in sample or "}" in sample:
        raise WebhookError("Braces are only for macros such as {click_id}.", field="url_template")
    try:
        url_check(sample, allow_http=True)  # webmasters' trackers often speak plain http
    except RefusedError as exc:
        raise WebhookError(str(exc), field="url_template") from None
    return cast(str, url_template)


def postback_template_set(
    *,
    affiliate: Affiliate,
    url_template: str,
    events: list[str] | None = None,
    placement: Placement | None = None,
    actor: Any = None,
) -> PostbackTemplate:
    """Set the webmaster's postback for one placement (or the account: ``placement=None``):
    creates it, or replaces the URL and events of the live one (re-enabling it)."""
    if placement is not None and placement.site.affiliate_id != affiliate.pk:
        raise WebhookError(f"Placement {placement.code} is not yours.", field="placement")
    url_template = postback_template_clean(url_template)
    events = list(POSTBACK_EVENTS) if events is None else events
    unknown = [e for e in events if e not in POSTBACK_EVENTS]
    if not events or unknown:
        raise WebhookError(
            f"Postbacks fire on {', '.join(POSTBACK_EVENTS)}; choose at least one.",
            field="events",
        )
    tenant = current_tenant()
    with transaction.atomic():
        template = (
            PostbackTemplate.objects.select_for_update(of=("self",))
            .filter(affiliate=affiliate, placement=placement, deleted_at__isnull=True)
            .order_by("id")
            .first()
        )
        if template is None:
            template = PostbackTemplate(
                tenant=tenant,
                affiliate=affiliate,
                placement=placement,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        template.url_template = url_template
        template.events = sorted(set(events), key=POSTBACK_EVENTS.index)
        template.is_active, template.disabled_at, template.disabled_reason = True, None, ""
        template.failing_since, template.consecutive_failures = None, 0
        template.save()
        subscriptions_changed(tenant.pk)
    return template


def _commission_for(conversion: Conversion, event_type: str) -> Decimal:
    commissions = Commission.objects.filter(conversion=conversion)
    if event_type == "commission.approved":
        commissions = commissions.filter(
            status__in=[CommissionStatus.APPROVED, CommissionStatus.SETTLED]
        )
        total = Sum(F("amount") - F("reversed_amount"))
    elif event_type == "commission.reversed":
        total = Sum("reversed_amount")
    else:
        commissions = commissions.exclude(status=CommissionStatus.REVERSED)
        total = Sum(F("amount") - F("reversed_amount"))
    value = commissions.aggregate(total=Coalesce(total, Decimal("0.00")))["total"]
    return Decimal(value).quantize(Decimal("0.01"))


def postback_render(*, template: PostbackTemplate, conversion: Conversion, event_type: str) -> str:
    """The template with every macro replaced by its URL-encoded value."""
    click = conversion.click
    values = {
        "click_id": str(click.click_id) if click else "",
        "sub": click.sub if click else "",
        "event": event_type,
        "amount": str(conversion.amount) if conversion.amount is not None else "",
        "commission": str(_commission_for(conversion, event_type)),
        "status": STATUS_OF.get(event_type, ""),
        "currency": current_tenant().currency,
        "conversion_id": str(conversion.pk),
    }
    return MACRO_RE.sub(lambda m: quote(values[m.group(1)], safe=""), template.url_template)
