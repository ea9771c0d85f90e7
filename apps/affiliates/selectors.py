"""Reads on webmasters."""

from django.db.models import QuerySet

from apps.affiliates.models import Affiliate, AffiliateNote
from apps.tenants.models import User


def affiliate_for_user(*, user: User) -> Affiliate | None:
    """The webmaster profile of ``user`` in the scoped tenant, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Affiliate.objects.filter(user=user).first()


def affiliate_note_list(*, affiliate: Affiliate) -> QuerySet[AffiliateNote]:
    return AffiliateNote.objects.filter(affiliate=affiliate).select_related("author")
