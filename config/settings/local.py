"""Development: DEBUG on, console email, eager Celery unless a broker is set."""

from config.env import env_bool

from .base import *

DEBUG = env_bool("DJANGO_DEBUG", True)
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
