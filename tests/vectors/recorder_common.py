"""Shared helpers of the outcome recorders: crafting cookies with the standard library only.

Nothing here imports flasksess, Flask or itsdangerous: the cookies are built from
the format's definition (HMAC over ``payload.timestamp``, key derivation, urlsafe
base64 without padding), so a recorded outcome says what the *release* did with
bytes made independently of both flasksess and that release's own signer.
"""

import base64
import datetime
import hashlib
import hmac
import json
import math
import sys
import uuid
import zlib

#: itsdangerous <= 0.24 counted timestamps from 2011-01-01T00:00:00Z.
LEGACY_EPOCH = 1293840000
KEY = "rec-key"
OLD_KEYS = ["old-key-1", "old-key-2"]
FLASK_SALT = "cookie-session"


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_to_bytes(n):
    return n.to_bytes(8, "big").lstrip(b"\x00")


def want_bytes(s):
    return s.encode("utf-8") if isinstance(s, str) else s


def derive(secret, salt, digest, kd):
    secret, salt = want_bytes(secret), want_bytes(salt)
    if kd == "hmac":
        return hmac.new(secret, salt, digest).digest()
    if kd == "concat":
        return digest(salt + secret).digest()
    if kd == "django-concat":
        return digest(salt + b"signer" + secret).digest()
    if kd == "none":
        return secret
    raise ValueError(kd)


def signature(value, key=KEY, salt=FLASK_SALT, digest="sha1", kd="hmac"):
    d = getattr(hashlib, digest) if isinstance(digest, str) else digest
    return b64e(hmac.new(derive(key, salt, d, kd), value.encode("ascii"), d).digest())


def sign(value, key=KEY, salt=FLASK_SALT, digest="sha1", kd="hmac"):
    return value + "." + signature(value, key, salt, digest, kd)


def payload(data, compress=None):
    """``data`` is JSON text (str) or raw bytes; compress None = itsdangerous' rule."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    z = zlib.compress(raw)
    if compress is None:
        compress = len(z) < len(raw) - 1
    return ("." + b64e(z)) if compress else b64e(raw)


def stamp_text(ts):
    return b64e(int_to_bytes(ts))


def cookie(data, ts, key=KEY, salt=FLASK_SALT, digest="sha1", kd="hmac", compress=None, ts_text=None):
    value = payload(data, compress) + "." + (stamp_text(ts) if ts_text is None else ts_text)
    return sign(value, key, salt, digest, kd)


def typed(value):
    """flasksess's typed JSON form (as generate.py writes it), plus a repr for unknown types."""
    if isinstance(value, dict):
        if "__type__" in value or not all(isinstance(k, str) for k in value):
            return {"__type__": "dict", "items": [[typed(k), typed(v)] for k, v in value.items()]}
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__type__": "tuple", "items": [typed(v) for v in value]}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, bytes):
        return {"__type__": "bytes", "hex": value.hex()}
    if callable(getattr(value, "__html__", None)):
        return {"__type__": "markup", "value": str(value)}
    if isinstance(value, uuid.UUID):
        return {"__type__": "uuid", "value": str(value)}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return {
            "__type__": "datetime",
            "value": value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        }
    if isinstance(value, float) and not math.isfinite(value):
        return {"__type__": "float", "value": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {"__type__": "repr", "value": repr(value)}


def deep_call(fn, *args):
    """Run fn with a high recursion limit (our own conversions of deep values, never the framework's)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        return fn(*args)
    finally:
        sys.setrecursionlimit(old)


def describe(exc):
    if exc is None:
        return None
    text = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"
    return text if len(text) <= 240 else text[:240] + "..."


def frames_here():
    n, f = 0, sys._getframe(1)
    while f is not None:
        n, f = n + 1, f.f_back
    return n


def dumps_record(record):
    return json.dumps(record, sort_keys=True, ensure_ascii=True)


# --- nesting payloads ---------------------------------------------------------------------------
# "levels" counts the nested containers of one kind below the session's key "a";
# "json_depth" counts every JSON container on the deepest path, the session object included.


def nested(kind, levels):
    if kind == "list":
        return '{"a":' + "[" * levels + "]" * levels + "}", levels + 1
    if kind == "dict":
        return '{"a":' + '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1) + "}", levels + 1
    if kind == "tuple":  # {" t":[ ... ]} per level: two JSON containers each
        return '{"a":' + '{" t":[' * levels + "]}" * levels + "}", 2 * levels + 1
    if kind == "list-in-tuple":  # one tuple on top of a list chain
        return '{"a":{" t":[' + "[" * (levels - 1) + "]" * (levels - 1) + "]}}", levels + 2
    raise ValueError(kind)


def payload_json(value):
    """The JSON text inside a cookie (stdlib only), or None."""
    try:
        head = value.rsplit(".", 2)[0]
        compressed = head.startswith(".")
        data = base64.urlsafe_b64decode(head.lstrip(".") + "=" * (-len(head.lstrip(".")) % 4))
        if compressed:
            data = zlib.decompress(data)
        return data.decode("utf-8")
    except Exception:
        return None
