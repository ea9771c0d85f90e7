"""PostgreSQL backend that starts the embedded server and runs as the app's own role.

Everything else is Django's psycopg 3 backend; see ``config/database.py`` for why.
"""

from typing import Any

from django.db.backends.postgresql import base

from config.database import ensure_ready


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        ensure_ready(self.settings_dict)
        return super().get_connection_params()
