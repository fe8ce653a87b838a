"""Find the cookie value in whatever the user pasted.

Accepted: the bare value; ``name=value``; a ``Cookie:`` request header; a
``Set-Cookie:`` response header; several header lines (``curl -si`` output, a
DevTools copy). Surrounding whitespace and quotes are dropped. The first cookie
of the wanted name wins, as in ``request.cookies.get``.
"""

from __future__ import annotations

import re

from flasksess_cli.choices import DEFAULT_COOKIE_NAME, MAX_INPUT_BYTES
from flasksess_cli.errors import BadInput

_HEADER = re.compile(r"(set-cookie|cookie)\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)
#: ``name=value`` where the name is a cookie token: no dots (a Flask value always has some).
_PAIR = re.compile(r"([!#$%&'*+\-^_`|~0-9A-Za-z]+)\s*=\s*(.*)", re.DOTALL)


def extract_cookie(text: str, *, name: str = DEFAULT_COOKIE_NAME) -> str:
    """The value of cookie ``name`` in ``text``, or :class:`BadInput` saying what was found instead."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise BadInput(f"the input is larger than {MAX_INPUT_BYTES} bytes; a cookie is a few KiB at most")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise BadInput("the input is empty (give a cookie value, name=value, or a Cookie: or Set-Cookie: header)")
    headers = [m for m in map(_HEADER.fullmatch, lines) if m]
    if headers:
        found: list[str] = []
        for header in headers:
            pairs = _pairs(header.group(2))
            if header.group(1).lower() == "set-cookie":
                pairs = pairs[:1]  # the rest are attributes
            for cookie_name, value in pairs:
                if cookie_name == name:
                    return _unquote(value)
                found.append(cookie_name)
        raise BadInput(f"no cookie named {show(name)} in the headers (found {_listing(found)}; use --cookie-name)")
    if len(lines) > 1:
        raise BadInput("the input has several lines but no Cookie: or Set-Cookie: header")
    line = _unquote(lines[0])
    pair = _PAIR.fullmatch(line)
    if pair is None or "." in pair.group(1):
        return line
    pairs = _pairs(line)
    for cookie_name, value in pairs:
        if cookie_name == name:
            return _unquote(value)
    raise BadInput(
        f"no cookie named {show(name)} in the input (found {_listing([n for n, _ in pairs])}; use --cookie-name)"
    )


def _pairs(cookie_string: str) -> list[tuple[str, str]]:
    pairs = []
    for part in cookie_string.split(";"):
        cookie_name, sep, value = part.strip().partition("=")
        if sep:
            pairs.append((cookie_name.strip(), value.strip()))
    return pairs


def _unquote(value: str) -> str:
    value = value.strip()
    while len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def show(untrusted: str, limit: int = 40) -> str:
    """Untrusted text for a one-line message: repr-escaped (no control characters) and shortened."""
    shown = repr(untrusted[:limit])
    return shown + "..." if len(untrusted) > limit else shown


def _listing(names: list[str]) -> str:
    if not names:
        return "none"
    unique = list(dict.fromkeys(names))
    return ", ".join(show(n, 30) for n in unique[:8]) + (", ..." if len(unique) > 8 else "")
