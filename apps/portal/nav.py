"""The portal's navigation, by who is signed in (webmaster or merchant user).

Each area appends its own entries (label, url name); the context processor shows the entries
of the user's role in the request's tenant. Keep one line per entry so areas never collide.
"""

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# In the order a webmaster works, with short labels: the bar fits one line at 1400 px (issue 15).
WEBMASTER_NAV: list[tuple[str, str]] = [
    ("Dashboard", "portal:webmaster-dashboard"),
    ("Earnings", "portal:webmaster-earnings"),
    ("Statements", "portal:webmaster-statements"),
    ("Bonus tiers", "portal:webmaster-bonus"),
    ("Sites", "portal:webmaster-sites"),
    ("Placements", "portal:webmaster-placements"),
    ("Contracts", "portal:webmaster-contracts"),
    ("Disputes", "portal:webmaster-disputes"),
    ("Weights", "portal:webmaster-weights"),
    ("Payouts", "portal:webmaster-payout"),
    ("Integrations", "portal:webmaster-integrations"),
    ("API keys", "portal:webmaster-api-keys"),
    ("Profile", "portal:webmaster-profile"),
]
MERCHANT_NAV: list[tuple[str, str]] = [
    ("Dashboard", "portal:merchant-dashboard"),
    ("Products", "portal:merchant-products"),
    ("Campaigns", "portal:merchant-campaigns"),
    ("Full-site promotion", "portal:merchant-full-site"),
    ("Performance", "portal:merchant-performance"),
    ("Domains", "portal:merchant-domains"),
    ("Claims", "portal:merchant-claims"),
    ("Disputes", "portal:merchant-disputes"),
    ("Integrations", "portal:merchant-integrations"),
]


def portal_role(request: HttpRequest) -> str | None:
    """ "webmaster", "merchant" or None for the signed-in user in the request's tenant.

    Set by the views' access helpers (``request.portal_role``) or left None.
    """
    return getattr(request, "portal_role", None)


def portal_nav(request: HttpRequest) -> dict[str, object]:
    role = portal_role(request)
    entries = WEBMASTER_NAV if role == "webmaster" else MERCHANT_NAV if role == "merchant" else []
    items = []
    for label, url_name in entries:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"portal_nav": items}
