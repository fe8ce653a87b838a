"""A browser-like cookie jar: cookies stored by (domain, path, name); what a browser drops is not stored.

``sizecheck --url`` carries cookies along a redirect chain with it, and ``--har``
counts the cookies each host holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flasksess_cli.cookie_text import ParsedSetCookie, parse_set_cookie
from flasksess_cli.sizecheck.browsers import check_set_cookie
from flasksess_cli.sizecheck.limits import ATTRIBUTE_LIMIT
from flasksess_cli.sizecheck.servers import DomainCount, cookie_header
from flasksess_cli.sizecheck.set_cookie import wire_bytes


@dataclass(frozen=True)
class _Stored:
    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool
    partitioned: bool


class Jar:
    """Cookies as a browser stores them: by (domain, path, name); what a browser drops is not stored."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], _Stored] = {}

    def set(self, set_cookie: str, url: str) -> None:
        report = check_set_cookie(set_cookie)
        if report.too_large or any(p.drops_in == "every browser" for p in report.problems):
            return
        parsed = parse_set_cookie(set_cookie)
        _, host, url_path = url_parts(url)
        domain = (_usable(parsed.attribute("domain")) or "").lstrip(".").lower()
        if domain and not (host == domain or host.endswith("." + domain)):
            return  # browsers reject a Domain that does not cover the host
        path = _usable(parsed.attribute("path")) or ""
        if not path.startswith("/"):
            path = _default_path(url_path)
        key = (domain or host, path, parsed.name)
        if _expired(parsed):
            self._cookies.pop(key, None)
            return
        self._cookies[key] = _Stored(
            parsed.name, parsed.value, domain or host, not domain, path, parsed.has("secure"), parsed.has("partitioned")
        )

    def add(self, name: str, value: str, url: str) -> None:
        """A cookie the user already has (``--cookie``): host-only, Path=/."""
        host = url_parts(url)[1]
        self._cookies[(host, "/", name)] = _Stored(name, value, host, True, "/", False, False)

    def header_for(self, url: str) -> str:
        scheme, host, path = url_parts(url)
        chosen = [
            c
            for c in self._cookies.values()
            if (host == c.domain or (not c.host_only and host.endswith("." + c.domain)))
            and (path == c.path or path.startswith(c.path.rstrip("/") + "/"))
            and (not c.secure or scheme == "https" or host in {"localhost", "127.0.0.1", "::1"})
        ]
        chosen.sort(key=lambda c: -len(c.path))
        return cookie_header([(c.name, c.value) for c in chosen])

    def domains(self, seen_in_requests: dict[str, int] | None = None) -> tuple[DomainCount, ...]:
        counts: dict[str, list[int]] = {}
        for c in self._cookies.values():
            entry = counts.setdefault(c.domain, [0, 0])
            entry[0] += 1
            if c.partitioned:
                entry[1] += wire_bytes(c.name) + wire_bytes(c.value)
        for host, n in (seen_in_requests or {}).items():
            entry = counts.setdefault(host, [0, 0])
            entry[0] = max(entry[0], n)
        return tuple(DomainCount(d, n, p) for d, (n, p) in sorted(counts.items()))


def url_parts(url: str) -> tuple[str, str, str]:
    """(scheme, host, path) of a URL, the scheme and host lowercased and the path ``/`` at least.

    A URL that does not parse (``http://[``, as a HAR file may hold) has no host.
    """
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.path or "/"
    except ValueError:
        return "", "", "/"


def _usable(attribute: str | None) -> str | None:
    """Browsers ignore an attribute value over 1024 bytes (Chromium, Firefox)."""
    return attribute if attribute is not None and wire_bytes(attribute) <= ATTRIBUTE_LIMIT else None


def _default_path(path: str) -> str:
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _expired(parsed: ParsedSetCookie) -> bool:
    max_age = parsed.attribute("max-age")
    if max_age is not None and re.fullmatch(r"-?\d+", max_age.strip()):
        return int(max_age) <= 0
    expires = parsed.attribute("expires")
    if expires:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return False
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)) < datetime.now(timezone.utc)
    return False
