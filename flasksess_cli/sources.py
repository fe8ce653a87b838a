"""Where sizecheck's cookies come from: pasted text, a session, a live URL, or a browser's HAR export.

Each ``from_*`` function returns one :class:`~flasksess_cli.sizes.SizeCheck`.
``from_url`` uses only the standard library (urllib) and follows redirects by
hand, so that every Set-Cookie on the way is seen, and carries cookies along as
a browser does with a small browser-like jar: a cookie a browser would drop is
not stored, and the previous one stays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from flasksess_cli import sizes
from flasksess_cli.errors import BadInput
from flasksess_cli.limits import ATTRIBUTE_LIMIT
from flasksess_cli.session_size import CookieSettings, check_received, check_session, check_value

#: Redirects followed at most (Chromium's limit).
MAX_REDIRECTS = 20
#: A HAR file is read up to this size.
MAX_HAR_BYTES = 128 << 20

_HEADER = re.compile(r"(set-cookie|cookie)\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(r"[!#$%&'*+\-^_`|~0-9A-Za-z]+")
_ATTRIBUTES = {"domain", "path", "expires", "max-age", "secure", "httponly", "samesite", "partitioned", "priority"}


def from_session(session: dict[str, Any], settings: CookieSettings, *, server: str | None = None) -> sizes.SizeCheck:
    checked = check_session(session, settings)
    return sizes.SizeCheck("session", (checked,), _requests_for([checked]), server=server)


def from_text(text: str, settings: CookieSettings, *, server: str | None = None) -> sizes.SizeCheck:
    """A value, ``name=value``, ``Set-Cookie:``/``Cookie:`` header lines (``curl -si`` output will do)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise BadInput("the input is empty (give a cookie value, name=value, or a Set-Cookie: or Cookie: header)")
    headers = [m for m in map(_HEADER.fullmatch, lines) if m]
    checked: list[sizes.CheckedCookie] = []
    requests: list[sizes.RequestReport] = []
    for header in headers:
        if header.group(1).lower() == "set-cookie":
            checked.append(check_received(header.group(2), max_cookie_size=settings.max_cookie_size))
        else:
            pairs = _pairs(header.group(2))
            checked.extend(check_value(name, value, settings) for name, value in pairs)
            requests.append(sizes.check_request(sizes.cookie_header(pairs)))
    if not headers:
        if len(lines) > 1:
            raise BadInput("the input has several lines but no Set-Cookie: or Cookie: header")
        line = lines[0]
        parts = [part.strip().partition("=")[0].strip().lower() for part in line.split(";")[1:]]
        if any(part in _ATTRIBUTES for part in parts):  # a Set-Cookie value without its header name
            checked.append(check_received(line, max_cookie_size=settings.max_cookie_size))
        elif len(parts) > 0:  # a Cookie header value: a=1; b=2
            pairs = _pairs(line)
            checked.extend(check_value(name, value, settings) for name, value in pairs)
            requests.append(sizes.check_request(sizes.cookie_header(pairs)))
        else:
            name, sep, value = line.partition("=")
            if sep and _TOKEN.fullmatch(name) and "." not in name:
                checked.append(check_value(name, value, settings))
            else:
                checked.append(check_value(settings.name, line, settings))
    if not checked:
        raise BadInput("the headers hold no cookie")
    return sizes.SizeCheck("cookie", tuple(checked), tuple(requests) or _requests_for(checked), server=server)


def _pairs(cookie_string: str) -> list[tuple[str, str]]:
    pairs = []
    for part in cookie_string.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep or name:
            pairs.append((name.strip(), value.strip()) if sep else ("", name.strip()))
    return pairs


def _requests_for(checked: Iterable[sizes.CheckedCookie]) -> tuple[sizes.RequestReport, ...]:
    """The Cookie header that would carry these cookies back."""
    pairs = [c.report.header.split(";", 1)[0].strip() for c in checked]
    return (sizes.check_request("; ".join(pairs)),) if pairs else ()


# --- a browser-like cookie jar ------------------------------------------------------------------


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
        report = sizes.check_set_cookie(set_cookie)
        if report.too_large or any(p.drops_in == "every browser" for p in report.problems):
            return
        parsed = sizes.parse_set_cookie(set_cookie)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        domain = (_usable(parsed.attribute("domain")) or "").lstrip(".").lower()
        if domain and not (host == domain or host.endswith("." + domain)):
            return  # browsers reject a Domain that does not cover the host
        path = _usable(parsed.attribute("path")) or ""
        if not path.startswith("/"):
            path = _default_path(parts.path)
        key = (domain or host, path, parsed.name)
        if _expired(parsed):
            self._cookies.pop(key, None)
            return
        self._cookies[key] = _Stored(
            parsed.name, parsed.value, domain or host, not domain, path, parsed.has("secure"), parsed.has("partitioned")
        )

    def add(self, name: str, value: str, url: str) -> None:
        """A cookie the user already has (``--cookie``): host-only, Path=/."""
        host = (urlsplit(url).hostname or "").lower()
        self._cookies[(host, "/", name)] = _Stored(name, value, host, True, "/", False, False)

    def header_for(self, url: str) -> str:
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        chosen = [
            c
            for c in self._cookies.values()
            if (host == c.domain or (not c.host_only and host.endswith("." + c.domain)))
            and (path == c.path or path.startswith(c.path.rstrip("/") + "/"))
            and (not c.secure or parts.scheme == "https" or host in {"localhost", "127.0.0.1", "::1"})
        ]
        chosen.sort(key=lambda c: -len(c.path))
        return sizes.cookie_header([(c.name, c.value) for c in chosen])

    def domains(self, seen_in_requests: dict[str, int] | None = None) -> tuple[sizes.DomainCount, ...]:
        counts: dict[str, list[int]] = {}
        for c in self._cookies.values():
            entry = counts.setdefault(c.domain, [0, 0])
            entry[0] += 1
            if c.partitioned:
                entry[1] += sizes.wire_bytes(c.name) + sizes.wire_bytes(c.value)
        for host, n in (seen_in_requests or {}).items():
            entry = counts.setdefault(host, [0, 0])
            entry[0] = max(entry[0], n)
        return tuple(sizes.DomainCount(d, n, p) for d, (n, p) in sorted(counts.items()))


def _usable(attribute: str | None) -> str | None:
    """Browsers ignore an attribute value over 1024 bytes (Chromium, Firefox)."""
    return attribute if attribute is not None and sizes.wire_bytes(attribute) <= ATTRIBUTE_LIMIT else None


def _default_path(path: str) -> str:
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _expired(parsed: sizes.ParsedSetCookie) -> bool:
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


# --- a live URL -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as far as cookies go."""

    method: str
    url: str
    status: int
    set_cookies: tuple[str, ...]
    cookie_header: str | None

    @property
    def origin(self) -> str:
        return f"{self.method} {self.url} -> {self.status}" if self.status else f"{self.method} {self.url}"


def from_url(
    url: str,
    settings: CookieSettings,
    *,
    data: Sequence[tuple[str, str]] = (),
    headers: Sequence[tuple[str, str]] = (),
    cookies: Sequence[tuple[str, str]] = (),
    insecure: bool = False,
    timeout: float = 10.0,
    server: str | None = None,
) -> sizes.SizeCheck:
    """Request ``url`` (POST when ``data``), follow redirects, and check every cookie set on the way."""
    from flasksess_cli.fetch import check_url, fetch

    check_url(url)
    jar = Jar()
    for name, value in cookies:
        jar.add(name, value, url)
    exchanges, final_url = fetch(
        url, jar=jar, data=data, headers=headers, insecure=insecure, timeout=timeout, max_redirects=MAX_REDIRECTS
    )
    checked = [check_value(name, value, settings, origin="--cookie") for name, value in cookies]
    for exchange in exchanges:
        checked.extend(
            check_received(h, max_cookie_size=settings.max_cookie_size, origin=exchange.origin)
            for h in exchange.set_cookies
        )
    following = jar.header_for(final_url)
    requests = (sizes.check_request(following, url=f"next request to {final_url}"),) if following else ()
    return sizes.SizeCheck("url", tuple(checked), requests, jar.domains(), server=server)


# --- a HAR export -------------------------------------------------------------------------------


def read_har(text: str) -> tuple[Exchange, ...]:
    """Every entry's Set-Cookie and Cookie headers (HTTP/2's split cookie headers joined again)."""
    try:
        entries = json.loads(text)["log"]["entries"]
        exchanges = tuple(_exchange(entry) for entry in entries)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadInput("not a HAR file (a JSON document with log.entries, as browsers export it)") from None
    if not any(e.set_cookies or e.cookie_header for e in exchanges):
        raise BadInput(
            "the HAR holds no Set-Cookie or Cookie headers (Chrome leaves them out unless you export "
            "'with sensitive data'; Firefox: Save All As HAR)"
        )
    return exchanges


def _exchange(entry: dict[str, Any]) -> Exchange:
    request, response = entry["request"], entry.get("response") or {}

    def values(headers: list[dict[str, Any]], name: str) -> list[str]:
        return [str(h["value"]) for h in headers if str(h.get("name", "")).lower() == name]

    cookie_headers = values(request.get("headers") or [], "cookie")
    if not cookie_headers and request.get("cookies"):
        cookie_headers = [sizes.cookie_header([(str(c["name"]), str(c["value"])) for c in request["cookies"]])]
    set_cookies = [line for v in values(response.get("headers") or [], "set-cookie") for line in v.split("\n")]
    if not set_cookies and response.get("cookies"):
        set_cookies = [_rebuilt(c) for c in response["cookies"]]
    return Exchange(
        str(request.get("method", "GET")),
        str(request["url"]),
        int(response.get("status") or 0),
        tuple(line.strip() for line in set_cookies if line.strip()),
        "; ".join(cookie_headers) if cookie_headers else None,
    )


def _rebuilt(cookie: dict[str, Any]) -> str:
    """A Set-Cookie from a HAR cookie object, when the export has no headers."""
    parts = [f"{cookie['name']}={cookie['value']}"]
    parts += [f"{k}={cookie[k.lower()]}" for k in ("Domain", "Path") if cookie.get(k.lower())]
    parts += [k for k, field in (("Secure", "secure"), ("HttpOnly", "httpOnly")) if cookie.get(field)]
    return "; ".join(parts)


def from_har(text: str, settings: CookieSettings, *, server: str | None = None) -> sizes.SizeCheck:
    exchanges = read_har(text)
    jar = Jar()
    set_cookies: dict[str, tuple[str, int]] = {}
    cookie_headers: dict[str, tuple[str, int]] = {}
    in_requests: dict[str, int] = {}
    for e in exchanges:
        for line in e.set_cookies:
            first, seen = set_cookies.get(line, (e.origin, 0))
            set_cookies[line] = (first, seen + 1)
            jar.set(line, e.url)
        if e.cookie_header:
            first, seen = cookie_headers.get(e.cookie_header, (e.url, 0))
            cookie_headers[e.cookie_header] = (first, seen + 1)
            host = (urlsplit(e.url).hostname or "").lower()
            in_requests[host] = max(in_requests.get(host, 0), len(_pairs(e.cookie_header)))
    checked = tuple(
        check_received(line, max_cookie_size=settings.max_cookie_size, origin=origin, seen=seen)
        for line, (origin, seen) in set_cookies.items()
    )
    requests = sorted(
        (sizes.check_request(h, url=url, seen=seen) for h, (url, seen) in cookie_headers.items()),
        key=lambda r: -r.header_bytes,
    )
    return sizes.SizeCheck("har", checked, tuple(requests), jar.domains(in_requests), server=server)
