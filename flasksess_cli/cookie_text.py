"""THE reader of pasted cookie text: every command that takes a cookie reads it here.

Accepted: the bare value; ``name=value``; a ``Cookie:`` request header or its value
(``a=1; b=2``); a ``Set-Cookie:`` response header or its value (``name=value;
Path=/``); several header lines (``curl -si`` output, a DevTools copy), with the
``< `` and ``> `` marks of ``curl -v`` output; a Netscape cookie-jar file (what
``curl -c`` and ``wget --save-cookies`` write, ``#HttpOnly_`` lines included, which
the standard library's ``MozillaCookieJar`` skips); a row copied from a browser's
DevTools cookie table (tab-separated, name first). A Cookie header is split as
RFC 6265bis §5.6 splits a cookie string: a part without ``=`` is a cookie with an
empty name (browsers store those too), and names may hold spaces. ``decode`` then
takes one cookie by name (:func:`extract_cookie`, the first one wins, as in
``request.cookies.get``), ``sizecheck`` checks every one (:func:`read_cookies`):
the same text gives the same cookies in both.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from flasksess_cli.defaults import DEFAULT_COOKIE_NAME, MAX_INPUT_BYTES
from flasksess_cli.errors import BadInput
from flasksess_cli.untrusted import show

#: A header line, with curl -v's "< " (received) or "> " (sent) in front of it.
_HEADER = re.compile(r"(?:[<>] ?)?(set-cookie|cookie)\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
#: A cookie name as a token (RFC 9110), spaces allowed inside (browsers keep such names). No dots,
#: so a Flask value (which always has some) is never read as one.
_TOKEN = re.compile(r"[!#$%&'*+\-^_`|~0-9A-Za-z]+(?: +[!#$%&'*+\-^_`|~0-9A-Za-z]+)*")
#: A Netscape cookie-jar line: domain, include-subdomains, path, secure, expiry, name, value.
_JAR_LINE = re.compile(
    r"(#HttpOnly_)?([^\t#][^\t]*)\t(TRUE|FALSE)\t([^\t]*)\t(TRUE|FALSE)\t(-?\d+)\t([^\t]*)\t([^\t]*)"
)
#: Set-Cookie attribute names: a line with one of these after a ';' is a Set-Cookie value.
_ATTRIBUTES = {"domain", "path", "expires", "max-age", "secure", "httponly", "samesite", "partitioned", "priority"}


class PastedCookie(NamedTuple):
    """One cookie found in pasted text."""

    #: None for a bare value (the cookie is whatever the app calls it); "" for a nameless cookie.
    name: str | None
    #: The value as sent: DQUOTEs kept.
    value: str
    #: The whole Set-Cookie value (without ``Set-Cookie:``) when the cookie came from one.
    set_cookie: str | None = None


class Pasted(NamedTuple):
    cookies: tuple[PastedCookie, ...]
    #: Each Cookie request header's (name, value) pairs, as sent.
    cookie_headers: tuple[tuple[tuple[str, str], ...], ...]
    #: The text had header lines (``Cookie:``/``Set-Cookie:``), not just a value.
    headers: bool = False


class ParsedSetCookie(NamedTuple):
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


def cookie_pairs(cookie_string: str) -> list[tuple[str, str]]:
    """A Cookie header value's (name, value) pairs; a part without '=' is a nameless cookie."""
    pairs = []
    for part in cookie_string.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep or name:
            pairs.append((name.strip(), value.strip()) if sep else ("", name.strip()))
    return pairs


def read_cookies(text: str) -> Pasted:
    """Every cookie in ``text``, in order; :class:`BadInput` when there is none."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise BadInput(f"the input is larger than {MAX_INPUT_BYTES} bytes; a cookie is a few KiB at most")
    # Lines end at LF, CRLF or CR only: str.splitlines would also cut at FF, VT and other controls,
    # which a hostile value may hold (and which make browsers reject the cookie: sizecheck says so).
    raw_lines = re.split(r"\r\n|\r|\n", text)
    jar = [m for m in map(_JAR_LINE.fullmatch, raw_lines) if m]
    if jar:
        return Pasted(tuple(PastedCookie(m.group(7), m.group(8)) for m in jar), ())
    lines = [line.strip() for line in raw_lines if line.strip()]
    if not lines:
        raise BadInput("the input is empty (give a cookie value, name=value, or a Cookie: or Set-Cookie: header)")
    headers = [m for m in map(_HEADER.fullmatch, lines) if m]
    if not headers and len(lines) > 1:
        raise BadInput("the input has several lines but no Cookie: or Set-Cookie: header and is not a cookie-jar file")
    if not headers and "\t" in lines[0]:
        return _devtools_row(lines[0])
    if not headers:
        return _read_line(_unquote(lines[0]))
    cookies: list[PastedCookie] = []
    requests: list[tuple[tuple[str, str], ...]] = []
    for header in headers:
        if header.group(1).lower() == "set-cookie":
            cookies.append(_set_cookie(header.group(2)))
        else:
            pairs = tuple(cookie_pairs(header.group(2)))
            cookies.extend(PastedCookie(name, value) for name, value in pairs)
            requests.append(pairs)
    if not cookies:
        raise BadInput("the headers hold no cookie")
    return Pasted(tuple(cookies), tuple(requests), headers=True)


def _read_line(line: str) -> Pasted:
    """One line with no header name: a Set-Cookie value, a Cookie header value, name=value or a bare value."""
    parts = line.split(";")
    if len(parts) > 1:
        if any(part.partition("=")[0].strip().lower() in _ATTRIBUTES for part in parts[1:]):
            return Pasted((_set_cookie(line),), ())
        pairs = tuple(cookie_pairs(line))
        return Pasted(tuple(PastedCookie(name, value) for name, value in pairs), (pairs,))
    name, sep, value = line.partition("=")
    # "abc==.x.y" and "abc=.x.y" are padded standard base64 then a timestamp and a signature (a Starlette session):
    # a value, not a name (a compressed Flask value after "name=" is ".payload.timestamp.signature": three dots).
    padded = value.startswith("=") or (value.startswith(".") and value.count(".") == 2)
    if sep and _TOKEN.fullmatch(name.strip()) and not padded:
        return Pasted((PastedCookie(name.strip(), value.strip()),), ())
    return Pasted((PastedCookie(None, line),), ())


def _devtools_row(row: str) -> Pasted:
    """A row of a DevTools cookie table, copied: name, value, then domain, path and the rest, tab-separated."""
    name, value, *_ = (cell.strip() for cell in row.split("\t"))
    return Pasted((PastedCookie(name, value),), ())


def _set_cookie(header: str) -> PastedCookie:
    parsed = parse_set_cookie(header)
    return PastedCookie(parsed.name, parsed.value, header.strip())


def extract_cookie(text: str, *, name: str = DEFAULT_COOKIE_NAME, last: bool = False) -> str:
    """The value of cookie ``name`` in ``text`` (quotes dropped), or :class:`BadInput` saying what was found.

    A bare value, or a lone nameless cookie, is taken whatever ``name`` is. Of two
    cookies of that name the first wins, as in Werkzeug >= 2.0; ``last`` for older Werkzeug.
    """
    pasted = read_cookies(text)
    for cookie in reversed(pasted.cookies) if last else pasted.cookies:
        if cookie.name == name:
            return _unquote(cookie.value)
    if len(pasted.cookies) == 1 and not pasted.cookies[0].name:
        return _unquote(pasted.cookies[0].value)
    where = "headers" if pasted.headers else "input"
    found = [cookie.name or "" for cookie in pasted.cookies]
    raise BadInput(f"no cookie named {show(name)} in the {where} (found {_listing(found)}; use --cookie-name)")


def _unquote(value: str) -> str:
    value = value.strip()
    while len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def _listing(names: list[str]) -> str:
    if not names:
        return "none"
    unique = list(dict.fromkeys(names))
    return ", ".join(show(n, 30) for n in unique[:8]) + (", ..." if len(unique) > 8 else "")
