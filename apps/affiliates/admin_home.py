"""BD's home: the webmaster pipeline's work queues (issue 14). One query."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from apps.affiliates.models import Affiliate, PipelineStatus
from apps.core.admin_home import Figure, Panel, register_home_panel
from apps.core.display import format_count

OPEN_LEADS = (PipelineStatus.LEAD, PipelineStatus.CONTACTED, PipelineStatus.CONTRACTED)


def webmasters_url(**query: str) -> str:
    return reverse("admin:affiliates_affiliate_changelist") + (
        "?" + urlencode(query) if query else ""
    )


def webmaster_360_url(affiliate_id: int) -> str:
    return reverse("admin:desk-webmaster", args=[affiliate_id])


def pipeline_panel(request: HttpRequest) -> Panel:
    leads = ",".join(OPEN_LEADS)
    counts = Affiliate.objects.filter(tenant=request.tenant).aggregate(  # type: ignore[attr-defined]
        unowned=Count("id", filter=Q(bd_owner__isnull=True, status__in=OPEN_LEADS)),
        pending=Count("id", filter=Q(status=PipelineStatus.PENDING)),
        mine=Count("id", filter=Q(bd_owner_id=request.user.pk, status__in=OPEN_LEADS)),
        active=Count("id", filter=Q(status=PipelineStatus.ACTIVE)),
    )
    return Panel(
        id="pipeline",
        title="Webmaster pipeline",
        url=webmasters_url(),
        figures=[
            Figure(
                "Leads without an owner",
                format_count(counts["unowned"]),
                webmasters_url(bd_owner="none", status__in=leads),
                tone="warn" if counts["unowned"] else "",
            ),
            Figure(
                "Awaiting approval",
                format_count(counts["pending"]),
                webmasters_url(status__exact=PipelineStatus.PENDING),
                tone="warn" if counts["pending"] else "",
            ),
            Figure(
                "My open leads",
                format_count(counts["mine"]),
                webmasters_url(bd_owner=str(request.user.pk), status__in=leads),
            ),
            Figure(
                "Active webmasters",
                format_count(counts["active"]),
                webmasters_url(status__exact=PipelineStatus.ACTIVE),
            ),
        ],
    )


register_home_panel("bd", 10, "affiliates.pipeline", "apps.affiliates.admin_home.pipeline_panel")
