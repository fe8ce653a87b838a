"""What a Flask session costs in its cookie: the exact cookie, and each key's marginal bytes.

The cookie is signed with a throwaway key: a signature's length depends only on
the digest (SHA-1: 27 characters), so the sizes are those of the real cookie.
Each key's cost is its marginal size in the compressed, encoded cookie (the
cookie's length with the key minus without it), so it accounts for zlib: costs
need not add up to the whole, and a repetitive key can cost almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flasksess_cli.codec.cookie import Scheme, SignedCookie, sign_session
from flasksess_cli.codec.session_json import dumps_flask
from flasksess_cli.keys import SecretKey
from flasksess_cli.settings import FLASK_DEFAULTS, SessionSettings

_THROWAWAY_KEY = SecretKey("flasksess sizecheck: a signature's length depends only on the digest")
#: Keys priced one by one at most (the largest by JSON size); each costs one compression of the session.
MAX_PRICED_KEYS = 64
#: Advice is given when a cookie is this close to the browsers' limit, or past a limit.
ADVICE_MARGIN = 1024


@dataclass(frozen=True)
class KeyCost:
    key: str
    #: Marginal bytes in the cookie: its length with this key minus without it.
    cookie_bytes: int
    #: Bytes of ``"key":value`` in the session's JSON, before compression.
    json_bytes: int
    #: What the value is: "text, 3000 characters", "list of 40 objects", ...
    holds: str


@dataclass(frozen=True)
class SessionSize:
    compressed: bool
    json_bytes: int
    cookie_bytes: int
    permanent: bool
    #: Costliest first.
    keys: tuple[KeyCost, ...]
    #: Keys not priced one by one (a session with more than MAX_PRICED_KEYS keys).
    keys_not_measured: int = 0
    #: Flashed messages waiting in ``_flashes``.
    flashes: int = 0


def session_cookie(
    session: dict[str, Any], settings: SessionSettings = FLASK_DEFAULTS, *, timestamp: int | None = None
) -> SignedCookie:
    """The cookie value Flask writes for this session (signed with a throwaway key of the same digest)."""
    return sign_session(
        session,
        key=_THROWAWAY_KEY,
        scheme=Scheme(digest=settings.digest),
        timestamp=timestamp,
        sort_keys=settings.sort_keys,
        ensure_ascii=settings.ensure_ascii,
    )


def price_session(
    session: dict[str, Any], settings: SessionSettings = FLASK_DEFAULTS, *, timestamp: int | None = None
) -> SessionSize:
    """Each top-level key's marginal cost in the compressed, encoded cookie, costliest first."""
    whole = session_cookie(session, settings, timestamp=timestamp)
    json_sizes = {key: _json_bytes({key: value}, settings) - 2 for key, value in session.items()}
    priced = sorted(session, key=lambda k: -json_sizes[k])[:MAX_PRICED_KEYS]
    costs = []
    for key in priced:
        if len(session) == 1:
            marginal = len(whole.value)  # without it the session is empty and Flask sends no cookie
        else:
            rest = {k: v for k, v in session.items() if k != key}
            marginal = len(whole.value) - len(session_cookie(rest, settings, timestamp=timestamp).value)
        costs.append(KeyCost(key, marginal, json_sizes[key], _holds(session[key])))
    costs.sort(key=lambda c: (-c.cookie_bytes, -c.json_bytes, c.key))
    flashes = session.get("_flashes")
    return SessionSize(
        compressed=whole.compressed,
        json_bytes=whole.json_bytes,
        cookie_bytes=len(whole.value),
        permanent=bool(session.get("_permanent")),
        keys=tuple(costs),
        keys_not_measured=len(session) - len(priced),
        flashes=len(flashes) if isinstance(flashes, (list, tuple)) else 0,
    )


def _json_bytes(session: dict[str, Any], settings: SessionSettings) -> int:
    text = dumps_flask(session, sort_keys=settings.sort_keys, ensure_ascii=settings.ensure_ascii)
    return len(text.encode("utf-8", "surrogatepass"))


def _holds(value: Any) -> str:
    if isinstance(value, str):
        return f"text, {len(value)} character{'' if len(value) == 1 else 's'}"
    if isinstance(value, bytes):
        return f"bytes, {len(value)}"
    if isinstance(value, (list, tuple)):
        objects = sum(isinstance(item, (dict, list, tuple)) for item in value)
        noun = "objects" if objects and objects * 2 >= len(value) else "items"
        noun = noun if len(value) != 1 else noun[:-1]
        return f"list of {len(value)} {noun}" + (" (a tuple)" if isinstance(value, tuple) else "")
    if isinstance(value, dict):
        return f"object with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__
