"""Reads on sites, placements and contracts, and the snippets a webmaster pastes."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils.html import escape

from apps.affiliates.models import Affiliate, PipelineStatus
from apps.sites.models import Contract, ContractStatus, Placement, Site, SiteStatus


def site_list_for_affiliate(*, affiliate: Affiliate) -> QuerySet[Site]:
    return Site.objects.filter(affiliate=affiliate).order_by("name", "pk")


def placement_list_for_affiliate(*, affiliate: Affiliate) -> QuerySet[Placement]:
    """The webmaster's placements with site and affiliate joined (``ad_code_for`` needs both)."""
    return (
        Placement.objects.filter(site__affiliate=affiliate)
        .select_related("site", "site__affiliate")
        .order_by("site__name", "code")
    )


def site_get_for_affiliate(*, affiliate: Affiliate, pk: int) -> Site | None:
    """The webmaster's site ``pk``, or ``None`` (another webmaster's or tenant's site too)."""
    return Site.objects.filter(affiliate=affiliate, pk=pk).first()


def placement_get_for_affiliate(*, affiliate: Affiliate, ref: str) -> Placement | None:
    """The webmaster's placement named by its code or, for digits, its id; ``None`` if it is
    not one of theirs. A code wins over an id when both match (the lowest id first)."""
    match = Q(code=ref) | Q(pk=int(ref)) if ref.isdigit() else Q(code=ref)
    return Placement.objects.filter(site__affiliate=affiliate).filter(match).order_by("pk").first()


def placement_list_for_site(*, site: Site) -> QuerySet[Placement]:
    return (
        Placement.objects.filter(site=site)
        .select_related("site", "site__affiliate")
        .prefetch_related(
            Prefetch(
                "contracts",
                queryset=Contract.objects.order_by("-starts_on"),
                to_attr="contract_list",
            )
        )
        .order_by("code")
    )


def contract_list_for_affiliate(*, affiliate: Affiliate) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(placement__site__affiliate=affiliate)
        .select_related("placement", "placement__site")
        .order_by("placement__site__name", "placement__code", "-starts_on")
    )


def placement_is_live(*, placement: Placement) -> bool:
    """Live ad code needs an active webmaster, an approved site and an active placement."""
    site = placement.site
    return (
        placement.is_active
        and site.status == SiteStatus.APPROVED
        and site.affiliate.status == PipelineStatus.ACTIVE
    )


def ad_code_for(*, placement: Placement, base_url: str) -> str | None:
    """The unified ad snippet (API.md ``GET /ad.js``), or ``None`` while it is not live:
    issue 3, "a webmaster who is not approved ... gets no live ad code"."""
    if not placement_is_live(placement=placement):
        return None
    base = base_url.rstrip("/")
    return (
        f'<script async src="{escape(base)}/ad.js" '
        f'data-placement="{escape(placement.code)}"></script>'
    )


def click_url_template_for(*, placement: Placement, base_url: str) -> str:
    """The tracking link for a product (API.md ``GET /c/{code}?sku={sku}``); ``{sku}`` is
    left for the webmaster to fill in."""
    return f"{base_url.rstrip('/')}/c/{placement.code}?sku={{sku}}"


def active_contract_for(*, placement: Placement) -> Contract | None:
    return (
        Contract.objects.filter(placement=placement, status=ContractStatus.ACTIVE)
        .order_by("-starts_on")
        .first()
    )
