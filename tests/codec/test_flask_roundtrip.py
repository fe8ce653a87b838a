"""Property tests against live Flask 3.1: what Flask writes, flasksess reads; what flasksess signs, Flask loads."""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from datetime import datetime, timezone
from typing import Any

import flask
import itsdangerous
from click.testing import CliRunner
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from flasksess_cli import keys
from flasksess_cli.cli import cli
from flasksess_cli.codec import session_json
from flasksess_cli.codec.cookie import Scheme, decode_cookie, sign_session, verify_cookie

TAG_LIKE_KEYS = st.sampled_from([" t", " di", " b", " m", " u", " d", " t__", "__type__", "_flashes", "_permanent"])
KEYS = st.one_of(st.text(max_size=12), TAG_LIKE_KEYS)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.text(max_size=20).map(Markup),
    st.uuids(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)).map(
        lambda d: d.replace(microsecond=0)
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(KEYS, inner, max_size=5),
    ),
    max_leaves=25,
)
sessions = st.dictionaries(KEYS, values, max_size=8)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def typed(value: Any) -> str:
    """A comparable text of a session: NaN equals NaN here."""
    return json.dumps(session_json.to_typed(value), sort_keys=True)


def app_with(key: str | bytes, interface: SecureCookieSessionInterface | None = None) -> flask.Flask:
    app = flask.Flask(__name__)
    app.secret_key = key
    if interface is not None:
        app.session_interface = interface
    app.config["HOLD"] = None

    @app.post("/write")
    def write() -> str:
        flask.session.update(app.config["HOLD"])
        return "ok"

    @app.get("/read")
    def read() -> str:
        return typed(dict(flask.session))

    return app


def flask_loads_back(session: dict[str, Any]) -> str:
    """What Flask loads from what Flask writes for ``session``: the reference for a round trip."""
    with LIVE_APP.app_context():
        return typed(session_json_serializer.loads(session_json_serializer.dumps(session)))


LIVE_APP = app_with("live-key")


@SETTINGS
@given(session=sessions)
def test_flask_writes_flasksess_reads_and_signs_the_same_bytes(session: dict[str, Any]) -> None:
    app = LIVE_APP
    app.config["HOLD"] = session
    client = app.test_client()
    client.post("/write")
    written = client.get_cookie("session")
    if not session:
        assert written is None
        return
    assert written is not None
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        flask_loaded = serializer.loads(written.value)
    decoded = decode_cookie(written.value)
    assert decoded.session is not None
    assert typed(decoded.session) == typed(flask_loaded)
    assert verify_cookie(written.value, key=keys.parse_key("live-key"), max_age=None).valid
    # decode -> typed JSON -> sign at the same second gives Flask's exact bytes.
    again = session_json.from_typed(json.loads(typed(decoded.session)))
    ordered = json.loads(decoded.payload or "{}")  # keep the payload's key order
    assert list(ordered) == sorted(ordered)
    resigned = sign_session(again, key=keys.parse_key("live-key"), timestamp=decoded.timestamp)
    assert resigned.value == written.value


@SETTINGS
@given(session=sessions, key=st.one_of(st.text(min_size=1, max_size=30), st.binary(min_size=1, max_size=40)))
def test_flasksess_signs_flask_loads(session: dict[str, Any], key: str | bytes) -> None:
    cookie = sign_session(session, key=keys.SecretKey(key)).value
    client = app_with(key).test_client()
    client.set_cookie("session", cookie)
    assert client.get("/read").text == flask_loads_back(session)


@settings(max_examples=60, deadline=None)
@given(
    session=sessions,
    digest=st.sampled_from(["sha1", "sha224", "sha256", "sha384", "sha512"]),
    derivation=st.sampled_from(["hmac", "concat", "django-concat", "none"]),
    salt=st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=20),
)
def test_custom_session_interfaces(session: dict[str, Any], digest: str, derivation: str, salt: str) -> None:
    interface = SecureCookieSessionInterface()
    interface.salt = salt
    interface.key_derivation = derivation
    interface.digest_method = staticmethod(getattr(hashlib, digest))  # type: ignore[method-assign]
    scheme = Scheme(salt=salt, digest=digest, key_derivation=derivation)
    cookie = sign_session(session, key=keys.parse_key("k"), scheme=scheme).value
    client = app_with("k", interface).test_client()
    client.set_cookie("session", cookie)
    assert client.get("/read").text == flask_loads_back(session)


ALPHABET = string.ascii_letters + string.digits + "-_.+/=! "


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_verify_accepts_exactly_what_itsdangerous_accepts(data: st.DataObject) -> None:
    cookie = sign_session(data.draw(sessions, label="session"), key=keys.parse_key("k"), timestamp=1_800_000_000).value
    chars = list(cookie)
    for _ in range(data.draw(st.integers(0, 3), label="edits")):
        position = data.draw(st.integers(0, len(chars)), label="at")
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]), label="action")
        char = data.draw(st.sampled_from(ALPHABET), label="char")
        if action == "insert":
            chars.insert(position, char)
        elif chars and position < len(chars):
            if action == "replace":
                chars[position] = char
            else:
                del chars[position]
    mutated = "".join(chars)
    serializer = itsdangerous.URLSafeTimedSerializer(
        "k", salt="cookie-session", serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )  # fmt: skip
    try:
        theirs = isinstance(serializer.loads(mutated), dict)
    except itsdangerous.BadData:
        theirs = False
    try:
        ours = verify_cookie(mutated, key=keys.parse_key("k"), max_age=None).valid
    except Exception as exc:  # only flasksess's BadInput may end a verify
        assert type(exc).__name__ in {"BadInput", "DecompressionBomb"}, exc
        ours = False
    assert ours == theirs, mutated


def test_uuid_and_markup_types_survive() -> None:
    session = {"u": uuid.UUID(int=5), "m": Markup("<i>x</i>"), "t": (b"\x00",)}
    cookie = sign_session(session, key=keys.parse_key("k")).value
    decoded = decode_cookie(cookie).session
    assert decoded == session
    assert isinstance(decoded["m"], Markup) and isinstance(decoded["t"], tuple)  # type: ignore[index]


# --- any payload a key holder can sign: flasksess's verdict is Flask's ------------------------------------

TAGS = st.sampled_from([" t", " di", " b", " m", " u", " d", " x", " t__"])
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(["ab", "", "YWI=", "Sun, 31 Dec 2023 18:00:00 GMT", "12345678123456781234567812345678"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), TAG_LIKE_KEYS), inner, max_size=4),
        st.builds(lambda key, value: {key: value}, TAGS, inner),  # a tag, or something shaped like one
    ),
    max_leaves=16,
)


def flask_on(cookie: str) -> tuple[int, bool, str | None]:
    """(status, whether the view ran, repr of the session it saw), from Flask 3.1's own request cycle."""
    seen: list[str] = []
    app = flask.Flask(__name__)
    app.secret_key = "payload-key"

    @app.get("/")
    def view() -> str:
        seen.append(repr(dict(flask.session)))
        return "ok"

    client = app.test_client()
    client.set_cookie("session", cookie)
    status = client.get("/").status_code
    return status, bool(seen), seen[0] if seen else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=json_values)
def test_any_signed_payload_gets_flasks_verdict(payload: Any) -> None:
    text = json.dumps(payload)
    signer = itsdangerous.TimestampSigner("payload-key", salt="cookie-session", key_derivation="hmac")
    cookie = signer.sign(itsdangerous.encoding.base64_encode(text.encode())).decode()
    status, ran, seen = flask_on(cookie)
    result = verify_cookie(cookie, key=keys.parse_key("payload-key"), max_age=2678400)
    expected = "session" if status == 200 else ("http-500-after-view" if ran else "http-500")
    assert result.outcome == expected, (text, result.reason, result.cookie.payload_error)
    assert result.valid is ran
    if ran:
        assert repr(result.cookie.session) == seen
    command = CliRunner().invoke(cli, ["verify", "--json", "-k", "payload-key", cookie], catch_exceptions=False)
    assert command.exit_code == (0 if ran else 1) and json.loads(command.stdout)["outcome"] == expected
