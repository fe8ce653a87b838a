"""Will browsers keep this cookie, and will Flask warn? One cookie against the per-cookie limits.

The limits are rows of :mod:`flasksess_cli.sizecheck.limits`: name+value over 4096
bytes is ignored by Chromium, Firefox and Safari (RFC 6265bis §5.6 step 5); an
attribute value over 1024 bytes is ignored (§5.6 step 6; WebKit drops the whole
cookie for a long Path or Domain); ``__Host-``/``__Secure-`` cookies that break
their prefix rules are rejected (§4.1.3); Werkzeug warns past MAX_COOKIE_SIZE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flasksess_cli.cookie_text import ParsedSetCookie, parse_set_cookie
from flasksess_cli.sizecheck.limits import ATTRIBUTE_LIMIT, BROWSER_LIMIT, DEFAULT_MAX_COOKIE_SIZE
from flasksess_cli.sizecheck.set_cookie import (
    SESSION_ATTRIBUTES,
    CookieAttributes,
    quote_value,
    set_cookie_header,
    wire_bytes,
)

Verdict = Literal["ok", "flask-warns", "dropped"]


@dataclass(frozen=True)
class Problem:
    """A rule other than size that this cookie breaks."""

    rule: Literal["attribute-too-long", "host-prefix", "secure-prefix", "control-character"]
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
    def browser_verdict(self) -> Literal["kept", "dropped"]:
        """``kept`` or ``dropped`` (name+value against 4096)."""
        return "dropped" if self.too_large else "kept"

    @property
    def flask_verdict(self) -> Literal["silent", "warns", "disabled"]:
        """``silent``, ``warns`` or ``disabled`` (the header against MAX_COOKIE_SIZE)."""
        if not self.max_cookie_size:
            return "disabled"
        return "warns" if self.flask_warns else "silent"

    @property
    def verdict(self) -> Verdict:
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
    attributes: CookieAttributes = SESSION_ATTRIBUTES,
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
        problems=_problems(parsed, header),
    )


#: Control characters (CTLs, RFC 5234): %x00-1F and %x7F.
_CTLS = frozenset(map(chr, [*range(0x20), 0x7F]))


def _control_character(cookie: ParsedSetCookie, header: str) -> Problem | None:
    """A control character that makes browsers reject the whole Set-Cookie.

    RFC 6265bis §5.6 ignores a set-cookie-string holding any CTL but HTAB; Chromium
    (``ParsedCookie::IsValidCookieNameValuePair`` and ``IsValidCookieValue``, net/cookies/
    parsed_cookie.cc) also rejects a HTAB inside the name or the value, and any line a
    CR, LF or NUL would cut short.
    """
    for where, text in (("name", cookie.name), ("value", cookie.value)):
        found = next((c for c in text if c in _CTLS), None)
        if found is not None:
            everyone = found != "\t"
            return Problem(
                "control-character",
                f"its {where} holds the control character {found!r}: "
                + ("browsers reject the whole Set-Cookie (RFC 6265bis §5.6)" if everyone
                   else "Chromium rejects the whole Set-Cookie (a tab inside the name or value)"),
                "every browser" if everyone else "Chromium",
            )  # fmt: skip
    found = next((c for c in header if c in _CTLS and c != "\t"), None)
    if found is not None:
        return Problem(
            "control-character",
            f"its attributes hold the control character {found!r}: browsers reject the whole Set-Cookie "
            "(RFC 6265bis §5.6)",
            "every browser",
        )
    return None


def _problems(cookie: ParsedSetCookie, header: str) -> tuple[Problem, ...]:
    found = []
    control = _control_character(cookie, header)
    if control is not None:
        found.append(control)
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
