"""The back office as a desk (issue 14): a home per role, extra desk pages, and a sidebar in
the order each role works.

Apps contribute, core only collects (core imports no app to its right, like the daily pipeline
and reconcile registries):

- ``register_home_panel(role, order, name, "dotted.path")``: a panel of a role's home. The
  function takes the request and returns a ``Panel`` (figures that link to the filtered list
  behind them, an optional table and chart). It must run a constant number of queries whatever
  the tenant's size, reading roll-ups, never raw clicks.
- ``register_admin_page(route, name, "dotted.path", title=..., roles=...)``: a page of the back
  office outside the model admins (the risk desk, the 360 pages), served under ``/admin/desk/``
  with the admin's login, MFA and tenant rules; ``nav=True`` lists it in the sidebar's "Desk".

The home is Unfold's dashboard (``UNFOLD["DASHBOARD_CALLBACK"]``): the sections of the roles
the person holds (a tenant admin sees every role's), each panel in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.module_loading import import_string

from apps.core.admin_site import staff_roles_for
from apps.core.roles import ADMINS

#: the home's sections, in this order, with their titles
ROLE_SECTIONS = (
    ("bd", "Business development"),
    ("finance", "Finance"),
    ("risk", "Risk and claims"),
)


@dataclass
class Figure:
    label: str
    value: str
    url: str = ""
    hint: str = ""
    tone: str = ""  # "", "warn", "bad", "ok"


@dataclass
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    #: each row: {"cells": [...], "url": "..."}
    rows: list[dict[str, Any]] = field(default_factory=list)
    empty: str = ""
    chart: dict[str, Any] | None = None
    note: str = ""
    url: str = ""
    id: str = ""


@dataclass(frozen=True)
class HomePanel:
    role: str
    order: int
    name: str
    path: str

    def load(self) -> Callable[[HttpRequest], Panel]:
        return cast("Callable[[HttpRequest], Panel]", import_string(self.path))


@dataclass(frozen=True)
class AdminPage:
    route: str
    name: str
    path: str
    title: str
    roles: frozenset[str]
    nav: bool
    order: int
    icon: str


_PANELS: dict[str, HomePanel] = {}
_PAGES: dict[str, AdminPage] = {}


def register_home_panel(role: str, order: int, name: str, path: str) -> None:
    _PANELS[name] = HomePanel(role=role, order=order, name=name, path=path)


def home_panels(role: str) -> list[HomePanel]:
    return sorted((p for p in _PANELS.values() if p.role == role), key=lambda p: (p.order, p.name))


def register_admin_page(
    route: str,
    name: str,
    path: str,
    *,
    title: str,
    roles: frozenset[str],
    nav: bool = False,
    order: int = 50,
    icon: str = "",
) -> None:
    _PAGES[name] = AdminPage(
        route=route,
        name=name,
        path=path,
        title=title,
        roles=frozenset(roles),
        nav=nav,
        order=order,
        icon=icon,
    )


def admin_pages() -> list[AdminPage]:
    return sorted(_PAGES.values(), key=lambda p: (p.order, p.name))


def may_see(request: HttpRequest, roles: frozenset[str]) -> bool:
    return bool(staff_roles_for(request) & (roles | ADMINS))


def _page_view(page: AdminPage) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "tenant", None) is None:
            raise Http404
        if not may_see(request, page.roles):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return cast("HttpResponse", import_string(page.path)(request, *args, **kwargs))

    view.__name__ = page.name.replace("-", "_")
    return view


def admin_page_urls(site: Any) -> list[URLPattern]:
    return [
        path(f"desk/{page.route}", site.admin_view(_page_view(page)), name=page.name)
        for page in admin_pages()
    ]


# --- the home -----------------------------------------------------------------------------


def home_sections(request: HttpRequest) -> list[dict[str, Any]]:
    roles = staff_roles_for(request)
    sections = []
    for role, title in ROLE_SECTIONS:
        if role not in roles and "tenant_admin" not in roles:
            continue
        panels = [panel.load()(request) for panel in home_panels(role)]
        if panels:
            sections.append({"role": role, "title": title, "panels": panels})
    return sections


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """Unfold's dashboard: the person's role homes on a tenant's back office."""
    if getattr(request, "tenant", None) is not None:
        context["role_homes"] = home_sections(request)
        context["desk_home"] = True
        context["title"] = "Home"
    return context


# --- the sidebar --------------------------------------------------------------------------

#: apps in the order each role works in them; the rest follow alphabetically
ROLE_APP_ORDER = {
    "bd": ("affiliates", "websites", "campaigns", "disputes"),
    "finance": ("commissions", "affiliates", "disputes"),
    "risk": ("tracking", "disputes", "affiliates", "websites"),
    "tenant_admin": ("affiliates", "websites", "campaigns", "commissions", "tracking"),
}
#: each app's main list comes first in it ("Webmasters" before "Webmaster notes")
MAIN_MODEL = {
    "affiliates": "Affiliate",
    "websites": "Site",
    "campaigns": "Merchant",
    "commissions": "Statement",
    "tracking": "Click",
    "disputes": "Claim",
}


def _primary_role(roles: frozenset[str]) -> str:
    for role in ("bd", "finance", "risk"):
        if role in roles:
            return role
    return "tenant_admin"


def ordered_app_list(request: HttpRequest, app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The admin's app list in the person's working order, with the "Desk" pages first."""
    roles = staff_roles_for(request)
    order = ROLE_APP_ORDER.get(_primary_role(roles), ())
    rank = {label: index for index, label in enumerate(order)}
    apps = sorted(app_list, key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"]))
    for app in apps:
        main = MAIN_MODEL.get(app["app_label"])
        app["models"].sort(key=lambda m: (m.get("object_name") != main, str(m["name"])))
    desk = [
        {
            "name": page.title,
            "object_name": page.name,
            "admin_url": reverse(f"admin:{page.name}"),
            "view_only": True,
            "perms": {"view": True},
        }
        for page in admin_pages()
        if page.nav and may_see(request, page.roles)
    ]
    home = {
        "name": "Home",
        "object_name": "home",
        "admin_url": reverse("admin:index"),
        "view_only": True,
        "perms": {"view": True},
    }
    return [
        {
            "name": "Desk",
            "app_label": "desk",
            "app_url": reverse("admin:index"),
            "has_module_perms": True,
            "models": [home, *desk],
        },
        *apps,
    ]


# --- 360 pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileSection:
    kind: str  # "webmaster" or "merchant"
    order: int
    name: str
    path: str

    def load(self) -> Callable[[HttpRequest, Any], Panel | None]:
        return cast("Callable[[HttpRequest, Any], Panel | None]", import_string(self.path))


_SECTIONS: dict[str, ProfileSection] = {}


def register_profile_section(kind: str, order: int, name: str, path: str) -> None:
    """A section of the webmaster or merchant 360 page, contributed by the app that owns the
    data: ``def section(request, obj) -> Panel | None`` (None: nothing to show), a constant
    number of queries."""
    _SECTIONS[name] = ProfileSection(kind=kind, order=order, name=name, path=path)


def profile_sections(request: HttpRequest, kind: str, obj: Any) -> list[Panel]:
    sections = sorted(
        (s for s in _SECTIONS.values() if s.kind == kind), key=lambda s: (s.order, s.name)
    )
    panels = [section.load()(request, obj) for section in sections]
    return [panel for panel in panels if panel is not None]
