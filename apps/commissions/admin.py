"""Commissions, earnings and the ledger in the back office. Statements are in
``admin_statements`` (built separately)."""

from apps.commissions import admin_statements  # noqa: F401
