"""The webmaster 360 page (issue 14): one page with everything about a webmaster; each app
adds its sections (``apps.core.admin_home.register_profile_section``): profile, pipeline,
owner and notes, history here; sites, placements and contracts; the last 30 days' funnel and
earnings; statements; disputes; API keys. Payout details appear masked only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.affiliates.models import Affiliate, AffiliateNote, PayoutDetails
from apps.affiliates.payouts import payout_missing
from apps.core.admin import ALL_STAFF
from apps.core.admin_home import (
    Panel,
    profile_sections,
    register_admin_page,
    register_profile_section,
)
from apps.core.display import format_datetime, format_day

NOTES = 8
HISTORY = 10


def webmaster_360(request: HttpRequest, pk: int) -> HttpResponse:
    affiliate = (
        Affiliate.objects.filter(tenant=request.tenant, pk=pk)  # type: ignore[attr-defined]
        .select_related("bd_owner")
        .first()
    )
    if affiliate is None:
        raise Http404
    details = PayoutDetails.objects.filter(affiliate=affiliate).first()
    missing = payout_missing(details)
    facts = [
        ("Status", affiliate.get_status_display()),
        ("Kind", affiliate.get_kind_display()),
        ("Email", affiliate.email),
        ("BD owner", affiliate.bd_owner.email if affiliate.bd_owner else "nobody"),
        ("Company", affiliate.company or "—"),
        ("Phone", affiliate.phone or "—"),
        ("Approved", format_datetime(affiliate.approved_at) if affiliate.approved_at else "—"),
        ("Joined", format_day(affiliate.created_at)),
        (
            "Payouts",
            f"on hold: {affiliate.payment_hold_reason or 'no reason'}"
            if affiliate.payment_hold
            else "not held",
        ),
        ("Payout details", missing or details.summary),  # type: ignore[union-attr]
    ]
    links = [
        ("Edit profile", reverse("admin:affiliates_affiliate_change", args=[affiliate.pk])),
        (
            "Add a note",
            reverse("admin:affiliates_affiliatenote_add") + f"?affiliate={affiliate.pk}",
        ),
        ("Risk desk", reverse("admin:desk-risk") + f"?webmaster={affiliate.pk}"),
    ]
    if not affiliate.payment_hold:
        links.append(
            (
                "Hold payouts",
                reverse("admin:commissions_webmasterpaymenthold_add")
                + f"?affiliate={affiliate.pk}",
            )
        )
    context = {
        **admin.site.each_context(request),
        "title": f"Webmaster: {affiliate.name}",
        "kind": "webmaster",
        "heading": affiliate.name,
        "facts": facts,
        "links": links,
        "sections": profile_sections(request, "webmaster", affiliate),
    }
    return TemplateResponse(request, "admin/core/profile_360.html", context)


def notes_section(request: HttpRequest, affiliate: Affiliate) -> Panel:
    notes = list(
        AffiliateNote.objects.filter(affiliate=affiliate)
        .select_related("author")
        .order_by("-noted_on", "-created_at")[:NOTES]
    )
    return Panel(
        id="notes",
        title="Notes",
        url=reverse("admin:affiliates_affiliatenote_changelist") + f"?q={affiliate.email}",
        columns=["Note", "By", "On"],
        rows=[
            {
                "cells": [
                    note.body,
                    note.author.email if note.author else "",
                    format_day(note.noted_on),
                ],
                "url": "",
            }
            for note in notes
        ],
        empty="No notes yet.",
    )


def history_section(request: HttpRequest, affiliate: Affiliate) -> Panel:
    """The profile's history and its payout details' (masked) history, newest first."""
    rows: list[tuple[Any, str, str]] = []
    for record in affiliate.history.select_related("history_user").order_by("-history_date")[
        :HISTORY
    ]:
        rows.append(
            (
                record.history_date,
                record.history_change_reason or record.get_history_type_display(),
                record.history_user.email if record.history_user else "system",
            )
        )
    payout_history = PayoutDetails.history.filter(affiliate_id=affiliate.pk).select_related(
        "history_user"
    )
    for record in payout_history.order_by("-history_date")[:HISTORY]:
        rows.append(
            (
                record.history_date,
                f"payout details: {record.summary}",
                record.history_user.email if record.history_user else "system",
            )
        )
    rows.sort(key=lambda row: row[0], reverse=True)
    return Panel(
        id="history",
        title="History",
        url=reverse("admin:affiliates_affiliate_history", args=[affiliate.pk]),
        columns=["What", "Who", "When"],
        rows=[
            {"cells": [what, who, format_datetime(when)], "url": ""}
            for when, what, who in rows[:HISTORY]
        ],
        empty="No history.",
    )


register_admin_page(
    "webmaster/<int:pk>/",
    "desk-webmaster",
    "apps.affiliates.admin_360.webmaster_360",
    title="Webmaster",
    roles=ALL_STAFF,
)
register_profile_section(
    "webmaster", 10, "affiliates.notes", "apps.affiliates.admin_360.notes_section"
)
register_profile_section(
    "webmaster", 90, "affiliates.history", "apps.affiliates.admin_360.history_section"
)
