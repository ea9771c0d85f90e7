"""django-allauth adapter: accounts are global, but sign-up happens on a tenant's host."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Self-service sign-up is for webmasters joining a network: only on a tenant's host.
        return getattr(request, "tenant", None) is not None
