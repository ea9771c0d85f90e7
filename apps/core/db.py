"""Small database helpers shared by services."""

from typing import TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


def lock_object(queryset: "models.QuerySet[ModelT]", pk: int) -> ModelT:
    """Re-read one row under ``SELECT ... FOR UPDATE`` (only the row itself, not its joins).

    Callers must be inside ``transaction.atomic()``; state checks happen after the lock so two
    racing actions see each other's result instead of both passing the check.
    """
    return queryset.select_for_update(of=("self",)).get(pk=pk)
