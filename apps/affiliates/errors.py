"""What the affiliates services refuse (codes are stable; messages name the offending value)."""

from apps.core.errors import DomainError, NotPermittedError, StateConflictError


class AffiliateError(DomainError):
    code = "affiliate_error"

    EMAIL_TAKEN = "affiliate_email_taken"
    USER_TAKEN = "affiliate_user_taken"
    INVALID = "affiliate_invalid"
    REASON_REQUIRED = "reason_required"


class AffiliateTransitionError(StateConflictError):
    code = "affiliate_transition_not_allowed"


class AffiliatePermissionError(NotPermittedError):
    code = "affiliate_not_permitted"
