"""The signed envelope every format shares: the records ``decode`` and ``verify`` return, and itsdangerous' primitives.

:mod:`.cookie` (Flask's session) and :mod:`.tokens` (every other token format) build
these records; the commands, the renderer and the library API read them, whatever the
format. Timestamps, base64 and signatures are itsdangerous' own; decompression is
capped here (itsdangerous inflates without limit).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from itsdangerous.encoding import base64_decode
from itsdangerous.exc import BadData
from itsdangerous.signer import Signer

from flasksess_cli.codec.rules import CURRENT, Rules
from flasksess_cli.defaults import DIGEST_SIZES, FLASK_SALT
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


#: What verify concludes, in itsdangerous' order of checks.
Reason = Literal["valid", "bad-signature", "expired", "future-timestamp", "malformed-timestamp", "malformed-payload"]
if TYPE_CHECKING:
    from flasksess_cli.codec.formats import Recognition
    from flasksess_cli.codec.payload import PayloadOutcome
    from flasksess_cli.codec.rules import CookieKind as CookieKind

    #: What the app does with the request: the view sees the session; an empty session; HTTP 500 before
    #: the view runs; the view runs with the session, then writing it back fails with HTTP 500; for a token
    #: (not a session): the library takes its value (a form passes, a user is logged in), or refuses it.
    Outcome = Literal["session", "empty-session", "http-500", "http-500-after-view", "accepted", "rejected"]


def decoded_size(text: str) -> int | None:
    try:
        return len(base64_decode(text))
    except BadData:  # itsdangerous' own decoder
        return None


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
    #: A token's value (what ``loads()`` returns; a remember cookie's user id); None for a Flask session.
    data: Any = None
    #: Which format the shape suggested, when none was named (``decode`` without ``--format``).
    recognition: Recognition | None = None

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
    #: The formats tried, in order, when none was named (``verify`` tries each the shape admits).
    tried: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """A key given made this signature."""
        return self.matched_key is not None

    @property
    def valid(self) -> bool:
        """The app loads the cookie into its session (the view runs with it), or takes the token."""
        return self.reason == "valid"


class Attempt(NamedTuple):
    """One way to check a value: the keys, the scheme and the rules of one format (``verify`` tries several)."""

    key: SecretKey
    fallbacks: tuple[SecretKey, ...]
    scheme: Scheme
    rules: Rules
    max_age: int | None
    fallbacks_in_key: bool = False


class SignedCookie(NamedTuple):
    value: str
    compressed: bool
    json_bytes: int
    #: "current", or "fallback-N" where the release signs with a fallback (Flask 3.1.0).
    signed_with: str = "current"
    #: What the release would do with the cookie, when it is not simply "loads it".
    notes: tuple[str, ...] = ()


def digest_guess(signature: str) -> str:
    """The digest a signature's length implies, the most common first (27 characters: sha1; 43: sha256; ...)."""
    size = decoded_size(signature)
    return next((name for name, n in DIGEST_SIZES.items() if n == size), "unknown")


def digest_candidates(signature: str) -> tuple[str, ...]:
    """Every digest that makes a signature this long (sha256, sha3_256 and blake2s are all 32 bytes)."""
    size = decoded_size(signature)
    return tuple(name for name, n in DIGEST_SIZES.items() if n == size)


def read_timestamp(text: str, rules: Rules) -> int | None:
    """The timestamp integer as the release reads it, or None where it finds it malformed."""
    try:
        raw = base64_decode(text)
    except Exception:  # BadData, exactly where itsdangerous' unsign fails too
        return None
    if len(raw) > 8 and not rules.legacy_epoch:  # struct.unpack(">Q") from itsdangerous 1.0 on
        return None
    return int.from_bytes(raw, "big")  # itsdangerous 0.24 reads any length


def legacy_epoch_plausible(timestamp: int, now: float | None) -> bool:
    """A Unix time before 2011 predates Flask's cookie sessions; counted from 2011 it may be real."""
    current = time.time() if now is None else now
    return timestamp < LEGACY_EPOCH and timestamp + LEGACY_EPOCH <= current + 86400


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
