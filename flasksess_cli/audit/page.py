"""Every signed artefact a page shows: the cookies set on the way, and the tokens in its HTML and headers.

What ``audit url`` collects, as a browser would see it without logging in: the
cookies every response of the chain set (and those given with ``--cookie``), the
``<input>`` values of its forms (Flask-WTF's ``csrf_token``, prefixed forms'
``<prefix>-csrf_token``, any hidden field), ``<meta>`` contents (Flask-WTF 1.3's
``csrf-token``), tokens in links and form actions (``/reset/<token>``), and the
response headers (``X-CSRFToken``, ``X-CSRF-Token``, ``X-XSRF-Token``, ...). A value is
kept when its layout is a signed token's (:func:`flasksess_cli.codec.formats.shape`: a
MAC some digest makes, or Flask-Login's ``user id|hex``), once however often it appears.

The HTML is never parsed as a document: tags are found by bounded regular expressions
over at most :data:`MAX_BODY` bytes, so a huge page, thousands of forms or binary junk
cost linear time and bounded memory; at most :data:`MAX_ARTEFACTS` are kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from flasksess_cli.defaults import DIGEST_SIZES

if TYPE_CHECKING:
    from flasksess_cli.codec.formats import Recognition

#: Bytes of a page read (the rest is not fetched); distinct artefacts kept.
MAX_BODY = 8 << 20
MAX_ARTEFACTS = 200
#: No signed token is shorter (a one-byte payload, a six-character timestamp and a 27-character MAC is 36).
MIN_TOKEN = 20
#: No cookie or form value a browser keeps is longer.
MAX_TOKEN = 16 << 10

Where = Literal["cookie", "input", "meta", "link", "header"]


class Artefact(NamedTuple):
    """One signed value found on the page, and where."""

    where: Where
    #: The cookie, field, meta, header or link attribute's name.
    name: str
    value: str
    #: Which response it came from ("GET http://... -> 200"), or "--cookie".
    origin: str
    #: Where else the same value was seen (``form field 'csrf_token'`` beside ``meta 'csrf-token'``).
    also: tuple[str, ...] = ()

    def place(self) -> str:
        """``cookie 'session'``, ``form field 'csrf_token'``, ``meta 'csrf-token'``, ``header 'X-CSRFToken'``."""
        label = {"cookie": "cookie", "input": "form field", "meta": "meta", "link": "link", "header": "header"}
        return f"{label[self.where]} {self.name!r}"

    def describe(self) -> str:
        """Where it was seen: the first place, and the others (``meta 'csrf-token' and form field 'csrf_token'``)."""
        return " and ".join((self.place(), *self.also))


# A tag with its attributes, bounded so that a '<' with no '>' costs no backtracking over the page.
_TAG = re.compile(rb"<(input|meta|a|form|button)\b([^<>]{0,8192})>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([^\s=/>"']+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_VALUE_OF = {b"input": (b"value",), b"meta": (b"content",), b"a": (b"href",), b"form": (b"action",),
             b"button": (b"value", b"formaction")}  # fmt: skip


def signed_looking(value: str) -> bool:
    """The value is laid out as a signed token: what is worth recognising (and searching)."""
    from flasksess_cli.codec.formats import shape

    if not MIN_TOKEN <= len(value) <= MAX_TOKEN or any(c.isspace() for c in value):
        return False
    found = shape(value, read=False)  # the layout alone: the payload is read only for the artefacts kept
    if found is None:
        return False
    return found.envelope == "remember" or found.mac_bytes in DIGEST_SIZES.values()


def from_html(body: bytes, *, origin: str) -> Iterator[Artefact]:
    """Tokens in form fields, meta tags, links and form actions."""
    for match in _TAG.finditer(body[:MAX_BODY]):
        tag = match.group(1).lower()
        attributes = {
            name.decode("latin-1").lower(): _text(next((v for v in values if v), b""))
            for name, *values in _ATTRIBUTE.findall(match.group(2))
        }
        name = attributes.get("name") or attributes.get("id") or attributes.get("http-equiv") or ""
        for attribute in _VALUE_OF[tag]:
            value = attributes.get(attribute.decode())
            if not value:
                continue
            if tag in (b"input", b"meta") or attribute == b"value":
                if signed_looking(value):
                    yield Artefact("input" if tag != b"meta" else "meta", name or attribute.decode(), value, origin)
            else:
                yield from _from_url(value, attribute.decode(), origin)


def _from_url(url: str, attribute: str, origin: str) -> Iterator[Artefact]:
    """A token in a link: a path segment (``/reset/<token>``) or a query value (``?token=...``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    for segment in parts.path.split("/"):
        value = unquote(segment)
        if signed_looking(value):
            yield Artefact("link", attribute, value, origin)
    for name, value in parse_qsl(parts.query):
        if signed_looking(value):
            yield Artefact("link", name, value, origin)


def from_headers(headers: Iterable[tuple[str, str]], *, origin: str) -> Iterator[Artefact]:
    """Tokens in response headers (Set-Cookie is read as cookies): ``X-CSRFToken``, ``Authorization: Bearer ...``."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            continue
        value = value.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if signed_looking(value):
            yield Artefact("header", name, value, origin)


def from_cookies(cookies: Iterable[tuple[str, str]], *, origin: str) -> Iterator[Artefact]:
    for name, value in cookies:
        value = _unquote(value)
        if signed_looking(value):
            yield Artefact("cookie", name, value, origin)


def distinct(found: Iterable[Artefact]) -> tuple[tuple[Artefact, ...], int]:
    """Each value once (its first sighting), at most :data:`MAX_ARTEFACTS`; and how many were dropped past that."""
    seen: dict[str, Artefact] = {}
    places: dict[str, list[str]] = {}
    dropped = 0
    for artefact in found:
        if artefact.value in seen:
            where = places[artefact.value]
            if artefact.place() not in where and len(where) < 8:
                where.append(artefact.place())
            continue
        if len(seen) >= MAX_ARTEFACTS:
            dropped += 1
            continue
        seen[artefact.value] = artefact
        places[artefact.value] = [artefact.place()]
    kept = tuple(a._replace(also=tuple(places[a.value][1:])) for a in seen.values())
    return kept, dropped


def recognised(artefact: Artefact) -> Recognition:
    """The artefact's format: what its shape suggests, sharpened by where it was (a cookie's name, a CSRF field)."""
    from flasksess_cli.codec import formats

    recognition = formats.recognise(artefact.value)
    named = [f for f in formats.FORMATS.values() if f.cookie and f.cookie == artefact.name and f.cookie != "session"]
    if artefact.where == "cookie" and named and named[0] != recognition.format:
        fits = formats.allowed(artefact.value)
        if named[0] in fits:
            why = f"the cookie {artefact.name!r} is {named[0].title}'s, and the value is laid out as one"
            return formats.Recognition(named[0], why, tuple(f for f in (recognition.format,) if f != named[0]))
    return recognition


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _text(raw: bytes) -> str:
    """An attribute value as the browser reads it: UTF-8 (junk replaced), character references resolved."""
    return html.unescape(raw.decode("utf-8", "replace"))


def collect(sources: Sequence[Iterable[Artefact]]) -> tuple[tuple[Artefact, ...], int]:
    """Every distinct artefact of every source, in order (cookies first), and how many were dropped past the cap."""
    return distinct(artefact for source in sources for artefact in source)
