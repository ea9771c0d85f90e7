"""The bare baseline: a Django project with one view, no apps, no middleware (issue 12).

Same database (``config.database``: the app's role, persistent connections), same gunicorn
settings (``config/gunicorn.py``), same Django; nothing of the product's stack. What ``/c/``
costs beyond this is what the product adds to Django itself.
"""

from config.database import database_settings
from config.env import env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "bench-bare-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare.urls"
WSGI_APPLICATION = "bench.bare.wsgi.application"
DATABASES = {"default": database_settings()}
USE_TZ = True
LOGGING_CONFIG = None
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # no request transaction: autocommit, like /c/
