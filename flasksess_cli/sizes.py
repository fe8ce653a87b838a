"""Cookie size limits, each with its source, and the checks against them.

Pure: stdlib and the codec. Facts and numbers: ``../shared/reference/cookie-limits.md``.

* The limits come from :mod:`flasksess_cli.limits`, the one table (``sizecheck --limits`` prints it).
* :func:`set_cookie_header` builds the ``Set-Cookie`` value exactly as Werkzeug's
  ``dump_cookie`` does, so sizes are Flask's to the byte.
* :func:`check_cookie` / :func:`check_set_cookie` answer "will browsers keep this
  cookie, and will Flask warn?" for one cookie; :func:`check_request` answers
  "will servers accept the Cookie header?" for all of them together.
* :func:`session_size` prices each top-level key of a session in cookie bytes.

Every size is in bytes on the wire: text here is UTF-8 (received bytes that are
not UTF-8 arrive as ``surrogateescape`` characters and count as one byte each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from flasksess_cli.choices import DEFAULT_MAX_AGE
from flasksess_cli.errors import BadInput
from flasksess_cli.limits import (
    ATTRIBUTE_LIMIT,
    BROWSER_LIMIT,
    COOKIES_PER_DOMAIN,
    DEFAULT_MAX_COOKIE_SIZE,
    OTHER_HEADERS_ALLOWANCE,
    PARTITION_LIMIT,
    SERVERS,
    Limit,
)
from flasksess_cli.session_json import http_date

if TYPE_CHECKING:
    from flasksess_cli.session_size import SessionSize


def wire_bytes(text: str) -> int:
    """Bytes on the wire of text held as UTF-8 (with ``surrogateescape`` for bytes that were not)."""
    return len(text.encode("utf-8", "surrogateescape"))


# --- the Set-Cookie header, as Werkzeug writes it -----------------------------------------------


@dataclass(frozen=True)
class CookieAttributes:
    """The arguments of Werkzeug's ``dump_cookie`` that shape the header; defaults are Flask's session's."""

    domain: str | None = None
    path: str | None = "/"
    secure: bool = False
    httponly: bool = True
    samesite: str | None = None
    partitioned: bool = False
    #: An IMF-fixdate (29 characters) or None; Flask sets it for a permanent session.
    expires: str | None = None
    max_age: int | None = None


def permanent_expires(lifetime: int = DEFAULT_MAX_AGE, *, now: datetime | None = None) -> str:
    """The Expires Flask writes for a permanent session: now + PERMANENT_SESSION_LIFETIME."""
    return http_date((now or datetime.now(timezone.utc)) + timedelta(seconds=lifetime))


_NO_QUOTE = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
_SLASH = re.compile(rb"[\x00-\x19\",;\\\x7f-\xff]")
_SLASH_MAP = {b'"': b'\\"', b"\\": b"\\\\"} | {
    bytes([v]): b"\\%03o" % v for v in [*range(0x20), *b",;", *range(0x7F, 256)]
}


def quote_value(value: str) -> str:
    """The value as Werkzeug sends it: as is, or DQUOTEd with octal escapes (Flask's values never need it)."""
    if _NO_QUOTE.fullmatch(value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return '"' + _SLASH.sub(lambda m: _SLASH_MAP[m.group()], raw).decode("ascii") + '"'


def set_cookie_header(name: str, value: str, attributes: CookieAttributes = CookieAttributes()) -> str:
    """The ``Set-Cookie`` value Werkzeug's ``dump_cookie`` returns, byte for byte.

    Attribute order Domain, Expires, Max-Age, Secure, HttpOnly, Path, SameSite,
    Partitioned; Partitioned forces Secure; SameSite is title-cased; the Path is
    percent-quoted and the Domain loses its port and leading dot and is IDNA-encoded.
    A non-ASCII name is kept as text here (Werkzeug shows it as latin-1 mojibake);
    the bytes are the same.
    """
    a = attributes
    path = None if a.path is None else quote(a.path, safe="%!$&'()*+,/:=@")
    domain = None
    if a.domain:
        try:
            domain = a.domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
        except UnicodeError:
            raise BadInput(f"the domain {a.domain[:60]!r} is not a valid host name") from None
    samesite = None
    if a.samesite is not None:
        samesite = a.samesite.title()
        if samesite not in {"Strict", "Lax", "None"}:
            raise BadInput(f"SameSite must be Strict, Lax or None, not {a.samesite[:20]!r}")
    expires = a.expires
    if expires is None and a.max_age is not None:
        expires = http_date(datetime.now(timezone.utc) + timedelta(seconds=a.max_age))
    parts = [f"{name}={quote_value(value)}"]
    for key, attr in (
        ("Domain", domain),
        ("Expires", expires),
        ("Max-Age", a.max_age),
        ("Secure", a.secure or a.partitioned),
        ("HttpOnly", a.httponly),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", a.partitioned),
    ):
        if attr is None or attr is False:
            continue
        parts.append(key if attr is True else f"{key}={attr}")
    return "; ".join(parts)


@dataclass(frozen=True)
class ParsedSetCookie:
    """A Set-Cookie value split as RFC 6265bis §5.6 does (whitespace trimmed, a pair without '=' is a value)."""

    name: str
    value: str
    #: (attribute name, value or None), in header order.
    attributes: tuple[tuple[str, str | None], ...]

    def attribute(self, name: str) -> str | None:
        """The last value of an attribute (the one browsers use), or None."""
        found = [v or "" for k, v in self.attributes if k.lower() == name.lower()]
        return found[-1] if found else None

    def has(self, name: str) -> bool:
        return any(k.lower() == name.lower() for k, _ in self.attributes)


def parse_set_cookie(header: str) -> ParsedSetCookie:
    pair, *rest = header.split(";")
    name, sep, value = pair.partition("=")
    if not sep:
        name, value = "", name
    attributes = []
    for part in rest:
        key, sep, attr = part.partition("=")
        if key.strip():
            attributes.append((key.strip(), attr.strip() if sep else None))
    return ParsedSetCookie(name.strip(" \t"), value.strip(" \t"), tuple(attributes))


# --- one cookie --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A rule other than size that this cookie breaks."""

    #: "attribute-too-long", "host-prefix", "secure-prefix"
    rule: str
    message: str
    #: Which browsers drop the cookie for it: "every browser", "Safari (WebKit)", or "" (only an attribute is lost).
    drops_in: str


@dataclass(frozen=True)
class CookieReport:
    """Will browsers keep this cookie, and will Flask warn? Sizes in bytes; see :func:`check_cookie`."""

    name: str
    #: The whole Set-Cookie value (without ``Set-Cookie: ``), as sent.
    header: str
    value_bytes: int
    name_value_bytes: int
    header_bytes: int
    #: 4096: name+value over this is dropped by Chromium, Firefox and Safari.
    browser_limit: int
    #: Flask's MAX_COOKIE_SIZE: a header over this makes Werkzeug warn; 0 means the check is off.
    max_cookie_size: int
    problems: tuple[Problem, ...] = ()

    @property
    def attributes(self) -> str:
        """The header after ``name=value``: ``HttpOnly; Path=/``."""
        return self.header.partition(";")[2].strip()

    @property
    def browser_headroom(self) -> int:
        """Bytes left before browsers drop the cookie (negative: over by that much)."""
        return self.browser_limit - self.name_value_bytes

    @property
    def flask_headroom(self) -> int | None:
        """Bytes left before Flask warns; None when MAX_COOKIE_SIZE is 0."""
        return self.max_cookie_size - self.header_bytes if self.max_cookie_size else None

    @property
    def too_large(self) -> bool:
        return self.name_value_bytes > self.browser_limit

    @property
    def flask_warns(self) -> bool:
        return bool(self.max_cookie_size) and self.header_bytes > self.max_cookie_size

    @property
    def dropped(self) -> bool:
        """Some browser drops it: too large, or a rule (prefix, attribute length) it breaks."""
        return self.too_large or any(p.drops_in for p in self.problems)

    @property
    def browser_verdict(self) -> str:
        """``kept`` or ``dropped`` (name+value against 4096)."""
        return "dropped" if self.too_large else "kept"

    @property
    def flask_verdict(self) -> str:
        """``silent``, ``warns`` or ``disabled`` (the header against MAX_COOKIE_SIZE)."""
        if not self.max_cookie_size:
            return "disabled"
        return "warns" if self.flask_warns else "silent"

    @property
    def verdict(self) -> str:
        """``dropped``, ``flask-warns`` or ``ok``."""
        if self.dropped:
            return "dropped"
        return "flask-warns" if self.flask_warns else "ok"

    @property
    def summary(self) -> str:
        """One sentence for a person."""
        if self.too_large:
            keeps = "the previous session" if "session" in self.name.lower() else "the previous value"
            return (
                f"browsers will silently ignore this cookie; the app will keep seeing {keeps} "
                f"({-self.browser_headroom} bytes over {self.browser_limit})"
            )
        dropping = [p for p in self.problems if p.drops_in]
        if dropping:
            return f"{dropping[0].drops_in} will drop this cookie: {dropping[0].message}"
        if self.flask_warns:
            return f"Flask will warn; browsers keep it ({self.browser_headroom} bytes left before they drop it)"
        return f"fits, with {self.browser_headroom} bytes left before browsers drop it"


def check_cookie(
    name: str,
    value: str,
    attributes: CookieAttributes = CookieAttributes(),
    max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE,
) -> CookieReport:
    """Size-check the cookie Flask would send with ``response.set_cookie(name, value, **attributes)``.

    ``value`` is the cookie value before quoting (what Flask's session serializer
    returns); the header is built as Werkzeug's ``dump_cookie`` builds it
    (:func:`set_cookie_header`), so ``header_bytes`` is exactly the length Flask
    compares with ``max_cookie_size`` (``app.config["MAX_COOKIE_SIZE"]``, 0 = off)
    and warns about. ``attributes`` defaults to Flask's session cookie: HttpOnly,
    Path=/; pass ``CookieAttributes(expires=permanent_expires())`` for a permanent
    session.

    The returned :class:`CookieReport` carries ``name_value_bytes`` against
    ``browser_limit`` (4096: over it, Chromium, Firefox and Safari ignore the
    Set-Cookie and keep the previous cookie), ``header_bytes`` against
    ``max_cookie_size``, both headrooms (negative when over), ``browser_verdict``
    (``kept``/``dropped``), ``flask_verdict`` (``silent``/``warns``/``disabled``),
    ``verdict`` (``ok``/``flask-warns``/``dropped``), ``summary`` (a sentence),
    and ``problems``: attribute values over 1024 bytes and ``__Host-``/``__Secure-``
    prefix rules. Raises :class:`~flasksess_cli.errors.BadInput` for a SameSite
    other than Strict/Lax/None or a domain IDNA cannot encode.

    For a header already written (a live response's ``Set-Cookie``), use
    :func:`check_set_cookie`, which measures it as it is. Example, with a Flask app::

        report = check_cookie(
            app.config["SESSION_COOKIE_NAME"], value,
            CookieAttributes(secure=True, samesite="Lax", expires=permanent_expires()),
            app.config["MAX_COOKIE_SIZE"],
        )
        report.verdict           # "ok", "flask-warns" or "dropped"
        report.browser_headroom  # bytes left before browsers drop it
        report.summary           # "fits, with 3127 bytes left before browsers drop it"
    """
    header = set_cookie_header(name, value, attributes)
    return _report(name, quote_value(value), header, parse_set_cookie(header), max_cookie_size)


def check_set_cookie(header: str, *, max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE) -> CookieReport:
    """Size-check a Set-Cookie value as received (``Set-Cookie: `` already removed)."""
    header = header.strip()
    parsed = parse_set_cookie(header)
    return _report(parsed.name, parsed.value, header, parsed, max_cookie_size)


def _report(name: str, value: str, header: str, parsed: ParsedSetCookie, max_cookie_size: int) -> CookieReport:
    return CookieReport(
        name=name,
        header=header,
        value_bytes=wire_bytes(value),
        name_value_bytes=wire_bytes(name) + wire_bytes(value),
        header_bytes=wire_bytes(header),
        browser_limit=BROWSER_LIMIT,
        max_cookie_size=max_cookie_size,
        problems=_problems(parsed),
    )


def _problems(cookie: ParsedSetCookie) -> tuple[Problem, ...]:
    found = []
    for key, value in cookie.attributes:
        size = wire_bytes(value or "")
        if size > ATTRIBUTE_LIMIT:
            structural = key.lower() in {"path", "domain"}
            found.append(Problem(
                "attribute-too-long",
                f"its {key} is {size} bytes, over {ATTRIBUTE_LIMIT}: Chromium and Firefox ignore the {key}"
                + (" and keep the cookie, Safari drops the cookie" if structural else ""),
                "Safari (WebKit)" if structural else "",
            ))  # fmt: skip
    lowered = cookie.name.lower()
    secure = cookie.has("secure")
    if lowered.startswith("__host-"):
        missing = [
            what
            for what, ok in (
                ("Secure", secure),
                ("Path=/", cookie.attribute("path") == "/"),
                ("no Domain", not cookie.has("domain")),
            )
            if not ok
        ]
        if missing:
            found.append(Problem(
                "host-prefix", f"a __Host- cookie needs Secure, Path=/ and no Domain (lacks {', '.join(missing)}; "
                "RFC 6265bis §4.1.3.2)", "every browser",
            ))  # fmt: skip
    elif lowered.startswith("__secure-") and not secure:
        found.append(
            Problem("secure-prefix", "a __Secure- cookie needs Secure (RFC 6265bis §4.1.3.1)", "every browser")
        )
    return tuple(found)


# --- the Cookie request header and its servers ------------------------------------------------


@dataclass(frozen=True)
class ServerCheck:
    server: Limit
    #: Bytes this server counts: the Cookie header value plus what it adds ("Cookie: ", CRLF).
    size: int

    @property
    def headroom(self) -> int:
        return self.server.limit - self.size

    @property
    def verdict(self) -> str:
        """``rejected``; ``at-risk`` when the other headers of a typical request would tip it over; ``ok``."""
        if self.size > self.server.limit:
            return "rejected"
        if self.server.shared and self.size + OTHER_HEADERS_ALLOWANCE > self.server.limit:
            return "at-risk"
        return "ok"


@dataclass(frozen=True)
class RequestReport:
    """One Cookie request header against every server's limit."""

    #: Where it is sent: a URL, "next request to HOST", or None (the cookies given).
    url: str | None
    header_bytes: int
    cookies: int
    servers: tuple[ServerCheck, ...]
    #: How many times this exact header was seen (HAR).
    seen: int = 1

    def server(self, server_id: str) -> ServerCheck:
        return next(check for check in self.servers if check.server.id == server_id)


def cookie_header(pairs: Sequence[tuple[str, str]]) -> str:
    """The Cookie header a browser sends: ``a=1; b=2``."""
    return "; ".join(f"{name}={value}" for name, value in pairs)


def check_request(header: str, *, url: str | None = None, seen: int = 1) -> RequestReport:
    size = wire_bytes(header)
    cookies = sum(1 for part in header.split(";") if part.strip())
    return RequestReport(url, size, cookies, tuple(ServerCheck(s, size + s.extra) for s in SERVERS), seen)


@dataclass(frozen=True)
class DomainCount:
    """The cookies one host or Domain holds, against the per-domain count and Chromium's partition budget."""

    domain: str
    cookies: int
    partitioned_bytes: int = 0
    limit: int = COOKIES_PER_DOMAIN

    @property
    def verdict(self) -> str:
        """``evicted`` (over 180: browsers evict down to 150), ``partition-evicted``, or ``ok``."""
        if self.cookies > COOKIES_PER_DOMAIN:
            return "evicted"
        return "partition-evicted" if self.partitioned_bytes > PARTITION_LIMIT else "ok"


# --- everything checked in one run ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCookie:
    report: CookieReport
    #: Which response set it ("POST http://host/login -> 302"), or None.
    origin: str | None = None
    #: The header as received ("given") or built from the attributes as Flask would ("built").
    header_source: str = "built"
    session: SessionSize | None = None
    advice: tuple[str, ...] = ()
    seen: int = 1


@dataclass(frozen=True)
class SizeCheck:
    #: "cookie", "session", "url" or "har".
    source: str
    cookies: tuple[CheckedCookie, ...]
    requests: tuple[RequestReport, ...] = ()
    domains: tuple[DomainCount, ...] = ()
    #: The server picked with --server, or None (all shown, none decides the exit code).
    server: str | None = None

    @property
    def dropped(self) -> bool:
        return any(c.report.dropped for c in self.cookies)

    @property
    def verdict(self) -> str:
        """The worst cookie verdict: ``dropped``, ``flask-warns`` or ``ok``."""
        verdicts = {c.report.verdict for c in self.cookies}
        return next((v for v in ("dropped", "flask-warns") if v in verdicts), "ok")

    @property
    def server_rejects(self) -> bool | None:
        """Whether the --server would reject a request; None when no server was picked."""
        if self.server is None:
            return None
        return any(r.server(self.server).verdict == "rejected" for r in self.requests)

    @property
    def answer_is_no(self) -> bool:
        return self.dropped or bool(self.server_rejects)
