"""allauth tells us when an address is verified; the rule itself is a service."""

import logging
from typing import Any

from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.dispatch import receiver

from apps.core.errors import DomainError
from apps.tenants.scope import current_tenant_or_none

logger = logging.getLogger(__name__)


@receiver(email_confirmed, dispatch_uid="affiliates.signup_on_email_confirmed")
def create_pending_profile(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    # Only on a tenant's host (the middleware entered its scope): that is where signup is open.
    tenant = current_tenant_or_none()
    if tenant is None:
        return
    from apps.affiliates.services import affiliate_signup_complete

    try:
        affiliate_signup_complete(user=email_address.user)
    except DomainError as exc:
        # The address is verified either way; the profile is refused (e.g. BD already gave
        # this email to another account). Say why instead of failing the confirmation.
        logger.warning("signup of %s in %s refused: %s", email_address.email, tenant.slug, exc)
        if request is not None:
            messages.error(request, f"Your webmaster profile could not be created: {exc}")
