"""What the integrations app refuses, with stable codes."""

from apps.core.errors import DomainError, StateConflictError


class WebhookError(DomainError):
    """An endpoint or postback that cannot be saved as asked; names the field at fault."""

    code = "webhook_error"

    URL_REFUSED = "url_refused"
    UNKNOWN_EVENT = "unknown_event"
    TOO_MANY = "too_many_endpoints"


class DeliveryStateError(StateConflictError):
    """A replay of a delivery whose target is disabled or deleted (409)."""

    code = "delivery_state_conflict"
