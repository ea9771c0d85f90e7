"""Per-key rate limit (DRF's cache-backed throttle, keyed by the key's prefix)."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apps.api.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
        # Unauthenticated requests are limited per client address.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
