"""Demo data: settlements. Idempotent; runs inside the demo tenant's scope."""

from typing import Any


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    pass
