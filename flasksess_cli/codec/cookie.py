"""Flask session cookies: decode, verify and sign, exactly as Flask and itsdangerous do.

Wire format (Flask's ``SecureCookieSessionInterface`` over itsdangerous'
``URLSafeTimedSerializer``: ``flask/sessions.py``, ``itsdangerous/timed.py``)::

    [.]B64URL(json or zlib(json)) "." B64URL(timestamp) "." B64URL(HMAC(derive(key, salt), payload.timestamp))

The leading "." marks a zlib-compressed payload; the timestamp is big-endian
seconds (counted from 2011-01-01 by itsdangerous <= 0.24); the JSON is Flask's
tagged JSON (:mod:`flasksess_cli.codec.session_json`).

The signature, key derivation and base64 handling are itsdangerous' own
functions, so what verifies here verifies in Flask. Decompression is ours:
itsdangerous inflates without limit, flasksess stops at ``max_json`` bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import zlib
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple

from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, int_to_bytes
from itsdangerous.signer import Signer

from flasksess_cli.codec import session_json
from flasksess_cli.defaults import DEFAULT_MAX_JSON_BYTES, DIGEST_SIZES, FLASK_SALT, FLASK_SESSION_SALT
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey

#: itsdangerous <= 0.24 counted timestamps from 2011-01-01T00:00:00Z.
LEGACY_EPOCH = 1293840000


class DecompressionBomb(BadInput):
    """A compressed payload inflates past the cap."""


# The records here are NamedTuples, immutable as frozen dataclasses are but ten times cheaper to
# define: this module is on the start-up path of decode --json and verify --json.


class Scheme(NamedTuple):
    """How a session interface signs: itsdangerous' salt, digest and key derivation."""

    salt: str = FLASK_SALT
    digest: str = "sha1"
    key_derivation: str = "hmac"

    def signer(self, key: SecretKey, *, salt: str | None = None) -> Signer:
        return Signer(
            key.value,
            salt=self.salt if salt is None else salt,
            key_derivation=self.key_derivation,
            digest_method=getattr(hashlib, self.digest),
        )


#: Flask's own session interface: salt "cookie-session", HMAC-SHA1, "hmac" key derivation.
FLASK_SCHEME = Scheme()


#: "session": Flask's signed cookie session; "session-id": Flask-Session's signed server-side id.
CookieKind = Literal["session", "session-id"]
#: What verify concludes, in itsdangerous' order of checks.
Reason = Literal["valid", "bad-signature", "expired", "future-timestamp", "malformed-timestamp", "malformed-payload"]


class SignedParts(NamedTuple):
    """A signed value cut at its last '.': what the signature commits to, and the signature."""

    signed: str
    signature: str
    #: A Flask-Session id (``<id>.<signature>``) has no timestamp part.
    kind: CookieKind


def split_signed(value: str) -> SignedParts:
    """Cut ``payload.timestamp.signature`` (or ``id.signature``); ``BadInput`` when there is no '.'."""
    if "." not in value:
        raise BadInput(_not_a_cookie_reason(value))
    signed, signature = value.rsplit(".", 1)
    return SignedParts(signed, signature, "session" if "." in signed else "session-id")


class DecodedCookie(NamedTuple):
    """What anyone can read from a cookie, no key needed."""

    value: str
    kind: CookieKind
    signature: str
    digest_guess: str
    session: dict[str, Any] | None = None
    #: The payload JSON text exactly as stored (Flask's tagged form).
    payload: str | None = None
    compressed: bool = False
    #: Bytes of the stored payload after base64: the zlib stream when compressed, else the JSON.
    stored_bytes: int = 0
    json_bytes: int = 0
    timestamp: int | None = None
    legacy_epoch: bool = False
    #: The timestamp is before 2011 as Unix time and plausible counted from 2011.
    legacy_epoch_suspected: bool = False
    #: Loaded with Flask < 1.0 rules (a " di" key that Flask >= 1.0 cannot load).
    legacy_tags: bool = False
    session_id: str | None = None
    #: Why the timestamp or the payload cannot be read (only with ``keep_errors``).
    timestamp_error: str | None = None
    payload_error: str | None = None

    @property
    def unix_time(self) -> int | None:
        if self.timestamp is None:
            return None
        return self.timestamp + LEGACY_EPOCH if self.legacy_epoch else self.timestamp

    @property
    def issued_at(self) -> datetime | None:
        unix = self.unix_time
        if unix is None:
            return None
        try:
            return datetime.fromtimestamp(unix, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None


class Verification(NamedTuple):
    cookie: DecodedCookie
    reason: Reason
    #: "current", "fallback-N" (the Nth --fallback, counting from 1), or None.
    matched_key: str | None
    age_seconds: int | None
    max_age: int | None

    @property
    def verified(self) -> bool:
        """A key given made this signature."""
        return self.matched_key is not None

    @property
    def valid(self) -> bool:
        return self.reason == "valid"


class SignedCookie(NamedTuple):
    value: str
    compressed: bool
    json_bytes: int


# --- decoding ------------------------------------------------------------------------------------


def digest_guess(signature: str) -> str:
    """The digest a signature's length implies (27 characters: sha1; 43: sha256; ...)."""
    try:
        size = len(base64_decode(signature))
    except Exception:  # itsdangerous' own decoder raises BadData; anything else is as bad
        return "unknown"
    return next((name for name, n in DIGEST_SIZES.items() if n == size), "unknown")


def decode_cookie(
    value: str,
    *,
    legacy_epoch: bool = False,
    max_json: int = DEFAULT_MAX_JSON_BYTES,
    now: float | None = None,
    keep_errors: bool = False,
) -> DecodedCookie:
    """Read a cookie without a key. Raises :class:`BadInput` for anything that is not one.

    With ``keep_errors``, a bad timestamp or payload is recorded on the result
    instead (``verify`` needs the signature checked before it can say which is wrong).
    """
    signed, signature, kind = split_signed(value)
    guess = digest_guess(signature)
    if kind == "session-id":
        if not _SESSION_ID.fullmatch(signed):
            raise BadInput(
                "not a Flask session cookie: it has one '.' where Flask's has two (payload.timestamp.signature)"
            )
        return DecodedCookie(value, "session-id", signature, guess, session_id=signed)
    payload_b64, ts_text = signed.rsplit(".", 1)
    envelope = DecodedCookie(
        value, "session", signature, guess, legacy_epoch=legacy_epoch, compressed=payload_b64.startswith(".")
    )
    try:
        timestamp = bytes_to_int(base64_decode(ts_text))
    except Exception:  # BadData or struct.error, exactly where itsdangerous' unsign fails too
        error = f"the cookie's timestamp part ({len(ts_text)} characters) is not a timestamp"
        error += " (is this a JWT or another kind of token?)" if len(ts_text) > 11 else " (is the cookie complete?)"
        if keep_errors:
            return envelope._replace(timestamp_error=error)
        raise BadInput(error) from None
    suspected = not legacy_epoch and _legacy_epoch_plausible(timestamp, now)
    envelope = envelope._replace(timestamp=timestamp, legacy_epoch_suspected=suspected)
    try:
        return _with_payload(envelope, payload_b64, max_json)
    except BadInput as exc:
        if keep_errors and not isinstance(exc, DecompressionBomb):
            return envelope._replace(payload_error=str(exc))
        raise


#: Flask-Session's ids: ``secrets.token_urlsafe(n)`` (>= 0.6) or ``str(uuid4())`` (<= 0.5).
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,}")


def _not_a_cookie_reason(value: str) -> str:
    if not value:
        return "the cookie is empty"
    if _SESSION_ID.fullmatch(value) and len(value) in {36, 43}:
        return (
            "this looks like an unsigned server-side session id (Flask-Session): "
            "the session data lives on the server, the cookie holds nothing to decode"
        )
    return "not a Flask session cookie: it has no '.' (a cookie is payload.timestamp.signature)"


def _legacy_epoch_plausible(timestamp: int, now: float | None) -> bool:
    """A Unix time before 2011 predates Flask's cookie sessions; counted from 2011 it may be real."""
    current = time.time() if now is None else now
    return timestamp < LEGACY_EPOCH and timestamp + LEGACY_EPOCH <= current + 86400


def _with_payload(envelope: DecodedCookie, payload_b64: str, max_json: int) -> DecodedCookie:
    try:
        stored = base64_decode(payload_b64[1:] if envelope.compressed else payload_b64)
    except Exception:  # itsdangerous raises BadData here
        raise BadInput("the cookie's payload is not base64 (is the cookie complete?)") from None
    raw = inflate(stored, max_json) if envelope.compressed else stored
    if len(raw) > max_json:
        raise BadInput(f"the payload is {len(raw)} bytes of JSON, over the {max_json}-byte cap (raise --max-size)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the cookie's payload is not UTF-8 text, so not a Flask session") from None
    session, legacy = load_session(text)
    return envelope._replace(
        session=session, payload=text, stored_bytes=len(stored), json_bytes=len(raw), legacy_tags=legacy
    )


def inflate(data: bytes, cap: int) -> bytes:
    """zlib-decompress at most ``cap`` bytes; a stream that inflates further is refused."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        raise BadInput("the cookie's payload is marked compressed but is not zlib data") from None
    if len(out) > cap:
        raise DecompressionBomb(
            f"the compressed payload inflates to more than {cap} bytes: refusing it as a "
            "decompression bomb (raise --max-size to inflate more)"
        )
    if not inflater.eof:
        raise BadInput("the cookie's compressed payload is truncated (is the cookie complete?)")
    return out


def load_session(text: str) -> tuple[dict[str, Any], bool]:
    """Load a payload's JSON as Flask does. Returns the session and whether Flask < 1.0 rules were needed."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadInput("the cookie's payload is not JSON, so not a Flask session") from None
    session_json.check_depth(data)
    if not isinstance(data, dict):
        raise BadInput(
            f"the cookie's payload is a JSON {type(data).__name__}, not an object: Flask fails such requests with HTTP 500"
        )
    try:
        return session_json.untag_scan(data), False
    except session_json.UntagError as exc:
        try:
            return session_json.untag_scan(data, session_json.LEGACY_TAG_KEYS), True
        except session_json.UntagError:
            raise BadInput(
                f"the payload is JSON but Flask cannot load it: {exc} (Flask answers with HTTP 500)"
            ) from None


# --- verifying -------------------------------------------------------------------------------------


def matching_key(
    value: str, *, key: SecretKey, fallbacks: tuple[SecretKey, ...] = (), scheme: Scheme = FLASK_SCHEME
) -> str | None:
    """Which key signed ``value``: "current", "fallback-N", or None. Checks the MAC only, reads nothing else.

    Keys are tried newest first (the current key, then the fallbacks from the
    newest), each compared in constant time by itsdangerous. A Flask-Session id
    (``<id>.<signature>``) is checked with Flask-Session's salt unless another is given.
    """
    if "." not in value:
        return None
    signed, signature, kind = split_signed(value)
    salt = FLASK_SESSION_SALT if kind == "session-id" and scheme.salt == FLASK_SALT else None
    candidates = [("current", key)] + [(f"fallback-{n}", k) for n, k in reversed(list(enumerate(fallbacks, 1)))]
    return next(
        (name for name, k in candidates if scheme.signer(k, salt=salt).verify_signature(signed, signature)), None
    )


def verify_cookie(
    value: str,
    *,
    key: SecretKey,
    fallbacks: tuple[SecretKey, ...] = (),
    scheme: Scheme = FLASK_SCHEME,
    max_age: int | None,
    legacy_epoch: bool = False,
    max_json: int = DEFAULT_MAX_JSON_BYTES,
    now: float | None = None,
) -> Verification:
    """Check a cookie as Flask's ``open_session`` would with these keys.

    The order of checks is itsdangerous': signature (every key, newest first),
    then the timestamp, then the age, then the payload. ``fallbacks`` are oldest
    first, as in ``SECRET_KEY_FALLBACKS``.
    """
    matched = matching_key(value, key=key, fallbacks=fallbacks, scheme=scheme)
    cookie = decode_cookie(value, legacy_epoch=legacy_epoch, max_json=max_json, now=now, keep_errors=True)
    if matched is None:
        if cookie.timestamp_error or cookie.payload_error:
            raise BadInput(cookie.timestamp_error or cookie.payload_error or "")
        return Verification(cookie, "bad-signature", None, None, max_age)
    if cookie.kind == "session-id":
        return Verification(cookie, "valid", matched, None, None)
    if cookie.timestamp_error:
        return Verification(cookie, "malformed-timestamp", matched, None, max_age)
    current = int(time.time() if now is None else now)
    age = current - cookie.unix_time if cookie.unix_time is not None else None
    if age is not None and max_age is not None:
        if age > max_age:
            return Verification(cookie, "expired", matched, age, max_age)
        if age < 0 and not legacy_epoch:  # itsdangerous >= 2.0 refuses the future; 0.24 did not
            return Verification(cookie, "future-timestamp", matched, age, max_age)
    if cookie.legacy_tags:
        error = "Flask >= 1.0 cannot load this payload (Flask < 1.0 wrote its ' di' key verbatim)"
        cookie = cookie._replace(payload_error=error)
    if cookie.payload_error:
        return Verification(cookie, "malformed-payload", matched, age, max_age)
    return Verification(cookie, "valid", matched, age, max_age)


# --- signing ---------------------------------------------------------------------------------------


def sign_session(
    session: dict[str, Any],
    *,
    key: SecretKey,
    scheme: Scheme = FLASK_SCHEME,
    timestamp: int | None = None,
    legacy_epoch: bool = False,
    sort_keys: bool = True,
    ensure_ascii: bool = True,
    compress: bool | None = None,
) -> SignedCookie:
    """The cookie Flask 3.1 writes for this session, key and time (Quart's with ``sort_keys=False``).

    ``compress`` forces zlib on or off; Flask compresses when that is shorter (None).
    Flask loads either form.
    """
    text = session_json.dumps_flask(session, sort_keys=sort_keys, ensure_ascii=ensure_ascii).encode("utf-8")
    compressed = zlib.compress(text)
    is_compressed = len(compressed) < len(text) - 1 if compress is None else compress
    payload = (b"." + base64_encode(compressed)) if is_compressed else base64_encode(text)
    unix = int(time.time()) if timestamp is None else timestamp
    stamp = unix - LEGACY_EPOCH if legacy_epoch else unix
    if not 0 <= stamp < 2**64:
        raise BadInput("the timestamp does not fit a Flask cookie (0 to 2**64 - 1 after its epoch)")
    signed = payload + b"." + base64_encode(int_to_bytes(stamp))
    signature = scheme.signer(key).get_signature(signed)
    return SignedCookie((signed + b"." + signature).decode("ascii"), is_compressed, len(text))
