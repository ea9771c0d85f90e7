"""``/bare/{code}?sku=``: one INSERT and a 302, the least a click can cost in Django."""

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path

# The tenant is fixed for the run (the product resolves it from the host and its snapshot).
# One round trip, like /c/: the RLS tenant for this statement, then the one INSERT ... SELECT
# that resolves placement and product by code and sku (the product's /c/ has them in memory).
INSERT_CLICK = """
SELECT set_config('app.tenant_id', %(tenant)s, true);
WITH stored AS (
    INSERT INTO tracking_click (tenant_id, click_id, clicked_at, placement_id, affiliate_id,
                                product_id, merchant_id, ip, user_agent, sub, verdict)
    SELECT p.tenant_id, gen_random_uuid(), now(), p.id, s.affiliate_id, pr.id, pr.merchant_id,
           %(ip)s, %(ua)s, %(sub)s, ''
    FROM websites_placement p
    JOIN websites_site s ON s.id = p.site_id
    JOIN campaigns_product pr ON pr.tenant_id = p.tenant_id AND pr.sku = %(sku)s
    WHERE p.tenant_id = %(tenant)s::bigint AND p.code = %(code)s
    LIMIT 1
    RETURNING product_id, click_id
)
SELECT pr.url, stored.click_id FROM stored JOIN campaigns_product pr ON pr.id = stored.product_id
"""


def bare_click(request: HttpRequest, code: str) -> HttpResponse:
    import os

    params = {
        "tenant": os.environ["BENCH_TENANT_ID"],
        "ip": request.META.get("REMOTE_ADDR") or "127.0.0.1",
        "ua": request.META.get("HTTP_USER_AGENT", "")[:512],
        "sub": request.GET.get("sub", "")[:64],
        "sku": request.GET.get("sku", ""),
        "code": code,
    }
    with connection.cursor() as cursor:
        cursor.execute(INSERT_CLICK, params)
        cursor.nextset()
        row = cursor.fetchone()
    if row is None:
        raise Http404("unknown placement or sku")
    url, click_id = row
    separator = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{separator}click_id={click_id}")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


urlpatterns = [path("bare/<str:code>", bare_click), path("healthz", healthz)]
