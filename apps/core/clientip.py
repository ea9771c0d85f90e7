"""The one client address of a request (API.md "Tracking", issue 22).

Every per-client decision uses it: click validation (``/c/``, the lean WSGI path), allauth's
rate limits (``AccountAdapter.get_client_ip``), the API-key failure limiter and the
unauthenticated API throttle, the webmaster's known addresses for self-click detection.

The client IP is the socket address, or, when the socket peer is a trusted proxy
(``settings.TRUSTED_PROXIES``, CIDRs), the right-most address in ``X-Forwarded-For`` that is
not itself a trusted proxy. Addresses left of that one were written by the client and are
never believed. A malformed entry stops the walk: the proxy that reported it is the last
address we trust to be real, so it is the answer. Nothing is trusted unless configured:
``config/settings/local.py`` and ``test.py`` trust loopback (the development server has no
proxy in front, so a forged header there fools nobody but the developer); production trusts
exactly what ``TRUSTED_PROXIES`` lists.

``client_address(meta)`` takes a WSGI environ or ``request.META`` (the same keys), so code
that runs before Django builds a request can call it too.
"""

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """The client address of ``request`` as a string (``"0.0.0.0"`` if the socket gave none)."""
    return client_address(request.META)


def client_address(meta: Mapping[str, Any]) -> str:
    """The client address from a WSGI environ or ``request.META``."""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer = _parse(meta.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return "0.0.0.0"  # noqa: S104 - a placeholder address, never bound
    if not _is_trusted(peer, networks):
        return str(peer)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "") or ""
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    current = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return str(current)
        if not _is_trusted(address, networks):
            return str(address)
        current = address
    # Every hop is a proxy of ours: the left-most one is the closest we have to the client.
    return str(current)
