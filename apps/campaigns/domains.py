"""Merchant domains: what a domain is, and which host belongs to which merchant.

The Public Suffix List (through ``tldextract`` and the snapshot it ships: no network, no
cache on disk) says which names anyone can register under (``co.uk``, ``github.io``): such a
name is never a merchant's domain, and two merchants of one tenant never share a registrable
domain (``example.com`` for ``shop.example.com`` and ``m.example.com``), so one cannot take
the other's deep links. The private section of the list is included: ``github.io`` or
``blogspot.com`` hosts belong to their users, not to whoever claims the suffix.

``host_within(host, domains)`` is the one rule for "is this URL's host on one of these
domains" (the domain itself or a subdomain of it), used by product URLs, deep links and every
redirect target.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

_extract = tldextract.TLDExtract(
    cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True, include_psl_private_domains=True
)


@lru_cache(maxsize=4096)
def registrable_domain(domain: str) -> str:
    """The registrable part of ``domain`` (``shop.example.co.uk`` → ``example.co.uk``), or ""
    when ``domain`` is itself a public suffix (``co.uk``, ``github.io``, ``localhost``)."""
    domain = domain.lower().rstrip(".")
    parts = _extract(domain)
    if parts.suffix:
        return f"{parts.domain}.{parts.suffix}" if parts.domain else ""
    # Not on the list (``shop.example``, ``intranet.test``): the list's default rule "*"
    # makes the last label the public suffix.
    labels = domain.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else ""


def host_within(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains (label-wise, never a mere suffix:
    ``evilshop.example.com`` is not within ``shop.example.com``)."""
    host = host.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def url_host(url: str) -> str | None:
    """The lower-case host of an http(s) ``url`` without user info, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host or "@" in parts.netloc:
        return None
    return host.lower().rstrip(".")


def url_within(url: str, domains: Iterable[str]) -> bool:
    """``url`` is http(s) on one of ``domains`` or a subdomain of one."""
    host = url_host(url)
    return host is not None and any(host_within(host, domain) for domain in domains)


TXT_PREFIX = "alliance-domain-verification="
DNS_TIMEOUT_SECONDS = 5


class LookupFailedError(Exception):
    """The DNS answer could not be had; the message says why (shown to the merchant)."""


def txt_records(name: str) -> list[str]:
    """The TXT strings published at ``name`` (the one DNS call of domain verification; tests
    monkeypatch it). No record is an empty list; a failed lookup raises ``LookupFailedError``."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=DNS_TIMEOUT_SECONDS)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupFailedError(f"the DNS lookup of {name} failed ({type(exc).__name__})") from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def fetch_proof_file(url: str) -> tuple[int, str]:
    """GET the well-known proof file (sites' guarded fetch: http(s) only, public addresses,
    short timeout, size cap); ``(status, text)``. Raises ``FetchError`` (tests monkeypatch)."""
    from apps.sites.verification import fetch

    found = fetch(url)
    return found.status, found.text
