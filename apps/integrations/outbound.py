"""Outgoing HTTP for webhooks and postbacks that cannot be turned against us (SSRF).

- Only ``https`` (and ``http`` where the caller allows it: postbacks, test receivers), no
  user-info in the URL, at most 2000 characters.
- The host is resolved once; *every* address it resolves to must be public (not loopback,
  private, link-local, cloud-metadata 169.254.169.254, CGNAT, multicast, reserved, or an
  IPv4-mapped form of those), else the request is refused. We then connect to that checked
  address (TLS still verifies the certificate for the host name), so a second DNS answer
  (rebinding) never gets a say.
- No redirect is followed: a 3xx is a failed attempt, whatever its ``Location``.
- No proxy from the environment is used; bounded time (``TIMEOUT`` per connect and read) and
  a bounded read of the answer.

``OUTBOUND_ALLOWED_NETWORKS`` (settings, CIDRs) may re-allow networks; it is empty in every
settings module but ``config.settings.test`` (loopback, for the tests' local receivers), and
``config.settings.production`` refuses to start with it set.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
MAX_URL = 2000
EXCERPT = 500
USER_AGENT = "Alliance-Webhooks/1.1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedError(Exception):
    """The URL or the address it resolves to may not be called."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


def url_check(url: str, *, allow_http: bool) -> SplitResult:
    """Syntax and literal-address checks, done when a URL is saved and before each call
    (host names are resolved and checked only at call time: DNS can change)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise RefusedError(f"Enter a URL of at most {MAX_URL} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise RefusedError("The URL has spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedError("This is not a valid URL.") from None
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes:
        raise RefusedError("Use an https:// URL." if not allow_http else "Use http(s)://.")
    if not parts.hostname or "@" in parts.netloc:
        raise RefusedError("The URL needs a host and no user name or password.")
    if port == 0:
        raise RefusedError("Port 0 cannot be called.")
    host = parts.hostname.rstrip(".").lower()
    internal = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if internal and not _allowed_override(ipaddress.ip_address("127.0.0.1")):
        raise RefusedError(f"{host} is an internal name.")
    literal = _ip_or_none(host)
    if literal is not None:
        address_check(literal)
    return parts


def _ip_or_none(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _allowed_override(address: IPAddress) -> bool:
    for cidr in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ()):
        network = ipaddress.ip_network(cidr)
        if address.version == network.version and address in network:
            return True
    return False


def address_check(address: IPAddress) -> None:
    """Raise unless ``address`` is a public unicast address (or explicitly allowed)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if _allowed_override(address):
        return
    # is_global is False for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
    # link-local (169.254/16 incl. 169.254.169.254, fe80::/10), CGNAT 100.64/10, reserved,
    # unspecified and documentation ranges; multicast is refused on its own.
    if not address.is_global or address.is_multicast:
        raise RefusedError(f"{address} is not a public address; it cannot be called.")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (tests replace this to play DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _pinned_address(host: str, port: int) -> IPAddress:
    literal = _ip_or_none(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise RefusedError(f"{host} does not resolve: {exc}") from None
    if not addresses:
        raise RefusedError(f"{host} does not resolve.")
    for address in addresses:  # one bad answer refuses the lot: no picking around it
        address_check(address)
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = str(address)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    allow_http: bool = False,
) -> Outcome:
    """One HTTP request under the rules above; never raises for network trouble."""
    started = time.monotonic()

    def outcome(status: int | None, error: str, excerpt: str = "") -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, error[:500], elapsed, excerpt[:EXCERPT])

    try:
        parts = url_check(url, allow_http=allow_http)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _pinned_address(host, port)
    except RefusedError as exc:
        return outcome(None, f"refused: {exc}")
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, TIMEOUT_SECONDS)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT).decode("utf-8", "replace")
        status = response.status
        location = response.getheader("Location", "")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    if 300 <= status < 400:
        return outcome(status, f"redirect to {location[:200]!r} not followed", excerpt)
    return outcome(status, "", excerpt)
