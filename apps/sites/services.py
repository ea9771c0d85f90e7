"""Writes on sites, placements and contracts (issue 3; DESIGN.md rule 1 for contracts).

A site is registered ``pending`` and moves only through :func:`site_transition`. Ownership is
proven by :func:`site_verify` (a meta tag on the home page, else a file at a well-known path);
approval is a separate staff decision. Placements are addressed by a public code unique in the
tenant. Two active contracts of one placement never overlap (checked here under a row lock on
the placement, and enforced by the database's exclusion constraint whatever writes the rows).
"""

import datetime
import secrets
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.affiliates.models import Affiliate, PipelineStatus
from apps.core.db import lock_object
from apps.core.errors import validation_message
from apps.core.history import history_note
from apps.sites import verification
from apps.sites.errors import ContractError, PlacementError, SiteError, SiteTransitionError
from apps.sites.models import (
    Contract,
    ContractStatus,
    Placement,
    PlacementPosition,
    Site,
    SiteStatus,
    VerificationMethod,
)
from apps.tenants.live import live_state_changed
from apps.tenants.models import User
from apps.tenants.scope import current_tenant

S = SiteStatus

#: Staff review sites: pending → approved or rejected; an approved site can be suspended and
#: reinstated; a rejected one can be sent back to review (pending).
ALLOWED: dict[str, set[str]] = {
    S.PENDING: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.SUSPENDED},
    S.SUSPENDED: {S.APPROVED, S.REJECTED},
    S.REJECTED: {S.PENDING},
}

#: Webmasters whose profile is closed cannot add sites or placements.
CLOSED_AFFILIATE_STATUSES = frozenset({PipelineStatus.REJECTED, PipelineStatus.SUSPENDED})

#: Generated placement codes: 8 characters of lower-case letters and digits without look-alikes.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8
CODE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def normalize_site_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, ``/`` for an empty path: one site, one URL."""
    parts = urlsplit((url or "").strip())
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def site_register(
    *,
    affiliate: Affiliate,
    url: str,
    name: str,
    category: str = "",
    status: str = SiteStatus.PENDING,
) -> Site:
    """Register a webmaster's site (``pending`` unless an import says otherwise).

    Rules: an http(s) URL, unique in the tenant after normalisation (``site_url_taken``); a
    rejected or suspended webmaster cannot add sites; a webmaster who is not yet approved can
    (issue 3: they only get no live ad code).
    """
    if affiliate.status in CLOSED_AFFILIATE_STATUSES:
        raise SiteError(
            f"Webmaster {affiliate.email} is {affiliate.status} and cannot register sites.",
            code=SiteError.AFFILIATE_CLOSED,
        )
    if status not in SiteStatus.values:
        raise SiteError(f"Unknown site status {status!r}.", code=SiteError.INVALID, field="status")
    url = normalize_site_url(url)
    if urlsplit(url).scheme not in {"http", "https"}:
        raise SiteError(
            f"The site address {url!r} must start with http:// or https://.",
            code=SiteError.INVALID,
            fields={"url": ["Use an http:// or https:// address."]},
        )
    site = Site(
        tenant=current_tenant(),
        affiliate=affiliate,
        url=url,
        name=(name or "").strip(),
        category=(category or "").strip(),
        status=status,
    )
    try:
        site.full_clean(exclude=["tenant", "affiliate"], validate_constraints=False)
    except ValidationError as exc:
        raise SiteError(
            f"The site {url} is not valid: {validation_message(exc)}",
            code=SiteError.INVALID,
            fields=exc.message_dict,
        ) from exc
    taken = SiteError(
        f"The site {url} is already registered in this network.",
        code=SiteError.URL_TAKEN,
        url=url,
        fields={"url": [f"{url} is already registered."]},
    )
    # Check first, then one savepoint around the insert (imports call this per row).
    if Site.objects.filter(url=url).exists():
        raise taken
    history_note(site, affiliate.user, "registered")
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError as exc:  # a concurrent registration of the same URL
        raise taken from exc
    return site


def site_transition(*, site: Site, to: str, actor: User | None = None, reason: str = "") -> Site:
    """Move a site between review states (``ALLOWED``) under a row lock; the same state
    again is a no-op. History records ``actor`` and ``reason``."""
    if to not in SiteStatus.values:
        raise SiteError(f"Unknown site status {to!r}.", code=SiteError.INVALID, field="status")
    with transaction.atomic():
        locked = lock_object(Site.objects.all(), site.pk)
        if locked.status != to:
            if to not in ALLOWED.get(locked.status, set()):
                raise SiteTransitionError(
                    f"Site {locked.url} cannot move from {locked.status} to {to}.",
                    field="status",
                    current=locked.status,
                    to=to,
                )
            locked.status = to
            history_note(locked, actor, reason or f"status → {to}")
            locked.save(update_fields=["status", "updated_at"])
            live_state_changed()
    site.status = locked.status
    return site


def site_verify(*, site: Site) -> Site:
    """Check ownership: the home page carries ``<meta name="alliance-site-verification"
    content="TOKEN">``, else ``/.well-known/alliance-verification.txt`` contains TOKEN.

    Records ``verified_at`` and the method on success (the first proof is kept), otherwise
    ``last_verification_error`` naming what was looked for. The network is read before any
    row lock is taken (through ``apps.sites.verification.fetch``).
    """
    token = site.verification_token
    method = ""
    problems: list[str] = []
    try:
        page = verification.fetch(site.url)
        if page.status >= 400:
            problems.append(f"the home page {site.url} answered HTTP {page.status}")
        elif token in verification.meta_tokens(page.text):
            method = VerificationMethod.META_TAG
        else:
            problems.append(f"no {verification.META_NAME} meta tag with your token on {site.url}")
    except verification.FetchError as exc:
        problems.append(str(exc).rstrip("."))
    if not method:
        file_url = verification.file_url(site.url)
        try:
            found = verification.fetch(file_url)
            if found.status < 400 and token in found.text:
                method = VerificationMethod.FILE
            elif found.status >= 400:
                problems.append(f"{file_url} answered HTTP {found.status}")
            else:
                problems.append(f"{file_url} does not contain your token")
        except verification.FetchError as exc:
            problems.append(str(exc).rstrip("."))
    now = timezone.now()
    with transaction.atomic():
        locked = lock_object(Site.objects.all(), site.pk)
        locked.last_verification_at = now
        fields = ["last_verification_at", "last_verification_error", "updated_at"]
        if method:
            locked.last_verification_error = ""
            if locked.verified_at is None:
                locked.verified_at = now
                locked.verification_method = method
                fields += ["verified_at", "verification_method"]
            reason = f"ownership verified ({method})"
        else:
            locked.last_verification_error = ("Not verified: " + "; ".join(problems) + ".")[:500]
            reason = "ownership check failed"
        history_note(locked, None, reason)
        locked.save(update_fields=fields)
    for field in (
        "last_verification_at",
        "last_verification_error",
        "verified_at",
        "verification_method",
    ):
        setattr(site, field, getattr(locked, field))
    return site


def site_verification_request(*, site: Site) -> None:
    """Queue an ownership check of ``site`` (the portal's "check now"), after the commit."""
    from apps.sites.tasks import site_verify_task

    site_verify_task.delay_on_commit(tenant_id=site.tenant_id, site_id=site.pk)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def placement_create(
    *,
    site: Site,
    position: str,
    code: str | None = None,
    name: str = "",
    floor_cpm: Decimal = Decimal("0.00"),
) -> Placement:
    """Create an ad slot on ``site``.

    Rules: a known position; a blank ``code`` is generated (8 URL-safe characters, unique in
    the tenant); a given code is 3-32 letters, digits, ``-`` or ``_`` and must be free
    (``placement_code_taken`` naming it); no placements on a rejected site; a floor CPM is not
    negative.
    """
    if position not in PlacementPosition.values:
        raise PlacementError(
            f"Unknown position {position!r}; use one of {', '.join(PlacementPosition.values)}.",
            code=PlacementError.INVALID,
            fields={"position": [f"{position!r} is not a position."]},
        )
    if site.status == SiteStatus.REJECTED:
        raise PlacementError(
            f"Site {site.url} was rejected; it cannot get placements.",
            code=PlacementError.INVALID,
        )
    floor_cpm = Decimal(floor_cpm)
    if floor_cpm < 0:
        raise PlacementError(
            f"The floor CPM {floor_cpm} cannot be negative.", code=PlacementError.INVALID
        )
    code = (code or "").strip()
    if code and (not 3 <= len(code) <= 32 or set(code) - CODE_CHARACTERS):
        raise PlacementError(
            f"The placement code {code!r} must be 3-32 letters, digits, '-' or '_'.",
            code=PlacementError.INVALID,
            fields={"code": ["Use 3-32 letters, digits, '-' or '_'."]},
        )
    generated = not code
    tenant = current_tenant()
    for _attempt in range(5):
        candidate = code or _new_code()
        if Placement.objects.filter(code=candidate).exists():
            if generated:
                continue
            raise PlacementError(
                f"The placement code {candidate} is already taken in this network.",
                code=PlacementError.CODE_TAKEN,
                placement_code=candidate,
            )
        placement = Placement(
            tenant=tenant,
            site=site,
            code=candidate,
            name=(name or "").strip(),
            position=position,
            floor_cpm=floor_cpm,
        )
        history_note(placement, site.affiliate.user, "created")
        try:
            with transaction.atomic():  # one savepoint: a concurrent taker fails only this
                placement.save()
                live_state_changed()
        except IntegrityError as exc:
            if generated:
                continue
            raise PlacementError(
                f"The placement code {candidate} is already taken in this network.",
                code=PlacementError.CODE_TAKEN,
                placement_code=candidate,
            ) from exc
        return placement
    raise PlacementError(  # pragma: no cover - 31^8 codes make this practically impossible
        "Could not generate a free placement code; try again.", code=PlacementError.INVALID
    )


def _overlapping(
    *, placement: Placement, starts_on: datetime.date, ends_on: datetime.date | None
) -> Contract | None:
    overlaps = Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    if ends_on is not None:
        overlaps &= Q(starts_on__lte=ends_on)
    return (
        Contract.objects.filter(placement=placement, status=ContractStatus.ACTIVE)
        .filter(overlaps)
        .order_by("starts_on")
        .first()
    )


def _overlap_error(placement: Placement, other: Contract | None) -> ContractError:
    if other is None:
        return ContractError(
            f"Placement {placement.code} already has an active contract over these dates.",
            code=ContractError.OVERLAP,
            placement_code=placement.code,
        )
    until = other.ends_on.isoformat() if other.ends_on else "open-ended"
    return ContractError(
        f"Placement {placement.code} already has an active contract from "
        f"{other.starts_on.isoformat()} to {until} that overlaps these dates.",
        code=ContractError.OVERLAP,
        placement_code=placement.code,
        contract_id=other.pk,
        starts_on=other.starts_on.isoformat(),
        ends_on=other.ends_on.isoformat() if other.ends_on else None,
    )


def contract_create(
    *,
    placement: Placement,
    daily_guarantee: Decimal,
    click_rate: Decimal,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    actor: User | None = None,
) -> Contract:
    """The terms a placement runs under (DESIGN.md rule 1): a daily guarantee (2 places) and
    a fee per valid click (4 places), from ``starts_on`` to ``ends_on`` inclusive (open-ended
    when empty).

    Rules: amounts not negative; ``ends_on`` not before ``starts_on``; no overlap with another
    active contract of the placement (``contract_overlap`` naming its dates). The check runs
    under a lock on the placement; the database's exclusion constraint backs it, and its
    violation becomes the same error. A refusal writes nothing.
    """
    daily_guarantee = Decimal(daily_guarantee)
    click_rate = Decimal(click_rate)
    if daily_guarantee < 0 or click_rate < 0:
        raise ContractError(
            f"Contract amounts for {placement.code} cannot be negative "
            f"(daily guarantee {daily_guarantee}, click rate {click_rate}).",
            code=ContractError.INVALID,
        )
    if ends_on is not None and ends_on < starts_on:
        raise ContractError(
            f"The contract for {placement.code} ends on {ends_on.isoformat()}, before it "
            f"starts on {starts_on.isoformat()}.",
            code=ContractError.INVALID,
            fields={"ends_on": ["The end date is before the start date."]},
        )
    contract = Contract(
        tenant=current_tenant(),
        placement=placement,
        daily_guarantee=daily_guarantee,
        click_rate=click_rate,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    try:
        contract.full_clean(
            exclude=["tenant", "placement", "created_by"], validate_constraints=False
        )
    except ValidationError as exc:
        raise ContractError(
            f"The contract for {placement.code} is not valid: {validation_message(exc)}",
            code=ContractError.INVALID,
            fields=getattr(exc, "message_dict", {}),
        ) from exc
    try:
        with transaction.atomic():  # one savepoint: the lock, the check and the insert
            lock_object(Placement.objects.all(), placement.pk)
            other = _overlapping(placement=placement, starts_on=starts_on, ends_on=ends_on)
            if other is not None:
                raise _overlap_error(placement, other)
            history_note(contract, actor, "created")
            contract.save()
    except IntegrityError as exc:
        if "contract_no_overlap" not in str(exc):
            raise
        contract.pk = None
        raise _overlap_error(
            placement, _overlapping(placement=placement, starts_on=starts_on, ends_on=ends_on)
        ) from exc
    return contract


def contract_terminate(*, contract: Contract, actor: User | None, reason: str) -> Contract:
    """End a contract early (active → terminated) with a reason; it then no longer blocks new
    contracts on its placement. Terminating a terminated contract is a no-op."""
    reason = (reason or "").strip()
    if not reason:
        raise ContractError(
            f"Give a reason to terminate the contract of {contract.placement.code}.",
            code=ContractError.REASON_REQUIRED,
        )
    with transaction.atomic():
        locked = lock_object(Contract.objects.all(), contract.pk)
        if locked.status != ContractStatus.TERMINATED:
            locked.status = ContractStatus.TERMINATED
            locked.terminated_reason = reason[:500]
            history_note(locked, actor, reason)
            locked.save(update_fields=["status", "terminated_reason", "updated_at"])
    contract.status = locked.status
    contract.terminated_reason = locked.terminated_reason
    return contract


def site_weights_apply(*, weights: dict[int, int], day: datetime.date) -> int:
    """Set each given site's ``weight`` (1-10) and ``weight_updated_on``; other sites are
    untouched. One UPDATE per distinct weight, so the nightly step stays cheap. Returns the
    number of sites updated."""
    bad = {site_id: w for site_id, w in weights.items() if not 1 <= int(w) <= 10}
    if bad:
        raise SiteError(
            f"Site weights must be 1-10; got {bad}.", code=SiteError.INVALID, weights=bad
        )
    by_weight: dict[int, list[int]] = {}
    for site_id, weight in weights.items():
        by_weight.setdefault(int(weight), []).append(int(site_id))
    updated = 0
    with transaction.atomic():
        for weight, site_ids in sorted(by_weight.items()):
            updated += Site.objects.filter(pk__in=site_ids).update(
                weight=weight, weight_updated_on=day, updated_at=timezone.now()
            )
        live_state_changed()
    return updated


def placement_set_active(
    *, placement: Placement, active: bool, actor: User | None, reason: str
) -> Placement:
    """Switch a placement's ad serving off (risk staff, from the risk desk: issue 14) or back
    on, with a reason kept in its history. Clicks on a switched-off placement are no longer
    served; the live state reloads after the commit. Re-applying the current state is a
    no-op."""
    reason = (reason or "").strip()
    if not reason:
        raise PlacementError(
            f"Give a reason to {'resume' if active else 'suspend'} placement {placement.code}.",
            field="reason",
        )
    with transaction.atomic():
        locked = lock_object(Placement.objects.all(), placement.pk)
        if locked.is_active != active:
            locked.is_active = active
            history_note(locked, actor, f"{'resumed' if active else 'suspended'}: {reason}")
            locked.save(update_fields=["is_active", "updated_at"])
            live_state_changed()
    placement.is_active = active
    return placement
