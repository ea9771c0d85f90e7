"""BD's home: sites waiting for verification and contracts ending soon (issue 14). Two queries."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from apps.core.admin_home import Figure, Panel, register_home_panel
from apps.core.display import format_count, format_money
from apps.sites.models import Contract, ContractStatus, Site, SiteStatus
from apps.tenants.clock import tenant_today

ENDING_WITHIN_DAYS = 30
ROWS = 5


def _url(name: str, **query: str) -> str:
    return reverse(f"admin:websites_{name}_changelist") + ("?" + urlencode(query) if query else "")


def sites_contracts_panel(request: HttpRequest) -> Panel:
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    until = today + datetime.timedelta(days=ENDING_WITHIN_DAYS)
    pending = Site.objects.filter(tenant=request.tenant).aggregate(  # type: ignore[attr-defined]
        waiting=Count("id", filter=Q(status=SiteStatus.PENDING)),
        unverified=Count("id", filter=Q(status=SiteStatus.PENDING, verified_at__isnull=True)),
    )
    ending = list(
        Contract.objects.filter(
            tenant=request.tenant,  # type: ignore[attr-defined]
            status=ContractStatus.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=until,
        )
        .select_related("placement__site__affiliate")
        .order_by("ends_on", "pk")[: ROWS + 1]
    )
    window = {
        "status__exact": ContractStatus.ACTIVE,
        "ends_on__gte": today.isoformat(),
        "ends_on__lte": until.isoformat(),
    }
    shown = f"{len(ending)}" if len(ending) <= ROWS else f"{ROWS}+"
    return Panel(
        id="sites",
        title="Sites and contracts",
        figures=[
            Figure(
                "Sites awaiting verification",
                format_count(pending["unverified"]),
                _url("site", status__exact=SiteStatus.PENDING),
                hint=f"{pending['waiting']} site(s) pending review in all",
                tone="warn" if pending["unverified"] else "",
            ),
            Figure(
                f"Contracts ending in {ENDING_WITHIN_DAYS} days",
                shown,
                _url("contract", **window),
            ),
        ],
        columns=["Placement", "Webmaster", "Guarantee / day", "Ends"],
        rows=[
            {
                "cells": [
                    contract.placement.code,
                    contract.placement.site.affiliate.name,
                    format_money(contract.daily_guarantee),
                    contract.ends_on.isoformat(),
                ],
                "url": reverse("admin:websites_contract_change", args=[contract.pk]),
            }
            for contract in ending[:ROWS]
        ],
        empty=f"No contract ends in the next {ENDING_WITHIN_DAYS} days.",
    )


register_home_panel("bd", 20, "sites.contracts", "apps.sites.admin_home.sites_contracts_panel")
