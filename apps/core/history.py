"""Who and why for django-simple-history, in one place.

simple-history takes the history row's user from ``instance._history_user`` when set, else
from the request. On the partner API ``request.user`` is the key's stand-in, not a person,
and cannot be a history user; so every service names its actor explicitly, and an actor
that is not a person (an API key, a task) is recorded as nobody.
"""

from typing import Any

from django.contrib.auth import get_user_model

#: simple-history's ``history_change_reason`` column length
REASON_LENGTH = 100


def person(actor: Any) -> Any:
    """``actor`` if it is a person (a ``User``), else ``None``: for history and ``*_by``
    columns. An API key is not a person."""
    return actor if isinstance(actor, get_user_model()) else None


def history_note(instance: Any, actor: Any, reason: str = "") -> None:
    """Record ``actor`` (if a person) and ``reason`` on ``instance``'s next history row."""
    instance._history_user = person(actor)
    instance._change_reason = reason[:REASON_LENGTH] if reason else None
