"""django-allauth adapter: accounts are global, but sign-up happens on a tenant's host.

Issue 22 ("Security behind a real proxy"):
- allauth's per-address limits (login, failed login, sign-up, password reset) count the
  client address of ``apps.core.clientip`` (``TRUSTED_PROXIES``, right-most untrusted
  ``X-Forwarded-For`` hop), not the proxy's socket address, so one guesser behind the proxy
  no longer locks sign-in for everyone. allauth's own ``ALLAUTH_TRUSTED_PROXY_COUNT`` stays
  unset: this adapter is the one place allauth learns the address.
- The failed-login limit per account counts the account (its email address) on every host
  together, not per host; a successful reset or staff (``accounts.account_lockout_lift``)
  lifts it.
- Reset and verification links go to a host the account belongs to (``apps.tenants.accounts``);
  when there is none, nothing is sent and the page answers like for any other address.
"""

import logging
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from apps.core.clientip import client_ip
from apps.tenants.accounts import account_link, account_link_host

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Self-service sign-up is for webmasters joining a network: only on a tenant's host.
        return getattr(request, "tenant", None) is not None

    # -- the client behind our proxies ---------------------------------------------------
    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the per-account failure count by site domain + login; our "site" is
        # the request host, so a guesser could spread guesses over every tenant host. One
        # account is one count. (allauth calls this to consume, to roll back on success and
        # to clear on a successful reset; tests/security pins the behaviour.)
        return credentials.get("email", credentials.get("username", "")).lower()

    # -- links only on the account's own host --------------------------------------------
    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        request = context.get("request") or self.request
        url = account_link(request, user, context["password_reset_url"])
        if url is None:
            # No tie to this host: send nothing. The form already answered like for any
            # address (ACCOUNT_PREVENT_ENUMERATION), so the requester learns nothing.
            logger.info("password reset for user %s on a host it has no tie to: not sent", user.pk)
            return
        context = {**context, "password_reset_url": url}
        super().send_password_reset_mail(user, email, context)

    def send_confirmation_mail(
        self, request: HttpRequest, emailconfirmation: Any, signup: bool
    ) -> None:
        user = emailconfirmation.email_address.user
        if account_link_host(request, user) is None:
            logger.info(
                "email verification for user %s on a host it has no tie to: not sent", user.pk
            )
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        url = super().get_email_confirmation_url(request, emailconfirmation)
        moved = account_link(request, emailconfirmation.email_address.user, url)
        # Without a host (only if called outside send_confirmation_mail): the path alone,
        # never the requesting host.
        return moved if moved is not None else urlsplit(url).path
