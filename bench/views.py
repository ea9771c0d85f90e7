"""The click path's baseline: one raw INSERT and a 302, nothing else.

Same process, middleware, tenant scope and request transaction as ``/c/``. The one statement
resolves the placement (and its webmaster) and the product by code and sku, stores the click
and returns the product URL: the least any click path can do in one round trip. What ``/c/``
adds on top of it (validation, deep links, sub tags, ...) is what the benchmark weighs.
"""

from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

INSERT_CLICK = """
WITH stored AS (
    INSERT INTO tracking_click (tenant_id, click_id, clicked_at, placement_id, affiliate_id,
                                product_id, merchant_id, ip, user_agent, sub, verdict)
    SELECT p.tenant_id, gen_random_uuid(), now(), p.id, s.affiliate_id, pr.id, pr.merchant_id,
           %s, %s, %s, ''
    FROM websites_placement p
    JOIN websites_site s ON s.id = p.site_id
    JOIN campaigns_product pr ON pr.tenant_id = p.tenant_id AND pr.sku = %s
    WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint
      AND p.code = %s
    LIMIT 1
    RETURNING product_id, click_id
)
SELECT pr.url, stored.click_id FROM stored JOIN campaigns_product pr ON pr.id = stored.product_id
"""


@transaction.non_atomic_requests  # like /c/: the statement runs in its own short transaction
def baseline_click(request: HttpRequest, code: str) -> HttpResponse:
    sku = request.GET.get("sku", "")
    ip = request.META.get("REMOTE_ADDR") or "127.0.0.1"
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    sub = request.GET.get("sub", "")[:64]
    with connection.cursor() as cursor:
        cursor.execute(INSERT_CLICK, [ip, user_agent, sub, sku, code])
        row = cursor.fetchone()
    if row is None:
        raise Http404("unknown placement or sku")
    url, click_id = row
    separator = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{separator}click_id={click_id}")
