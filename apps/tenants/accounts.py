"""Which host an account's mail may link to, and lifting its sign-in lock-out (issue 22).

Accounts are global, but every link we mail with a secret in it (password reset, email
verification, the invitation that is a reset) goes to a host the account belongs to, never
simply to the host the request came in on: tenant B's staff (or whoever runs B's DNS) must
not be able to have a tenant-A person mailed a working key on B's domain.

- On a tenant's host, the account belongs there when it has a tie to that tenant: an active
  staff membership, or a tie another app registers (a webmaster profile or pending signup, a
  merchant user). The link then goes to the tenant's primary host. Without a tie, nothing is
  sent, and the page answers exactly as for any address (allauth's enumeration prevention).
- Superusers' links always go to the platform host (``PLATFORM_HOSTS[0]``): their keys
  never travel on a tenant's domain. The platform host serves nobody else, so a request
  there for anyone else sends nothing.

Ties are looked up in the request's tenant scope only: row-level security hides other
tenants' rows, and a request never needs them, because the rule above only ever asks
"does this account belong *here*?".

Apps register their ties from ``AppConfig.ready()`` (tenants imports nothing to its right):

    register_account_tie("affiliates.profile", "apps.affiliates.selectors.account_tie")

A tie is ``def tie(*, user) -> bool``, run in the current tenant's scope.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from apps.tenants.models import Membership
from apps.tenants.selectors import normalize_host, tenant_primary_host

if TYPE_CHECKING:
    from apps.tenants.models import User

logger = logging.getLogger(__name__)

_TIES: dict[str, str] = {}


def register_account_tie(name: str, path: str) -> None:
    _TIES[name] = path


def account_belongs_here(*, user: Any) -> bool:
    """Whether ``user`` has a tie to the tenant of the active scope."""
    if Membership.objects.filter(user=user, is_active=True).exists():
        return True
    return any(import_string(path)(user=user) for _, path in sorted(_TIES.items()))


def account_link_host(request: HttpRequest | None, user: Any) -> str | None:
    """The host a mailed link for ``user`` goes to, or None when nothing may be sent."""
    if getattr(user, "is_superuser", False):
        return settings.PLATFORM_HOSTS[0] if settings.PLATFORM_HOSTS else None
    tenant = getattr(request, "tenant", None) if request is not None else None
    if tenant is None:
        return None
    if not account_belongs_here(user=user):
        return None
    return tenant_primary_host(tenant)


def account_link(request: HttpRequest | None, user: Any, url: str) -> str | None:
    """``url`` (absolute or a path) moved onto ``user``'s link host, or None."""
    from allauth.account import app_settings as allauth_settings

    host = account_link_host(request, user)
    if host is None:
        return None
    parts = urlsplit(url)
    scheme = allauth_settings.DEFAULT_HTTP_PROTOCOL or (
        request.scheme if request is not None else "https"
    )
    # Keep the port the request came in on (development servers: demo.localhost:8000): the
    # same deployment serves every host, and a port cannot move a link to another machine.
    port = ""
    if request is not None:
        requested = request.get_host()
        if normalize_host(requested) != requested.lower() and not requested.endswith("]"):
            port = ":" + requested.rsplit(":", 1)[1]
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}{port}{parts.path}{query}"


def account_lockouts_lift(*, users: Iterable[User], actor: Any = None) -> int:
    """``account_lockout_lift`` for each of ``users`` (an admin action); how many."""
    count = 0
    for user in users:
        account_lockout_lift(user=user)
        logger.info("sign-in lock-out of user %s lifted by %s", user.pk, getattr(actor, "pk", None))
        count += 1
    return count


def account_lockout_lift(*, user: User) -> None:
    """Forget the failed sign-ins counted against ``user``'s addresses (and its MFA codes),
    so the person can sign in again at once. Staff do this for someone a guesser locked
    out; a successful password reset does the same (allauth). The per-address limits stay:
    lifting an account's lock-out never lets the guesser's address go on."""
    from allauth.account.models import EmailAddress
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    emails = {user.email.lower()} | {
        address.lower()
        for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    keys = [*sorted(emails), f"mfa-auth-user-{user.pk}"]
    for rate in ratelimit.get_rates(app="allauth.account", action="login_failed"):
        if rate.per != "key":
            continue
        for key in keys:
            cache.delete(
                ratelimit.get_cache_key(
                    None,  # only per-address rates read the request
                    app="allauth.account",
                    action="login_failed",
                    rate=rate,
                    key=key,
                )
            )
