"""The portal's front door: who you are decides where you land."""

import functools
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from apps.affiliates.selectors import affiliate_for_user
from apps.campaigns.models import MerchantUser
from apps.core.admin_site import staff_roles_for


def home(request: HttpRequest) -> HttpResponse:
    """Staff go to the back office, webmasters and merchant users to their portal (of the
    request's tenant: a profile in another network does not count)."""
    if not request.user.is_authenticated:
        return render(request, "portal/landing.html")
    if staff_roles_for(request):
        return redirect("admin:index")
    if getattr(request, "tenant", None) is None:
        return render(request, "portal/no_role.html", status=200)
    if affiliate_for_user(user=request.user) is not None:
        return redirect("portal:webmaster-dashboard")
    if MerchantUser.objects.filter(user=request.user, is_active=True).exists():
        try:
            return redirect(reverse("portal:merchant-dashboard"))
        except NoReverseMatch:
            return render(request, "portal/no_role.html", status=200)
    # A person with an account (perhaps made on another network's host) may join this one.
    return render(request, "portal/webmaster/join.html", status=200)


@functools.cache
def _favicon() -> bytes:
    return (Path(settings.BASE_DIR) / "static" / "favicon.ico").read_bytes()


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` on every host (issue 15): browsers ask for it on every page, whatever
    the page links; the pages link ``static/favicon.svg`` and this file too."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up (no dependency checked)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """The database and the broker answer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    checks["broker"] = _broker_status()
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def _broker_status() -> str:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "ok"  # eager mode: no broker to reach
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
