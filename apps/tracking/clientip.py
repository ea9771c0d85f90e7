"""Moved to ``apps.core.clientip`` (issue 22: one client address for every app); this name is
kept so code written against the old path keeps working. Import from ``apps.core.clientip``."""

from apps.core.clientip import client_address, client_ip

__all__ = ["client_address", "client_ip"]
