"""Flask session cookies: decode, verify and sign, as the release the :class:`~.rules.Rules` name does.

Wire format (Flask's ``SecureCookieSessionInterface`` over itsdangerous'
``URLSafeTimedSerializer``: ``flask/sessions.py``, ``itsdangerous/timed.py``)::

    [.]B64URL(json or zlib(json)) "." B64URL(timestamp) "." B64URL(HMAC(derive(key, salt), payload.timestamp))

The leading "." marks a zlib-compressed payload; the timestamp is big-endian
seconds (counted from 2011-01-01 by itsdangerous <= 0.24); the JSON is the
release's tagged JSON (:mod:`.tagged`), loaded as :mod:`.payload` says.

``open_session`` does one of three things with a cookie, and :func:`verify_cookie`
says which: an **empty session** (any ``BadSignature``: bad MAC, malformed
timestamp, expired, future-dated), **HTTP 500** (the MAC is good but something
after it fails: the payload, a timestamp past year 9999, ``dict()`` of the value),
or **the session**. The signature, key derivation and base64 handling are
itsdangerous' own functions, so what verifies here verifies in Flask.
Decompression is ours: itsdangerous inflates without limit, flasksess stops at
``max_json`` bytes.
"""

from __future__ import annotations

import hashlib
import re
import time
import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from itsdangerous.encoding import base64_decode, base64_encode, int_to_bytes
from itsdangerous.signer import Signer

from flasksess_cli.codec.payload import LoadedPayload, load_payload
from flasksess_cli.codec.rules import CURRENT, Rules
from flasksess_cli.defaults import DEFAULT_MAX_JSON_BYTES, DIGEST_SIZES, FLASK_SALT, FLASK_SESSION_SALT
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey

#: itsdangerous <= 0.24 counted timestamps from 2011-01-01T00:00:00Z.
LEGACY_EPOCH = 1293840000
#: 10000-01-01T00:00:00Z: itsdangerous' ``timestamp_to_datetime`` raises ValueError from here on.
YEAR_10000 = 253402300800


class PayloadRefused(BadInput):
    """A payload larger than flasksess's cap (``--max-size``): refused, whatever the key says."""


class DecompressionBomb(PayloadRefused):
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
if TYPE_CHECKING:
    from flasksess_cli.codec.payload import PayloadOutcome

    #: What the app does with the request: the view sees the session; an empty session; HTTP 500 before
    #: the view runs; the view runs with the session, then writing it back fails with HTTP 500.
    Outcome = Literal["session", "empty-session", "http-500", "http-500-after-view"]

#: Flask-Session (0.4 to 0.8) signs a server-side session id with ``Signer(app.secret_key, salt="flask-session")``.
FLASK_SESSION_RULES = Rules(framework="flask-session", version="0.4-0.8", source="cookie shape", fallbacks="none")


class SignedParts(NamedTuple):
    """A signed value cut at its last '.': what the signature commits to, and the signature."""

    signed: str
    signature: str
    #: A Flask-Session id (``<id>.<signature>``) has no timestamp part.
    kind: CookieKind


#: Flask-Session's ids: ``secrets.token_urlsafe(n)`` (>= 0.6) or ``str(uuid4())`` (<= 0.5).
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,}")


def split_signed(value: str) -> SignedParts:
    """Cut ``payload.timestamp.signature`` (or ``id.signature``); ``BadInput`` for anything else."""
    if "." not in value:
        raise BadInput(_not_a_cookie_reason(value))
    signed, signature = value.rsplit(".", 1)
    if "." in signed:
        return SignedParts(signed, signature, "session")
    if _SESSION_ID.fullmatch(signed) and _decoded_size(signature) in DIGEST_SIZES.values():
        return SignedParts(signed, signature, "session-id")
    if 0 < len(signature) <= 11 and _decoded_size(signature) is not None:
        raise BadInput(
            "the cookie is incomplete: it has a payload and a timestamp but no signature (a Flask cookie is "
            "payload.timestamp.signature; was it cut short when copied?), and Flask starts an empty session for it"
        )
    raise BadInput("not a Flask session cookie: it has one '.' where Flask's has two (payload.timestamp.signature)")


def _decoded_size(text: str) -> int | None:
    try:
        return len(base64_decode(text))
    except Exception:  # itsdangerous' own decoder raises BadData; anything else is as bad
        return None


def _not_a_cookie_reason(value: str) -> str:
    if not value:
        return "the cookie is empty"
    if _SESSION_ID.fullmatch(value) and len(value) in {36, 43}:
        return (
            "this looks like an unsigned server-side session id (Flask-Session): "
            "the session data lives on the server, the cookie holds nothing to decode"
        )
    return "not a Flask session cookie: it has no '.' (a cookie is payload.timestamp.signature)"


class DecodedCookie(NamedTuple):
    """What anyone can read from a cookie, no key needed, and what the release would make of it."""

    value: str
    kind: CookieKind
    signature: str
    digest_guess: str
    session: dict[Any, Any] | None = None
    #: The payload JSON text exactly as stored (the release's tagged form).
    payload: str | None = None
    compressed: bool = False
    #: Bytes of the stored payload after base64: the zlib stream when compressed, else the JSON.
    stored_bytes: int = 0
    json_bytes: int = 0
    timestamp: int | None = None
    legacy_epoch: bool = False
    #: The timestamp is before 2011 as Unix time and plausible counted from 2011.
    legacy_epoch_suspected: bool = False
    #: Loaded with Flask < 1.0 tags (no " di").
    legacy_tags: bool = False
    session_id: str | None = None
    #: Why the timestamp or the payload cannot be read (only with ``keep_errors``).
    timestamp_error: str | None = None
    payload_error: str | None = None
    rules: Rules = CURRENT
    #: What the release does with the payload once the signature and the age pass (None for a session id).
    payload_outcome: PayloadOutcome | None = None
    notes: tuple[str, ...] = ()
    #: How deeply JSON containers nest in the payload.
    depth: int = 0

    @property
    def unix_time(self) -> int | None:
        if self.timestamp is None:
            return None
        return self.timestamp + LEGACY_EPOCH if self.legacy_epoch else self.timestamp

    @property
    def timestamp_in_range(self) -> bool:
        """A datetime can hold it: past 9999 itsdangerous raises ValueError, and Flask answers HTTP 500."""
        return self.unix_time is None or self.unix_time < YEAR_10000

    @property
    def issued_at(self) -> datetime | None:
        unix = self.unix_time
        if unix is None or not self.timestamp_in_range:
            return None
        return datetime.fromtimestamp(unix, tz=timezone.utc)


class Verification(NamedTuple):
    cookie: DecodedCookie
    reason: Reason
    #: "current", "fallback-N" (the Nth --fallback, counting from 1), or None.
    matched_key: str | None
    age_seconds: int | None
    max_age: int | None
    outcome: Outcome = "session"
    #: "sha512-fallback" when itsdangerous 1.1's default fallback signer verified it.
    signer: str | None = None
    notes: tuple[str, ...] = ()
    #: A key given made the signature, but the app does not verify with it ("fallback-1": releases before
    #: Flask 3.1 have no SECRET_KEY_FALLBACKS; Flask-Session checks ids with SECRET_KEY only).
    ignored_key: str | None = None

    @property
    def verified(self) -> bool:
        """A key given made this signature."""
        return self.matched_key is not None

    @property
    def valid(self) -> bool:
        """The app loads the cookie into its session (the view runs with it)."""
        return self.reason == "valid"


class SignedCookie(NamedTuple):
    value: str
    compressed: bool
    json_bytes: int
    #: "current", or "fallback-N" where the release signs with a fallback (Flask 3.1.0).
    signed_with: str = "current"
    #: What the release would do with the cookie, when it is not simply "loads it".
    notes: tuple[str, ...] = ()


# --- decoding ------------------------------------------------------------------------------------


def digest_guess(signature: str) -> str:
    """The digest a signature's length implies, the most common first (27 characters: sha1; 43: sha256; ...)."""
    size = _decoded_size(signature)
    return next((name for name, n in DIGEST_SIZES.items() if n == size), "unknown")


def digest_candidates(signature: str) -> tuple[str, ...]:
    """Every digest that makes a signature this long (sha256, sha3_256 and blake2s are all 32 bytes)."""
    size = _decoded_size(signature)
    return tuple(name for name, n in DIGEST_SIZES.items() if n == size)


def decode_cookie(
    value: str,
    *,
    rules: Rules = CURRENT,
    legacy_epoch: bool = False,
    max_json: int = DEFAULT_MAX_JSON_BYTES,
    now: float | None = None,
    keep_errors: bool = False,
) -> DecodedCookie:
    """Read a cookie without a key, as the release would once the signature passes. ``BadInput`` for anything else.

    With ``keep_errors``, a bad timestamp or payload is recorded on the result
    instead (``verify`` needs the signature checked before it can say which is wrong).
    ``legacy_epoch`` applies itsdangerous 0.24's timestamps to ``rules``.
    """
    rules = rules.with_legacy_epoch(legacy_epoch)
    signed, signature, kind = split_signed(value)
    guess = digest_guess(signature)
    if kind == "session-id":
        return DecodedCookie(value, "session-id", signature, guess, session_id=signed, rules=FLASK_SESSION_RULES)
    payload_b64, ts_text = signed.rsplit(".", 1)
    envelope = DecodedCookie(
        value, "session", signature, guess, legacy_epoch=rules.legacy_epoch, compressed=payload_b64.startswith("."),
        legacy_tags=rules.tags == "flask-0.10", rules=rules,
    )  # fmt: skip
    timestamp = _timestamp(ts_text, rules)
    if timestamp is None:
        error = f"the cookie's timestamp part ({len(ts_text)} characters) is not a timestamp"
        error += " (is this a JWT or another kind of token?)" if len(ts_text) > 11 else " (is the cookie complete?)"
        if keep_errors:
            return envelope._replace(timestamp_error=error)
        raise BadInput(error) from None
    suspected = not rules.legacy_epoch and _legacy_epoch_plausible(timestamp, now)
    envelope = envelope._replace(timestamp=timestamp, legacy_epoch_suspected=suspected)
    if not envelope.timestamp_in_range:
        envelope = envelope._replace(
            notes=(
                "the timestamp is past year 9999: itsdangerous cannot make a date of it, and Flask answers HTTP 500",
            )
        )
    cookie = _with_payload(envelope, payload_b64, max_json)
    if cookie.payload_error and not keep_errors:
        raise BadInput(f"{cookie.payload_error} (so a signed cookie with this payload gets HTTP 500)")
    return cookie


def _timestamp(text: str, rules: Rules) -> int | None:
    """The timestamp integer as the release reads it, or None where it finds it malformed."""
    try:
        raw = base64_decode(text)
    except Exception:  # BadData, exactly where itsdangerous' unsign fails too
        return None
    if len(raw) > 8 and not rules.legacy_epoch:  # struct.unpack(">Q") from itsdangerous 1.0 on
        return None
    return int.from_bytes(raw, "big")  # itsdangerous 0.24 reads any length


def _legacy_epoch_plausible(timestamp: int, now: float | None) -> bool:
    """A Unix time before 2011 predates Flask's cookie sessions; counted from 2011 it may be real."""
    current = time.time() if now is None else now
    return timestamp < LEGACY_EPOCH and timestamp + LEGACY_EPOCH <= current + 86400


def _with_payload(envelope: DecodedCookie, payload_b64: str, max_json: int) -> DecodedCookie:
    """The payload read as the release reads it; its failures (HTTP 500 once signed) kept as ``payload_error``."""
    try:
        stored = base64_decode(payload_b64[1:] if envelope.compressed else payload_b64)
    except Exception:  # itsdangerous raises BadData here
        return envelope._replace(payload_error="the cookie's payload is not base64 (is the cookie complete?)")
    if envelope.compressed:
        try:
            raw = inflate(stored, max_json)
        except zlib.error as exc:
            return envelope._replace(payload_error=f"the payload is marked compressed but is not zlib data ({exc})")
    else:
        raw = stored
    if len(raw) > max_json:
        raise PayloadRefused(
            f"the payload is {len(raw)} bytes of JSON, over the {max_json}-byte cap (raise --max-size)"
        )
    sizes = envelope._replace(stored_bytes=len(stored), json_bytes=len(raw))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return sizes._replace(
            payload_error=f"the cookie's payload is not UTF-8 text ({exc.reason} at byte {exc.start})"
        )
    loaded: LoadedPayload = load_payload(text, envelope.rules)
    cookie = sizes._replace(
        payload=text, session=loaded.session, payload_outcome=loaded.outcome, depth=loaded.depth,
        notes=envelope.notes + loaded.notes,
    )  # fmt: skip
    if loaded.outcome == "http-500":
        return cookie._replace(payload_error=loaded.error)
    if loaded.outcome == "http-500-after-view":
        return cookie._replace(notes=(*cookie.notes, f"the view runs, then the response is HTTP 500: {loaded.error}"))
    return cookie


def inflate(data: bytes, cap: int) -> bytes:
    """zlib-decompress at most ``cap`` bytes; a stream that inflates further is refused.

    Trailing bytes after the stream are ignored, as ``zlib.decompress`` ignores them;
    a truncated stream raises ``zlib.error``, as it does there.
    """
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, cap + 1)
    if len(out) > cap:
        raise DecompressionBomb(
            f"the compressed payload inflates to more than {cap} bytes: refusing it as a "
            "decompression bomb (raise --max-size to inflate more)"
        )
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return out


# --- verifying -------------------------------------------------------------------------------------


def matching_key(
    value: str,
    *,
    key: SecretKey,
    fallbacks: tuple[SecretKey, ...] = (),
    scheme: Scheme = FLASK_SCHEME,
    rules: Rules = CURRENT,
) -> str | None:
    """Which key signed ``value``: "current", "fallback-N", or None. Checks the MAC only, reads nothing else.

    Keys are tried newest first (the current key, then the fallbacks from the
    newest), each compared in constant time by itsdangerous. A Flask-Session id
    (``<id>.<signature>``) is checked with Flask-Session's salt unless another is given.
    """
    match = _match(value, key=key, fallbacks=fallbacks, scheme=scheme, rules=rules)
    return match[0] if match else None


def _match(
    value: str, *, key: SecretKey, fallbacks: tuple[SecretKey, ...], scheme: Scheme, rules: Rules
) -> tuple[str, str | None] | None:
    """(key name, signer) of the key and signer that made the MAC, or None."""
    try:
        signed, signature, kind = split_signed(value)
        signed.encode("utf-8")
    except (BadInput, UnicodeEncodeError):  # nothing Flask receives holds lone surrogates
        return None
    salt = FLASK_SESSION_SALT if kind == "session-id" and scheme.salt == FLASK_SALT else None
    candidates = [("current", key)] + [(f"fallback-{n}", k) for n, k in reversed(list(enumerate(fallbacks, 1)))]
    for name, candidate in candidates:
        if scheme.signer(candidate, salt=salt).verify_signature(signed, signature):
            return name, None
    if rules.sha512_fallback and kind == "session":  # itsdangerous 1.1's default_fallback_signers
        fallback = Scheme(salt=scheme.salt, digest="sha512", key_derivation="django-concat")
        if fallback.signer(key).verify_signature(signed, signature):
            return "current", "sha512-fallback"
    return None


def verify_cookie(
    value: str,
    *,
    key: SecretKey,
    fallbacks: tuple[SecretKey, ...] = (),
    scheme: Scheme = FLASK_SCHEME,
    max_age: int | None,
    rules: Rules = CURRENT,
    legacy_epoch: bool = False,
    fallbacks_in_key: bool = False,
    max_json: int = DEFAULT_MAX_JSON_BYTES,
    now: float | None = None,
) -> Verification:
    """What the release's ``open_session`` does with this cookie and these keys.

    The order of checks is itsdangerous': signature (every key, newest first),
    then the timestamp, then the age, then the payload, then the session class.
    ``fallbacks`` are oldest first, as in ``SECRET_KEY_FALLBACKS``; releases
    before Flask 3.1 ignore them unless ``fallbacks_in_key`` (a list-valued
    SECRET_KEY, which itsdangerous >= 2.0 rotates through).
    """
    rules = rules.with_legacy_epoch(legacy_epoch)
    for part, what in ((key, "key"), *((k, "fallback key") for k in fallbacks)):
        _check_usable(part, what)
    try:
        scheme.salt.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("the salt is not UTF-8 text (itsdangerous cannot sign with it)") from None
    cookie = decode_cookie(value, rules=rules, max_json=max_json, now=now, keep_errors=True)
    if cookie.kind == "session-id":
        return _verify_session_id(cookie, key=key, fallbacks=fallbacks, scheme=scheme)
    match = _match(value, key=key, fallbacks=fallbacks, scheme=scheme, rules=rules)
    notes: list[str] = []
    ignored = None
    honoured = rules.fallbacks != "none" or fallbacks_in_key
    if match and match[0] != "current" and not honoured:
        notes.append(f"{rules.name} has no SECRET_KEY_FALLBACKS (Flask 3.1 added it)")
        ignored, match = match[0], None
    if match is None:
        outcome: Outcome = "empty-session"
        if rules.itsdangerous == "2.0" and not cookie.timestamp_in_range:
            outcome = "http-500"
            notes.append("itsdangerous 2.0 to 2.1.0 make a date of a bad signature's timestamp; past 9999 that fails")
        return Verification(
            cookie, "bad-signature", None, None, max_age, outcome, notes=tuple(notes), ignored_key=ignored
        )
    matched, signer = match
    if cookie.timestamp_error or cookie.unix_time is None:
        return Verification(cookie, "malformed-timestamp", matched, None, max_age, "empty-session", signer)
    current = int(time.time() if now is None else now)
    age = current - cookie.unix_time
    if max_age is not None:
        if age > max_age:
            return Verification(cookie, "expired", matched, age, max_age, "empty-session", signer)
        if age < 0 and rules.future_check and cookie.timestamp_in_range:
            return Verification(cookie, "future-timestamp", matched, age, max_age, "empty-session", signer)
    if not cookie.timestamp_in_range:
        return Verification(cookie, "malformed-timestamp", matched, age, max_age, "http-500", signer)
    if cookie.payload_error:
        return Verification(cookie, "malformed-payload", matched, age, max_age, "http-500", signer)
    outcome = "http-500-after-view" if cookie.payload_outcome == "http-500-after-view" else "session"
    return Verification(cookie, "valid", matched, age, max_age, outcome, signer, tuple(notes))


def _verify_session_id(
    cookie: DecodedCookie, *, key: SecretKey, fallbacks: tuple[SecretKey, ...], scheme: Scheme
) -> Verification:
    """Flask-Session checks a signed id with ``SECRET_KEY`` alone: a fallback-signed id starts a new session."""
    match = _match(cookie.value, key=key, fallbacks=fallbacks, scheme=scheme, rules=FLASK_SESSION_RULES)
    if match and match[0] == "current":
        return Verification(cookie, "valid", "current", None, None)
    notes = ("Flask-Session checks ids with SECRET_KEY only",) if match else ()
    ignored = match[0] if match else None
    return Verification(cookie, "bad-signature", None, None, None, "empty-session", notes=notes, ignored_key=ignored)


def _check_usable(key: SecretKey, what: str) -> None:
    if isinstance(key.value, str):
        try:
            key.value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput(
                f"the {what} is text that is not valid Unicode (a lone surrogate): Flask fails to sign or "
                "verify with it (UnicodeEncodeError, HTTP 500)"
            ) from None


# --- signing ---------------------------------------------------------------------------------------


def sign_session(
    session: dict[Any, Any],
    *,
    key: SecretKey,
    scheme: Scheme = FLASK_SCHEME,
    rules: Rules = CURRENT,
    fallbacks: tuple[SecretKey, ...] = (),
    timestamp: int | None = None,
    legacy_epoch: bool = False,
    sort_keys: bool | None = None,
    ensure_ascii: bool = True,
    compress: bool | None = None,
) -> SignedCookie:
    """The cookie the release writes for this session, key and second (Flask 3.1's unless ``rules`` say otherwise).

    ``sort_keys`` defaults to the release's (Flask sorts, Quart keeps insertion
    order). Flask 3.1.0 signs with the last of ``fallbacks`` (fixed in 3.1.1).
    ``compress`` forces zlib on or off; Flask compresses when that is shorter (None),
    and loads either form.
    """
    from flasksess_cli.codec.session_json import dumps_flask

    rules = rules.with_legacy_epoch(legacy_epoch)
    signing_key, signed_with = key, "current"
    if rules.fallbacks == "3.1.0" and fallbacks:
        signing_key, signed_with = fallbacks[-1], f"fallback-{len(fallbacks)}"
    _check_usable(signing_key, "key")
    keep_order = rules.sort_keys if sort_keys is None else sort_keys
    text = dumps_flask(session, sort_keys=keep_order, ensure_ascii=ensure_ascii, tags=rules.tags)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(
            "Flask cannot write this session: with non-ASCII JSON (JSON_AS_ASCII off), a lone surrogate "
            "cannot be encoded (UnicodeEncodeError, HTTP 500)"
        ) from None
    compressed = zlib.compress(data)
    is_compressed = len(compressed) < len(data) - 1 if compress is None else compress
    payload = (b"." + base64_encode(compressed)) if is_compressed else base64_encode(data)
    unix = int(time.time()) if timestamp is None else timestamp
    stamp = unix - LEGACY_EPOCH if rules.legacy_epoch else unix
    if not 0 <= stamp < 2**64:
        raise BadInput("the timestamp does not fit a Flask cookie (0 to 2**64 - 1 after its epoch)")
    signed = payload + b"." + base64_encode(int_to_bytes(stamp))
    try:
        signature = scheme.signer(signing_key).get_signature(signed)
    except UnicodeEncodeError:
        raise BadInput("the salt is not UTF-8 text (itsdangerous cannot sign with it)") from None
    notes = list(_signed_notes(text, unix, rules))
    if signed_with != "current":
        notes.append(f"{rules.name} signs with the last SECRET_KEY_FALLBACKS entry (fixed in Flask 3.1.1)")
    return SignedCookie(
        (signed + b"." + signature).decode("ascii"), is_compressed, len(data), signed_with, tuple(notes)
    )


def _signed_notes(text: str, unix: int, rules: Rules) -> list[str]:
    """What the release would do with what was just signed, when it is not simply loading it."""
    from flasksess_cli.codec.payload import SHALLOW
    from flasksess_cli.codec.session_json import json_depth

    notes = []
    if unix >= YEAR_10000:
        notes.append(f"the timestamp is past year 9999: {rules.name} answers HTTP 500 for this cookie")
    if rules.tags != "flask-0.10" and json_depth(text) <= SHALLOW:
        return notes  # a shallow session written with the release's own tags loads back as it was
    loaded = load_payload(text, rules)
    if loaded.outcome == "http-500":
        notes.append(f"{rules.name} answers HTTP 500 for this cookie: {loaded.error}")
    elif loaded.outcome == "http-500-after-view":
        notes.append(f"{rules.name} runs the view with this session, then answers HTTP 500: {loaded.error}")
    return notes
