"""What the tracking app refuses, with stable codes a client can switch on."""

from apps.core.errors import DomainError, StateConflictError


class TrackingError(DomainError):
    """A tracking request that cannot be recorded (bad deep link, ambiguous sku, bad sub)."""

    code = "tracking_error"

    DEEP_LINK_REFUSED = "deep_link_refused"
    AMBIGUOUS_SKU = "ambiguous_sku"
    SUB_TOO_LONG = "sub_too_long"
    TARGET_REQUIRED = "target_required"
    UNKNOWN_PLACEMENT = "unknown_placement"
    UNKNOWN_SKU = "unknown_sku"
    PRODUCT_URL_UNVERIFIED = "product_url_unverified"

    def __init__(self, message: str, *, code: str, http_status: int = 400, **extra: object):
        super().__init__(message, code=code, **extra)
        self.http_status = http_status


class ConversionError(DomainError):
    """A conversion status change refused; the message names the conversion."""

    code = "conversion_error"

    INVALID_REFUND = "invalid_refund"
    INVALID_REASON = "invalid_reason"


class ConversionStateError(StateConflictError):
    """A status move the ALLOWED table does not permit (409)."""

    code = "conversion_state_conflict"


class CouponError(DomainError):
    """A coupon a merchant cannot register or remove; names the field at fault."""

    code = "coupon_error"

    CODE_TAKEN = "coupon_code_taken"
    INVALID = "coupon_invalid"


class TrackingKeyError(DomainError):
    """A postback key or pixel token that cannot be issued."""

    code = "tracking_key_error"


class BlockRuleError(DomainError):
    """A block-list entry refused (not an address or range, too broad, no reason)."""

    code = "block_rule_invalid"


class RawEventsPurgedError(DomainError):
    """A day whose raw events retention removed cannot be rebuilt from them (issue 19)."""

    code = "raw_events_purged"
