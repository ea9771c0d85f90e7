"""Fetching a webmaster's page to prove site ownership, and reading the proof from it.

``fetch`` is the one network call of site verification; tests monkeypatch it. It speaks only
http/https, gives up after ``TIMEOUT_SECONDS``, reads at most ``MAX_BYTES``, and refuses hosts
that resolve to private, loopback or link-local addresses (a webmaster must not make us probe
our own network), unless ``SITE_VERIFICATION_ALLOW_PRIVATE`` is set (development).
"""

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

META_NAME = "alliance-site-verification"
WELL_KNOWN_PATH = "/.well-known/alliance-verification.txt"
TIMEOUT_SECONDS = 5
MAX_BYTES = 256 * 1024
USER_AGENT = "AllianceSiteVerifier/1.0"


class FetchError(Exception):
    """The page could not be fetched; the message says why (shown to the webmaster)."""


@dataclass(frozen=True)
class FetchResult:
    status: int
    text: str


class _NoRedirectToOtherHosts(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError(f"Only http and https addresses can be checked, not {url!r}.")
    if not parts.hostname:
        raise FetchError(f"{url!r} has no host name.")
    if getattr(settings, "SITE_VERIFICATION_ALLOW_PRIVATE", False):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchError(f"The host {parts.hostname} could not be resolved.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"The host {parts.hostname} is not a public address.")


def fetch(url: str) -> FetchResult:
    """GET ``url`` (http/https only, short timeout, size cap). Raises ``FetchError``."""
    _check_url(url)
    opener = urllib.request.build_opener(_NoRedirectToOtherHosts)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read(MAX_BYTES + 1)[:MAX_BYTES]
            charset = response.headers.get_content_charset() or "utf-8"
            return FetchResult(status=response.status, text=raw.decode(charset, "replace"))
    except urllib.error.HTTPError as exc:
        return FetchResult(status=exc.code, text="")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url} could not be fetched: {reason}.") from exc


class _MetaFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.contents: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if values.get("name", "").strip().lower() == META_NAME:
            self.contents.append(values.get("content", "").strip())


def meta_tokens(html: str) -> list[str]:
    """The ``content`` of every ``<meta name="alliance-site-verification">`` in ``html``."""
    finder = _MetaFinder()
    finder.feed(html)
    finder.close()
    return finder.contents


def file_url(site_url: str) -> str:
    parts = urlsplit(site_url)
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN_PATH}"


def meta_tag(token: str) -> str:
    return f'<meta name="{META_NAME}" content="{token}">'
