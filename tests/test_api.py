"""The library API (``import flasksess_cli``): typed functions, str or bytes keys, lazy, checked against real Flask."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from importlib.metadata import version

import pytest
from flask import Flask, session

import flasksess_cli as fs


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=b"\xbc\xf6\x8aTP\xba\xe7\xf8*\xcc\xa7\xbe\xb2S\xd5\x83new", SECRET_KEY_FALLBACKS=["old"]
    )

    @app.get("/")
    def show() -> dict[str, object]:
        return dict(session)

    return app


def loaded_by(app: Flask, cookie: str) -> dict[str, object]:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/").get_json()  # type: ignore[no-any-return]


def test_importing_the_package_imports_nothing_else() -> None:
    code = "import sys, flasksess_cli; print(sorted(m for m in sys.modules if m.startswith(('flasksess', 'flask', 'itsdangerous', 'click'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "['flasksess_cli']"


def test_every_public_name_resolves_and_dir_lists_them() -> None:
    for name in fs.__all__:
        assert getattr(fs, name) is not None, name
    assert set(fs.__all__) <= set(dir(fs))
    assert fs.__version__ == version("flasksess")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fs.nope  # noqa: B018


@pytest.mark.parametrize("key", ["change-me-please", b"change-me-please", fs.SecretKey("change-me-please")])
def test_str_and_bytes_keys_sign_and_verify_alike(key: fs.Key) -> None:
    cookie = fs.sign({"user_id": 42}, key, at=1795269733)
    assert cookie == "eyJ1c2VyX2lkIjo0Mn0.awGkZQ.RYJXZOfflXYGBDFuiDqStZ3iNGk"  # the README's, as Flask writes it
    assert fs.verify(cookie, key, max_age=None).valid
    assert fs.verify(cookie, "change-me-please", now=1795269733 + 5).age_seconds == 5


def test_a_key_is_taken_as_it_is_never_parsed() -> None:
    """hex:... is the text "hex:..." as app.secret_key holds it; parse_key reads the command line's syntax."""
    text = fs.sign({"a": 1}, "hex:00ff", at=0)
    assert fs.verify(text, "hex:00ff", max_age=None).valid
    assert not fs.verify(text, b"\x00\xff", max_age=None).valid
    assert fs.verify(fs.sign({"a": 1}, fs.parse_key("hex:00ff"), at=0), b"\x00\xff", max_age=None).valid
    with pytest.raises(TypeError, match="str or bytes, not int"):
        fs.sign({"a": 1}, 42)  # type: ignore[arg-type]


def test_what_the_api_signs_with_an_app_the_app_loads(app: Flask) -> None:
    moment = datetime(2026, 5, 1, tzinfo=timezone.utc)
    cookie = fs.sign({"cart": (1, 2), "at": moment}, app=app)
    assert loaded_by(app, cookie) == {"at": "Fri, 01 May 2026 00:00:00 GMT", "cart": [1, 2]}
    assert fs.decode(cookie).session == {"at": moment, "cart": (1, 2)}
    assert fs.verify(cookie, app=app).matched_key == "current"
    old = fs.sign({"u": 1}, "old")
    assert (fs.verify(old, app=app).matched_key, loaded_by(app, old)) == ("fallback-1", {"u": 1})


def test_verify_follows_the_apps_lifetime(app: Flask) -> None:
    app.permanent_session_lifetime = timedelta(hours=1)
    two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    cookie = fs.sign({"u": 1}, app=app, at=two_hours_ago)
    assert fs.verify(cookie, app=app).reason == "expired"
    assert loaded_by(app, cookie) == {}
    assert fs.verify(cookie, app=app, max_age=timedelta(hours=3)).valid
    assert fs.verify(cookie, app=app, max_age=None).valid


def test_verify_and_decode_take_pasted_headers() -> None:
    cookie = fs.sign({"u": 1}, "k")
    assert fs.decode(f"Set-Cookie: session={cookie}; HttpOnly; Path=/").session == {"u": 1}
    assert fs.verify(f"Cookie: theme=dark; sid={cookie}", "k", name="sid").valid
    with pytest.raises(fs.BadInput, match="no cookie named 'session'"):
        fs.decode(f"Cookie: sid={cookie}; theme=dark")
    assert fs.decode(f"Cookie: sid={cookie}; theme=dark", name="sid").session == {"u": 1}


def test_errors_a_caller_can_cause_are_flasksess_errors_with_exit_codes() -> None:
    with pytest.raises(fs.BadInput) as caught:
        fs.decode("not a cookie")
    assert caught.value.exit_code == fs.ExitCode.BAD_INPUT
    with pytest.raises(fs.BadInput, match="no secret key"):
        fs.verify(fs.sign({"a": 1}, "k"))


def test_compress_forced_either_way_and_flask_loads_both(app: Flask) -> None:
    small, big = {"a": 1}, {"note": "x" * 500}
    assert fs.sign(small, app=app, compress=True).startswith(".")
    assert not fs.sign(big, app=app, compress=False).startswith(".")
    assert fs.sign(big, app=app).startswith(".")  # as Flask: compressed when shorter
    assert loaded_by(app, fs.sign(small, app=app, compress=True)) == small
    assert loaded_by(app, fs.sign(big, app=app, compress=False)) == big


def test_check_size_audit_and_find_key() -> None:
    report = fs.check_size(session={"blob": "é" * 3000})
    assert report.cookies[0].report.name == "session"
    assert fs.check_size(session={"blob": __import__("os").urandom(3000).hex()}).dropped
    assert fs.audit_key("dev").weak and not fs.audit_key(fs.generate_key()).weak
    found = fs.find_key(fs.sign({"a": 1}, b'_5#y2L"F4Q8z\n\xec]/')).found
    assert found is not None and found.known is not None and found.key == b'_5#y2L"F4Q8z\n\xec]/'
    assert fs.find_key(fs.sign({"a": 1}, fs.generate_key())).found is None


def test_audit_app_keys(app: Flask) -> None:
    results = fs.audit_app_keys(app)
    assert [(r.role, r.verdict) for r in results] == [("SECRET_KEY", "strong"), ("SECRET_KEY_FALLBACKS[0]", "weak")]


def test_typed_json_form() -> None:
    assert json.dumps(fs.to_typed({"t": (1,)})) == '{"t": {"__type__": "tuple", "items": [1]}}'
