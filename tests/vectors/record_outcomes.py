"""Record what real Flask / Quart / Flask-Session / itsdangerous releases do with session cookies.

Run with the interpreter of one environment made by make_envs.sh (one release each)::

    ENVS=/work/scratch/vectors/envs
    $ENVS/flask-3.1.1/bin/python tests/vectors/record_outcomes.py outcomes   >> outcomes.jsonl
    $ENVS/flask-3.1.1/bin/python tests/vectors/record_outcomes.py positive   >> cookies-releases.jsonl
    $ENVS/flask-3.1.1/bin/python tests/vectors/record_outcomes.py nesting    # limits, JSON lines
    $ENVS/flask-3.1.1/bin/python tests/vectors/record_outcomes.py prefixed-env
    $ENVS/fsess-0.8.0/bin/python tests/vectors/record_outcomes.py flask-session
    $ENVS/its-2.0.0/bin/python   tests/vectors/record_outcomes.py itsdangerous

record_all.sh runs every mode in every environment. The cookies sent are crafted
with the standard library (recorder_common.py), never with flasksess. Each outcome
record says what the release's real request cycle did: the HTTP status of a view
reached through the test client (or "uncaught" when the exception left the WSGI
app, which a WSGI server turns into a 500), the session the view saw (typed JSON,
as generate.py writes it, and its Python repr), and the exception that left the
session interface's ``open_session``, if any.
"""

import asyncio
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time
import zlib
from importlib.metadata import PackageNotFoundError, version

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from recorder_common import (
    FLASK_SALT,
    KEY,
    LEGACY_EPOCH,
    OLD_KEYS,
    b64e,
    cookie,
    deep_call,
    describe,
    dumps_record,
    frames_here,
    nested,
    payload,
    payload_json,
    sign,
    signature,
    stamp_text,
    typed,
)

MAX_AGE = 2678400  # PERMANENT_SESSION_LIFETIME's default, 31 days


def pkg(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


VERSIONS = {
    name: pkg(name)
    for name in ("flask", "quart", "flask-session", "werkzeug", "itsdangerous", "markupsafe", "cachelib", "msgspec")
    if pkg(name)
}
VERSIONS["python"] = ".".join(map(str, sys.version_info[:3]))
FRAMEWORK = "quart" if "quart" in VERSIONS else "flask"


def writer():
    if "flask" not in VERSIONS and "quart" not in VERSIONS:
        return f"itsdangerous {VERSIONS['itsdangerous']}"
    main = "flask-session" if "flask-session" in VERSIONS else FRAMEWORK
    parts = [f"{main} {VERSIONS.get(main)}"]
    if main == "flask-session":
        parts.append(f"flask {VERSIONS['flask']}")
    parts.append(f"itsdangerous {VERSIONS['itsdangerous']}")
    return " / ".join(parts)


def legacy():
    import itsdangerous

    return getattr(itsdangerous, "EPOCH", 0) == LEGACY_EPOCH


def session_fields(value, prefix="session"):
    """typed JSON and repr of what a view saw; very large values are summarised."""
    if value is None:
        return {prefix: None}
    t = deep_call(typed, value)
    text = deep_call(json.dumps, t)
    rep = deep_call(repr, value)
    out = {}
    if len(text) <= 4000:
        out[prefix] = t
    else:
        out[prefix + "_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        out[prefix + "_typed_json_chars"] = len(text)
    out[prefix + "_repr"] = rep if len(rep) <= 600 else rep[:600] + "..."
    return out


# --- one app per case, a request through the real test client ----------------------------------


class Rec:
    """What one request did, filled in by the wrapped open_session and the view."""

    def __init__(self):
        self.cookie_seen = None
        self.exception = None
        self.cause = None
        self.frames = None
        self.seen = None
        self.seen_type = None
        self.view_ran = False
        self.save_exception = None
        self.loads_called = False
        self.loads_raised = None


def _wrap_open_session(iface, rec, is_async):
    orig = iface.open_session

    def note(exc):
        rec.exception = describe(exc)
        cause = getattr(exc, "original_error", None) or exc.__cause__ or exc.__context__
        rec.cause = describe(cause)

    if is_async:

        async def open_session(app, request):
            rec.cookie_seen = request.cookies.get("session")
            rec.frames = frames_here()
            try:
                return await orig(app, request)
            except BaseException as exc:
                note(exc)
                raise

    else:

        def open_session(app, request):
            rec.cookie_seen = request.cookies.get("session")
            rec.frames = frames_here()
            try:
                return orig(app, request)
            except BaseException as exc:
                note(exc)
                raise

    iface.open_session = open_session
    _wrap_serializer_loads(iface, rec)
    save = iface.save_session

    if is_async:

        async def save_session(*args, **kwargs):
            try:
                return await save(*args, **kwargs)
            except BaseException as exc:
                rec.save_exception = describe(exc)
                raise

    else:

        def save_session(*args, **kwargs):
            try:
                return save(*args, **kwargs)
            except BaseException as exc:
                rec.save_exception = describe(exc)
                raise

    iface.save_session = save_session


def _wrap_serializer_loads(iface, rec):
    """Record what the signing serializer's loads raised inside open_session (a BadSignature is caught there)."""
    get_serializer = getattr(iface, "get_signing_serializer", None)
    if get_serializer is None:  # Flask-Session's interfaces sign an id, not a payload
        return

    def get_signing_serializer(app):
        serializer = get_serializer(app)
        if serializer is None:
            return serializer
        loads = serializer.loads

        def recorded_loads(*args, **kwargs):
            rec.loads_called = True
            try:
                return loads(*args, **kwargs)
            except BaseException as exc:
                rec.loads_raised = describe(exc)
                raise

        serializer.loads = recorded_loads
        return serializer

    iface.get_signing_serializer = get_signing_serializer


def custom_tag_serializer():
    """An app's own JSONTag (Flask >= 1.0, Quart 0.18's own tag module): sets as " st"."""
    if FRAMEWORK == "quart" and VERSIONS["quart"].startswith("0.18"):
        from quart.json.tag import JSONTag, TaggedJSONSerializer
    else:
        from flask.json.tag import JSONTag, TaggedJSONSerializer

    class TagSet(JSONTag):
        key = " st"

        def check(self, value):
            return isinstance(value, (set, frozenset))

        def to_json(self, value):
            return [self.serializer.tag(x) for x in sorted(value)]

        def to_python(self, value):
            return set(value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagSet)
    return serializer


def has_tag_module():
    if FRAMEWORK == "quart":
        return True
    try:
        import flask.json.tag  # noqa: F401

        return True
    except ImportError:
        return False


def signing_fields(variant):
    """How make_app(variant) signs, as a record states it."""
    return {
        "secret_key": KEY if variant != "no-key" else None,
        "fallbacks": list(OLD_KEYS) if variant == "fallbacks" else [],
        "salt": "" if variant == "salt-empty" else FLASK_SALT,
        "digest": variant[len("digest-") :] if variant.startswith("digest-") else "sha1",
        "key_derivation": "hmac",
        "legacy_epoch": legacy(),
    }


def new_app():
    """The framework's module (its ``session`` proxy) and a fresh app of it."""
    if FRAMEWORK == "quart":
        import quart as fw

        return fw, fw.Quart("rec")
    import flask as fw

    return fw, fw.Flask("rec")


def route_see(app, view):
    """GET /see runs ``view`` (from a coroutine on Quart)."""
    if FRAMEWORK == "quart":

        async def see():
            return view()

        app.route("/see")(see)
    else:
        app.route("/see")(view)


def make_app(variant, rec, write=None):
    """A fresh app: SECRET_KEY "rec-key" and a fresh session interface of the release's own class.

    variant: default | fallbacks | salt-empty | digest-NAME | custom-tag | json-non-ascii | no-key
    """
    fw, app = new_app()
    if variant != "no-key":
        app.config["SECRET_KEY"] = KEY
    if variant == "fallbacks":
        app.config["SECRET_KEY_FALLBACKS"] = list(OLD_KEYS)
    if variant == "json-non-ascii":
        if hasattr(app, "json") and hasattr(app.json, "ensure_ascii"):
            app.json.ensure_ascii = False
        app.config["JSON_AS_ASCII"] = False
    base = type(app.session_interface)
    attrs = {}
    if variant == "salt-empty":
        attrs["salt"] = ""
    elif variant.startswith("digest-"):
        attrs["digest_method"] = staticmethod(getattr(hashlib, variant[len("digest-") :]))
    elif variant == "custom-tag":
        attrs["serializer"] = custom_tag_serializer()
    iface = type("RecordedInterface", (base,), attrs)() if attrs else base()
    app.session_interface = iface
    _wrap_open_session(iface, rec, FRAMEWORK == "quart")

    def see_sync():
        rec.view_ran = True
        s = fw.session
        rec.seen_type = type(s).__name__
        rec.seen = dict(s)
        if write == "clear":
            s.clear()
        elif write is not None:
            s.update(write())
        return "ok"

    route_see(app, see_sync)
    return app


def send(app, cookie_header):
    """GET /see with this Cookie header (None: no header). Returns status, Set-Cookie headers."""
    headers = {} if cookie_header is None else {"Cookie": cookie_header}
    if FRAMEWORK == "quart":

        async def go():
            client = app.test_client(use_cookies=False)
            response = await client.get("/see", headers=headers)
            return response.status_code, response.headers.getlist("Set-Cookie")

        try:
            return asyncio.run(go())
        except Exception as exc:
            return "uncaught", [describe(exc)]
    client = app.test_client(use_cookies=False)
    try:
        response = client.get("/see", headers=headers)
    except Exception as exc:
        return "uncaught", [describe(exc)]
    return response.status_code, response.headers.getlist("Set-Cookie")


def outcome(case, cls, variant, make_cookie, *, header=None, write=None, note=None, tries=4):
    """Craft a cookie at the current second, send it, retry if the second changed meanwhile."""
    for _ in range(tries):
        now = int(time.time())
        value = make_cookie(now) if make_cookie is not None else None
        rec = Rec()
        app = make_app(variant, rec, write)
        cookie_header = header(value) if header is not None else (None if value is None else f"session={value}")
        status, set_cookie = send(app, cookie_header)
        if int(time.time()) == now:
            break
    record = {
        "kind": "outcome",
        "writer": writer(),
        "versions": VERSIONS,
        "case": case,
        "class": cls,
        "app": variant,
        **signing_fields(variant),
        "max_age": MAX_AGE,
        "now": now,
        "cookie": value,
        "cookie_header": cookie_header,
        "cookie_seen": rec.cookie_seen,
        "status": status,
        "view_ran": rec.view_ran,
        "session_type": rec.seen_type,
        "exception": rec.exception,
        "exception_cause": rec.cause,
        "save_exception": rec.save_exception,
        "loads_called": rec.loads_called,
        "loads_raised": rec.loads_raised,
        "set_cookie": [h if len(h) <= 400 else h[:400] + "..." for h in set_cookie],
    }
    record.update(session_fields(rec.seen if rec.view_ran else None))
    if note:
        record["note"] = note
    return record


# --- the crafted cases --------------------------------------------------------------------------


def stamp(unix):
    return unix - LEGACY_EPOCH if legacy() else unix


OBJ = '{"a":1}'
LONG = '{"a":"' + "x" * 200 + '"}'


def fresh(data=OBJ, **kw):
    return lambda now: cookie(data, stamp(now), **kw)


def resigned(build):
    """``build(now)`` gives the unsigned ``payload.timestamp`` text; sign it with the app's scheme."""
    return lambda now: sign(build(now))


def mutate_sig(fn):
    def make(now):
        value = cookie(OBJ, stamp(now))
        head, sig = value.rsplit(".", 1)
        return head + "." + fn(sig)

    return make


def low_bits(sig):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    i = alphabet.index(sig[-1])
    return sig[:-1] + alphabet[i ^ 1]  # 27 chars of sha1: the last carries 4 significant bits of 6


def flip_middle(sig):
    c = sig[10]
    return sig[:10] + ("B" if c == "A" else "A") + sig[11:]


def plus_slash_cookie(now):
    # find a payload whose signature has - or _, then write them as + and /
    for n in range(200):
        value = cookie('{"a":1,"n":' + str(n) + "}", stamp(now))
        head, sig = value.rsplit(".", 1)
        if "-" in sig or "_" in sig:
            return head + "." + sig.replace("-", "+").replace("_", "/")
    raise RuntimeError("no signature with - or _")


def payload_plus_slash(now):
    for n in range(200):
        text = '{"a":"%s"}' % ("\u00ff\u00fe" * (n + 1))
        p = b64e(text.encode())
        if "-" in p or "_" in p:
            return sign(p.replace("-", "+").replace("_", "/") + "." + stamp_text(stamp(now)))
    raise RuntimeError


def compressed_flag_removed(now):
    raw = LONG.encode()
    return sign(b64e(zlib.compress(raw)) + "." + stamp_text(stamp(now)))


def flask_cases():
    fw_ge_1 = has_tag_module()
    cases = []

    def add(case, cls, variant, make, **kw):
        cases.append((case, cls, variant, make, kw))

    # control
    add("control/plain", 0, "default", fresh())
    add("control/compressed", 0, "default", fresh(LONG))
    add("control/no-cookie", 0, "default", None)
    # 6. tampering and format
    add(
        "tamper/payload",
        6,
        "default",
        lambda now: payload('{"a":2}') + "." + cookie(OBJ, stamp(now)).split(".", 1)[1],
    )
    add(
        "tamper/timestamp",
        6,
        "default",
        lambda now: (lambda p: p[0] + "." + stamp_text(stamp(now) - 1) + "." + p[2])(
            cookie(OBJ, stamp(now)).split(".")
        ),
    )
    add("tamper/signature-char", 6, "default", mutate_sig(flip_middle))
    add(
        "tamper/signature-low-bit",
        6,
        "default",
        mutate_sig(low_bits),
        note="27-char sha1 signature: low bits of the last char are padding",
    )
    add("tamper/signature-plus-slash", 6, "default", plus_slash_cookie)
    add("tamper/signature-truncated", 6, "default", mutate_sig(lambda s: s[:-1]))
    add("tamper/signature-extra-char", 6, "default", mutate_sig(lambda s: s + "A"))
    add("tamper/signature-padded", 6, "default", mutate_sig(lambda s: s + "="))
    add("tamper/signature-empty", 6, "default", mutate_sig(lambda s: ""))
    add("tamper/no-signature", 6, "default", lambda now: payload(OBJ) + "." + stamp_text(stamp(now)))
    add("tamper/compress-flag-added-unsigned", 6, "default", lambda now: "." + cookie(OBJ, stamp(now)))
    add(
        "tamper/compress-flag-removed-unsigned",
        6,
        "default",
        lambda now: cookie(LONG, stamp(now))[1:],
    )
    add(
        "tamper/compress-flag-added-resigned",
        6,
        "default",
        resigned(lambda now: "." + payload(OBJ) + "." + stamp_text(stamp(now))),
    )
    add("tamper/compress-flag-removed-resigned", 6, "default", compressed_flag_removed)
    add(
        "format/payload-padded-resigned",
        6,
        "default",
        resigned(lambda now: b64e(b'{"a":12}') + "=" + "." + stamp_text(stamp(now))),
        note="the payload base64 with one '=' (payload length 11 mod 4 = 3)",
    )
    add("format/payload-plus-slash-resigned", 6, "default", payload_plus_slash)
    add(
        "format/payload-inner-dot-resigned",
        6,
        "default",
        resigned(lambda now: (lambda p: p[:4] + "." + p[4:])(payload('{"abc":1}')) + "." + stamp_text(stamp(now))),
        note="a '.' inside the payload text: rsplit keeps it in the payload",
    )
    add(
        "format/payload-base64-bad-length-resigned",
        6,
        "default",
        resigned(lambda now: payload(OBJ) + "A" + "." + stamp_text(stamp(now))),
        note="payload length = 1 mod 4 after adding one char",
    )
    add("format/empty-value", 6, "default", lambda now: "")
    add("format/quoted-empty", 6, "default", lambda now: "", header=lambda v: 'session=""')
    add("format/garbage", 6, "default", lambda now: "not-a-cookie")
    add("format/one-dot", 6, "default", lambda now: "abc.def")
    add(
        "format/two-cookies-bad-first",
        6,
        "default",
        fresh(),
        header=lambda v: "session=bad.bad.bad; session=" + v,
    )
    add(
        "format/two-cookies-good-first",
        6,
        "default",
        fresh(),
        header=lambda v: "session=" + v + "; session=bad.bad.bad",
    )
    add("format/deletion-response", 6, "default", fresh(), write="clear", note="a view that clears the session")
    add("format/no-secret-key", 6, "no-key", fresh())
    # wrong key / salt / digest / derivation
    add("key/wrong-key", 6, "default", fresh(key="wrong"))
    add("key/salt-flask-session", 6, "default", fresh(salt="flask-session"))
    add("key/salt-empty-to-default-app", 3, "default", fresh(salt=""))
    add("key/salt-empty-app", 3, "salt-empty", fresh(salt=""))
    add("key/salt-default-to-salt-empty-app", 3, "salt-empty", fresh())
    add("key/salt-itsdangerous-to-salt-empty-app", 3, "salt-empty", fresh(salt="itsdangerous"))
    for digest in ("sha256", "sha512", "md5"):
        add(f"key/hmac-{digest}", 6, "default", fresh(digest=digest))
    for kd in ("django-concat", "concat", "none"):
        add(f"key/sha1-{kd}", 6, "default", fresh(kd=kd))
    add(
        "key/sha512-django-concat",
        9,
        "default",
        fresh(digest="sha512", kd="django-concat"),
        note="what itsdangerous 1.1's default fallback signer checks",
    )
    add("key/sha512-django-concat-old-key", 9, "default", fresh(key="wrong", digest="sha512", kd="django-concat"))
    for i, old in enumerate(OLD_KEYS, 1):
        add(f"key/fallback-{i}-without-config", 6, "default", fresh(key=old))
        add(f"key/fallback-{i}", 6, "fallbacks", fresh(key=old))
    add("key/current-with-fallbacks", 6, "fallbacks", fresh())
    # 10. any hashlib digest, configured by the app
    for digest in ("md5", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b", "blake2s"):
        add(f"digest/{digest}", 10, f"digest-{digest}", fresh(digest=digest))
    add("digest/sha1-to-md5-app", 10, "digest-md5", fresh())
    # time
    add("time/age-max", 9, "default", lambda now: cookie(OBJ, stamp(now) - MAX_AGE), note="age == max_age")
    add("time/age-max-plus-1", 9, "default", lambda now: cookie(OBJ, stamp(now) - MAX_AGE - 1))
    add("time/future-1", 9, "default", lambda now: cookie(OBJ, stamp(now) + 1))
    add("time/future-3600", 9, "default", lambda now: cookie(OBJ, stamp(now) + 3600))
    add("time/zero", 9, "default", lambda now: cookie(OBJ, 0, ts_text=""), note="empty timestamp text = 0")
    add("time/ts-bang", 9, "default", lambda now: cookie(OBJ, 0, ts_text="!!!!"), note="non-alphabet chars only")
    add("time/ts-one-char", 9, "default", lambda now: cookie(OBJ, 0, ts_text="A"))
    add("time/ts-9-bytes", 9, "default", lambda now: cookie(OBJ, 0, ts_text=b64e(b"\x01" + (0).to_bytes(8, "big"))))
    add(
        "time/ts-8-bytes-leading-zeros",
        9,
        "default",
        lambda now: cookie(OBJ, 0, ts_text=b64e(stamp(now).to_bytes(8, "big"))),
        note="fresh, zero-padded to 8 bytes",
    )
    add(
        "time/ts-with-bang-inside",
        9,
        "default",
        lambda now: cookie(OBJ, 0, ts_text=(lambda t: t[:2] + "!" + t[2:])(stamp_text(stamp(now)))),
        note="fresh timestamp with '!' inserted (discarded by lenient base64)",
    )
    add("time/year-9999-last-second", 9, "default", lambda now: cookie(OBJ, 253402300799))
    add("time/year-10000", 9, "default", lambda now: cookie(OBJ, 253402300800))
    add("time/2**63", 9, "default", lambda now: cookie(OBJ, 2**63))
    add("time/2**64-1", 9, "default", lambda now: cookie(OBJ, 2**64 - 1))
    add("time/year-10000-bad-signature", 9, "default", lambda now: cookie(OBJ, 253402300800, key="wrong"))
    add("time/2**63-bad-signature", 9, "default", lambda now: cookie(OBJ, 2**63, key="wrong"))
    add(
        "key/sha512-django-concat-expired",
        9,
        "default",
        lambda now: cookie(OBJ, stamp(now) - MAX_AGE - 1, digest="sha512", kd="django-concat"),
    )
    add(
        "key/sha512-django-concat-future",
        9,
        "default",
        lambda now: cookie(OBJ, stamp(now) + 3600, digest="sha512", kd="django-concat"),
    )
    add(
        "time/legacy-epoch-fresh",
        9,
        "default",
        lambda now: cookie(OBJ, now - LEGACY_EPOCH),
        note="as itsdangerous <= 0.24 stamps a fresh cookie",
    )
    add(
        "time/unix-fresh",
        9,
        "default",
        lambda now: cookie(OBJ, now),
        note="as itsdangerous >= 1.0 stamps a fresh cookie",
    )
    # 5. non-object payloads and top-level tags
    for name, text in [
        ("null", "null"),
        ("true", "true"),
        ("false", "false"),
        ("zero", "0"),
        ("int", "42"),
        ("float", "1.5"),
        ("empty-string", '""'),
        ("string", '"ab"'),
        ("empty-list", "[]"),
        ("list-of-pairs", '[["a",1],["b",2]]'),
        ("list-of-2char-strings", '["ab","cd"]'),
        ("list-of-one-pair-tagged", '[{" t":["a",1]}]'),
        ("list-of-bytes", '[{" b":"YWI="}]'),
        ("pairs-null-key", "[[null,1]]"),
        ("pairs-permanent-int-key", '[[1,2],["_permanent",true]]'),
        ("pairs-unhashable-key", "[[[1],2]]"),
        ("empty-object", "{}"),
    ]:
        add(f"toplevel/{name}", 5, "default", fresh(text))
    for name, text in [
        ("t-empty", '{" t":[]}'),
        ("t-pairs", '{" t":[["a",1]]}'),
        ("t-2char-strings", '{" t":["ab","cd"]}'),
        ("t-string", '{" t":"ab"}'),
        ("t-int", '{" t":5}'),
        ("b-empty", '{" b":""}'),
        ("b-ab", '{" b":"YWI="}'),
        ("b-invalid", '{" b":"!"}'),
        ("m-empty", '{" m":""}'),
        ("m-ab", '{" m":"ab"}'),
        ("u-valid", '{" u":"12345678123456781234567812345678"}'),
        ("u-invalid", '{" u":"x"}'),
        ("d-valid", '{" d":"Sun, 31 Dec 2023 18:00:00 GMT"}'),
        ("d-garbage", '{" d":"garbage"}'),
        ("d-int", '{" d":5}'),
        ("d-iso", '{" d":"2023-12-31T18:00:00.123456"}'),
        ("di-t", '{" di":{" t__":[1]}}'),
        ("di-plain", '{" di":{"a__":1}}'),
        ("di-two-keys", '{" di":{"a__":1,"b__":2}}'),
        ("di-string", '{" di":"v"}'),
        ("di-empty", '{" di":{}}'),
        ("di-2char-key", '{" di":{"ab":1}}'),
        ("di-list", '{" di":[["ab",1]]}'),
        ("d-http-offset", '{"d":{" d":"Sun, 31 Dec 2023 18:00:00 +0530"}}'),
        ("d-rfc850", '{"d":{" d":"Sunday, 31-Dec-23 18:00:00 GMT"}}'),
        ("d-empty", '{"d":{" d":""}}'),
        ("d-iso-nested", '{"d":{" d":"2023-12-31T18:00:00.123456+05:30"}}'),
        ("t-with-second-key", '{" t":[1],"x":1}'),
        ("unknown-tag", '{" x":1}'),
        ("custom-tag-key-in-default-app", '{" st":[1,2]}'),
        ("nested-di-string", '{"x":{" di":"v"}}'),
        ("nested-u-invalid", '{"x":{" u":"x"}}'),
        ("nested-t-verbatim", '{"x":{" t":[1,2]}}'),
        ("nested-t-escaped", '{"x":{" di":{" t__":[1,2]}}}'),
    ]:
        add(f"tag/{name}", 5, "default", fresh(text))
    if fw_ge_1:
        add("tag/custom-app-set", 10, "custom-tag", fresh('{"s":{" st":[1,2]}}'))
        add("tag/custom-app-escaped", 10, "custom-tag", fresh('{"s":{" di":{" st__":[1,2]}}}'))
        add(
            "tag/custom-app-write",
            10,
            "custom-tag",
            fresh(),
            write=lambda: {"s": {3, 1, 2}, "k": {" st": 1}},
            note="the view writes a set and a dict whose key is the custom tag",
        )
    # 1. lone surrogates
    for name, text in [
        ("high", '{"s":"\\ud83d"}'),
        ("low-high", '{"s":"\\udc00\\ud800"}'),
        ("key", '{"\\ud83d":1}'),
        ("pair", '{"s":"\\ud83d\\ude00"}'),
    ]:
        add(f"surrogate/{name}", 1, "default", fresh(text))
    add(
        "surrogate/raw-utf8-bytes",
        1,
        "default",
        fresh(b'{"s":"\xed\xa0\xbd"}'),
        note="a surrogate encoded as UTF-8 bytes (invalid UTF-8)",
    )
    add("surrogate/invalid-utf8", 1, "default", fresh(b'{"s":"\xff"}'))
    add("surrogate/raw-utf8-valid", 1, "default", fresh('{"s":"\u00e9\U0001f600"}'), note="raw (unescaped) UTF-8")
    add(
        "surrogate/write",
        1,
        "default",
        fresh(),
        write=lambda: {"s": "\ud83d", "k\udc00": "x"},
        note="the view stores lone surrogates (value and key)",
    )
    add(
        "surrogate/write-non-ascii-json",
        1,
        "json-non-ascii",
        fresh(),
        write=lambda: {"s": "\ud83d"},
        note="JSON_AS_ASCII False (< 2.3) / app.json.ensure_ascii = False (>= 2.2)",
    )
    add("surrogate/write-non-ascii-json-valid", 1, "json-non-ascii", fresh(), write=lambda: {"s": "\u00e9"})
    # JSON oddities
    add("json/nan-inf", 0, "default", fresh('{"a":NaN,"b":Infinity,"c":-Infinity}'))
    add("json/duplicate-keys", 0, "default", fresh('{"a":1,"a":2}'))
    add("json/whitespace", 0, "default", fresh(' { "a" : 1 } \n'))
    add("json/trailing-garbage", 0, "default", fresh('{"a":1}x'))
    add("json/bom", 0, "default", fresh(b'\xef\xbb\xbf{"a":1}'))
    add(
        "json/big-int",
        0,
        "default",
        fresh('{"a":' + "9" * 5000 + "}"),
        note="5000-digit int: Python >= 3.11 json limits int parsing to 4300 digits",
    )
    # zip bombs (small)
    add("bomb/valid-json-2MB", 0, "default", fresh(b'{"a":"' + b"0" * 2_000_000 + b'"}'))
    add("bomb/nul-2MB", 0, "default", fresh(b"\x00" * 2_000_000))
    add(
        "bomb/truncated-zlib",
        0,
        "default",
        resigned(lambda now: "." + b64e(zlib.compress(LONG.encode())[:-6]) + "." + stamp_text(stamp(now))),
    )
    add(
        "bomb/zlib-trailing-garbage",
        0,
        "default",
        resigned(lambda now: "." + b64e(zlib.compress(LONG.encode()) + b"junk") + "." + stamp_text(stamp(now))),
    )
    add(
        "bomb/raw-deflate",
        0,
        "default",
        resigned(lambda now: "." + b64e(zlib.compress(LONG.encode())[2:-4]) + "." + stamp_text(stamp(now))),
        note="deflate stream without the zlib header",
    )
    return cases


def run_outcomes():
    out = []
    for case, cls, variant, make, kw in flask_cases():
        out.append(outcome(case, cls, variant, make, **kw))
    out.extend(nesting_records())
    out.extend(mixed_nesting_records())
    return out


# --- nesting ------------------------------------------------------------------------------------
# The limits are recursion limits: json's C scanner and Flask's recursive untag (load side), and
# the recursive tag + json encoder when the session is saved back (permanent or modified). They
# depend on how many frames are already on the stack when open_session runs, so the nesting probes
# use an app WITHOUT the recording wrappers (which would add a frame) and always call from the same
# depth; "pad" adds that many Python frames under the request to measure frames per level.

KINDS = ("list", "dict", "tuple")


def _padded(pad, fn):
    if pad <= 0:
        return fn()
    return _padded(pad - 1, fn)


def in_thread(fn):
    """Run fn in a new thread: a fresh stack, so the result does not depend on the caller's depth."""
    import threading

    box = {}

    def run():
        box["result"] = fn()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box["result"]


def probe(kind, levels, permanent=False, pad=0):
    """(status, view_ran, cookie) for a session nested ``levels`` deep, via the test client in a new thread."""
    text, _ = nested(kind, levels)
    if permanent:
        text = '{"_permanent":true,' + text[1:]
    return probe_payload(text, pad)


def probe_payload(text, pad=0):
    """(status, view_ran, cookie) for a payload, as probe() sends it (a new thread, no recording wrappers)."""
    value = cookie(text, stamp(int(time.time())))
    _, app = new_app()
    app.config["SECRET_KEY"] = KEY
    app.session_interface = type(app.session_interface)()
    seen = {}

    def see_sync():
        seen["ran"] = True
        return "ok"

    route_see(app, see_sync)
    status, _ = in_thread(lambda: _padded(pad, lambda: send(app, "session=" + value)))
    return status, seen.get("ran", False), value


def nesting_limit(kind, permanent=False, pad=0, hi=3000):
    """The deepest ``levels`` the release loads and answers 200 for, by bisection (about 12 requests)."""

    def ok(levels):
        status, ran, _ = probe(kind, levels, permanent, pad)
        return status == 200 and ran

    lo = 1
    if not ok(lo):
        return 0
    if ok(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def base_frames():
    """Frames on the stack when open_session runs (open_session's own frame included)."""
    rec = Rec()
    app = make_app("default", rec)
    in_thread(lambda: send(app, "session=" + cookie(OBJ, stamp(int(time.time())))))
    return rec.frames  # the wrapper's frame stands where open_session's own would


def nesting_measurements():
    out = []
    base = base_frames()
    for permanent in (False, True):
        for kind in KINDS:
            t0 = time.perf_counter()
            limit = nesting_limit(kind, permanent)
            limit_padded = nesting_limit(kind, permanent, pad=120)
            seconds = round(time.perf_counter() - t0, 3)
            per_level = round(120 / (limit - limit_padded), 3) if limit != limit_padded else None
            rows = {}
            for levels in (limit, limit + 1):
                status, ran, value = probe(kind, levels, permanent)
                rows[levels] = (status, ran, value)
            out.append(
                {
                    "kind": "nesting-limit",
                    "writer": writer(),
                    "versions": VERSIONS,
                    "nesting": kind,
                    "permanent": permanent,
                    "levels": limit,
                    "json_depth": nested(kind, limit)[1],
                    "levels_with_120_more_frames": limit_padded,
                    "frames_per_level": per_level,
                    "frames_at_open_session": base,
                    "recursion_limit": sys.getrecursionlimit(),
                    "consistent": rows[limit][0] == 200 and rows[limit][1] and rows[limit + 1][0] != 200,
                    "at_limit": {"status": rows[limit][0], "view_ran": rows[limit][1]},
                    "past_limit": {"status": rows[limit + 1][0], "view_ran": rows[limit + 1][1]},
                    "seconds": seconds,
                    "via": "test client, request made in a new thread",
                }
            )
    return out


def nesting_records():
    """Outcome records at and past each measured limit (with the recording wrappers' exception)."""
    out = []
    for m in nesting_measurements():
        for levels in (m["levels"], m["levels"] + 1):
            status, ran, value = probe(m["nesting"], levels, m["permanent"])
            out.append(
                {
                    "kind": "outcome",
                    "writer": writer(),
                    "versions": VERSIONS,
                    "case": f"nesting/{m['nesting']}{'-permanent' if m['permanent'] else ''}/"
                    + ("limit" if levels == m["levels"] else "limit+1"),
                    "class": 2,
                    "app": "default",
                    **signing_fields("default"),
                    "max_age": MAX_AGE,
                    "now": int(time.time()),
                    "cookie": value if len(value) <= 3000 else None,
                    "status": status,
                    "view_ran": ran,
                    "nesting": {
                        "kind": m["nesting"],
                        "levels": levels,
                        "json_depth": nested(m["nesting"], levels)[1],
                        "permanent": m["permanent"],
                        "frames_at_open_session": m["frames_at_open_session"],
                        "frames_per_level": m["frames_per_level"],
                    },
                }
            )
    return out


#: Lists with tuples inside, around where the limits of lists and of tuples, taken in proportion, meet.
MIXED = ((240, 120), (250, 125), (480, 240), (490, 245))


def mixed_nesting_records():
    out = []
    for lists, tuples in MIXED:
        text = '{"a":' + "[" * lists + '{" t":[' * tuples + "]}" * tuples + "]" * lists + "}"
        status, ran, value = probe_payload(text)
        out.append(
            {
                "kind": "outcome",
                "writer": writer(),
                "case": f"nesting-mixed/{lists}-lists-{tuples}-tuples",
                "class": 2,
                "app": "default",
                **signing_fields("default"),
                "max_age": MAX_AGE,
                "now": int(time.time()),
                "cookie": value,
                "status": status,
                "view_ran": ran,
                "note": "sent as the nesting probes send (a new thread, no recording wrappers)",
            }
        )
    return out


def run_nesting():
    out = nesting_measurements()
    if FRAMEWORK == "flask":
        out.extend(server_nesting())
    return out


def server_nesting():
    """The same limits through Werkzeug's real HTTP server (a thread; loopback only)."""
    import http.client
    import threading

    import flask
    from werkzeug.serving import make_server

    results = []

    def status_of(kind, levels, permanent):
        app = flask.Flask("rec")
        app.config["SECRET_KEY"] = KEY
        app.session_interface = type(app.session_interface)()
        app.route("/see")(lambda: "ok")
        server = make_server("127.0.0.1", 0, app)
        thread = threading.Thread(target=server.handle_request, daemon=True)
        thread.start()
        text, _ = nested(kind, levels)
        if permanent:
            text = '{"_permanent":true,' + text[1:]
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("GET", "/see", headers={"Cookie": "session=" + cookie(text, stamp(int(time.time())))})
        status = conn.getresponse().status
        conn.close()
        thread.join(10)
        server.server_close()
        return status == 200

    for permanent in (False, True):
        for kind in KINDS:
            lo, hi = 1, 3000
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if status_of(kind, mid, permanent):
                    lo = mid
                else:
                    hi = mid
            results.append(
                {
                    "kind": "nesting-limit",
                    "writer": writer(),
                    "versions": VERSIONS,
                    "nesting": kind,
                    "permanent": permanent,
                    "levels": lo,
                    "json_depth": nested(kind, lo)[1],
                    "recursion_limit": sys.getrecursionlimit(),
                    "via": "werkzeug.serving.make_server, request handled in a thread",
                }
            )
    return results


# --- positive vectors (cookies the release writes) ----------------------------------------------


def positive():
    """generate.py's vectors plus new cases; the cookies.jsonl schema plus added fields."""
    import generate

    if FRAMEWORK == "quart":
        try:
            records = list(generate.quart_vectors())
        except Exception as exc:  # Quart 0.18 cannot load its own " di" escape: go case by case
            records = quart_vectors_one_by_one(generate, exc)
    else:
        records = list(generate.flask_vectors())
    for r in records:
        r["versions"] = VERSIONS
    records.extend(extra_positive())
    for r in records:
        text = payload_json(r["cookie"]) if r.get("cookie") else None
        if text is not None and len(text) <= 3000:
            r["payload_json"] = text
    return records


def quart_vectors_one_by_one(generate, first_error):
    import quart

    out = []
    for session_name, make in generate.SESSIONS.items():
        app = quart.Quart(__name__)
        app.secret_key = "quart-key"

        async def set_session(make=make):
            quart.session.update(make())
            return "ok"

        app.route("/set")(set_session)

        async def run(app=app):
            response = await app.test_client().get("/set")
            return generate.cookie_from(response.headers.getlist("Set-Cookie"))

        value = asyncio.run(run())
        record = {
            "writer": writer(),
            "case": f"quart/{session_name}",
            "secret_key": "quart-key",
            "fallbacks": [],
            "salt": "cookie-session",
            "digest": "sha1",
            "key_derivation": "hmac",
            "legacy_epoch": False,
            "cookie": value,
        }
        try:
            loaded = app.session_interface.get_signing_serializer(app).loads(value)
            record["session"] = typed(dict(loaded))
        except Exception as exc:
            record["session"] = None
            record["load_exception"] = describe(exc)
            record["load_exception_cause"] = describe(getattr(exc, "original_error", None))
        out.append(record)
    return out


def extra_positive():
    out = []
    naive = datetime.datetime(2023, 12, 31, 23, 30, 5, 123456)
    aware = datetime.datetime(
        2023, 12, 31, 23, 30, 5, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    )
    utc = datetime.datetime(2023, 12, 31, 23, 30, 5, tzinfo=datetime.timezone.utc)
    sessions = [
        ("default", "surrogates", lambda: {"s": "\ud83d", "t": "\udc00\ud800", "k\udc00": 1}),
        ("default", "datetimes", lambda: {"naive": naive, "aware": aware, "utc": utc}),
        ("default", "empty-salt-free-tags", lambda: {" t": [1], "x": {" b": "AA=="}}),
        ("salt-empty", "salt-empty", lambda: {"a": 1}),
        ("digest-md5", "digest-md5", lambda: {"a": 1}),
        ("digest-sha512", "digest-sha512", lambda: {"a": 1}),
        ("digest-blake2b", "digest-blake2b", lambda: {"a": 1}),
    ]
    if has_tag_module():
        sessions.append(("custom-tag", "custom-tag", lambda: {"s": {3, 1, 2}, "k": {" st": 1}}))
    for variant, name, make in sessions:
        rec = Rec()
        app = make_app(variant, rec, write=make)
        status, set_cookie = send(app, None)
        value = None
        for h in set_cookie:
            if h.startswith("session="):
                value = h.split(";", 1)[0][len("session=") :]
        loaded_rec = Rec()
        app2 = make_app(variant, loaded_rec)
        if value is not None:
            send(app2, "session=" + value)
        record = {
            "writer": writer(),
            "versions": VERSIONS,
            "case": f"release/{name}",
            **signing_fields(variant),  # never "no-key" or "fallbacks" here
            "cookie": value,
            "write_status": status,
            "write_exception": set_cookie[0] if status == "uncaught" else None,
            "load_status": None if value is None else (200 if loaded_rec.view_ran else "failed"),
            "load_exception": loaded_rec.exception,
        }
        record.update(session_fields(loaded_rec.seen if loaded_rec.view_ran else None))
        if name == "custom-tag":
            record["custom_tag"] = "TagSet: key ' st', set <-> sorted list"
        out.append(record)
    return out


# --- FLASK_SECRET_KEY through from_prefixed_env -------------------------------------------------

ENV_VALUES = [
    "abc",
    '"quoted"',
    "'single'",
    "b'\\xbc'",
    "\"b'\\\\xbc'\"",
    "hex:dead",
    "123",
    "-0",
    "007",
    "0x10",
    "1.5",
    "1e3",
    " 42 ",
    "true",
    "false",
    "null",
    "NaN",
    "Infinity",
    "[1, 2]",
    '["k1", "k2"]',
    '{"a": 1}',
    '"\\u00e9"',
    "\u00e9",
    '"\\ud83d"',
    "",
    " ",
    '"',
    '""',
    "True",
    "None",
]


def run_prefixed_env():
    """What SECRET_KEY (and SECRET_KEY_FALLBACKS) become, and whether sessions then work (Flask only)."""
    if FRAMEWORK != "flask":
        return []
    import flask

    out = []
    if not hasattr(flask.Config, "from_prefixed_env"):
        return out
    for var, values in (
        ("FLASK_SECRET_KEY", ENV_VALUES),
        ("FLASK_SECRET_KEY_FALLBACKS", ['"old"', "old", '["old"]', "[1]", "null"]),
    ):
        for raw in values:
            saved = dict(os.environ)
            os.environ.clear()
            os.environ.update({k: v for k, v in saved.items() if not k.startswith("FLASK_")})
            os.environ[var] = raw
            if var == "FLASK_SECRET_KEY_FALLBACKS":
                os.environ["FLASK_SECRET_KEY"] = KEY
            try:
                app = flask.Flask("rec")
                error = None
                try:
                    app.config.from_prefixed_env()
                except Exception as exc:
                    error = describe(exc)
                secret = app.config.get("SECRET_KEY")
                fallbacks = app.config.get("SECRET_KEY_FALLBACKS")

                app.config["PROPAGATE_EXCEPTIONS"] = True  # status "uncaught" + the exception; a server answers 500

                @app.route("/w")
                def w():
                    flask.session["a"] = 1
                    return "ok"

                client = app.test_client(use_cookies=False)
                try:
                    response = client.get("/w")
                    status, set_cookie = response.status_code, response.headers.getlist("Set-Cookie")
                except Exception as exc:
                    status, set_cookie = "uncaught", [describe(exc)]
                value = next((h.split(";", 1)[0][8:] for h in set_cookie if h.startswith("session=")), None)
                keys = None
                try:
                    s = app.session_interface.get_signing_serializer(app)
                    if s is not None:
                        ks = getattr(s, "secret_keys", None) or [s.secret_key]
                        keys = [repr(k) for k in ks]
                except Exception as exc:
                    keys = describe(exc)
                signed_with = None
                if value:
                    head, sig = value.rsplit(".", 1)
                    candidates = {"raw env text": raw}
                    if isinstance(secret, (str, bytes)):
                        candidates["SECRET_KEY"] = secret
                    if isinstance(fallbacks, (list, str)):
                        for i, k in enumerate(fallbacks):
                            if isinstance(k, (str, bytes)):
                                candidates[f"SECRET_KEY_FALLBACKS[{i}]"] = k
                    if isinstance(secret, (list, dict)):
                        for i, k in enumerate(secret):
                            candidates[f"element {i} of SECRET_KEY ({k!r})"] = (
                                k if isinstance(k, (str, bytes)) else str(k)
                            )
                    signed_with = [name for name, k in candidates.items() if signature(head, k) == sig] or None
            finally:
                os.environ.clear()
                os.environ.update(saved)
            out.append(
                {
                    "kind": "prefixed-env",
                    "writer": writer(),
                    "versions": VERSIONS,
                    "variable": var,
                    "env_value": raw,
                    "from_prefixed_env_error": error,
                    "SECRET_KEY_type": type(secret).__name__,
                    "SECRET_KEY_repr": repr(secret),
                    "SECRET_KEY_FALLBACKS_repr": repr(fallbacks),
                    "signing_keys": keys,
                    "write_status": status,
                    "write_exception": set_cookie[0] if status == "uncaught" else None,
                    "cookie": value,
                    "signed_with": signed_with,
                }
            )
    return out


# --- Flask-Session --------------------------------------------------------------------------------


def run_flask_session():
    import flask
    import flask_session

    out = []
    fallbacks_supported = "SECRET_KEY_FALLBACKS" in flask.Flask.default_config
    for use_signer in (True, False):
        tmp = tempfile.mkdtemp(prefix="fsess-")

        def make(rec, tmp=tmp, use_signer=use_signer):
            app = flask.Flask("rec")
            app.config.update(
                SECRET_KEY=KEY,
                SESSION_TYPE="filesystem",
                SESSION_FILE_DIR=tmp,
                SESSION_USE_SIGNER=use_signer,
            )
            if fallbacks_supported:
                app.config["SECRET_KEY_FALLBACKS"] = list(OLD_KEYS)
            flask_session.Session(app)
            _wrap_open_session(app.session_interface, rec, False)

            @app.route("/set")
            def set_():
                flask.session["a"] = 1
                return "ok"

            @app.route("/see")
            def see():
                rec.view_ran = True
                rec.seen_type = type(flask.session).__name__
                rec.seen = dict(flask.session)
                rec.sid = getattr(flask.session, "sid", None)
                return "ok"

            return app

        rec = Rec()
        app = make(rec)
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = app.test_client(use_cookies=False).get("/set")
        written = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
        value = written.split(";", 1)[0][len("session=") :]
        if use_signer:
            sid, sig = value.rsplit(".", 1)
        else:
            sid, sig = value, None
        scheme = None
        if sig is not None:
            for salt in ("flask-session", "cookie-session", "itsdangerous.Signer", ""):
                for digest in ("sha1", "sha256", "sha512"):
                    for kd in ("hmac", "django-concat", "concat", "none"):
                        if signature(sid, KEY, salt, digest, kd) == sig:
                            scheme = {"salt": salt, "digest": digest, "key_derivation": kd}
        out.append(
            {
                "kind": "flask-session-write",
                "writer": writer(),
                "versions": VERSIONS,
                "use_signer": use_signer,
                "set_cookie": written,
                "cookie": value,
                "sid": sid,
                "sid_length": len(sid),
                "signature_scheme": scheme,
                "secret_key": KEY,
                "fallbacks_configured": list(OLD_KEYS) if fallbacks_supported else None,
                "warnings": sorted({f"{w.category.__name__}: {w.message}"[:200] for w in caught}),
            }
        )

        def other_sid(sid=sid):
            return "x" * len(sid) if len(sid) != 36 else "00000000-0000-4000-8000-000000000000"

        cases = [
            ("own-cookie", value),
            ("sid-unsigned", sid),
            ("sid-signed-current-key", sid + "." + signature(sid, KEY, "flask-session")),
            ("sid-signed-fallback-1", sid + "." + signature(sid, OLD_KEYS[0], "flask-session")),
            ("sid-signed-fallback-2", sid + "." + signature(sid, OLD_KEYS[1], "flask-session")),
            ("sid-signed-cookie-session-salt", sid + "." + signature(sid, KEY, "cookie-session")),
            (
                "sid-signed-default-signer",
                sid + "." + signature(sid, KEY, "itsdangerous.Signer", "sha1", "django-concat"),
            ),
            ("sid-signed-django-concat", sid + "." + signature(sid, KEY, "flask-session", "sha1", "django-concat")),
            ("sid-signed-sha256", sid + "." + signature(sid, KEY, "flask-session", "sha256")),
            ("sid-signed-sig-low-bit", sid + "." + low_bits(signature(sid, KEY, "flask-session"))),
            ("sid-signed-sig-tampered", sid + "." + flip_middle(signature(sid, KEY, "flask-session"))),
            ("unknown-sid-unsigned", other_sid()),
            ("unknown-sid-signed", other_sid() + "." + signature(other_sid(), KEY, "flask-session")),
            ("flask-cookie-session-format", cookie(OBJ, int(time.time()))),
            ("empty", ""),
        ]
        for name, sent in cases:
            rec = Rec()
            rec.sid = None
            app = make(rec)
            status, set_cookie = send(app, "session=" + sent)
            record = {
                "kind": "flask-session-outcome",
                "writer": writer(),
                "versions": VERSIONS,
                "use_signer": use_signer,
                "case": name,
                "cookie": sent,
                "status": status,
                "view_ran": rec.view_ran,
                "exception": rec.exception,
                "exception_cause": rec.cause,
                "session_sid": rec.sid,
                "sid_reused": rec.sid == sent.rsplit(".", 1)[0] if rec.sid and use_signer else rec.sid == sent,
                "set_cookie": set_cookie,
            }
            record.update(session_fields(rec.seen if rec.view_ran else None))
            record["loaded_stored_data"] = bool(rec.seen and rec.seen.get("a") == 1)
            out.append(record)
    return out


# --- itsdangerous alone -------------------------------------------------------------------------


def run_itsdangerous():
    import itsdangerous
    from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer

    out = []

    def rec(name, fn):
        try:
            result = fn()
            r = {
                "result": result
                if isinstance(result, (str, int, float, bool, type(None), list, dict))
                else repr(result)
            }
        except Exception as exc:
            r = {"raised": describe(exc), "raised_class_mro": [c.__name__ for c in type(exc).__mro__][:6]}
        out.append({"kind": "itsdangerous", "writer": writer(), "versions": VERSIONS, "check": name, **r})

    leg = legacy()

    def st(unix_offset=0):
        return stamp(int(time.time()) + unix_offset)

    def flask_like():
        return URLSafeTimedSerializer(
            KEY, salt=FLASK_SALT, signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1}
        )

    rec("EPOCH attribute", lambda: getattr(itsdangerous, "EPOCH", None))
    rec("default_fallback_signers", lambda: repr(getattr(URLSafeTimedSerializer, "default_fallback_signers", None)))
    rec("fresh cookie loads", lambda: flask_like().loads(cookie(OBJ, st()), max_age=MAX_AGE))
    rec("age == max_age loads", lambda: flask_like().loads(cookie(OBJ, st(-100)), max_age=100))
    rec("age == max_age + 1", lambda: flask_like().loads(cookie(OBJ, st(-101)), max_age=100))
    rec("max_age=0, age 0", lambda: flask_like().loads(cookie(OBJ, st()), max_age=0))
    rec("max_age=0, age 1", lambda: flask_like().loads(cookie(OBJ, st(-1)), max_age=0))
    rec("max_age=-1, age 0", lambda: flask_like().loads(cookie(OBJ, st()), max_age=-1))
    rec("max_age=99.5, age 100", lambda: flask_like().loads(cookie(OBJ, st(-100)), max_age=99.5))
    rec("max_age=None, age 10**9", lambda: flask_like().loads(cookie(OBJ, max(0, st(-(10**9))))))
    rec("future 1s, max_age", lambda: flask_like().loads(cookie(OBJ, st(1)), max_age=MAX_AGE))
    rec("future 1s, max_age None", lambda: flask_like().loads(cookie(OBJ, st(1))))
    rec("year 10000, max_age", lambda: flask_like().loads(cookie(OBJ, 253402300800), max_age=MAX_AGE))
    rec("year 10000, max_age None", lambda: flask_like().loads(cookie(OBJ, 253402300800)))
    rec("year 10000, return_timestamp", lambda: flask_like().loads(cookie(OBJ, 253402300800), return_timestamp=True))
    rec("2**64-1, max_age", lambda: flask_like().loads(cookie(OBJ, 2**64 - 1), max_age=MAX_AGE))
    rec(
        "9-byte timestamp",
        lambda: flask_like().loads(cookie(OBJ, 0, ts_text=b64e(b"\x01" + bytes(8))), max_age=MAX_AGE),
    )
    rec("empty timestamp text", lambda: flask_like().loads(cookie(OBJ, 0, ts_text=""), max_age=None))
    rec(
        "sha512 django-concat via default fallback",
        lambda: flask_like().loads(cookie(OBJ, st(), digest="sha512", kd="django-concat"), max_age=MAX_AGE),
    )
    rec("sha512 hmac", lambda: flask_like().loads(cookie(OBJ, st(), digest="sha512"), max_age=MAX_AGE))
    rec(
        "sha512 django-concat, expired (fallback still tried?)",
        lambda: flask_like().loads(
            cookie(OBJ, st(-MAX_AGE - 10), digest="sha512", kd="django-concat"), max_age=MAX_AGE
        ),
    )
    rec(
        "Signer salt '' signs as salt ''",
        lambda: Signer(KEY, salt="", key_derivation="hmac").sign("v").decode() == sign("v", KEY, ""),
    )
    rec(
        "Signer salt None default",
        lambda: (
            Signer(KEY, salt=None, key_derivation="hmac").sign("v").decode() == sign("v", KEY, "itsdangerous.Signer")
        ),
    )
    rec(
        "Serializer salt '' is used",
        lambda: URLSafeTimedSerializer(KEY, salt="", signer_kwargs={"key_derivation": "hmac"}).loads(
            cookie(OBJ, st(), salt="")
        ),
    )
    rec(
        "Serializer salt None",
        lambda: URLSafeTimedSerializer(KEY, salt=None, signer_kwargs={"key_derivation": "hmac"}).loads(
            cookie(OBJ, st(), salt="itsdangerous")
        ),
    )
    rec(
        "Serializer salt b''",
        lambda: URLSafeTimedSerializer(KEY, salt=b"", signer_kwargs={"key_derivation": "hmac"}).loads(
            cookie(OBJ, st(), salt="")
        ),
    )
    for d in ("md5", "sha224", "sha3_256", "blake2b", "blake2s", "shake_128"):
        rec(
            f"digest {d}",
            lambda d=d: URLSafeTimedSerializer(
                KEY, salt=FLASK_SALT, signer_kwargs={"key_derivation": "hmac", "digest_method": getattr(hashlib, d)}
            ).loads(cookie(OBJ, st(), digest=d)),
        )
    rec(
        "key list",
        lambda: URLSafeTimedSerializer(
            [OLD_KEYS[0], KEY], salt=FLASK_SALT, signer_kwargs={"key_derivation": "hmac"}
        ).loads(cookie(OBJ, st(), key=OLD_KEYS[0])),
    )
    rec(
        "key int",
        lambda: URLSafeTimedSerializer(123, salt=FLASK_SALT, signer_kwargs={"key_derivation": "hmac"}).loads(
            cookie(OBJ, st(), key="123")
        ),
    )
    rec(
        "key dict {'a': 1}",
        lambda: URLSafeTimedSerializer({"a": 1}, salt=FLASK_SALT, signer_kwargs={"key_derivation": "hmac"}).loads(
            cookie(OBJ, st(), key="a")
        ),
    )
    rec(
        "unknown key_derivation",
        lambda: URLSafeTimedSerializer(KEY, salt=FLASK_SALT, signer_kwargs={"key_derivation": "sha"}).loads(
            cookie(OBJ, st())
        ),
    )
    rec("TimestampSigner.get_timestamp - time.time()", lambda: TimestampSigner(KEY).get_timestamp() - int(time.time()))
    rec("timestamp_to_datetime(0)", lambda: repr(TimestampSigner(KEY).timestamp_to_datetime(0)))
    rec("legacy flag", lambda: leg)
    return out


def short(text, n=120):
    return text if text is None or len(text) <= n else text[:n] + "..."


def slim(record):
    """Drop what repeats or can be derived, so the committed files stay small."""
    r = dict(record)
    r.pop("versions", None)
    if r.get("cookie") is not None and r.get("cookie_header") == "session=" + r["cookie"]:
        r.pop("cookie_header")
    if "cookie_seen" in r and r["cookie_seen"] == r.get("cookie"):
        r.pop("cookie_seen")
    for k in ("exception", "exception_cause", "save_exception"):
        if k in r:
            r[k] = short(r[k])
    if "session_repr" in r and "datetime" not in r["session_repr"]:
        r.pop("session_repr")
    if "set_cookie" in r:
        r["set_cookie"] = [short(h, 160) for h in r["set_cookie"]]
    for k in ("exception", "exception_cause", "save_exception", "set_cookie", "session_type", "note"):
        if k in r and not r[k]:
            r.pop(k)  # absent means None / no Set-Cookie header
    return r


def env_record():
    return {"kind": "release", "writer": writer(), "versions": VERSIONS, "legacy_epoch": legacy()}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "outcomes"
    runners = {
        "outcomes": run_outcomes,
        "positive": positive,
        "nesting": run_nesting,
        "prefixed-env": run_prefixed_env,
        "flask-session": run_flask_session,
        "itsdangerous": run_itsdangerous,
    }
    import logging
    import warnings

    logging.disable(logging.CRITICAL)  # the apps log each 500; the records say what happened
    warnings.simplefilter("ignore")
    records = runners[mode]()
    if mode in ("outcomes", "positive"):
        records = [slim(r) for r in records]
        if mode == "outcomes":
            records.insert(0, env_record())
    for record in records:
        sys.stdout.write(dumps_record(record) + "\n")


if __name__ == "__main__":
    main()
