"""What the campaigns app refuses, with stable codes a client can switch on."""

from apps.core.errors import DomainError, StateConflictError


class ProductError(DomainError):
    code = "product_error"

    INVALID = "product_invalid"


class CampaignError(DomainError):
    """A campaign (plan) refused; the message names the plan and product involved."""

    code = "campaign_error"

    PLAN_QUOTA_EXCEEDED = "plan_quota_exceeded"
    PRODUCT_IN_FULL_SITE_PLAN = "product_in_full_site_plan"
    FULL_SITE_PRODUCT_IN_OTHER_PLAN = "full_site_product_in_other_plan"
    PRODUCT_INACTIVE = "product_inactive"
    PRODUCT_OFF_VERIFIED_DOMAIN = "product_off_verified_domain"
    FULL_SITE_NEEDS_TARGET_ROI = "full_site_needs_target_roi"
    FULL_SITE_NEEDS_ONE_PRODUCT = "full_site_needs_one_product"
    BID_REQUIRED = "bid_required"
    NO_PRODUCTS = "campaign_needs_products"
    FOREIGN_PRODUCT = "product_of_another_merchant"
    INVALID = "campaign_invalid"
    ENDED = "campaign_ended"


class CampaignStateError(StateConflictError):
    """A status move the ALLOWED table does not permit (409)."""

    code = "campaign_state_conflict"
