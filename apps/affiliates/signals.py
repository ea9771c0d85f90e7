"""allauth tells us when an address is verified; the rule itself is a service."""

from typing import Any

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from apps.tenants.scope import current_tenant_or_none


@receiver(email_confirmed, dispatch_uid="affiliates.signup_on_email_confirmed")
def create_pending_profile(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    # Only on a tenant's host (the middleware entered its scope): that is where signup is open.
    if current_tenant_or_none() is None:
        return
    from apps.affiliates.services import affiliate_signup_complete

    affiliate_signup_complete(user=email_address.user)
