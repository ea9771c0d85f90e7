"""The webmaster 360 page's API keys (issue 14): name, prefix, scopes, use; never a secret."""

from __future__ import annotations

from django.http import HttpRequest

from apps.api.models import ApiKey
from apps.core.admin_home import Panel, register_profile_section
from apps.core.display import format_datetime

ROWS = 8


def keys_section(request: HttpRequest, affiliate) -> Panel:
    keys = list(ApiKey.objects.filter(affiliate=affiliate).order_by("-created_at")[:ROWS])
    return Panel(
        id="api-keys",
        title="API keys",
        columns=["Key", "Scopes", "Last used", "State"],
        rows=[
            {
                "cells": [
                    f"{key.name or 'key'} ({key.prefix}…)",
                    ", ".join(key.scopes),
                    format_datetime(key.last_used_at) if key.last_used_at else "never",
                    "revoked" if key.revoked_at else "active",
                ],
                "url": "",
            }
            for key in keys
        ],
        empty="No API keys.",
    )


register_profile_section("webmaster", 70, "api.keys", "apps.api.admin_360.keys_section")
