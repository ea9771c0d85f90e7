"""The risk desk (issue 14): invalid traffic by webmaster, site, placement and reason with a
30-day trend, read from the roll-ups; and what risk does about it, from the same page: put a
webmaster's payouts on hold (the holds form, prefilled), suspend a placement, or add an IP
range or user agent to the tenant's block list (``blocked`` from the next run_daily).

Also the block list's own admin (entries are switched off, never deleted). Every write goes
through one service; a refusal is shown as an error message.
"""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from apps.affiliates.models import Affiliate
from apps.core.admin import ReadOnlyTenantAdmin
from apps.core.admin_home import register_admin_page
from apps.core.charts import columns
from apps.core.display import format_count, format_share
from apps.core.errors import DomainError
from apps.core.roles import FINANCE, RISK
from apps.sites.models import Placement, Site
from apps.sites.services import placement_set_active
from apps.tenants.clock import tenant_today
from apps.tracking.models import BlockKind, BlockRule
from apps.tracking.selectors_risk import MIN_CLICKS, REASONS, invalid_by_day, invalid_ranked
from apps.tracking.services.blocklist import block_rule_add, block_rule_deactivate

WINDOWS = (7, 30, 90)
ROWS = 20


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _desk_url(**query: Any) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return reverse("admin:desk-risk") + ("?" + urlencode(query) if query else "")


def _act(request: HttpRequest) -> None:
    """One POSTed action of the desk, through its service."""
    what = request.POST.get("do", "")
    try:
        if what == "block":
            rule = block_rule_add(
                kind=request.POST.get("kind", ""),
                value=request.POST.get("value", ""),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
            messages.success(
                request,
                f"Blocked {rule.get_kind_display().lower()} {rule.value}: its clicks are "
                "classified blocked from the next run.",
            )
        elif what == "unblock":
            rule = BlockRule.objects.filter(
                tenant=request.tenant,  # type: ignore[attr-defined]
                pk=_int(request.POST.get("rule")) or 0,
            ).first()
            if rule is not None:
                block_rule_deactivate(rule=rule, actor=request.user)
                messages.success(request, f"Switched off {rule}.")
        elif what == "suspend":
            placement = Placement.objects.filter(
                tenant=request.tenant,  # type: ignore[attr-defined]
                pk=_int(request.POST.get("placement")) or 0,
            ).first()
            if placement is not None:
                placement_set_active(
                    placement=placement,
                    active=False,
                    actor=request.user,
                    reason=request.POST.get("reason", "") or "suspended from the risk desk",
                )
                messages.success(request, f"Placement {placement.code} no longer serves ads.")
    except DomainError as exc:
        messages.error(request, str(exc))


def risk_desk(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    if request.method == "POST":
        _act(request)
        return HttpResponseRedirect(request.get_full_path())
    days = _int(request.GET.get("days")) or 30
    days = days if days in WINDOWS else 30
    today = tenant_today(tenant)
    # ``until``: look at an earlier window (its last day), e.g. a month already paid
    with contextlib.suppress(ValueError):
        today = min(datetime.date.fromisoformat(request.GET.get("until", "")), today)
    first = today - datetime.timedelta(days=days - 1)
    filters: dict[str, Any] = {}
    focus = ""
    webmaster_id, site_id = _int(request.GET.get("webmaster")), _int(request.GET.get("site"))
    if webmaster_id:
        webmaster = Affiliate.objects.filter(tenant=tenant, pk=webmaster_id).first()
        if webmaster is not None:
            filters["affiliate_id"] = webmaster.pk
            focus = f"webmaster {webmaster.name}"
    if site_id:
        site = Site.objects.filter(tenant=tenant, pk=site_id).first()
        if site is not None:
            filters["site_id"] = site.pk
            focus = f"site {site.name}"
    if (webmaster_id or site_id) and not filters:
        filters["affiliate_id"] = 0  # another tenant's or an unknown id: an empty desk
    by_day = invalid_by_day(tenant=tenant, first=first, last=today, **filters)
    clicks = sum(row["clicks"] for row in by_day)
    invalid = sum(row["invalid"] for row in by_day)
    reasons = [
        {
            "key": key,
            "label": label,
            "count": format_count(sum(row[column] for row in by_day)),
            "share": format_share(sum(row[column] for row in by_day), clicks),
            "url": reverse("admin:tracking_click_changelist") + f"?verdict__exact={key}",
        }
        for key, label, column in REASONS
    ]
    min_clicks = MIN_CLICKS if not filters else 1
    tables = []
    for by, title in (("affiliate", "Webmasters"), ("site", "Sites"), ("placement", "Placements")):
        rows = invalid_ranked(
            tenant=tenant,
            first=first,
            last=today,
            by=by,
            limit=ROWS,
            min_clicks=min_clicks,
            **filters,
        )
        tables.append({"by": by, "title": title, "rows": [_row(by, row, days) for row in rows]})
    rules = list(
        BlockRule.objects.filter(tenant=tenant, is_active=True)
        .select_related("created_by")
        .order_by("-created_at")[:ROWS]
    )
    context = {
        **admin.site.each_context(request),
        "title": "Risk desk",
        "subtitle": focus,
        "days": days,
        "windows": [
            {
                "days": n,
                "url": _desk_url(
                    days=n, webmaster=webmaster_id, site=site_id, until=request.GET.get("until")
                ),
                "active": n == days,
            }
            for n in WINDOWS
        ],
        "first": first,
        "today": today,
        "focus": focus,
        "clear_url": _desk_url(days=days) if focus else "",
        "clicks": format_count(clicks),
        "invalid": format_count(invalid),
        "invalid_share": format_share(invalid, clicks),
        "reasons": reasons,
        "chart": columns(
            [(row["day"].strftime("%m-%d"), [row["valid"], row["invalid"]]) for row in by_day],
            ["valid", "invalid"],
        ),
        "tables": tables,
        "min_clicks": min_clicks,
        "rules": rules,
        "kinds": BlockKind.choices,
        "block_list_url": reverse("admin:tracking_blockrule_changelist"),
    }
    return TemplateResponse(request, "admin/tracking/risk_desk.html", context)


def _row(by: str, row: dict[str, Any], days: int) -> dict[str, Any]:
    affiliate_id = (
        row.get("affiliate_id")
        or row.get("site__affiliate_id")
        or row.get("placement__site__affiliate_id")
    )
    out = {
        "id": row["id"],
        "name": row["name"],
        "clicks": format_count(row["clicks"]),
        "invalid": format_count(row["invalid"]),
        "share": format_share(row["invalid"], row["clicks"]),
        "reasons": [format_count(row[column]) for _, _, column in REASONS],
        "hold_url": reverse("admin:commissions_webmasterpaymenthold_add")
        + f"?affiliate={affiliate_id}",
        "webmaster_url": reverse("admin:desk-webmaster", args=[affiliate_id]),
    }
    if by == "affiliate":
        out["focus_url"] = _desk_url(days=days, webmaster=row["id"])
    elif by == "site":
        out["focus_url"] = _desk_url(days=days, site=row["id"])
    else:
        out["is_active"] = row.get("placement__is_active", True)
    return out


register_admin_page(
    "risk/",
    "desk-risk",
    "apps.tracking.admin_risk.risk_desk",
    title="Risk desk",
    roles=RISK,
    nav=True,
    order=20,
)


@admin.register(BlockRule)
class BlockRuleAdmin(ReadOnlyTenantAdmin):
    """The tenant's block list; entries are added on the risk desk and switched off here."""

    view_roles = RISK | FINANCE
    change_roles = RISK
    list_display = ("value", "kind", "reason", "is_active", "created_by", "created_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("created_by",)
    search_fields = ("value", "reason")
    readonly_fields = ("kind", "value", "reason", "is_active", "created_by")
    actions = ("switch_off",)

    # read-only: entries are added on the risk desk (with its checks) only
    def has_risk_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return self._has_role(request, self.change_roles)

    @admin.action(description="Switch off the selected entries", permissions=["risk"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = self.run_service_each(
            request,
            queryset,
            block_rule_deactivate,
            arguments=lambda rule: {"rule": rule, "actor": request.user},
        )
        if done:
            self.message_user(request, f"Switched off {done} entr{'y' if done == 1 else 'ies'}.")
