"""What arrives in paths and query strings, checked before it reaches a query (issue 22).

A value PostgreSQL cannot take (a NUL in a text column, a number beyond ``bigint``) or Python
cannot (``int("abc")``) must never become a 500. Two layers:

- **NUL anywhere in the path or query string is a 400**, for every URL, before any view:
  ``NulByteMiddleware`` (``apps.core.security``) asks ``nul_parameter``. Code that answers
  before Django builds a request (the lean WSGI path for ``/c/``, ``/serve/``, ``/px/*``) calls
  ``nul_in_environ(environ)`` itself and answers ``nul_response_body(name)`` with a 400.
- **Each view parses its parameters** with the ``param_*`` helpers below: a bad value raises
  ``ParameterError`` naming the parameter, which the partner API answers as its usual 400
  ``{"code": "invalid", "message", "extra": {"fields": {name: [message]}}}`` (a
  ``DomainError``), and a plain view can turn into its own 400. The back office's list
  filters turn bad values into Django's "invalid filter" page (``apps.core.admin``).

The helpers take any mapping of parameter names to strings (``request.GET``, DRF's
``request.query_params``, a ``QueryDict`` of a form-encoded body) and return typed values.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from apps.core.errors import DomainError

NUL = "\x00"
#: PostgreSQL's bigint: ids and counts beyond it match nothing and cannot be sent
MAX_BIGINT = 2**63 - 1


class ParameterError(DomainError):
    """A path or query value that cannot be used; ``fields`` names the parameter."""

    code = "invalid"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message, field=name)
        self.parameter = name


# --- NUL ----------------------------------------------------------------------------------


def nul_parameter(path: str, query_string: str) -> str | None:
    """The name of what holds a NUL: ``"path"``, a query parameter's name (``"query"`` when
    the NUL is in a name), or None. ``path`` is decoded (``PATH_INFO``, ``request.path``),
    ``query_string`` raw (``QUERY_STRING``: ``%00`` or a bare NUL byte)."""
    if NUL in path:
        return "path"
    if "%00" not in query_string and NUL not in query_string:
        return None  # the common case: one substring scan, no parsing
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if NUL in name:
            return "query"
        if NUL in value:
            return name
    return None  # e.g. "%2500": a literal "%00", not a NUL


def nul_in_environ(environ: Mapping[str, Any]) -> str | None:
    """``nul_parameter`` for a WSGI environ (for code that runs before Django's request)."""
    return nul_parameter(environ.get("PATH_INFO", "") or "", environ.get("QUERY_STRING", "") or "")


def nul_message(name: str) -> str:
    return f"{name} contains a NUL character (%00); remove it."


def nul_response_body(name: str) -> bytes:
    """The JSON body of the 400 for a NUL in ``name`` (the API's error shape)."""
    return json.dumps(
        {
            "code": "invalid",
            "message": nul_message(name),
            "extra": {"fields": {name: [nul_message(name)]}},
        }
    ).encode()


# --- typed parameters ---------------------------------------------------------------------


def _raw(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    text = str(value)
    if NUL in text:
        raise ParameterError(name, nul_message(name))
    return text.strip()


def param_text(
    params: Mapping[str, Any],
    name: str,
    *,
    max_length: int = 200,
    default: str | None = None,
    required: bool = False,
) -> str | None:
    """A string of at most ``max_length`` characters (blank means absent)."""
    text = _raw(params, name)
    if text is None:
        if required:
            raise ParameterError(name, f"{name} is required.")
        return default
    if len(text) > max_length:
        raise ParameterError(name, f"{name} is at most {max_length} characters.")
    return text


def param_choice(
    params: Mapping[str, Any],
    name: str,
    choices: Iterable[str],
    *,
    default: str | None = None,
    required: bool = False,
) -> str | None:
    """One of ``choices`` (a model's ``TextChoices.values`` will do)."""
    allowed = list(choices)
    text = _raw(params, name)
    if text is None:
        if required:
            raise ParameterError(name, f"{name} is required: one of {', '.join(allowed)}.")
        return default
    if text not in allowed:
        raise ParameterError(name, f"{name} must be one of {', '.join(allowed)}.")
    return text


def param_int(
    params: Mapping[str, Any],
    name: str,
    *,
    minimum: int | None = None,
    maximum: int = MAX_BIGINT,
    default: int | None = None,
    required: bool = False,
) -> int | None:
    """A whole number (decimal digits, optional sign) within ``[minimum, maximum]``; an id
    is ``param_int(params, "site", minimum=1)``."""
    text = _raw(params, name)
    if text is None:
        if required:
            raise ParameterError(name, f"{name} is required: a whole number.")
        return default
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isdigit() or not digits.isascii() or len(digits) > 19:
        raise ParameterError(name, f"{name} must be a whole number, not {text[:40]!r}.")
    number = int(text)
    if (minimum is not None and number < minimum) or number > maximum:
        low = "" if minimum is None else f"at least {minimum} and "
        raise ParameterError(name, f"{name} must be {low}at most {maximum}.")
    return number


def param_date(
    params: Mapping[str, Any],
    name: str,
    *,
    default: datetime.date | None = None,
    required: bool = False,
) -> datetime.date | None:
    """A day as ``YYYY-MM-DD``."""
    text = _raw(params, name)
    if text is None:
        if required:
            raise ParameterError(name, f"{name} is required: a day as YYYY-MM-DD.")
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(name, f"{name} must be a day as YYYY-MM-DD.") from None


def param_uuid(params: Mapping[str, Any], name: str, *, required: bool = False) -> uuid.UUID | None:
    """A UUID (``click_id``, ``impression_id``)."""
    text = _raw(params, name)
    if text is None:
        if required:
            raise ParameterError(name, f"{name} is required.")
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ParameterError(name, f"{name} must be a UUID.") from None
