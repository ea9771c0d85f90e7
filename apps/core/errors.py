"""Domain errors: what a service refuses, with a stable code a client can switch on."""

from typing import Any

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A business rule refused the action. ``code`` is stable; ``message`` is for people.

    A refusal that concerns an input names it: ``field="window_days"`` (the message is that
    field's message) or ``fields={"items": ["..."], "amount": ["..."]}``. The API answers them
    in ``extra.fields`` exactly like validation errors (API.md v1.1 "Errors"), so a partner
    can tell which field to fix without parsing English.
    """

    code = "domain_error"
    #: HTTP status the API answers with; 409 for state conflicts.
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        named: dict[str, list[str]] = {name: list(msgs) for name, msgs in (fields or {}).items()}
        if field is not None:
            named.setdefault(field, []).append(message)
            # v1 answers carried the field's name in ``extra.field``; kept for those clients.
            extra.setdefault("field", field)
        self.fields = named
        self.extra = extra

    def __str__(self) -> str:
        return self.message


class StateConflictError(DomainError):
    """The object is not in a state that allows this action."""

    code = "state_conflict"
    http_status = 409


class NotPermittedError(DomainError):
    """The actor may not do this (e.g. four eyes)."""

    code = "not_permitted"
    http_status = 403


def validation_message(exc: ValidationError) -> str:
    """One line from a Django ``ValidationError`` for a refusal's message:
    ``"email: Enter a valid email address.; tier: ..."`` (field by field when it has fields).
    The fields themselves go to ``DomainError(fields=exc.message_dict)``."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)
