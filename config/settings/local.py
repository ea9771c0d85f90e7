"""Development: DEBUG on, console email, eager Celery unless a broker is set."""

from config.env import env_bool, env_cidrs

from .base import *

DEBUG = env_bool("DJANGO_DEBUG", True)
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The development server has no proxy in front: loopback may forward (tools, a local nginx).
TRUSTED_PROXIES = env_cidrs("TRUSTED_PROXIES", LOOPBACK)
