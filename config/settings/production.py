"""Production: secrets and hosts from the environment, HTTPS only, staff MFA required."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)

# Rate limits (allauth's sign-in, sign-up and reset limits, failed API keys, API throttles)
# count in the cache. A per-process memory cache gives every worker its own count (N workers:
# N times the limit) and forgets on each restart, so production refuses to start without a
# shared one (issue 22).
if REDIS_URL == "-":
    raise ImproperlyConfigured(
        "Set REDIS_URL (e.g. redis://redis.internal:6379/1): production keeps rate limits in a "
        "cache shared by every worker."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
# <slug>.localhost is a development convenience only.
DEV_TENANT_SUFFIX = os.environ.get("DEV_TENANT_SUFFIX", "")
PLATFORM_HOSTS = env_list("PLATFORM_HOSTS", [])

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = (
    LOG_FORMAT if LOG_FORMAT in {"plain", "json"} else "json"
)

# Outgoing webhooks and postbacks never reach internal networks or plain http in production.
OUTBOUND_ALLOWED_NETWORKS = []
WEBHOOK_ALLOW_HTTP = False
