"""Where sizecheck's cookies come from: pasted text, a session, a live URL, or a browser's HAR export.

Each ``from_*`` function returns one :class:`~flasksess_cli.sizecheck.report.SizeCheck`.
Pasted text is read by :mod:`flasksess_cli.cookie_text`, as every command reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from flasksess_cli.cookie_text import cookie_pairs, read_cookies
from flasksess_cli.errors import BadInput
from flasksess_cli.settings import SessionSettings
from flasksess_cli.sizecheck.http import Exchange, check_url, fetch
from flasksess_cli.sizecheck.jar import Jar, url_parts
from flasksess_cli.sizecheck.report import (
    CheckedCookie,
    Pricer,
    SizeCheck,
    check_received,
    check_session,
    check_value,
    received_value,
)
from flasksess_cli.sizecheck.servers import RequestReport, check_request, cookie_header

#: Redirects followed at most (Chromium's limit).
MAX_REDIRECTS = 20
#: A HAR file is read up to this size.
MAX_HAR_BYTES = 128 << 20


def from_session(session: dict[str, Any], settings: SessionSettings, *, server: str | None = None) -> SizeCheck:
    checked = check_session(session, settings)
    return SizeCheck("session", (checked,), _requests_for([checked]), server=server)


def from_text(text: str, settings: SessionSettings, *, server: str | None = None) -> SizeCheck:
    """A value, ``name=value``, ``Set-Cookie:``/``Cookie:`` header lines (``curl -si`` output will do)."""
    pasted = read_cookies(text)
    pricer = Pricer(largest_first=[received_value(c.set_cookie) if c.set_cookie else c.value for c in pasted.cookies])
    checked = [
        check_received(cookie.set_cookie, max_cookie_size=settings.max_cookie_size, pricer=pricer)
        if cookie.set_cookie is not None
        else check_value(
            settings.cookie_name if cookie.name is None else cookie.name, cookie.value, settings, pricer=pricer
        )
        for cookie in pasted.cookies
    ]
    requests = tuple(check_request(cookie_header(pairs)) for pairs in pasted.cookie_headers)
    return SizeCheck("cookie", tuple(checked), requests or _requests_for(checked), server=server)


def _requests_for(checked: Iterable[CheckedCookie]) -> tuple[RequestReport, ...]:
    """The Cookie header that would carry these cookies back."""
    pairs = [c.report.header.split(";", 1)[0].strip() for c in checked]
    return (check_request("; ".join(pairs)),) if pairs else ()


# --- a live URL -----------------------------------------------------------------------------------


def from_url(
    url: str,
    settings: SessionSettings,
    *,
    data: Sequence[tuple[str, str]] = (),
    headers: Sequence[tuple[str, str]] = (),
    cookies: Sequence[tuple[str, str]] = (),
    insecure: bool = False,
    timeout: float = 10.0,
    server: str | None = None,
) -> SizeCheck:
    """Request ``url`` (POST when ``data``), follow redirects, and check every cookie set on the way."""
    check_url(url)
    jar = Jar()
    for name, value in cookies:
        jar.add(name, value, url)
    exchanges, final_url = fetch(
        url, jar=jar, data=data, headers=headers, insecure=insecure, timeout=timeout, max_redirects=MAX_REDIRECTS
    )
    received = [received_value(line) for exchange in exchanges for line in exchange.set_cookies]
    pricer = Pricer(largest_first=[value for _, value in cookies] + received)
    checked = [check_value(name, value, settings, origin="--cookie", pricer=pricer) for name, value in cookies]
    for exchange in exchanges:
        checked.extend(
            check_received(h, max_cookie_size=settings.max_cookie_size, origin=exchange.origin, pricer=pricer)
            for h in exchange.set_cookies
        )
    following = jar.header_for(final_url)
    requests = (check_request(following, url=f"next request to {final_url}"),) if following else ()
    return SizeCheck("url", tuple(checked), requests, jar.domains(), server=server)


# --- a HAR export -------------------------------------------------------------------------------


#: The HAR fields sizecheck reads. Everything else (response bodies, timings, page data) is dropped
#: while the JSON is parsed, so a HAR costs about twice its size in memory, not ten times.
_HAR_FIELDS = frozenset(
    {"log", "entries", "request", "response", "headers", "cookies", "name", "value", "url", "method", "status",
     "domain", "path", "secure", "httpOnly"}
)  # fmt: skip


def read_har(text: str) -> tuple[Exchange, ...]:
    """Every entry's Set-Cookie and Cookie headers (HTTP/2's split cookie headers joined again)."""
    try:
        document = json.loads(text, object_pairs_hook=_har_fields)
        entries = document["log"]["entries"]
        exchanges = tuple(_exchange(entry) for entry in entries)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise BadInput("not a HAR file (a JSON document with log.entries, as browsers export it)") from None
    if not any(e.set_cookies or e.cookie_header for e in exchanges):
        raise BadInput(
            "the HAR holds no Set-Cookie or Cookie headers (Chrome leaves them out unless you export "
            "'with sensitive data'; Firefox: Save All As HAR)"
        )
    return exchanges


def _har_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if key in _HAR_FIELDS}


def _exchange(entry: dict[str, Any]) -> Exchange:
    """One HAR entry. A field of the wrong type is a TypeError (not a HAR); a header that is not text is skipped."""
    request, response = entry["request"], entry.get("response") or {}
    url, method, status = request["url"], request.get("method", "GET"), response.get("status")
    if not isinstance(url, str) or not isinstance(method, str):
        raise TypeError("request.url and request.method are text")

    def values(headers: list[dict[str, Any]], name: str) -> list[str]:
        return [h["value"] for h in headers if _is_text(h.get("name"), h.get("value")) and h["name"].lower() == name]

    def cookie_objects(field: Any) -> list[dict[str, Any]]:
        return [c for c in field or () if _is_text(c.get("name"), c.get("value"))]

    cookie_headers = values(request.get("headers") or [], "cookie")
    if not cookie_headers and cookie_objects(request.get("cookies")):
        cookie_headers = [cookie_header([(c["name"], c["value"]) for c in cookie_objects(request["cookies"])])]
    set_cookies = [line for v in values(response.get("headers") or [], "set-cookie") for line in v.split("\n")]
    if not set_cookies:
        set_cookies = [_rebuilt(c) for c in cookie_objects(response.get("cookies"))]
    return Exchange(
        method,
        url,
        status if isinstance(status, int) and not isinstance(status, bool) and 0 <= status < 1000 else 0,
        tuple(line.strip() for line in set_cookies if line.strip()),
        "; ".join(cookie_headers) if cookie_headers else None,
    )


def _is_text(*values: Any) -> bool:
    return all(isinstance(value, str) for value in values)


def _rebuilt(cookie: dict[str, Any]) -> str:
    """A Set-Cookie from a HAR cookie object, when the export has no headers."""
    parts = [f"{cookie['name']}={cookie['value']}"]
    parts += [
        f"{k}={cookie[k.lower()]}" for k in ("Domain", "Path") if _is_text(cookie.get(k.lower())) and cookie[k.lower()]
    ]
    parts += [k for k, field in (("Secure", "secure"), ("HttpOnly", "httpOnly")) if cookie.get(field) is True]
    return "; ".join(parts)


def from_har(text: str, settings: SessionSettings, *, server: str | None = None) -> SizeCheck:
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
            host = url_parts(e.url)[1]
            in_requests[host] = max(in_requests.get(host, 0), len(cookie_pairs(e.cookie_header)))
    pricer = Pricer(largest_first=[received_value(line) for line in set_cookies])
    checked = tuple(
        check_received(line, max_cookie_size=settings.max_cookie_size, origin=origin, seen=seen, pricer=pricer)
        for line, (origin, seen) in set_cookies.items()
    )
    requests = sorted(
        (check_request(h, url=url, seen=seen) for h, (url, seen) in cookie_headers.items()),
        key=lambda r: -r.header_bytes,
    )
    return SizeCheck("har", checked, tuple(requests), jar.domains(in_requests), server=server)
