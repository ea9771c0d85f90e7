"""Merchants (advertisers), their domains and users."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
    "Use 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
domain_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$",
    "Enter a domain such as shop.example.com (no scheme or path).",
)


class MerchantTier(models.TextChoices):
    BRAND = "brand", "Brand"
    HIGH_POTENTIAL = "high_potential", "High potential"
    SMB = "smb", "Small and medium"


class Merchant(TenantOwnedModel):
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=150)
    tier = models.CharField(max_length=20, choices=MerchantTier.choices, default=MerchantTier.SMB)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    plan_quota = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1)],
        help_text="Most active plans this merchant may run at once (DESIGN.md rule 7).",
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("code"), name="merchant_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MerchantDomain(TenantOwnedModel):
    """A domain of the merchant's site: deep links may land anywhere on it (never elsewhere)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, validators=[domain_validator])

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="merchant_domain_unique")
        ]

    def __str__(self) -> str:
        return self.domain


class MerchantUser(TenantOwnedModel):
    """A person who acts for a merchant in its portal, invited by staff."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_roles"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="merchant_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"
