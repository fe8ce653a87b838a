"""What a Flask session costs in its cookie: the cookie's length, and each key's share of it.

Each top-level key's cost is its share of the cookie's payload: the characters the
payload grows by when that key is written, in the order the keys are written (sorted,
by Flask's default). zlib's effect is included: a value that repeats one written
before it costs little. The shares add up to the payload; the timestamp and the
signature (37 characters with SHA-1) belong to no key.

Pricing is one pass over the session's JSON, whatever the number of keys: the JSON
is compressed once, and the compressor's state is copied at each priced key's end to
read how long the compressed payload is up to there. A session given as data
(:func:`price_session`) is written as Flask writes it; a cookie's payload
(:func:`price_payload`) is priced exactly as it was written.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from itsdangerous.encoding import base64_encode, int_to_bytes

from flasksess_cli.codec.cookie import Scheme, SignedCookie, sign_session
from flasksess_cli.codec.session_json import json_depth, recursion_room, walked
from flasksess_cli.codec.tagged import tag
from flasksess_cli.defaults import DIGEST_SIZES
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey
from flasksess_cli.settings import FLASK_DEFAULTS, SessionSettings

_THROWAWAY_KEY = SecretKey("flasksess sizecheck: a signature's length depends only on the digest")
#: Keys priced one by one at most (the largest by JSON size).
MAX_PRICED_KEYS = 64


@dataclass(frozen=True)
class KeyCost:
    #: The key as the session's JSON writes it (a Python-literal session may have keys that are not text).
    key: str
    #: Its share of the cookie: the characters the payload grows by when this key is written.
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


class _Member(NamedTuple):
    """One top-level key of the JSON: its key, its ``"key":value`` bytes, and the value's description."""

    key: str
    json: bytes
    #: What follows it up to the next member: "," (and spacing), or the closing "}".
    after: bytes
    holds: str


def price_session(
    session: dict[str, Any], settings: SessionSettings = FLASK_DEFAULTS, *, timestamp: int | None = None
) -> SessionSize:
    """Each top-level key's share of the cookie Flask writes for this session, costliest first.

    Raises :class:`BadInput` for a session Flask cannot store (a lone surrogate without
    JSON_AS_ASCII, keys it cannot sort, a value JSON cannot hold).
    """
    members = walked(lambda value: _members(value, settings), session)  # room for a deeply nested session
    return _priced(session, b"{" if members else b"{}", members, settings.digest, timestamp)


def _members(session: dict[str, Any], settings: SessionSettings) -> list[_Member]:
    try:
        tagged = tag(session, settings.rules.tags)
    except (TypeError, ValueError, OverflowError) as exc:  # a date past 9999 once in UTC, as in Flask
        raise BadInput(f"Flask cannot store this session: {exc}") from None
    if len(session) == 1 and next(iter(session)) not in tagged:  # {" t": 1} is written {" di": {" t__": 1}}
        (key,) = session
        return [_Member(_json_key(key), _dumps(tagged, settings)[1:-1], b"}", _holds(session[key]))]
    try:
        keys = sorted(session) if settings.sort_keys else list(session)
    except TypeError as exc:  # keys Python cannot sort (1 and "a"): Flask fails to write them too
        raise BadInput(f"Flask cannot store this session: {exc}") from None
    members = [
        _Member(_json_key(key), _dumps({key: tagged[key]}, settings)[1:-1], b",", _holds(session[key])) for key in keys
    ]
    if members:
        members[-1] = members[-1]._replace(after=b"}")
    return members


def price_payload(payload: str, session: dict[str, Any], *, digest: str, timestamp: int | None) -> SessionSize:
    """Each top-level key's share of a cookie's payload JSON, exactly as it was written (order, spacing, escaping).

    ``session`` is what the payload loads as (for what each value holds). Raises
    :class:`BadInput` when the payload is not a JSON object.
    """
    try:
        with recursion_room(json_depth(payload)):  # raw_decode recurses in C, as deep as the payload nests
            head, members = _split_object(payload)
        encoded = [(key, text.encode("utf-8"), after.encode("utf-8")) for key, text, after in members]
        head_bytes = head.encode("utf-8")
    except (ValueError, IndexError, UnicodeEncodeError):
        raise BadInput("the payload is not a JSON object as Flask writes one") from None

    def loaded_key(key: str) -> Any:  # {" di": {" t__": 1}} loads as {" t": 1}
        return key if key in session or len(session) != 1 else next(iter(session))

    priced = [
        _Member(_json_key(loaded_key(key)), text, after, _holds(session.get(loaded_key(key))))
        for key, text, after in encoded
    ]
    return _priced(session, head_bytes, priced, digest, timestamp)


_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip_space(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    return found.end() if found else at


def _split_object(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """``{...}`` cut into its head (``{`` and spacing) and, per member, ``"key":value`` and what follows it.

    What follows a member is its comma and spacing, or for the last one the closing brace:
    the pieces joined are the text again. ``ValueError`` or ``IndexError`` when it is not an object.
    """
    if not text.startswith("{"):
        raise ValueError("not an object")
    at = _skip_space(text, 1)
    head = text[:at]
    members: list[tuple[str, str, str]] = []
    while text[at] != "}":
        key, end = _DECODER.raw_decode(text, at)
        if not isinstance(key, str) or text[at] != '"':
            raise ValueError("a key is text")
        colon = _skip_space(text, end)
        if text[colon] != ":":
            raise ValueError("a ':' follows a key")
        end = _DECODER.raw_decode(text, _skip_space(text, colon + 1))[1]
        following = _skip_space(text, end)
        if text[following] == "}":
            if _skip_space(text, following + 1) != len(text):
                raise ValueError("text after the object")
            members.append((key, text[at:end], text[end:]))
            return head, members
        if text[following] != ",":
            raise ValueError("a ',' or '}' follows a value")
        following = _skip_space(text, following + 1)
        members.append((key, text[at:end], text[end:following]))
        at = following
    if members or _skip_space(text, at + 1) != len(text):
        raise ValueError("a ',' before '}', or text after the object")
    return text, members


def _priced(
    session: dict[str, Any], head: bytes, members: list[_Member], digest: str, timestamp: int | None
) -> SessionSize:
    priced = set(sorted(range(len(members)), key=lambda i: -len(members[i].json))[:MAX_PRICED_KEYS])
    written = _write(head, members, priced)
    shares = written.zlib_shares if written.compressed else written.json_shares
    costs = [KeyCost(m.key, shares[i], len(m.json), m.holds) for i, m in enumerate(members) if i in priced]
    costs.sort(key=lambda c: (-c.cookie_bytes, -c.json_bytes, c.key))
    flashes = session.get("_flashes")
    return SessionSize(
        compressed=written.compressed,
        json_bytes=written.json_bytes,
        cookie_bytes=written.payload + _stamp_and_signature(timestamp, digest),
        permanent=bool(session.get("_permanent")),
        keys=tuple(costs),
        keys_not_measured=len(members) - len(priced),
        flashes=len(flashes) if isinstance(flashes, (list, tuple)) else 0,
    )


def _dumps(value: Any, settings: SessionSettings) -> bytes:
    try:
        text = json.dumps(
            value, separators=(",", ":"), sort_keys=settings.sort_keys, ensure_ascii=settings.ensure_ascii
        )
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(
            "Flask cannot store this session: it holds a lone surrogate, which UTF-8 cannot encode "
            "(Flask's default JSON_AS_ASCII escapes it)"
        ) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadInput(f"Flask cannot store this session: {exc}") from None


def _b64(n: int) -> int:
    """Characters of ``n`` bytes in unpadded base64, as itsdangerous writes them."""
    return (4 * n + 2) // 3


@dataclass(frozen=True)
class _Written:
    json_bytes: int
    compressed: bool
    #: Characters of the payload part of the cookie (with the leading "." of a compressed one).
    payload: int
    #: Each priced member's share of the base64 payload, plain and compressed.
    json_shares: dict[int, int]
    zlib_shares: dict[int, int]


def _write(head: bytes, members: list[_Member], priced: set[int]) -> _Written:
    """The payload itsdangerous writes for this JSON: compressed when that is 2 bytes or more shorter.

    One pass of zlib over the JSON; at the ends of priced members the compressor's state
    is copied and flushed to read how long the compressed payload is up to there.
    """
    compressor = zlib.compressobj()
    written = len(compressor.compress(head))
    json_end = len(head)
    json_shares: dict[int, int] = {}
    zlib_shares: dict[int, int] = {}
    before = written + len(compressor.copy().flush()) if 0 in priced else 0
    for i, member in enumerate(members):
        json_start, json_end = json_end, json_end + len(member.json) + len(member.after)
        written += len(compressor.compress(member.json + member.after))
        if i in priced:
            json_shares[i] = _b64(json_end) - _b64(json_start)
        if i in priced or i + 1 in priced:
            after = written + len(compressor.copy().flush())
            if i in priced:
                zlib_shares[i] = _b64(after) - _b64(before)
            before = after
    compressed_bytes = written + len(compressor.flush())
    compressed = compressed_bytes < json_end - 1  # itsdangerous' URLSafeSerializerMixin.dump_payload
    return _Written(
        json_end, compressed, 1 + _b64(compressed_bytes) if compressed else _b64(json_end), json_shares, zlib_shares
    )


def _stamp_and_signature(timestamp: int | None, digest: str) -> int:
    """Characters after the payload: ".", the timestamp, ".", the signature."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return 1 + len(base64_encode(int_to_bytes(stamp))) + 1 + _b64(DIGEST_SIZES[digest])


def _json_key(key: Any) -> str:
    """The key as JSON writes it: ``1`` is ``"1"``, ``True`` is ``"true"``."""
    if isinstance(key, str):
        return key
    return str(next(iter(json.loads(json.dumps({key: 0})))))


#: _holds counts the objects among this many items of a list, not all of them.
_SAMPLE = 1000


def _holds(value: Any) -> str:
    if isinstance(value, str):
        return f"text, {len(value)} character{'' if len(value) == 1 else 's'}"
    if isinstance(value, bytes):
        return f"bytes, {len(value)}"
    if isinstance(value, (list, tuple)):
        sample = value[:_SAMPLE]
        objects = sum(isinstance(item, (dict, list, tuple)) for item in sample)
        noun = "objects" if objects and objects * 2 >= len(sample) else "items"
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
