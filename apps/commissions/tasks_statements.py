"""Celery tasks for statements (generate_settlements)."""
