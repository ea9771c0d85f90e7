"""What the sites services refuse (codes are stable; messages name the offending value)."""

from apps.core.errors import DomainError, StateConflictError


class SiteError(DomainError):
    code = "site_error"

    URL_TAKEN = "site_url_taken"
    INVALID = "site_invalid"
    AFFILIATE_CLOSED = "affiliate_not_open"


class SiteTransitionError(StateConflictError):
    code = "site_transition_not_allowed"


class PlacementError(DomainError):
    code = "placement_error"

    CODE_TAKEN = "placement_code_taken"
    INVALID = "placement_invalid"


class ContractError(DomainError):
    code = "contract_error"

    OVERLAP = "contract_overlap"
    INVALID = "contract_invalid"
    REASON_REQUIRED = "reason_required"
