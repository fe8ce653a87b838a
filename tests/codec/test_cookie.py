"""The codec against real Flask: recorded cookies of every release, live Flask 3.1, and itsdangerous."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import flask
import itsdangerous
import pytest
from flask.sessions import SecureCookieSessionInterface, session_json_serializer

from flasksess_cli import keys
from flasksess_cli.codec import cookie as cookies
from flasksess_cli.codec import session_json
from flasksess_cli.codec.cookie import (
    LEGACY_EPOCH,
    DecompressionBomb,
    Scheme,
    decode_cookie,
    sign_session,
    verify_cookie,
)
from flasksess_cli.codec.rules import Rules, rules_for
from flasksess_cli.errors import BadInput

VECTORS = [
    json.loads(line) for line in (Path(__file__).parent.parent / "vectors" / "cookies.jsonl").read_text().splitlines()
]


def vector_key(text: str) -> keys.SecretKey:
    return keys.parse_key(text)


def vector_scheme(vector: dict[str, Any]) -> Scheme:
    return Scheme(salt=vector["salt"], digest=vector["digest"], key_derivation=vector["key_derivation"])


def vid(vector: dict[str, Any]) -> str:
    return f"{vector['writer']}:{vector['case']}"


@pytest.mark.parametrize("vector", VECTORS, ids=vid)
def test_each_recorded_cookie_decodes_to_the_session_its_release_loaded(vector: dict[str, Any]) -> None:
    cookie = decode_cookie(vector["cookie"], legacy_epoch=vector["legacy_epoch"])
    assert cookie.session is not None
    assert session_json.to_typed(cookie.session) == vector["session"]
    assert cookie.legacy_epoch_suspected is False
    assert cookie.digest_guess == vector["digest"]


@pytest.mark.parametrize("vector", VECTORS, ids=vid)
def test_each_recorded_cookie_verifies_with_its_key_and_no_other(vector: dict[str, Any]) -> None:
    key, fallbacks = vector_key(vector["secret_key"]), tuple(map(vector_key, vector["fallbacks"]))
    at = decode_cookie(vector["cookie"], legacy_epoch=vector["legacy_epoch"]).unix_time
    assert at is not None
    result = verify_cookie(
        vector["cookie"], key=key, fallbacks=fallbacks, scheme=vector_scheme(vector), max_age=2678400,
        legacy_epoch=vector["legacy_epoch"], now=at + 60,
    )  # fmt: skip
    assert result.valid and result.reason == "valid"
    # Flask 3.1.0 signed with the last fallback (GHSA-4grg-w6v8-c28g); every other release with SECRET_KEY.
    assert result.matched_key == ("fallback-2" if "3.1.0" in vector["writer"] and fallbacks else "current")
    wrong = verify_cookie(vector["cookie"], key=keys.parse_key("wrong"), scheme=vector_scheme(vector), max_age=None)
    assert wrong.reason == "bad-signature" and not wrong.verified


@pytest.mark.parametrize("vector", [v for v in VECTORS if not v["legacy_epoch"]], ids=vid)
def test_modern_flask_loads_each_recorded_cookie_as_flasksess_decodes_it(vector: dict[str, Any]) -> None:
    app = flask.Flask(__name__)
    app.secret_key = keys.parse_key(vector["secret_key"]).value
    app.config["SECRET_KEY_FALLBACKS"] = [keys.parse_key(k).value for k in vector["fallbacks"]]
    interface = SecureCookieSessionInterface()
    interface.salt = vector["salt"]
    interface.key_derivation = vector["key_derivation"]
    interface.digest_method = staticmethod(getattr(hashlib, vector["digest"]))  # type: ignore[method-assign]
    app.session_interface = interface
    with app.test_request_context():
        serializer = interface.get_signing_serializer(app)
        assert serializer is not None
        loaded = serializer.loads(vector["cookie"])
    ours = decode_cookie(vector["cookie"]).session
    assert session_json.to_typed(loaded) == session_json.to_typed(ours)


def writer_rules(vector: dict[str, Any]) -> Rules:
    """The rules of the release that wrote a vector ("flask 0.12.5 / itsdangerous 0.24", "quart 0.22.0 / ...")."""
    framework, version = vector["writer"].split(" / ")[0].split(" ")
    rules = rules_for("quart" if framework == "quart" else "flask", version)
    return rules.with_legacy_epoch(vector["legacy_epoch"])


@pytest.mark.parametrize("vector", VECTORS, ids=vid)
def test_sign_reproduces_each_recorded_cookie_byte_for_byte(vector: dict[str, Any]) -> None:
    """Under the writer's rules: Flask 0.12 writes a user dict {" t": ...} verbatim, Quart keeps key order."""
    rules = writer_rules(vector)
    cookie = decode_cookie(vector["cookie"], rules=rules)
    assert cookie.session is not None and cookie.unix_time is not None
    signed = sign_session(
        cookie.session, key=vector_key(vector["secret_key"]), fallbacks=tuple(map(vector_key, vector["fallbacks"])),
        scheme=vector_scheme(vector), rules=rules, timestamp=cookie.unix_time,
    )  # fmt: skip
    assert signed.value == vector["cookie"]


def test_legacy_cookies_are_noticed_without_the_flag() -> None:
    legacy = [v for v in VECTORS if v["legacy_epoch"]]
    assert len(legacy) >= 2
    for vector in legacy:
        plain = decode_cookie(vector["cookie"])
        fixed = decode_cookie(vector["cookie"], legacy_epoch=True)
        assert plain.legacy_epoch_suspected and not fixed.legacy_epoch_suspected
        assert plain.timestamp == fixed.timestamp and fixed.unix_time == plain.timestamp + LEGACY_EPOCH  # type: ignore[operator]
        assert fixed.issued_at is not None and fixed.issued_at.year >= 2026
        # Modern itsdangerous reads the 2011-based count as 1985: expired, as modern Flask finds it.
        key = vector_key(vector["secret_key"])
        scheme = vector_scheme(vector)
        assert verify_cookie(vector["cookie"], key=key, scheme=scheme, max_age=2678400).reason == "expired"
        assert verify_cookie(
            vector["cookie"],
            key=key,
            scheme=scheme,
            max_age=2678400,
            legacy_epoch=True,
            now=fixed.unix_time + 5,  # type: ignore[operator]
        ).valid


# --- live Flask 3.1 ---------------------------------------------------------------------------------


def flask_app(key: str | bytes = "test-key", **config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = key
    app.config.update(config)

    @app.get("/")
    def show() -> str:
        return json.dumps(session_json.to_typed(dict(flask.session)), sort_keys=True)

    @app.post("/set")
    def set_session() -> str:
        flask.session.update(session_json.session_from_text(flask.request.get_data(as_text=True)))
        return "ok"

    return app


def flask_sees(app: flask.Flask, cookie: str) -> Any:
    client = app.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/")
    assert response.status_code == 200
    return json.loads(response.text)


def test_flask_fallback_keys_verify_and_only_the_current_key_signs() -> None:
    app = flask_app("new-key", SECRET_KEY_FALLBACKS=["oldest", "older"])
    old = sign_session({"user": "a"}, key=keys.parse_key("oldest")).value
    assert flask_sees(app, old) == {"user": "a"}
    result = verify_cookie(
        old, key=keys.parse_key("new-key"), fallbacks=(keys.parse_key("oldest"), keys.parse_key("older")), max_age=None
    )
    assert result.valid and result.matched_key == "fallback-1"
    client = app.test_client()
    client.post("/set", data='{"user": "b"}')
    fresh = client.get_cookie("session")
    assert fresh is not None
    assert verify_cookie(fresh.value, key=keys.parse_key("new-key"), max_age=None).matched_key == "current"


@pytest.mark.parametrize(
    ("offset", "reason"), [(-(31 * 86400 + 10), "expired"), (-(31 * 86400 - 10), "valid"), (3600, "future-timestamp")]
)
def test_age_checks_match_flask(offset: int, reason: str) -> None:
    import time

    now = int(time.time())
    cookie = sign_session({"user": "a"}, key=keys.parse_key("test-key"), timestamp=now + offset).value
    result = verify_cookie(cookie, key=keys.parse_key("test-key"), max_age=2678400, now=now)
    assert result.reason == reason
    assert result.matched_key == "current"
    assert flask_sees(flask_app(), cookie) == ({"user": "a"} if reason == "valid" else {})


def itsdangerous_cookie(json_text: bytes, key: str = "test-key", compress: bool = False) -> str:
    """A correctly signed cookie around arbitrary payload bytes, as only the key holder can make."""
    signer = itsdangerous.TimestampSigner(key, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
    data = zlib.compress(json_text) if compress else json_text
    payload = (b"." if compress else b"") + itsdangerous.encoding.base64_encode(data)
    return signer.sign(payload).decode()


@pytest.mark.parametrize(
    "payload",
    [b'{"a":{" u":"not-a-uuid"}}', b'{" di":"v"}', b"[1,2]", b"42", b'{"a":', b"\xff\xfe", b'{"a":{" t":5}}'],
)
def test_signed_but_unloadable_payloads_are_malformed_and_flask_answers_500(payload: bytes) -> None:
    cookie = itsdangerous_cookie(payload)
    result = verify_cookie(cookie, key=keys.parse_key("test-key"), max_age=None)
    assert result.reason == "malformed-payload" and result.verified and not result.valid
    app = flask_app()
    client = app.test_client()
    client.set_cookie("session", cookie)
    with pytest.raises(Exception):  # noqa: B017 - Flask's own failure, whatever its class, is the point
        app.config["PROPAGATE_EXCEPTIONS"] = True
        client.get("/")
    with pytest.raises(BadInput, match="HTTP 500"):
        decode_cookie(cookie)
    if payload == b'{" di":"v"}':  # Flask 0.10 to 0.12 had no " di" tag: a plain dict there
        from flasksess_cli.codec.rules import rules_for

        old = decode_cookie(cookie, rules=rules_for("flask", "0.12"))
        assert old.legacy_tags and old.session == {" di": "v"} and "no ' di' tag" in old.notes[0]


def test_quirks_flask_loads_we_load_the_same() -> None:
    for payload, expected in [
        (b'{"d":{" d":"not a date"}}', {"d": None}),
        (b'{"x":{" di":{"a__":1,"b__":2}}}', {"x": {"a": 1}}),
        (b'{"t":{" t":"ab"}}', {"t": {"__type__": "tuple", "items": ["a", "b"]}}),
        (
            b'{"u":{" u":"{12345678-1234-5678-1234-567812345678}"}}',
            {"u": {"__type__": "uuid", "value": "12345678-1234-5678-1234-567812345678"}},
        ),
        (b'{"m":{" m":5}}', {"m": {"__type__": "markup", "value": "5"}}),
        (
            b'{"n": NaN, "i": -Infinity}',
            {"n": {"__type__": "float", "value": "nan"}, "i": {"__type__": "float", "value": "-inf"}},
        ),
        (
            b'{"b":{" b":"AP8="}, "big": 123456789012345678901234567890}',
            {"b": {"__type__": "bytes", "hex": "00ff"}, "big": 123456789012345678901234567890},
        ),
    ]:
        cookie = itsdangerous_cookie(payload)
        assert flask_sees(flask_app(), cookie) == expected
        ours = decode_cookie(cookie).session
        assert ours is not None and session_json.to_typed(ours) == expected


def test_decompression_is_capped_where_flask_inflates_50_mb() -> None:
    bomb = itsdangerous_cookie(b'{"a":"' + b"0" * 50_000_000 + b'"}', compress=True)
    assert len(bomb) < 70_000
    tracemalloc.start()
    try:
        with pytest.raises(DecompressionBomb, match="decompression bomb"):
            decode_cookie(bomb)
        with pytest.raises(DecompressionBomb):
            verify_cookie(bomb, key=keys.parse_key("test-key"), max_age=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
    small = decode_cookie(itsdangerous_cookie(b'{"a":"' + b"0" * 5000 + b'"}', compress=True), max_json=5008)
    assert small.session == {"a": "0" * 5000} and small.compressed and small.json_bytes == 5008
    with pytest.raises(DecompressionBomb):
        decode_cookie(itsdangerous_cookie(b'{"a":"' + b"0" * 5000 + b'"}', compress=True), max_json=5007)


# --- verify is exactly itsdangerous ------------------------------------------------------------------


def itsdangerous_accepts(cookie: str, key: str, **signer: Any) -> bool:
    serializer = itsdangerous.URLSafeTimedSerializer(
        key, salt="cookie-session", serializer=session_json_serializer, signer_kwargs=signer
    )
    try:
        data = serializer.loads(cookie)
    except itsdangerous.BadData:
        return False
    return isinstance(data, dict)


def flasksess_accepts(cookie: str, key: str) -> bool:
    try:
        return verify_cookie(cookie, key=keys.parse_key(key), max_age=None).valid
    except BadInput:
        return False


def test_lenient_signature_variants_verify_as_in_itsdangerous() -> None:
    cookie = sign_session({"user": "a"}, key=keys.parse_key("test-key")).value
    body, sig = cookie.rsplit(".", 1)
    variants = {
        "low bits": body + "." + sig[:-1] + {"A": "B", "B": "A"}.get(sig[-1], chr(ord(sig[-1]) ^ 1)),
        "plus slash": body + "." + sig.replace("-", "+").replace("_", "/"),
        "padded": cookie + "=",
        "junk chars": body + "." + sig[:5] + "!" + sig[5:],
        "truncated": cookie[:-2],
        "one more": cookie + "A",
        "payload changed": cookie.replace("e", "f", 1),
    }
    for name, variant in variants.items():
        assert flasksess_accepts(variant, "test-key") == itsdangerous_accepts(
            variant, "test-key", key_derivation="hmac", digest_method=hashlib.sha1
        ), name
    assert flasksess_accepts(variants["plus slash"], "test-key")
    assert not flasksess_accepts(variants["payload changed"], "test-key")


@pytest.mark.parametrize("digest", ["sha1", "sha224", "sha256", "sha384", "sha512"])
@pytest.mark.parametrize("derivation", ["hmac", "concat", "django-concat", "none"])
def test_every_digest_and_derivation_signs_as_itsdangerous_verifies(digest: str, derivation: str) -> None:
    scheme = Scheme(salt="my-salt", digest=digest, key_derivation=derivation)
    cookie = sign_session({"n": [1, 2, 3] * 30}, key=keys.parse_key("k3y"), scheme=scheme).value
    serializer = itsdangerous.URLSafeTimedSerializer(
        "k3y", salt="my-salt", serializer=session_json_serializer,
        signer_kwargs={"key_derivation": derivation, "digest_method": getattr(hashlib, digest)},
    )  # fmt: skip
    assert serializer.loads(cookie) == {"n": [1, 2, 3] * 30}
    assert decode_cookie(cookie).digest_guess == digest
    assert verify_cookie(cookie, key=keys.parse_key("k3y"), scheme=scheme, max_age=None).valid
    assert not verify_cookie(cookie, key=keys.parse_key("k3y"), scheme=Scheme(), max_age=None).valid


def test_flask_session_signed_ids() -> None:
    sid = "RwV9ei7XYD_DKfrIokmdoYaK82j1tssB4lfC5RqmoaQ"
    cookie = itsdangerous.Signer("app-key", salt="flask-session", key_derivation="hmac").sign(sid).decode()
    decoded = decode_cookie(cookie)
    assert decoded.kind == "session-id" and decoded.session_id == sid and decoded.session is None
    assert verify_cookie(cookie, key=keys.parse_key("app-key"), max_age=None).valid
    assert not verify_cookie(cookie, key=keys.parse_key("other"), max_age=None).valid
    with pytest.raises(BadInput, match="unsigned server-side session id"):
        decode_cookie(sid)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("abc", "no '.'"),
        ("a.b", "one '.'"),
        ("abcde.AAAAAA.sig", "not base64"),
        ("eyJhIjoxfQ.A.sig", "timestamp"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln", "JWT"),
        ("bm90IGpzb24.aT8ZWQ.sig", "not JSON"),
        (".bm90IHpsaWI.aT8ZWQ.sig", "not zlib"),
        ("__w.aT8ZWQ.sig", "not UTF-8"),
    ],
)
def test_not_a_cookie(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        cookies.decode_cookie(text)
