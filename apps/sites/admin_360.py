"""The webmaster 360 page's sites, placements and contracts (issue 14). Two queries."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from apps.affiliates.models import Affiliate
from apps.core.admin_home import Panel, register_profile_section
from apps.core.display import format_amount, format_money
from apps.sites.models import Contract, ContractStatus, Placement

ROWS = 25


def sites_section(request: HttpRequest, affiliate: Affiliate) -> Panel:
    placements = list(
        Placement.objects.filter(site__affiliate=affiliate)
        .select_related("site")
        .order_by("site__name", "code")[: ROWS + 1]
    )
    contracts: dict[int, Contract] = {}
    for contract in Contract.objects.filter(
        placement_id__in=[p.pk for p in placements], status=ContractStatus.ACTIVE
    ).order_by("placement_id", "-starts_on"):
        contracts.setdefault(contract.placement_id, contract)
    rows = []
    for placement in placements[:ROWS]:
        contract = contracts.get(placement.pk)
        terms = (
            f"{format_money(contract.daily_guarantee)}/day + "
            f"{format_amount(contract.click_rate, 4)}/click, "
            f"{contract.starts_on}..{contract.ends_on or 'open'}"
            if contract
            else "no active contract"
        )
        rows.append(
            {
                "cells": [
                    f"{placement.site.name} · {placement.code}",
                    placement.site.get_status_display(),
                    "serving" if placement.is_active else "suspended",
                    terms,
                ],
                "url": reverse("admin:websites_placement_change", args=[placement.pk]),
            }
        )
    return Panel(
        id="sites",
        title="Sites, placements and contracts",
        url=reverse("admin:websites_site_changelist") + f"?q={affiliate.email}",
        columns=["Site · placement", "Site", "Placement", "Contract"],
        rows=rows,
        empty="No sites yet.",
        note=f"The first {ROWS} placements; the site list has them all."
        if len(placements) > ROWS
        else "",
    )


register_profile_section("webmaster", 20, "sites.placements", "apps.sites.admin_360.sites_section")
