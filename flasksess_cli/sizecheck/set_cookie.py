"""The Set-Cookie header exactly as Werkzeug's ``dump_cookie`` writes it, and sizes in wire bytes.

Every size is in bytes on the wire: text here is UTF-8 (received bytes that are
not UTF-8 arrive as ``surrogateescape`` characters and count as one byte each).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from flasksess_cli.codec.session_json import http_date
from flasksess_cli.defaults import DEFAULT_MAX_AGE
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.settings import SessionSettings


def wire_bytes(text: str) -> int:
    """Bytes on the wire of text held as UTF-8 (with ``surrogateescape`` for bytes that were not)."""
    return len(wire_encode(text))


def wire_encode(text: str) -> bytes:
    """Text as the bytes it stands for: UTF-8, and each ``surrogateescape`` character as its byte.

    A lone surrogate of another kind cannot come from the wire, but a HAR file or a JSON
    session can hold one; it counts as the 3 bytes UTF-8 would give it, never as an error.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(
            char.encode("utf-8", "surrogateescape" if "\udc80" <= char <= "\udcff" else "surrogatepass")
            for char in text
        )


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


#: Flask's session cookie attributes by default: HttpOnly, Path=/.
SESSION_ATTRIBUTES = CookieAttributes()


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
    raw = wire_encode(value)
    return '"' + _SLASH.sub(lambda m: _SLASH_MAP[m.group()], raw).decode("ascii") + '"'


def set_cookie_header(name: str, value: str, attributes: CookieAttributes = SESSION_ATTRIBUTES) -> str:
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


def attributes_of(settings: SessionSettings, *, permanent: bool = False) -> CookieAttributes:
    """The attributes an app with these settings sends its session cookie with."""
    return CookieAttributes(
        domain=settings.domain,
        path=settings.path,
        secure=settings.secure,
        httponly=settings.httponly,
        samesite=settings.samesite,
        partitioned=settings.partitioned,
        expires=permanent_expires(settings.lifetime) if permanent or settings.permanent else None,
    )
