"""Per-key rate limit (DRF's cache-backed throttle, keyed by the key's prefix)."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apps.api.models import ApiKey
from apps.core.clientip import client_ip


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
        # Unauthenticated requests are limited per client address.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request: Request) -> str:
        # DRF's own reads X-Forwarded-For as the client wrote it (NUM_PROXIES unset): a client
        # could pick a new identity per request. Ours believes only our proxies.
        return client_ip(request._request)
