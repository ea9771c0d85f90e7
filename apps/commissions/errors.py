"""What the money services refuse."""

from apps.core.errors import DomainError, StateConflictError


class CommissionError(DomainError):
    """A commission cannot be computed or changed as asked."""

    code = "commission_error"
    NO_RULE = "no_matching_rule"
    ALREADY_ATTRIBUTED = "already_attributed"
    NOT_FOUND = "not_found"


class CommissionStateError(StateConflictError):
    code = "commission_state"


class LedgerError(DomainError):
    """A ledger posting was refused (unbalanced legs, mixed tenants, a reused key)."""

    code = "ledger_error"
    UNBALANCED = "ledger_unbalanced"
    KEY_REUSED = "ledger_key_reused"


class RebateError(DomainError):
    code = "rebate_error"


class OrderStatusError(DomainError):
    """An order status change was refused (unknown order, bad refund amount)."""

    code = "order_status"
    NOT_FOUND = "order_not_found"
    http_status = 400
