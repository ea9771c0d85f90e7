"""Tests: fast hashing, eager Celery, in-memory email, no throttling surprises."""

import os

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The test client's socket address is 127.0.0.1: tests play the proxy in front of the app.
TRUSTED_PROXIES = LOOPBACK
PLATFORM_HOSTS = ["localhost", "127.0.0.1", "testserver"]
TENANT_HOST_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private" / str(os.getpid())
# raw event partitions are dropped without an archive unless a test asks for one
RAW_EVENTS_ARCHIVE_DIR = ""
# The test database is thrown away: trade durability for speed.
DATABASES["default"]["OPTIONS"]["options"] = "-c synchronous_commit=off"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Serve static files from the app folders (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Webhook tests run real receivers on 127.0.0.1 over plain http; never outside tests.
OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
WEBHOOK_ALLOW_HTTP = True
# No listener thread in tests: a stale snapshot is reloaded by the next request, and
# apps.tracking.propagation.tick() does the thread's work by hand.
TRACKING_LIVE_LISTEN = False
