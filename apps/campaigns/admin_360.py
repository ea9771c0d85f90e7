"""The merchant 360 page (issue 14): profile and contact, domains, products and campaigns here;
spend and ROI, claims and rebates from the apps that own them
(``apps.core.admin_home.register_profile_section``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.campaigns.models import Campaign, CampaignStatus, Merchant, MerchantDomain, Product
from apps.core.admin import ALL_STAFF
from apps.core.admin_home import (
    Figure,
    Panel,
    profile_sections,
    register_admin_page,
    register_profile_section,
)
from apps.core.display import format_count, format_datetime, format_money

ROWS = 8


def merchant_360(request: HttpRequest, pk: int) -> HttpResponse:
    merchant = Merchant.objects.filter(tenant=request.tenant, pk=pk).first()  # type: ignore[attr-defined]
    if merchant is None:
        raise Http404
    domains = list(MerchantDomain.objects.filter(merchant=merchant).order_by("domain")[:20])
    facts = [
        ("Code", merchant.code),
        ("Tier", merchant.get_tier_display()),
        ("Contact", f"{merchant.contact_name} <{merchant.contact_email}>".strip()),
        ("Phone", merchant.phone or "—"),
        ("Plan quota", format_count(merchant.plan_quota)),
        ("State", "active" if merchant.is_active else "inactive"),
        ("Domains", ", ".join(d.domain for d in domains) or "none"),
        ("Since", format_datetime(merchant.created_at)),
    ]
    context = {
        **admin.site.each_context(request),
        "title": f"Merchant: {merchant.name}",
        "kind": "merchant",
        "heading": merchant.name,
        "facts": facts,
        "links": [
            ("Edit", reverse("admin:campaigns_merchant_change", args=[merchant.pk])),
            ("Campaigns", reverse("admin:campaigns_campaign_changelist") + f"?q={merchant.code}"),
        ],
        "sections": profile_sections(request, "merchant", merchant),
    }
    return TemplateResponse(request, "admin/core/profile_360.html", context)


def catalogue_section(request: HttpRequest, merchant: Merchant) -> Panel:
    counts = Product.objects.filter(merchant=merchant).aggregate(
        products=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        tagged=Count("id", filter=Q(is_tagged=True)),
    )
    products = list(Product.objects.filter(merchant=merchant).order_by("-updated_at")[:ROWS])
    return Panel(
        id="products",
        title="Products",
        url=reverse("admin:campaigns_product_changelist") + f"?q={merchant.code}",
        figures=[
            Figure("Products", format_count(counts["products"])),
            Figure("Active", format_count(counts["active"])),
            Figure("Tagged for ROI tiers", format_count(counts["tagged"])),
        ],
        columns=["Product", "Price", "Type"],
        rows=[
            {
                "cells": [f"{p.sku} · {p.title}", format_money(p.price), p.product_type or "—"],
                "url": reverse("admin:campaigns_product_change", args=[p.pk]),
            }
            for p in products
        ],
        empty="No products.",
    )


def campaigns_section(request: HttpRequest, merchant: Merchant) -> Panel:
    campaigns = list(Campaign.objects.filter(merchant=merchant).order_by("-starts_at")[:ROWS])
    active = Campaign.objects.filter(merchant=merchant, status=CampaignStatus.ACTIVE).count()
    return Panel(
        id="campaigns",
        title="Campaigns",
        url=reverse("admin:campaigns_campaign_changelist") + f"?q={merchant.code}",
        figures=[Figure("Active", format_count(active))],
        columns=["Campaign", "Type", "Budget / day", "Status"],
        rows=[
            {
                "cells": [
                    c.name,
                    c.get_type_display(),
                    format_money(c.daily_budget),
                    c.get_status_display(),
                ],
                "url": reverse("admin:campaigns_campaign_change", args=[c.pk]),
            }
            for c in campaigns
        ],
        empty="No campaigns.",
    )


register_admin_page(
    "merchant/<int:pk>/",
    "desk-merchant",
    "apps.campaigns.admin_360.merchant_360",
    title="Merchant",
    roles=ALL_STAFF,
)
register_profile_section(
    "merchant", 10, "campaigns.products", "apps.campaigns.admin_360.catalogue_section"
)
register_profile_section(
    "merchant", 20, "campaigns.campaigns", "apps.campaigns.admin_360.campaigns_section"
)
