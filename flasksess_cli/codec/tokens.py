"""The tokens other than Flask's session that an app signs with its key: read, checked and written as their library does.

:mod:`.cookie` calls here when the :class:`~flasksess_cli.codec.rules.Rules` name another
format (:mod:`.formats`); the verdicts keep its order of checks (signature, timestamp,
age, payload) and its result types, so every command reports every format alike.

* **URL-safe JSON** (Flask-WTF, Quart-Auth, Flask-Security, itsdangerous): itsdangerous'
  ``URLSafeSerializerMixin``: ``[.]base64url(JSON)``, a leading ``.`` for zlib; compact
  JSON (``separators=(",", ":")``, ``ensure_ascii=False``) in insertion order; loaded with
  ``json.loads`` after a strict UTF-8 decode; any failure there is ``BadPayload``.
* **Starlette's session**: ``base64.b64encode(json.dumps(session).encode())`` (standard
  alphabet, padded; json.dumps' defaults), loaded with ``json.loads(b64decode(data))`` and
  ``Session(...)`` (a dict); a failure there escapes the middleware: HTTP 500.
* **Flask-Login's remember cookie**: ``user_id|hex(HMAC(key, user_id))``, the key's text
  encoded Latin-1; Werkzeug quotes a value with characters outside its cookie alphabet
  (``"..."`` with ``\\ooo`` escapes), which is undone here as Werkzeug's parser does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import zlib
from typing import TYPE_CHECKING, Any

from itsdangerous.encoding import base64_decode, base64_encode, int_to_bytes
from itsdangerous.exc import BadData

from flasksess_cli.codec.envelope import (
    LEGACY_EPOCH,
    DecodedCookie,
    PayloadRefused,
    SignedCookie,
    digest_guess,
    inflate,
    legacy_epoch_plausible,
    read_timestamp,
)
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.audit.scan import Target
    from flasksess_cli.codec.envelope import Scheme
    from flasksess_cli.codec.rules import Rules
    from flasksess_cli.keys import SecretKey

#: About where json.loads raises RecursionError in an app (Python 3.11's recursion limit of 1000, less the
#: stack below it; Python 3.12 and later give json's C recursion its own limit, about 1489 levels).
JSON_DEPTH_NOTE = 900
JSON_DEPTH_LIMIT = 1490


def what_follows(rules: Rules, outcome: str | None = None) -> str:
    """What the library does with a signed token whose payload it cannot load (or use: ``outcome`` "http-500")."""
    from flasksess_cli.codec import formats

    if rules.framework == "itsdangerous":
        return "itsdangerous' loads() raises BadPayload"
    if rules.bad_payload == "rejected" and outcome != "http-500":
        return formats.of(rules).refuses
    return f"{rules.name} answers HTTP 500 (the error escapes it)"


# --- decoding --------------------------------------------------------------------------------------


def decode_token(
    value: str, *, rules: Rules, max_json: int, now: float | None = None, keep_errors: bool = False
) -> DecodedCookie:
    """What anyone can read from a token of ``rules``' format, no key needed."""
    from flasksess_cli.codec import formats

    title = formats.of(rules).title
    if rules.envelope == "remember":
        return _decode_remember(value, rules, title)
    if "." not in value:
        raise BadInput(f"not a {title}: it has no '.' ({_layout(rules)})")
    signed, signature = value.rsplit(".", 1)
    timed = "." in signed[1:]
    if timed != (rules.envelope == "timed"):
        has = "a timestamp" if timed else "no timestamp"
        raise BadInput(f"not a {title}: it has {has} ({_layout(rules)})")
    payload_text = signed.rsplit(".", 1)[0] if timed else signed
    cookie = DecodedCookie(
        value, rules.kind, signature, digest_guess(signature), rules=rules, compressed=payload_text.startswith(".")
    )
    if timed:
        cookie = _with_timestamp(cookie, signed.rsplit(".", 1)[1], now)
        if cookie.timestamp_error and not keep_errors:
            raise BadInput(cookie.timestamp_error)
    if rules.payload == "starlette-session":
        cookie = _starlette_payload(cookie, payload_text, max_json)
    else:
        cookie = _json_payload(cookie, payload_text, max_json)
    if cookie.payload_error and not keep_errors:
        follows = what_follows(rules, cookie.payload_outcome)
        raise BadInput(f"{cookie.payload_error} (so for a signed token with this payload, {follows})")
    return cookie


def _layout(rules: Rules) -> str:
    return "payload.timestamp.signature" if rules.envelope == "timed" else "payload.signature"


def _with_timestamp(cookie: DecodedCookie, text: str, now: float | None) -> DecodedCookie:

    timestamp = read_timestamp(text, cookie.rules)
    if timestamp is None:
        return cookie._replace(timestamp_error=f"the timestamp part ({len(text)} characters) is not a timestamp")
    suspected = not cookie.rules.legacy_epoch and legacy_epoch_plausible(timestamp, now)
    cookie = cookie._replace(
        timestamp=timestamp, legacy_epoch=cookie.rules.legacy_epoch, legacy_epoch_suspected=suspected
    )
    if not cookie.timestamp_in_range:
        cookie = cookie._replace(notes=("the timestamp is past year 9999: itsdangerous cannot make a date of it",))
    return cookie


def _json_payload(cookie: DecodedCookie, text: str, max_json: int) -> DecodedCookie:
    """itsdangerous' URL-safe load_payload: base64url, zlib when it starts with '.', UTF-8, json.loads."""

    try:
        raw = base64_decode(text[1:] if cookie.compressed else text)
    except BadData:
        return cookie._replace(payload_error="the payload is not base64 (is it complete?)")
    stored = len(raw)
    if cookie.compressed:
        try:
            raw = inflate(raw, max_json)
        except zlib.error as exc:
            return cookie._replace(payload_error=f"the payload is marked compressed but is not zlib data ({exc})")
    if len(raw) > max_json:
        raise PayloadRefused(
            f"the payload is {len(raw)} bytes of JSON, over the {max_json}-byte cap (raise --max-size)"
        )
    cookie = cookie._replace(stored_bytes=stored, json_bytes=len(raw))
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cookie._replace(payload_error=f"the payload is not UTF-8 text ({exc.reason} at byte {exc.start})")
    return _loaded(cookie, decoded)


def _loaded(cookie: DecodedCookie, text: str) -> DecodedCookie:
    """``json.loads(text)`` as the library does it, with room for the depth; errors kept as ``payload_error``."""
    from flasksess_cli.codec.session_json import json_depth, recursion_room

    depth = json_depth(text)
    cookie = cookie._replace(payload=text, depth=depth)
    if depth >= JSON_DEPTH_LIMIT:
        return cookie._replace(payload_error=f"the payload nests {depth} levels deep: json.loads raises RecursionError")
    try:
        with recursion_room(depth):
            data = json.loads(text)
    except ValueError as exc:
        from flasksess_cli.codec.payload import json_error

        return cookie._replace(payload_error=f"the payload is not JSON ({json_error(exc)})")
    if depth >= JSON_DEPTH_NOTE:
        cookie = cookie._replace(
            notes=(
                *cookie.notes,
                f"the payload nests {depth} levels deep: json.loads in the app may raise RecursionError "
                "(about 1000 levels on Python 3.11, 1489 on 3.12 and later, less the server's own stack)",
            )
        )
    if cookie.rules.payload == "starlette-session":
        try:
            session = dict(data)  # Session(json.loads(...)): dict.__init__
        except (TypeError, ValueError) as exc:
            what = type(data).__name__ if not isinstance(data, (dict, list)) else "a list that is no list of pairs"
            return cookie._replace(
                payload_error=f"the payload is JSON {what}, which Starlette's Session() cannot hold ({type(exc).__name__})"
            )
        return cookie._replace(session=session, data=data)
    held = _unusable_by_flask_wtf(data, cookie.rules)
    if held:
        return cookie._replace(
            data=data,
            payload_outcome="http-500",
            payload_error=(
                f"the token holds {held}: Flask-WTF compares it with the session's csrf_token using "
                "hmac.compare_digest, which raises TypeError for it"
            ),
        )
    return cookie._replace(data=data)


def _unusable_by_flask_wtf(data: Any, rules: Rules) -> str | None:
    """What a Flask-WTF token holds, when it is not the ASCII text hmac.compare_digest takes (then HTTP 500)."""
    if rules.framework != "flask-wtf" or (isinstance(data, str) and data.isascii()):
        return None
    return "text with non-ASCII characters" if isinstance(data, str) else f"a JSON {_json_kind(data)}"


def _json_kind(data: Any) -> str:
    names = {dict: "object", list: "array", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(data), type(data).__name__)


def _starlette_payload(cookie: DecodedCookie, text: str, max_json: int) -> DecodedCookie:
    """``json.loads(base64.b64decode(data))``: the standard alphabet, characters outside it discarded, padding checked."""
    import base64
    import binascii

    try:
        raw = base64.b64decode(text)
    except (binascii.Error, ValueError) as exc:
        return cookie._replace(payload_error=f"the payload is not standard base64 ({exc})")
    if len(raw) > max_json:
        raise PayloadRefused(
            f"the payload is {len(raw)} bytes of JSON, over the {max_json}-byte cap (raise --max-size)"
        )
    cookie = cookie._replace(stored_bytes=len(raw), json_bytes=len(raw))
    try:
        decoded = raw.decode(json.detect_encoding(raw))  # json.loads(bytes) detects UTF-8, -16 or -32
    except (UnicodeDecodeError, LookupError) as exc:
        return cookie._replace(payload_error=f"the payload is not JSON text ({exc})")
    return _loaded(cookie, decoded)


_UNSLASH = re.compile(rb"\\([0-3][0-7]{2}|.)")


def _decode_remember(value: str, rules: Rules, title: str) -> DecodedCookie:

    user_id, bar, digest = value.rpartition("|")
    if not bar:
        raise BadInput(f"not a {title}: it has no '|' (it is user id|hex HMAC)")
    if "\\" in user_id:  # Werkzeug quoted the value ("..." with \ooo escapes): read it as Werkzeug does
        user_id = _UNSLASH.sub(_unslash, user_id.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
    guess = hex_digest(digest)
    if not re.fullmatch(r"[0-9a-f]*", digest) or guess is None:
        raise BadInput(
            f"not a {title}: after the last '|' comes {len(digest)} characters, where Flask-Login writes "
            "128 lowercase hex digits (HMAC-SHA512; 40 before Flask-Login 0.3)"
        )
    size = len(user_id.encode("utf-8", "surrogateescape"))
    return DecodedCookie(
        value, "token", digest, guess, rules=rules, payload=user_id, data=user_id, stored_bytes=size, json_bytes=size
    )


def _unslash(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    return escaped if len(escaped) == 1 else int(escaped, 8).to_bytes(1, "big")


#: What Werkzeug's ``dump_cookie`` escapes in a quoted cookie value (``\\ooo``, ``\\"``, ``\\\\``): a browser then holds
#: and sends back only printable ASCII, which Werkzeug unquotes to the user id Flask-Login signed.
_SLASH = re.compile(rb'[\x00-\x1f",;\\\x7f-\xff]')


def _slash(match: re.Match[bytes]) -> bytes:
    char = match.group()
    return b"\\" + char if char in b'"\\' else b"\\%03o" % ord(char)


# --- keys and MACs ---------------------------------------------------------------------------------


def key_bytes(key: SecretKey, rules: Rules) -> bytes:
    """The bytes the library keys its HMAC with; ``BadInput`` when it cannot use this key."""
    value = key.value
    if rules.key_encoding == "str":
        value = str(value)  # Starlette: TimestampSigner(str(secret_key)); a bytes key becomes "b'...'"
    if isinstance(value, bytes):
        return value
    encoding = "latin-1" if rules.key_encoding == "latin-1" else "utf-8"
    try:
        return value.encode(encoding)
    except UnicodeEncodeError:
        if encoding == "latin-1":
            raise BadInput(
                f"{rules.name} encodes a text key as Latin-1, and this key has characters Latin-1 cannot hold: "
                "it fails with UnicodeEncodeError (HTTP 500) at every login with remember=True"
            ) from None
        raise BadInput("the key is text that is not valid Unicode (a lone surrogate)") from None


def remember_digest(user_id: str, key: bytes, digest: str) -> str:
    """Flask-Login's ``_cookie_digest``: ``hmac.new(key, user_id.encode("utf-8"), digest).hexdigest()``."""
    return hmac.new(key, user_id.encode("utf-8", "surrogateescape"), getattr(hashlib, digest)).hexdigest()


def token_mac_matches(value: str, key: SecretKey, scheme: Scheme, rules: Rules) -> bool:
    """This key made this token's MAC, as its library checks it (constant-time)."""
    if rules.envelope == "remember":
        user_id, _, digest = value.rpartition("|")
        if "\\" in user_id:
            user_id = _UNSLASH.sub(_unslash, user_id.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
        name = rules.digest if len(digest) == 2 * hashlib.new(rules.digest).digest_size else hex_digest(digest)
        return name is not None and hmac.compare_digest(remember_digest(user_id, key_bytes(key, rules), name), digest)
    from itsdangerous.signer import Signer

    signed, signature = value.rsplit(".", 1)
    signer = Signer(
        key_bytes(key, rules),
        salt=scheme.salt,
        key_derivation=scheme.key_derivation,
        digest_method=getattr(hashlib, scheme.digest),
    )
    return bool(signer.verify_signature(signed, signature))


def hex_digest(text: str) -> str | None:
    """The digest a hex MAC's length implies (128 digits: sha512), or None."""
    from flasksess_cli.defaults import DIGEST_SIZES

    return next((name for name, size in DIGEST_SIZES.items() if 2 * size == len(text)), None)


# --- the key search --------------------------------------------------------------------------------


def search_target(value: str, *, rules: Rules, scheme: Scheme) -> Target:
    """What a token's MAC commits to, for ``audit``'s search: the signed bytes, the MAC, the salt and how the key is used.

    A remember cookie is ``HMAC(key, user id)``: the derivation "none", no salt. Every other
    token is itsdangerous' ``HMAC(derive(key, salt), signed)`` over the text before its last '.'.
    (The candidates are the key's bytes: for a remember cookie a text key's Latin-1 bytes,
    for a Starlette session the UTF-8 of ``str(key)``.)
    """
    from flasksess_cli.audit.scan import Target

    decoded = decode_token(value, rules=rules, max_json=1 << 20, keep_errors=True)
    if rules.envelope == "remember":
        user_id = (decoded.payload or "").encode("utf-8", "surrogateescape")
        return Target(user_id, bytes.fromhex(decoded.signature), b"", decoded.digest_guess, "none", "latin-1")
    signed, signature_text = value.rsplit(".", 1)
    try:
        signature = base64_decode(signature_text)
        signed_bytes = signed.encode("ascii")
        salt = scheme.salt.encode("utf-8")
    except (BadData, UnicodeEncodeError):
        raise BadInput(f"the {rules.library} token has characters no signer writes (is it complete?)") from None
    if len(signature) != hashlib.new(scheme.digest).digest_size:
        raise BadInput(
            f"the signature is {len(signature)} bytes but {scheme.digest} makes {hashlib.new(scheme.digest).digest_size} "
            f"(is this a {formats_title(rules)}? --format names another)"
        )
    return Target(signed_bytes, signature, salt, scheme.digest, scheme.key_derivation)


def formats_title(rules: Rules) -> str:
    from flasksess_cli.codec import formats

    return formats.of(rules).title


# --- signing ---------------------------------------------------------------------------------------


def sign_token(
    data: Any,
    *,
    key: SecretKey,
    scheme: Scheme,
    rules: Rules,
    fallbacks: tuple[SecretKey, ...] = (),
    timestamp: int | None = None,
) -> SignedCookie:
    """The token the library writes for ``data`` with this key (and, where it signs with one, the last fallback)."""
    from itsdangerous.signer import Signer

    signing_key, signed_with, notes = key, "current", []
    if rules.fallbacks == "last-signs" and fallbacks:
        signing_key, signed_with = fallbacks[-1], f"fallback-{len(fallbacks)}"
        notes.append(
            f"{rules.name} signs with the last SECRET_KEY_FALLBACKS entry, not SECRET_KEY (itsdangerous signs with "
            "the last key of [SECRET_KEY, *SECRET_KEY_FALLBACKS]; Flask fixed the same order in 3.1.1)"
        )
    material = key_bytes(signing_key, rules)
    if rules.envelope == "remember":
        user_id = _user_id(data)
        try:
            size = len(user_id.encode("utf-8"))
        except UnicodeEncodeError:
            raise BadInput(
                "the user id holds a lone surrogate, which Flask-Login cannot UTF-8 encode to sign it: it fails with "
                "UnicodeEncodeError (HTTP 500) at the login"
            ) from None
        text = f"{user_id}|{remember_digest(user_id, material, rules.digest)}"
        if not text.isprintable():  # control or format characters: the cookie as Werkzeug sets it, quoted
            text = '"' + _SLASH.sub(_slash, text.encode("utf-8")).decode("ascii") + '"'
        return SignedCookie(text, False, size, signed_with, tuple(notes))
    what = _unusable_by_flask_wtf(data, rules)
    if what:
        raise BadInput(
            f"a Flask-WTF CSRF token holds the session's csrf_token, ASCII text, not {what}: Flask-WTF answers "
            "HTTP 500 for that (hmac.compare_digest raises TypeError)"
        )
    payload, compressed, size = _dump(data, rules)
    signed = payload
    if rules.envelope == "timed":
        unix = int(time.time()) if timestamp is None else timestamp
        stamp = unix - LEGACY_EPOCH if rules.legacy_epoch else unix
        if not 0 <= stamp < 2**64:
            raise BadInput("the timestamp does not fit a token (0 to 2**64 - 1 after its epoch)")
        signed = payload + b"." + base64_encode(int_to_bytes(stamp))
    signer = Signer(
        material, salt=scheme.salt, key_derivation=scheme.key_derivation, digest_method=getattr(hashlib, scheme.digest)
    )
    try:
        value = signer.sign(signed)
    except UnicodeEncodeError:
        raise BadInput("the salt is not UTF-8 text (itsdangerous cannot sign with it)") from None
    return SignedCookie(value.decode("ascii"), compressed, size, signed_with, tuple(notes))


def _user_id(data: Any) -> str:
    if isinstance(data, bool) or not isinstance(data, (str, int)):
        raise BadInput(
            f"a remember cookie holds the user id as text (str(user.get_id())): give a JSON string or an "
            f"integer, not {type(data).__name__}"
        )
    return str(data)


def _dump(data: Any, rules: Rules) -> tuple[bytes, bool, int]:
    """(payload bytes as signed, compressed, JSON bytes), as the library dumps ``data``."""
    import base64

    try:
        if rules.payload == "starlette-session":
            if not isinstance(data, dict):
                raise BadInput(f"a Starlette session is a JSON object (a dict), not {type(data).__name__}")
            text = json.dumps(data)
            raw = text.encode("utf-8")
            return base64.b64encode(raw), False, len(raw)
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:  # what json.dumps raises for bytes, datetimes, circular values
        raise BadInput(f"{rules.name} cannot store this value as JSON: {exc}") from None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{rules.name} cannot store this value: a lone surrogate cannot be UTF-8 encoded") from None
    packed = zlib.compress(raw)
    if len(packed) < len(raw) - 1:  # itsdangerous' URLSafeSerializerMixin.dump_payload
        return b"." + base64_encode(packed), True, len(raw)
    return base64_encode(raw), False, len(raw)
