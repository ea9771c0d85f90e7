"""API keys: a prefix to find the key, a hash of the secret, a tenant, a principal, scopes."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.core.models import TenantOwnedModel

MERCHANT_SCOPES = [
    "products:read",
    "products:write",
    "conversions:write",
    "orders:write",
    "campaigns:read",
    "campaigns:write",
    "claims:read",
    "claims:write",
    "coupons:read",
    "coupons:write",
    "webhooks:read",
    "webhooks:write",
]
AFFILIATE_SCOPES = [
    "sites:read",
    "sites:write",
    "placements:read",
    "reports:read",
    "settlements:read",
    "disputes:read",
    "disputes:write",
    "webhooks:read",
    "webhooks:write",
]


class ApiKey(TenantOwnedModel):
    """Shown once at creation (``<prefix>.<secret>``); only a SHA-256 of the secret is kept.
    The secret has 256 bits of entropy, so a fast hash is enough (slow hashes are for
    passwords people choose) and keeps authentication off the critical path."""

    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64)
    merchant = models.ForeignKey(
        "campaigns.Merchant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    scopes = ArrayField(models.CharField(max_length=40), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="api_key_prefix_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(merchant__isnull=False, affiliate__isnull=True)
                    | models.Q(merchant__isnull=True, affiliate__isnull=False)
                ),
                name="api_key_one_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.principal})"

    @property
    def principal(self) -> object:
        return self.merchant or self.affiliate

    @property
    def principal_kind(self) -> str:
        return "merchant" if self.merchant_id else "affiliate"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
