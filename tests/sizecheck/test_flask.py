"""sizecheck --session against real Flask: the exact Set-Cookie Flask's test client receives, and its warning.

For every attribute, permanent or not, compressed or not, the header Flask sends has
exactly the size sizecheck predicts, and it is byte for byte the header set_cookie.py
builds from the value Flask signed. Werkzeug's "cookie is too large" UserWarning
fires exactly when sizecheck says "Flask will warn".
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import flask
import pytest
from flask.sessions import SecureCookieSessionInterface
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flasksess_cli.codec.session_json import from_typed, to_typed
from flasksess_cli.settings import SessionSettings
from flasksess_cli.sizecheck import browsers, set_cookie
from flasksess_cli.sizecheck.pricing import session_cookie
from flasksess_cli.sizecheck.report import check_session
from tests.conftest import Invoke

TOO_LARGE = "cookie is too large"


class Sha256Sessions(SecureCookieSessionInterface):
    digest_method = staticmethod(hashlib.sha256)


def make_app(config: dict[str, Any], *, sha256: bool = False) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="the key does not change any size", **config)
    if sha256:
        app.session_interface = Sha256Sessions()

    @app.post("/set")
    def set_session() -> str:
        flask.session.update(from_typed(flask.request.get_json()))
        if flask.request.args.get("permanent"):
            flask.session.permanent = True
        return "ok"

    return app


def received(app: flask.Flask, session: dict[str, Any], *, permanent: bool = False) -> str:
    """The Set-Cookie value Flask sends for this session."""
    with app.test_client() as client:
        response = client.post("/set" + ("?permanent=1" if permanent else ""), json=to_typed(session))
    [header] = response.headers.getlist("Set-Cookie")
    return header


def predicted(invoke: Invoke, session: dict[str, Any], options: list[str]) -> dict[str, Any]:
    result = invoke(["sizecheck", "--json", "--session", json.dumps(to_typed(session)), *options])
    assert result.exit_code in {0, 1}, result.stderr
    [cookie] = json.loads(result.stdout)["cookies"]
    return dict(cookie)


def random_text(seed: int, n: int) -> str:
    return "".join(random.Random(seed).choices(string.ascii_letters + string.digits, k=n))


SESSIONS = {
    "small-uncompressed": {"user_id": 42},
    "compressed": {"cart": [{"sku": i, "name": "widget", "qty": 1} for i in range(120)], "user_id": 7},
    "tagged-types": {
        "pair": (1, "two"),
        "token": b"\x00\xffbytes",
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "id": uuid.UUID(int=12345),
        "text": "naïve ☃",
    },
    "random-large": {"blob": random_text(1, 2500), "gen": 3},
    "permanent-in-session": {"user_id": 1, "_permanent": True},
}

CONFIGS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "default": ({}, []),
    "samesite-lax": ({"SESSION_COOKIE_SAMESITE": "Lax"}, ["--samesite", "lax"]),
    "samesite-strict": ({"SESSION_COOKIE_SAMESITE": "Strict"}, ["--samesite", "Strict"]),
    "samesite-none-secure": ({"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True},
                             ["--samesite", "None", "--secure"]),
    "secure": ({"SESSION_COOKIE_SECURE": True}, ["--secure"]),
    "domain": ({"SESSION_COOKIE_DOMAIN": "example.com"}, ["--domain", "example.com"]),
    "path": ({"SESSION_COOKIE_PATH": "/app"}, ["--path", "/app"]),
    "partitioned": ({"SESSION_COOKIE_PARTITIONED": True}, ["--partitioned"]),
    "no-httponly": ({"SESSION_COOKIE_HTTPONLY": False}, ["--no-httponly"]),
    "host-prefix": ({"SESSION_COOKIE_NAME": "__Host-session", "SESSION_COOKIE_SECURE": True},
                    ["--cookie-name", "__Host-session", "--secure"]),
    "everything": ({"SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "Lax",
                    "SESSION_COOKIE_DOMAIN": "sub.example.com", "SESSION_COOKIE_PATH": "/x"},
                   ["--secure", "--samesite", "Lax", "--domain", "sub.example.com", "--path", "/x"]),
}  # fmt: skip


@pytest.mark.parametrize("permanent", [False, True], ids=["browser-session", "permanent"])
@pytest.mark.parametrize("session_id", SESSIONS)
@pytest.mark.parametrize("config_id", CONFIGS)
def test_predicted_header_is_the_one_flask_sends(
    invoke: Invoke, config_id: str, session_id: str, permanent: bool
) -> None:
    config, options = CONFIGS[config_id]
    session = SESSIONS[session_id]
    header = received(make_app(config), session, permanent=permanent)
    cookie = predicted(invoke, session, options + (["--permanent"] if permanent else []))
    name, _, rest = header.partition("=")
    value = rest.split(";", 1)[0]
    assert cookie["header_bytes"] == len(header)
    assert cookie["value_bytes"] == len(value)
    assert cookie["name_value_bytes"] == len(name) + len(value)
    assert cookie["attributes"].split("Expires=")[0] == header.partition("; ")[2].split("Expires=")[0]
    assert ("Expires=" in header) == (permanent or session_id == "permanent-in-session")
    assert cookie["session"]["compressed"] == value.startswith(".")
    # Byte for byte: the header set_cookie.py builds around the value Flask signed is the header Flask sent.
    expires = next((a[8:] for a in header.split("; ") if a.startswith("Expires=")), None)
    attributes = _attributes(config, expires)
    assert set_cookie.set_cookie_header(name, value, attributes) == header


def _attributes(config: dict[str, Any], expires: str | None) -> set_cookie.CookieAttributes:
    return set_cookie.CookieAttributes(
        domain=config.get("SESSION_COOKIE_DOMAIN"),
        path=config.get("SESSION_COOKIE_PATH", "/"),
        secure=config.get("SESSION_COOKIE_SECURE", False),
        httponly=config.get("SESSION_COOKIE_HTTPONLY", True),
        samesite=config.get("SESSION_COOKIE_SAMESITE"),
        partitioned=config.get("SESSION_COOKIE_PARTITIONED", False),
        expires=expires,
    )


@pytest.mark.parametrize("session_id", ["small-uncompressed", "compressed"])
def test_custom_digest_changes_the_signature_length_and_sizecheck_follows(invoke: Invoke, session_id: str) -> None:
    session = SESSIONS[session_id]
    header = received(make_app({}, sha256=True), session)
    sha256 = predicted(invoke, session, ["--digest", "sha256"])
    sha1 = predicted(invoke, session, [])
    assert sha256["header_bytes"] == len(header)
    assert sha256["value_bytes"] - sha1["value_bytes"] == 43 - 27


def test_app_option_reads_every_setting_from_the_application(invoke: Invoke, tmp_path: Path) -> None:
    module = f"sizeapp_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(
        "import hashlib, flask\n"
        "from flask.sessions import SecureCookieSessionInterface\n"
        "class S(SecureCookieSessionInterface):\n"
        "    digest_method = staticmethod(hashlib.sha512)\n"
        "app = flask.Flask(__name__)\n"
        "app.session_interface = S()\n"
        "app.config.update(SECRET_KEY='k', SESSION_COOKIE_NAME='__Secure-sid', SESSION_COOKIE_SECURE=True,\n"
        "                  SESSION_COOKIE_SAMESITE='Strict', APPLICATION_ROOT='/shop', MAX_COOKIE_SIZE=300)\n"
    )
    session = SESSIONS["compressed"]
    app = make_app(
        {"SESSION_COOKIE_NAME": "__Secure-sid", "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_SAMESITE": "Strict",
         "APPLICATION_ROOT": "/shop", "MAX_COOKIE_SIZE": 300}
    )  # fmt: skip

    class Sha512(SecureCookieSessionInterface):
        digest_method = staticmethod(hashlib.sha512)

    app.session_interface = Sha512()
    with pytest.warns(UserWarning, match=TOO_LARGE):
        header = received(app, session, permanent=True)
    cookie = predicted(invoke, session, ["--app", str(tmp_path / f"{module}.py"), "--permanent"])
    assert cookie["name"] == "__Secure-sid"
    assert cookie["header_bytes"] == len(header)
    assert "Path=/shop; SameSite=Strict" in cookie["attributes"]
    assert cookie["flask"] == {"limit": 300, "bytes": len(header), "headroom": 300 - len(header), "verdict": "warns"}


def test_options_given_beat_the_apps_settings(invoke: Invoke, tmp_path: Path) -> None:
    module = f"sizeapp_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(
        "import flask\napp = flask.Flask(__name__)\napp.config.update(SESSION_COOKIE_SECURE=True, MAX_COOKIE_SIZE=100)\n"
    )
    cookie = predicted(
        invoke, {"a": 1}, ["--app", str(tmp_path / f"{module}.py"), "--no-secure", "--max-cookie-size", "0"]
    )
    assert cookie["attributes"] == "HttpOnly; Path=/"
    assert cookie["flask"]["verdict"] == "disabled"


# --- Werkzeug's warning fires exactly when sizecheck says it will -----------------------------------


def _flask_warned(app: flask.Flask, session: dict[str, Any], *, permanent: bool = False) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        received(app, session, permanent=permanent)
    return any(TOO_LARGE in str(w.message) and w.category is UserWarning for w in caught)


@pytest.mark.parametrize("config_id", CONFIGS)
@pytest.mark.parametrize("session_id", ["small-uncompressed", "random-large"])
def test_warning_fires_exactly_past_the_predicted_size(invoke: Invoke, config_id: str, session_id: str) -> None:
    config, options = CONFIGS[config_id]
    session = SESSIONS[session_id]
    size = predicted(invoke, session, options)["header_bytes"]
    for limit, warns in ((size, False), (size - 1, True)):
        says = predicted(invoke, session, [*options, "--max-cookie-size", str(limit)])
        assert says["flask"]["verdict"] == ("warns" if warns else "silent")
        assert _flask_warned(make_app({**config, "MAX_COOKIE_SIZE": limit}), session) is warns


def session_with_header_size(target: int) -> dict[str, Any]:
    """A realistic session (random text, zlib-compressed) whose default Flask header is exactly ``target`` bytes."""
    text = random_text(0, target * 2)

    def header_bytes(n: int, pad: int) -> int:
        value = session_cookie({"blob": text[:n], "pad": "x" * pad, "user_id": 42}).value
        return browsers.check_cookie("session", value).header_bytes

    low, high = 0, len(text)
    while low < high:  # the shortest blob whose header reaches the target (sizes grow with n, give or take)
        mid = (low + high) // 2
        low, high = (mid + 1, high) if header_bytes(mid, 0) < target else (low, mid)
    for n in range(max(low - 40, 0), low + 40):
        for pad in range(24):
            if header_bytes(n, pad) == target:
                return {"blob": text[:n], "pad": "x" * pad, "user_id": 42}
    raise AssertionError(f"no session found with a {target}-byte header")


@pytest.mark.parametrize(("header_size", "warns"), [(4093, False), (4094, True)])
def test_default_max_cookie_size_boundary_with_real_sessions(invoke: Invoke, header_size: int, warns: bool) -> None:
    session = session_with_header_size(header_size)
    cookie = predicted(invoke, session, [])
    assert cookie["header_bytes"] == header_size
    assert cookie["flask"]["verdict"] == ("warns" if warns else "silent")
    assert cookie["verdict"] == ("flask-warns" if warns else "ok")
    assert _flask_warned(make_app({}), session) is warns
    result = invoke(["sizecheck", "--session", json.dumps(to_typed(session))])
    assert result.exit_code == 0  # browsers keep a 4094-byte header: only Flask warns
    assert ("FLASK WARNS" in result.stdout) is warns


# --- a property: any session, any of these configs ---------------------------------------------------

_APPS = {config_id: make_app({**config, "MAX_COOKIE_SIZE": 0}) for config_id, (config, _) in CONFIGS.items()}
_leaves = st.one_of(
    st.integers(-(2**40), 2**40), st.text(max_size=300), st.booleans(), st.none(),
    st.floats(allow_nan=False, allow_infinity=False), st.binary(max_size=200),
)  # fmt: skip
_values = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    session=st.dictionaries(st.text(min_size=1, max_size=12), _values, min_size=1, max_size=6),
    config_id=st.sampled_from(sorted(CONFIGS)),
    permanent=st.booleans(),
)
def test_any_session_has_the_predicted_size(session: dict[str, Any], config_id: str, permanent: bool) -> None:
    config, _ = CONFIGS[config_id]
    header = received(_APPS[config_id], session, permanent=permanent)
    settings_ = SessionSettings(
        cookie_name=config.get("SESSION_COOKIE_NAME", "session"), domain=config.get("SESSION_COOKIE_DOMAIN"),
        path=config.get("SESSION_COOKIE_PATH", "/"), secure=config.get("SESSION_COOKIE_SECURE", False),
        httponly=config.get("SESSION_COOKIE_HTTPONLY", True), samesite=config.get("SESSION_COOKIE_SAMESITE"),
        partitioned=config.get("SESSION_COOKIE_PARTITIONED", False), permanent=permanent,
    )  # fmt: skip
    report = check_session(session, settings_).report
    assert report.header_bytes == len(header)
