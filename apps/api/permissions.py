"""Scopes: every view names the scopes it needs; a key without them gets 403."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.api.models import ApiKey


class HasApiKeyScopes(BasePermission):
    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        principal = getattr(view, "principal", None)
        if principal == "merchant" and api_key.merchant_id is None:
            self.message = "This endpoint needs a merchant's API key."
            return False
        if principal == "affiliate" and api_key.affiliate_id is None:
            self.message = "This endpoint needs a webmaster's API key."
            return False
        required = view.required_scopes_for(request.method)
        missing = [scope for scope in required if scope not in api_key.scopes]
        if missing:
            self.message = f"This API key lacks the scope(s): {', '.join(missing)}."
            return False
        return True
