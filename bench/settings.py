"""The benchmark's settings: production's, plus the baseline view's URL (``bench.urls``).

``bench.run`` sets what production needs on loopback (a secret key, no HTTPS redirect).
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
