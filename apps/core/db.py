"""Small database helpers shared by services: row locks, named locks, and field updates."""

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import connection, models, transaction

from apps.core.history import history_note

ModelT = TypeVar("ModelT", bound=models.Model)


def lock_object(queryset: "models.QuerySet[ModelT]", pk: int) -> ModelT:
    """Re-read one row under ``SELECT ... FOR UPDATE`` (only the row itself, not its joins).

    Callers must be inside ``transaction.atomic()``; state checks happen after the lock so two
    racing actions see each other's result instead of both passing the check.
    """
    return queryset.select_for_update(of=("self",)).get(pk=pk)


def advisory_lock_key(name: str) -> int:
    """The signed 64-bit key of ``name``: BLAKE2b, so two names share a key about once in
    2**64 (PostgreSQL's ``hashtext`` gives 32 bits)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_xact_lock(name: str) -> None:
    """Take PostgreSQL's transaction-level advisory lock ``name`` (released at commit or
    rollback): a second transaction asking for the same name waits for the first. Used to
    serialize whole runs (a tenant-day's pipeline, a period's statements) that lock no single
    row first. Name it ``"<app>.<what>:<tenant id>:<key>"``."""
    if not connection.in_atomic_block:
        raise RuntimeError(f"advisory_xact_lock({name!r}) needs an open transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_lock_key(name)])


def _clean_changed(instance: models.Model, changed: list[str]) -> None:
    others = [f.name for f in instance._meta.fields if f.name not in changed]
    instance.full_clean(exclude=others, validate_unique=False, validate_constraints=False)


def model_update(
    *,
    instance: ModelT,
    fields: Mapping[str, Any],
    actor: Any = None,
    reason: str = "changed",
    clean: Callable[[ModelT], None] | None = None,
) -> tuple[ModelT, list[str]]:
    """Change plain fields of one row, the one way services do it (HackSoft's model_update):

    - the row is re-read under a row lock (``lock_object``), so racing updates serialize and
      each sees the other's result;
    - only the fields whose value differs are set; when none does, nothing is written;
    - ``clean(row)`` validates (default: ``full_clean`` of the changed fields and ``clean()``);
      it raises, so nothing is saved;
    - the history row names ``actor`` if a person (``history_note``) and why: ``reason``
      followed by the changed fields (``"changed name, phone"``);
    - ``save(update_fields=...)`` writes the changed fields (and ``updated_at`` if the model
      has one).

    Returns the locked, updated row and the changed field names. Which fields may change is
    the caller's rule; checks that need the locked row belong in ``clean``."""
    with transaction.atomic():
        locked = lock_object(type(instance)._default_manager.all(), instance.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        if not changed:
            return locked, []
        for name in changed:
            setattr(locked, name, fields[name])
        if clean is None:
            _clean_changed(locked, changed)
        else:
            clean(locked)
        history_note(locked, actor, f"{reason} {', '.join(changed)}")
        update_fields = list(changed)
        if any(f.name == "updated_at" for f in locked._meta.fields):
            update_fields.append("updated_at")
        locked.save(update_fields=update_fields)
    return locked, changed
