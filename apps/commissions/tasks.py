"""Celery tasks of the money. Statement tasks live in ``tasks_statements`` (built separately)."""

from apps.commissions.tasks_statements import *  # noqa: F403
