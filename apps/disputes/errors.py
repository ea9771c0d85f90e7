"""Refusals of the claims and disputes services, with stable codes a client can switch on."""

from apps.core.errors import DomainError


class ClaimError(DomainError):
    """A compensation claim was refused; ``code`` says why (API.md ``POST /claims`` 400)."""

    code = "claim_refused"

    NOT_ELIGIBLE = "not_eligible"
    BAD_WINDOW = "bad_window"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    NOTHING_TO_COMPENSATE = "nothing_to_compensate"
    ALREADY_CLAIMED = "already_claimed"


class ClaimDecisionError(DomainError):
    """A decision was refused (missing reason, an amount out of range)."""

    code = "claim_decision_invalid"


class EvidenceError(DomainError):
    """An evidence file was refused (type, content or size)."""

    code = "evidence_refused"

    TOO_LARGE = "evidence_too_large"
    FORBIDDEN_TYPE = "evidence_forbidden_type"
    CONTENT_MISMATCH = "evidence_content_mismatch"
    TOO_MANY = "evidence_too_many"


class DisputeError(DomainError):
    """A missing-commission dispute was refused."""

    code = "dispute_refused"

    TOO_LATE = "too_late"
    FUTURE_ORDER = "order_in_future"
    ALREADY_DISPUTED = "already_disputed"
    MERCHANT_INACTIVE = "merchant_inactive"
    REASON_REQUIRED = "reason_required"
