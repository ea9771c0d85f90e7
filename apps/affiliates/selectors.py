"""Reads on webmasters."""

from django.db.models import QuerySet

from apps.affiliates.models import Affiliate, AffiliateNote, AffiliateSignup
from apps.tenants.models import User


def affiliate_for_user(*, user: User) -> Affiliate | None:
    """The webmaster profile of ``user`` in the scoped tenant, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Affiliate.objects.filter(user=user).first()


def account_tie(*, user: User) -> bool:
    """Whether ``user`` is a webmaster of the scoped tenant, or signed up on its host and waits
    for verification (``apps.tenants.accounts``: where reset and verification links go)."""
    return (
        Affiliate.objects.filter(user=user).exists()
        or AffiliateSignup.objects.filter(user=user).exists()
    )


def affiliate_note_list(*, affiliate: Affiliate) -> QuerySet[AffiliateNote]:
    return AffiliateNote.objects.filter(affiliate=affiliate).select_related("author")
