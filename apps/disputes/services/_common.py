"""Small helpers shared by the claim, evidence and dispute services."""

from typing import Any

from apps.tenants.models import User


def person(actor: Any) -> Any:
    """The actor if it is a person (history and ``*_by`` columns); an API key is not."""
    return actor if isinstance(actor, User) else None
