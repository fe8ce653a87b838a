"""Other projects' test suites, their facts ported to flasksess's command line.

The cases come from pallets/flask (``tests/test_json_tag.py``, the session tests of
``tests/test_basic.py``), pallets/itsdangerous (``tests/test_itsdangerous/test_signer.py``,
``test_serializer.py``, ``test_timed.py``) and Paradoxis/Flask-Unsign
(``tests/flask_unsign.py``). Each is a fact about what Flask and itsdangerous do; here
the cookies come from the real libraries, and flasksess's commands must agree.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import flask
import itsdangerous
import pytest
from flask.json.tag import JSONTag, TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from flasksess_cli.codec.session_json import from_typed, to_typed
from tests.conftest import Invoke

# --- Flask: tests/test_json_tag.py ------------------------------------------------------------------

NOW = datetime.now(tz=timezone.utc).replace(microsecond=0)
UNCHANGED = [
    {" t": (1, 2, 3)},
    {" t__": b"a"},
    {" di": " di"},
    {"x": (1, 2, 3), "y": 4},
    (1, 2, 3),
    [(1, 2, 3)],
    b"\xff",
    Markup("<html>"),
    uuid.uuid4(),
    NOW,
]


def flask_app(key: str = "json-tag-key", **config: Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = key
    app.config.update(config)
    app.config["HOLD"] = {}

    @app.get("/")
    def show() -> str:
        return json.dumps(to_typed(dict(flask.session)))

    @app.post("/")
    def write() -> str:
        flask.session.update(app.config["HOLD"])
        return ""

    return app


def flask_loads(app: flask.Flask, cookie: str) -> Any:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return from_typed(json.loads(client.get("/").text))


def flask_writes(app: flask.Flask, session: dict[str, Any]) -> str:
    app.config["HOLD"] = session
    client = app.test_client()
    client.post("/")
    written = client.get_cookie("session")
    assert written is not None
    return written.value


@pytest.mark.parametrize("data", UNCHANGED, ids=repr)
def test_json_tag_dump_load_unchanged(invoke: Invoke, data: Any) -> None:
    """What Flask's serializer round-trips, sign writes and Flask loads, and decode shows as Flask loads it."""
    typed = json.dumps({"v": to_typed(data)})
    cookie = invoke(["sign", "-k", "json-tag-key", typed]).stdout.strip()
    assert flask_loads(flask_app(), cookie) == {"v": data}
    written = flask_writes(flask_app(), {"v": data})
    decoded = json.loads(invoke(["decode", "--json", written]).stdout)
    assert from_typed(decoded["session"]) == {"v": data}
    assert invoke(["verify", "-k", "json-tag-key", written]).exit_code == 0


def test_json_tag_custom_tag_shows_raw_with_its_name(invoke: Invoke) -> None:
    """An app's own JSONTag (Flask's test_custom_tag): flasksess cannot know it, and says so."""

    class Foo:
        def __init__(self, data: Any) -> None:
            self.data = data

    class TagFoo(JSONTag):
        __slots__ = ()
        key = " f"

        def check(self, value: Any) -> bool:
            return isinstance(value, Foo)

        def to_json(self, value: Any) -> Any:
            return self.serializer.tag(value.data)

        def to_python(self, value: Any) -> Any:
            return Foo(value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagFoo)
    interface = SecureCookieSessionInterface()
    interface.serializer = serializer
    app = flask_app()
    app.session_interface = interface
    cookie = flask_writes(app, {"foo": Foo("bar")})
    document = json.loads(invoke(["verify", "--json", "-k", "json-tag-key", cookie]).stdout)
    assert document["valid"] and document["session"] == {"foo": {" f": "bar"}}
    assert any("' f' is not a tag Flask 3.1 knows" in note for note in document["notes"])


# --- Flask: tests/test_basic.py, sessions ---------------------------------------------------------------


def test_session_secret_key_fallbacks(invoke: Invoke) -> None:
    cookie = flask_writes(flask_app("0 key", SECRET_KEY_FALLBACKS=["-1 key", "-2 key"]), {"a": 1})
    assert invoke(["verify", "-k", "0 key", cookie]).exit_code == 0
    assert flask_loads(flask_app("? key"), cookie) == {}  # changed key: the session appears empty
    assert invoke(["verify", "-k", "? key", cookie]).exit_code == 1
    rotated = ["-k", "+1 key", "--fallback", "0 key", "--fallback", "-1 key"]
    assert flask_loads(flask_app("+1 key", SECRET_KEY_FALLBACKS=["0 key", "-1 key"]), cookie) == {"a": 1}
    result = invoke(["verify", "--json", *rotated, cookie])
    assert result.exit_code == 0 and json.loads(result.stdout)["matched_key"] == "fallback-1"
    before = json.loads(invoke(["verify", "--json", "--flask", "3.0", *rotated, cookie]).stdout)
    assert before["reason"] == "bad-signature" and any("SECRET_KEY_FALLBACKS" in n for n in before["notes"])
    assert before["ignored_key"] == "fallback-1" and "does not verify with" in before["detail"]


def test_session_special_types(invoke: Invoke) -> None:
    the_uuid = uuid.uuid4()
    session = {
        "t": (1, 2, 3),
        "b": b"\xff",
        "m": Markup("<html>"),
        "u": the_uuid,
        "d": NOW,
        "t_tag": {" t": "not-a-tuple"},
        "di_t_tag": {" t__": "not-a-tuple"},
        "di_tag": {" di": "not-a-dict"},
    }
    written = flask_writes(flask_app(), session)
    shown = json.loads(invoke(["verify", "--json", "-k", "json-tag-key", written]).stdout)["session"]
    assert from_typed(shown) == session
    signed = invoke(["sign", "-k", "json-tag-key", json.dumps(shown)]).stdout.strip()
    assert flask_loads(flask_app(), signed) == session


def test_session_expiration_is_the_permanent_lifetime(invoke: Invoke) -> None:
    app = flask_app(PERMANENT_SESSION_LIFETIME=60)
    cookie = flask_writes(app, {"_permanent": True, "test": 42})
    assert invoke(["verify", "--max-age", "60", "-k", "json-tag-key", cookie]).exit_code == 0
    old = invoke(["sign", "-k", "json-tag-key", "--timestamp", str(int(time.time()) - 61), '{"test": 42}'])
    assert flask_loads(app, old.stdout.strip()) == {}
    expired = json.loads(invoke(["verify", "--json", "--max-age", "60", "-k", "json-tag-key", old.stdout]).stdout)
    assert expired["reason"] == "expired" and expired["outcome"] == "empty-session"


@pytest.mark.parametrize("value", ["null", "false", '""'])
def test_missing_session_a_false_key_is_no_key(invoke: Invoke, value: str) -> None:
    """Flask's test_missing_session: with a false SECRET_KEY the session is unavailable."""
    cookie = flask_writes(flask_app(), {"a": 1})
    result = invoke(["verify", cookie], env={"FLASK_SECRET_KEY": value})
    assert result.exit_code == 3 and "no sessions" in result.stderr


# --- itsdangerous: test_signer.py, test_serializer.py, test_timed.py ---------------------------------


def serializer(key: Any = "secret_key", **signer: Any) -> itsdangerous.URLSafeTimedSerializer:
    """Flask's session serializer: salt cookie-session, HMAC-SHA1, hmac derivation, tagged JSON."""
    kwargs = {"key_derivation": "hmac", "digest_method": hashlib.sha1} | signer
    return itsdangerous.URLSafeTimedSerializer(
        key, salt="cookie-session", serializer=TaggedJSONSerializer(), signer_kwargs=kwargs
    )


VALUE = {"id": 42}


@pytest.mark.parametrize(
    "transform",
    [str.upper, lambda s: s + "a", lambda s: "a" + s[1:], lambda s: s.replace(".", "", 1), lambda s: s[:-1]],
    ids=["upper", "appended", "first-changed", "separator-removed", "truncated"],
)
def test_changed_values_are_not_valid(invoke: Invoke, transform: Any) -> None:
    signed = serializer().dumps(VALUE)
    assert invoke(["verify", "-k", "secret_key", signed]).exit_code == 0
    with pytest.raises(itsdangerous.BadSignature):
        serializer().loads(transform(signed))
    assert invoke(["verify", "-k", "secret_key", transform(signed)]).exit_code in (1, 3)


def test_bad_signature_still_shows_the_payload(invoke: Invoke) -> None:
    document = json.loads(invoke(["verify", "--json", "-k", "secret_key", serializer().dumps(VALUE)[:-1]]).stdout)
    assert document["reason"] == "bad-signature" and document["session"] == VALUE and not document["verified"]


def test_bad_payload_signed_is_http_500(invoke: Invoke) -> None:
    original = serializer().dumps(VALUE)
    payload = original.rsplit(".", 1)[0]  # itsdangerous' own: re-sign the signed part, one character short
    bad = serializer().make_signer().sign(payload[:-1]).decode()
    with pytest.raises(itsdangerous.BadPayload):
        serializer().loads(bad)
    document = json.loads(invoke(["verify", "--json", "-k", "secret_key", bad]).stdout)
    assert document["reason"] == "malformed-payload" and document["outcome"] == "http-500" and document["verified"]


def test_alt_salt(invoke: Invoke) -> None:
    signed = serializer().dumps(VALUE, salt="other")
    assert invoke(["verify", "-k", "secret_key", signed]).exit_code == 1
    assert invoke(["verify", "-k", "secret_key", "--salt", "other", signed]).exit_code == 0


@pytest.mark.parametrize("derivation", ["concat", "django-concat", "hmac", "none"])
def test_key_derivation(invoke: Invoke, derivation: str) -> None:
    signed = serializer(key_derivation=derivation).dumps(VALUE)
    assert invoke(["verify", "-k", "secret_key", "--key-derivation", derivation, signed]).exit_code == 0
    ours = invoke(["sign", "-k", "secret_key", "--key-derivation", derivation, json.dumps(VALUE)])
    assert serializer(key_derivation=derivation).loads(ours.stdout.strip()) == VALUE


@pytest.mark.parametrize("digest", ["md5", "sha224", "sha3_256", "blake2b", "blake2s"])
def test_digest_method(invoke: Invoke, digest: str) -> None:
    signed = serializer(digest_method=getattr(hashlib, digest)).dumps(VALUE)
    document = json.loads(invoke(["verify", "--json", "-k", "secret_key", "--digest", digest, signed]).stdout)
    assert document["valid"] and digest in document["digest_candidates"]
    assert invoke(["verify", "-k", "secret_key", signed]).exit_code == 1


def test_secret_keys_rotate(invoke: Invoke) -> None:
    signed = serializer("a").dumps(VALUE)
    assert serializer(["a", "b"]).loads(signed) == VALUE
    assert invoke(["verify", "-k", "b", "--fallback", "a", signed]).exit_code == 0


def test_max_age(invoke: Invoke) -> None:
    now = int(time.time())
    cookie = invoke(["sign", "-k", "k", "--timestamp", str(now - 10), json.dumps(VALUE)]).stdout.strip()
    assert invoke(["verify", "-k", "k", "--max-age", "10", cookie]).exit_code in (0, 1)  # 10 or 11 s by now
    assert invoke(["verify", "-k", "k", "--max-age", "9", cookie]).exit_code == 1
    document = json.loads(invoke(["verify", "--json", "-k", "k", "--max-age", "3600", cookie]).stdout)
    assert document["issued_at"] == datetime.fromtimestamp(now - 10, tz=timezone.utc).isoformat()


def test_timestamp_missing(invoke: Invoke) -> None:
    signed = itsdangerous.Signer("k", salt="cookie-session", key_derivation="hmac").sign("eyJpZCI6NDJ9").decode()
    result = invoke(["verify", "-k", "k", signed])
    assert result.exit_code == 3 and "one '.'" in result.stderr


def test_timestamp_incomplete(invoke: Invoke) -> None:
    cookie = serializer().dumps(VALUE)
    result = invoke(["decode", cookie.rsplit(".", 1)[0]])
    assert result.exit_code == 3 and "incomplete" in result.stderr and "Flask-Session" not in result.stderr


def test_malformed_timestamp(invoke: Invoke) -> None:
    plain = itsdangerous.Signer("secret_key", salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
    signed = plain.sign("eyJpZCI6NDJ9.____________").decode()
    with pytest.raises(itsdangerous.BadTimeSignature, match="Malformed"):
        serializer().loads(signed)
    document = json.loads(invoke(["verify", "--json", "-k", "secret_key", signed]).stdout)
    assert document["reason"] == "malformed-timestamp" and document["outcome"] == "empty-session"


def test_malformed_future_timestamp(invoke: Invoke) -> None:
    """itsdangerous' own vector: a bad signature on a timestamp past year 9999 (a 500 before 2.1.1)."""
    signed = "eyJpZCI6NDJ9.TgPVoaGhoQ.AGBfQ6G6cr07byTRt0zAdPljHOY"
    with pytest.raises(itsdangerous.BadTimeSignature, match="Malformed"):
        serializer("secret-key").loads(signed)
    now = json.loads(invoke(["verify", "--json", "-k", "secret-key", signed]).stdout)
    assert now["reason"] == "bad-signature" and now["outcome"] == "empty-session"
    then = json.loads(invoke(["verify", "--json", "--flask", "2.0", "-k", "secret-key", signed]).stdout)
    assert then["reason"] == "bad-signature" and then["outcome"] == "http-500"


def test_future_age(invoke: Invoke) -> None:
    future = invoke(["sign", "-k", "k", "--timestamp", str(int(time.time()) + 3600), json.dumps(VALUE)]).stdout
    assert json.loads(invoke(["verify", "--json", "-k", "k", future]).stdout)["reason"] == "future-timestamp"
    older = json.loads(invoke(["verify", "--json", "--flask", "1.1", "-k", "k", future]).stdout)
    assert older["valid"]  # itsdangerous 1.1 had no future check


# --- Flask-Unsign: tests/flask_unsign.py ---------------------------------------------------------------

UNSIGN_ENCODED = "eyJoZWxsbyI6IndvcmxkIn0.XDtqeQ.1qsBdjyRJLokwRzJdzXMVCSyRTA"
UNSIGN_EMPTY_SECRET = "eyJoZWxsbyI6IndvcmxkIn0.Z09y_A.ch5Bsa496msERXG0XzzjyKQBYVE"


def test_flask_unsign_decode_and_verify(invoke: Invoke) -> None:
    assert json.loads(invoke(["decode", "--json", UNSIGN_ENCODED]).stdout)["session"] == {"hello": "world"}
    assert invoke(["verify", "--no-max-age", "-k", "CHANGEME", UNSIGN_ENCODED]).exit_code == 0
    assert invoke(["verify", "-k", "CHANGEME", UNSIGN_ENCODED]).exit_code == 1  # signed in 2019: expired
    assert invoke(["verify", "--no-max-age", "-k", "CHANGEMEx", UNSIGN_ENCODED]).exit_code == 1
    assert invoke(["verify", "--no-max-age", "-k", "CHANGEME", UNSIGN_ENCODED + "x"]).exit_code == 1


@pytest.mark.parametrize("text", ["Hello world!", "", "x" * 50])
def test_flask_unsign_not_cookies(invoke: Invoke, text: str) -> None:
    result = invoke(["decode", text])
    assert result.exit_code == 3 and result.stdout == "" and result.stderr.startswith("Error: ")


def test_flask_unsign_empty_secret_is_no_key_in_flask(invoke: Invoke) -> None:
    """flask-unsign signs with an empty secret; Flask never loads a session with one (it means no key)."""
    assert serializer("").loads(UNSIGN_EMPTY_SECRET, max_age=None) == {"hello": "world"}
    empty = flask_app("")
    client = empty.test_client()
    client.set_cookie("session", UNSIGN_EMPTY_SECRET)
    assert client.get("/").text == "{}"
    result = invoke(["verify", "-k", "", UNSIGN_EMPTY_SECRET])
    assert result.exit_code == 3 and "empty" in result.stderr and "no key" in result.stderr


def test_flask_unsign_literal_secret_is_flasks_env_reading(invoke: Invoke) -> None:
    """flask-unsign reads --secret '"hello"' as hello; so does Flask's FLASK_SECRET_KEY (JSON)."""
    cookie = serializer("hello").dumps({"hello": "world"})
    assert invoke(["verify", cookie], env={"FLASK_SECRET_KEY": '"hello"'}).exit_code == 0
    assert invoke(["verify", "-k", '"hello"', cookie]).exit_code == 1  # on the command line: the text itself


# --- Quart 0.18: ISO 8601 datetimes, microseconds, naive or aware ----------------------------------------

QUART_018_DATETIMES = (
    ".eJyrVspLzCxLVbKqVlJIUbJSMjIwMtY1NNI1NgwxMrYyNrAyMNUzNDI2MTVTqtVRSixPLCJGrbaBKZAP0lFakoxXvQEYaBsAOUD1tQCPVCDx"
    ".aw9FXg.RFRXjYLegT3TZT-wOLKoc3Ajuvg"
)  # written by Quart 0.18.4 (tests/vectors/cookies-releases.jsonl, release/datetimes)


def test_quart_018_datetimes_keep_microseconds_and_naive_or_aware(invoke: Invoke) -> None:
    shown = json.loads(invoke(["decode", "--json", "--quart", "0.18", QUART_018_DATETIMES]).stdout)["session"]
    assert shown == {
        "naive": {"__type__": "datetime", "value": "2023-12-31T23:30:05.123456"},
        "aware": {"__type__": "datetime", "value": "2023-12-31T23:30:05.123456+05:30"},
        "utc": {"__type__": "datetime", "value": "2023-12-31T23:30:05+00:00"},
    }
    in_order = json.dumps({key: shown[key] for key in ("naive", "aware", "utc")})  # Quart keeps insertion order
    stamp = str(json.loads(invoke(["decode", "--json", QUART_018_DATETIMES]).stdout)["timestamp"])
    again = invoke(["sign", "--quart", "0.18", "-k", "rec-key", "--timestamp", stamp, in_order])
    assert again.stdout.strip() == QUART_018_DATETIMES
    flask_reads = json.loads(invoke(["decode", "--json", QUART_018_DATETIMES]).stdout)["session"]
    assert flask_reads == {"naive": None, "aware": None, "utc": None}  # Flask's HTTP-date parser reads none of them
