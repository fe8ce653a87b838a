"""Every token that shares the app's key, made by the real library and checked through the CLI: decode, verify with
the right key and a wrong one, and sign a token the real library accepts.

The key has a non-ASCII character on purpose: itsdangerous keys the HMAC with its UTF-8
bytes, Flask-Login with its Latin-1 bytes, Starlette with ``str(key)``; each must be read
as its library reads it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Invoke, Serve
from tests.tokenapps import flask_app, hypercorn_server, quart_app, starlette_app, uvicorn_server

KEY = "flasksess-demo-key-café"
WRONG = "not-the-key"
_TOKEN_INPUT = re.compile(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">')


def cookies_of(response: Any) -> dict[str, str]:
    """name -> value of each Set-Cookie a Werkzeug test response carries."""
    found = {}
    for line in response.headers.getlist("Set-Cookie"):
        name, _, rest = line.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


def run_json(invoke: Invoke, args: list[str]) -> tuple[int, dict[str, Any]]:
    result = invoke([*args[:1], "--json", *args[1:]])
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


# --- Flask-WTF ------------------------------------------------------------------------------------


@pytest.fixture
def login_page() -> tuple[Any, Any, str, str]:
    """(app, client, the CSRF token of the login form, the raw token the session holds)."""
    app = flask_app(KEY)
    client = app.test_client()
    page = client.get("/login")
    html = page.get_data(as_text=True)
    token = _TOKEN_INPUT.search(html)
    assert token is not None and f'<meta name="csrf-token" content="{token[1]}">' in html
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    return app, client, token[1], raw


def test_a_csrf_token_is_a_token_holding_its_string(invoke: Invoke, login_page: tuple[Any, Any, str, str]) -> None:
    _, _, token, raw = login_page
    code, document = run_json(invoke, ["decode", token])
    assert code == 0 and document["format"] == "flask-wtf-csrf" and document["kind"] == "token"
    assert document["data"] == raw and document["session"] is None and document["verified"] is False
    assert (
        document["recognition"]["format"] == "flask-wtf-csrf"
        and "itsdangerous" in document["recognition"]["alternatives"]
    )
    human = invoke(["decode", token])
    assert "Flask-WTF CSRF token" in human.stdout and "HTTP 500" not in human.stdout and raw in human.stdout
    assert "session" not in human.stdout.split("format", 1)[0]  # not called a session


def test_a_csrf_token_verifies_with_the_key_and_not_with_another(
    invoke: Invoke, login_page: tuple[Any, Any, str, str]
) -> None:
    _, _, token, raw = login_page
    code, document = run_json(invoke, ["verify", "-k", KEY, token])
    assert code == 0 and document["valid"] and document["format"] == "flask-wtf-csrf"
    assert document["outcome"] == "accepted" and document["data"] == raw and document["max_age"] == 3600
    assert document["rules"]["framework"] == "flask-wtf" and document["rules"]["source"] == "signature"
    code, document = run_json(invoke, ["verify", "-k", WRONG, token])
    assert code == 1 and document["reason"] == "bad-signature" and document["outcome"] == "rejected"
    assert "flask-wtf-csrf" in document["tried"] and "flask-session" in document["tried"]


def test_a_csrf_token_flasksess_signs_passes_flask_wtf(invoke: Invoke, login_page: tuple[Any, Any, str, str]) -> None:
    _, client, _, raw = login_page
    forged = invoke(["sign", "--format", "flask-wtf-csrf", "-k", KEY, json.dumps(raw)]).stdout.strip()
    assert client.post("/form", data={"csrf_token": forged}).status_code == 200
    assert client.post("/form", headers={"X-CSRFToken": forged}).status_code == 200
    wrong = invoke(["sign", "--format", "flask-wtf-csrf", "-k", WRONG, json.dumps(raw)]).stdout.strip()
    refused = client.post("/form", data={"csrf_token": wrong})
    assert refused.status_code == 400 and b"The CSRF token is invalid." in refused.data


@pytest.mark.parametrize("payload", ["42", '{"a": 1}', '"caf\u00e9"'])
def test_a_csrf_token_flask_wtf_would_answer_500_is_not_signed(
    invoke: Invoke, login_page: tuple[Any, Any, str, str], payload: str
) -> None:
    from itsdangerous import URLSafeTimedSerializer

    app, client, _, _ = login_page
    app.config["PROPAGATE_EXCEPTIONS"] = False
    made = URLSafeTimedSerializer(KEY, salt="wtf-csrf-token").dumps(json.loads(payload))
    assert client.post("/form", data={"csrf_token": made}).status_code == 500  # the fact the refusal rests on
    result = invoke(["sign", "--format", "flask-wtf-csrf", "-k", KEY, payload])
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.startswith("Error: a Flask-WTF CSRF token holds the session's csrf_token, ASCII text")


@pytest.mark.parametrize("salt", ["[/]", "[link=https://evil.example/]s"])
def test_a_salt_with_markup_is_shown_as_text(invoke: Invoke, salt: str) -> None:
    """The 'rules' row quotes the salt (--salt, or an app's WTF_CSRF_* setting): read as rich markup, '[/]' was a
    MarkupError traceback (exit 70) and '[link=...]' a hyperlink on a terminal."""
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer(KEY, salt=salt).dumps("a1" * 20)
    result = invoke(["verify", "-k", KEY, "--format", "flask-wtf-csrf", "--salt", salt, token])
    assert result.exit_code == 0, result.stderr
    assert f"salt {salt!r}" in result.stdout


def test_wtf_csrf_secret_key_and_time_limit_are_read_from_the_app(login_page: tuple[Any, Any, str, str]) -> None:
    import flasksess_cli as fs

    app = flask_app(KEY, WTF_CSRF_SECRET_KEY="the-csrf-key", WTF_CSRF_TIME_LIMIT=60)
    client = app.test_client()
    token = _TOKEN_INPUT.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    result = fs.verify(token[1], app=app, format=None)
    assert result.valid and result.cookie.rules.format == "flask-wtf-csrf" and result.max_age == 60
    later = fs.verify(token[1], app=app, format=None, now=time.time() + 61)
    assert later.reason == "expired" and later.outcome == "rejected"
    assert not fs.verify(token[1], KEY, format="flask-wtf-csrf").verified  # SECRET_KEY did not sign it


# --- Flask-Login ----------------------------------------------------------------------------------


def log_in(client: Any, token: str, user: str) -> dict[str, str]:
    response = client.post("/login", data={"csrf_token": token, "username": user, "remember": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return cookies_of(response)


def test_a_remember_cookie_is_read_and_checked_as_flask_login_does(
    invoke: Invoke, login_page: tuple[Any, Any, str, str]
) -> None:
    _, client, token, _ = login_page
    remember = log_in(client, token, "42")["remember_token"]
    code, document = run_json(invoke, ["decode", f"remember_token={remember}"])
    assert code == 0 and document["format"] == "flask-login-remember" and document["data"] == "42"
    assert document["recognition"]["certain"] is True and document["timestamp"] is None
    code, document = run_json(invoke, ["verify", "-k", KEY, f"Cookie: session=x; remember_token={remember}"])
    assert code == 0 and document["valid"] and document["outcome"] == "accepted" and document["data"] == "42"
    code, document = run_json(invoke, ["verify", "-k", WRONG, remember])
    assert code == 1 and document["reason"] == "bad-signature" and document["outcome"] == "rejected"
    # Flask-Login keys its HMAC with the key's Latin-1 bytes: the UTF-8 bytes of the same text do not verify.
    assert invoke(["verify", "-k", "hex:" + KEY.encode("utf-8").hex(), remember]).exit_code == 1
    assert invoke(["verify", "-k", "hex:" + KEY.encode("latin-1").hex(), remember]).exit_code == 0


def test_a_remember_cookie_flasksess_signs_logs_in_with_flask_login(invoke: Invoke) -> None:
    app = flask_app(KEY)
    forged = invoke(["sign", "--format", "flask-login-remember", "-k", KEY, '"7"']).stdout.strip()
    client = app.test_client()
    client.set_cookie("remember_token", forged)
    assert client.get("/me").get_data(as_text=True) == "7"
    numeric = invoke(["sign", "--format", "flask-login-remember", "-k", KEY, "8"]).stdout.strip()
    assert numeric.startswith("8|")
    wrong = invoke(["sign", "--format", "flask-login-remember", "-k", WRONG, '"7"']).stdout.strip()
    other = app.test_client()
    other.set_cookie("remember_token", wrong)
    assert other.get("/me").get_data(as_text=True) == "anonymous"


@pytest.mark.parametrize("user", ["a\x1bb[2J", "\u202e7", 'x\x00"\\;,\x9b'])
def test_a_remember_cookie_for_a_user_id_with_control_characters_is_printed_as_werkzeug_quotes_it(
    invoke: Invoke, serve: Serve, user: str
) -> None:
    """Printed raw, its control characters reached the terminal (and no browser keeps such a cookie); quoted with
    Werkzeug's octal escapes, it is what Flask-Login's response sets, and the app logs that user in."""
    forged = invoke(["sign", "--format", "flask-login-remember", "-k", KEY, json.dumps(user)])
    assert forged.exit_code == 0 and forged.stdout.isascii() and forged.stdout[:-1].isprintable(), forged.stdout
    base = serve(flask_app(KEY))
    cookie = {"Cookie": f"remember_token={forged.stdout.strip()}"}
    request = urllib.request.Request(f"{base}/me", headers=cookie)  # noqa: S310 - 127.0.0.1
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
        assert response.read().decode() == user


@pytest.mark.parametrize("user", ['"\\ud800"', '"7\\udc80"'])
def test_a_remember_cookie_for_a_user_id_flask_login_cannot_encode_is_one_error(invoke: Invoke, user: str) -> None:
    result = invoke(["sign", "--format", "flask-login-remember", "-k", KEY, user])
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.startswith("Error: the user id holds a lone surrogate") and result.stderr.count("\n") == 1


def test_a_quoted_remember_cookie_is_unquoted_as_werkzeug_does(
    invoke: Invoke, login_page: tuple[Any, Any, str, str]
) -> None:
    _, client, token, _ = login_page
    user = 'ünï 7,"q";x'
    response = client.post("/login", data={"csrf_token": token, "username": user, "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert '\\"' in header and "\\303" in header  # Werkzeug quoted it, with octal escapes
    code, document = run_json(invoke, ["verify", "-k", KEY, f"Set-Cookie: {header}"])
    assert code == 0 and document["data"] == user


@pytest.mark.skipif(
    shutil.which("hashcat") is None, reason="hashcat is not installed (apt install hashcat pocl-opencl-icd)"
)
def test_the_real_hashcat_finds_a_remember_cookies_key_with_mode_1750(
    invoke: Invoke, login_page: tuple[Any, Any, str, str], tmp_path: Path
) -> None:
    app = flask_app("remember-hashcat-key")
    client = app.test_client()
    token = _TOKEN_INPUT.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    remember = log_in(client, token[1], "42")["remember_token"]
    words = tmp_path / "words.txt"
    words.write_text("one\nremember-hashcat-key\n")
    document = json.loads(invoke(["audit", "cookie", "--hashcat", "--json", "--wordlist", str(words), remember]).stdout)
    assert document["mode"] == 1750 and document["hash"] == remember.split("|")[1] + ":42"
    (tmp_path / "cookie.hash").write_text(document["hash"] + "\n")
    command = [*document["command"], "--potfile-disable", "--quiet", "--outfile-format", "2"]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, timeout=600, check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert b"remember-hashcat-key" in done.stdout, done.stderr.decode(errors="replace")


def test_no_stock_hashcat_mode_takes_a_django_concat_token(
    invoke: Invoke, login_page: tuple[Any, Any, str, str]
) -> None:
    result = invoke(["audit", "cookie", "--hashcat", login_page[2]])
    assert result.exit_code == 3 and "no stock hashcat mode takes a Flask-WTF CSRF token" in result.stderr
    assert "SHA1(salt + 'signer' + key)" in result.stderr and result.stdout == ""


# --- Starlette (uvicorn) --------------------------------------------------------------------------


def get(url: str, cookie: str | None = None) -> tuple[str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310 - 127.0.0.1
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        found = {}
        for line in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = line.partition("=")
            found[name] = rest.split(";", 1)[0]
        return response.read().decode(), found


@pytest.fixture(scope="module")
def starlette_url() -> Iterator[str]:
    with uvicorn_server(starlette_app(KEY)) as base:
        yield base


def test_a_starlette_session_is_read_checked_and_signed_as_starlette_does(invoke: Invoke, starlette_url: str) -> None:
    _, cookies = get(f"{starlette_url}/login?user=alice")
    cookie = cookies["session"]
    assert "=" in cookie or "+" in cookie or "/" in cookie or len(cookie.split(".")[0]) % 4 == 0
    code, document = run_json(invoke, ["decode", cookie])
    assert code == 0 and document["format"] == "starlette-session" and document["kind"] == "session"
    assert document["session"] == {"nonce": "6b1e0d2f9a", "user": "alice"}
    code, document = run_json(invoke, ["verify", "-k", KEY, f"session={cookie}"])
    assert code == 0 and document["valid"] and document["outcome"] == "session" and document["max_age"] == 14 * 86400
    code, document = run_json(invoke, ["verify", "-k", WRONG, cookie])
    assert code == 1 and document["reason"] == "bad-signature" and document["outcome"] == "empty-session"
    forged = invoke(["sign", "--format", "starlette-session", "-k", KEY, '{"user": "mallory"}']).stdout.strip()
    assert json.loads(get(f"{starlette_url}/me", f"session={forged}")[0]) == {"user": "mallory"}
    wrong = invoke(["sign", "--format", "starlette-session", "-k", WRONG, '{"user": "mallory"}']).stdout.strip()
    assert json.loads(get(f"{starlette_url}/me", f"session={wrong}")[0]) == {}


def test_a_starlette_session_is_not_read_with_flasks_tags(invoke: Invoke) -> None:
    from starlette.middleware.sessions import SessionMiddleware

    signer = SessionMiddleware(app=None, secret_key=KEY).signer  # type: ignore[arg-type]
    import base64

    cookie = signer.sign(base64.b64encode(json.dumps({" t": [1, 2]}).encode())).decode()
    code, document = run_json(invoke, ["verify", "-k", KEY, cookie])
    assert code == 0 and document["session"] == {" t": [1, 2]}  # plain JSON: Starlette has no tags


@pytest.mark.parametrize("session", [{"user": "x"}, {"q": ">>>"}])  # unpadded; a '-' in a padded length
def test_spaced_json_in_url_safe_base64_is_an_itsdangerous_token_not_a_starlette_session(
    invoke: Invoke, session: dict[str, Any]
) -> None:
    """json.dumps' spacing alone was taken for Starlette's, and decode then failed (exit 3, "Starlette answers HTTP
    500") on a valid token of an itsdangerous serializer given json; Starlette's own cookie stays Starlette's."""
    import base64

    from itsdangerous import URLSafeTimedSerializer
    from starlette.middleware.sessions import SessionMiddleware

    token = URLSafeTimedSerializer(KEY, serializer=json).dumps(session)
    code, document = run_json(invoke, ["decode", token])
    assert code == 0 and document["format"] == "itsdangerous" and document["data"] == session
    signer = SessionMiddleware(app=None, secret_key=KEY).signer  # type: ignore[arg-type]
    cookie = signer.sign(base64.b64encode(json.dumps(session).encode())).decode()
    code, document = run_json(invoke, ["decode", cookie])
    assert code == 0 and document["format"] == "starlette-session" and document["session"] == session


# --- Quart-Auth (Hypercorn) -----------------------------------------------------------------------


def post(url: str) -> dict[str, str]:
    request = urllib.request.Request(url, method="POST")  # noqa: S310 - 127.0.0.1
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        found = {}
        for line in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = line.partition("=")
            found[name] = rest.split(";", 1)[0]
        return found


@pytest.fixture(scope="module")
def quart_url() -> Iterator[str]:
    with hypercorn_server(quart_app(KEY)) as base:
        yield base


def test_a_quart_auth_token_is_read_checked_and_signed_as_quart_auth_does(invoke: Invoke, quart_url: str) -> None:
    token = post(f"{quart_url}/login/user-42")["QUART_AUTH"]
    code, document = run_json(invoke, ["decode", f"QUART_AUTH={token}"])
    assert code == 0 and document["format"] == "quart-auth" and document["data"] == "user-42"
    assert len(document["signature"]) == 86
    code, document = run_json(invoke, ["verify", "-k", KEY, token])
    assert code == 0 and document["valid"] and document["format"] == "quart-auth" and document["max_age"] == 365 * 86400
    code, document = run_json(invoke, ["verify", "-k", WRONG, token])
    assert code == 1 and document["reason"] == "bad-signature"
    forged = invoke(["sign", "--format", "quart-auth", "-k", KEY, '"mallory"']).stdout.strip()
    assert get(f"{quart_url}/me", f"QUART_AUTH={forged}")[0] == "mallory"
    wrong = invoke(["sign", "--format", "quart-auth", "-k", WRONG, '"mallory"']).stdout.strip()
    assert get(f"{quart_url}/me", f"QUART_AUTH={wrong}")[0] == "anonymous"


def test_quarts_own_session_is_a_flask_session_signed_with_the_same_key(invoke: Invoke, quart_url: str) -> None:
    _, cookies = get(f"{quart_url}/login")
    code, document = run_json(invoke, ["verify", "-k", KEY, cookies["session"]])
    assert code == 0 and document["format"] == "flask-session" and document["session"] == {"next": "/me"}


# --- Flask-Security -------------------------------------------------------------------------------

SECURITY = (
    ("remember_token", "flask-security-token", {"ver": "5", "uid": "u" * 32, "fs_paa": 1.5, "exp": 0}),
    ("confirm", "flask-security-confirm", ["a" * 32, "$5$rounds=535000$x"]),
    ("reset", "flask-security-reset", ["a" * 32, "$5$rounds=535000$y"]),
    ("login", "flask-security-login", ["a" * 32]),
    ("change_email", "flask-security-change-email", ["a" * 32, "$5$rounds=535000$z", "new@example.com"]),
    ("tf_validity", "flask-security-tf-validity", "b" * 32),
    ("tf_setup", "flask-security-tf-setup", {"totp_secret": "S", "method": "authenticator", "phone": None}),
    ("us_setup", "flask-security-us-setup", {"totp_secret": "S", "chosen_method": "email", "phone_number": None}),
    ("wan", "flask-security-wan", {"challenge": "c", "name": "key", "usage": "first", "user_verification": True}),
    ("refresh_token", "flask-security-refresh", {"ver": "1", "uid": "u", "family": "f", "gen": 1}),
)


@pytest.fixture(scope="module")
def security() -> tuple[Any, Any]:
    pytest.importorskip("flask_security", reason="Flask-Security 5.9 needs Python 3.11")
    from tests.tokenapps import flask_security_app

    return flask_security_app(KEY)


@pytest.mark.parametrize(("serializer", "name", "value"), SECURITY, ids=[s[1] for s in SECURITY])
def test_every_flask_security_token_is_recognised_by_its_mac(
    invoke: Invoke, security: tuple[Any, Any], serializer: str, name: str, value: Any
) -> None:
    app, _ = security
    with app.app_context():
        token = getattr(app.extensions["security"], f"{serializer}_serializer").dumps(value)
    code, document = run_json(invoke, ["verify", "-k", KEY, token])
    assert code == 0 and document["format"] == name and document["data"] == value, document["detail"]
    assert run_json(invoke, ["verify", "-k", WRONG, token])[0] == 1


def test_a_flask_security_reset_token_flasksess_signs_is_accepted(invoke: Invoke, security: tuple[Any, Any]) -> None:
    from flask_security.recoverable import reset_password_token_status

    app, datastore = security
    with app.app_context():
        user = datastore.find_user(email="alice@example.com")
        value = [user.fs_uniquifier, __import__("flask_security").utils.hash_data(user.password)]
    forged = invoke(["sign", "--format", "flask-security-reset", "-k", KEY, json.dumps(value)]).stdout.strip()
    with app.app_context():
        expired, invalid, found = reset_password_token_status(forged)
        assert not expired and not invalid and found.email == "alice@example.com"
    wrong = invoke(["sign", "--format", "flask-security-reset", "-k", WRONG, json.dumps(value)]).stdout.strip()
    with app.app_context():
        assert reset_password_token_status(wrong)[1]  # invalid


def test_flask_security_signs_with_the_last_fallback_and_its_salts_come_from_the_app(invoke: Invoke) -> None:
    pytest.importorskip("flask_security", reason="Flask-Security 5.9 needs Python 3.11")
    import flasksess_cli as fs
    from tests.tokenapps import flask_security_app

    app, _ = flask_security_app(KEY, SECRET_KEY_FALLBACKS=["old-1", "old-2"], SECURITY_RESET_SALT="my-reset-salt")
    with app.app_context():
        token = app.extensions["security"].reset_serializer.dumps(["a" * 32, None])
    result = fs.verify(token, app=app, format=None)
    assert result.valid and result.cookie.rules.format == "flask-security-reset" and result.matched_key == "fallback-2"
    assert not fs.verify(token, KEY, fallbacks=["old-1", "old-2"], format=None).verified  # the default salt
    signed = invoke(
        ["sign", "--json", "--format", "flask-security-reset", "--salt", "my-reset-salt", "-k", KEY,
         "--fallback", "old-1", "--fallback", "old-2", '["x"]']
    )  # fmt: skip
    document = json.loads(signed.stdout)
    assert document["signed_with"] == "fallback-2" and "last SECRET_KEY_FALLBACKS entry" in document["notes"][0]
    with app.app_context():
        assert app.extensions["security"].reset_serializer.loads(document["cookie"]) == ["x"]


def test_a_flask_security_login_sets_a_flask_login_remember_cookie(invoke: Invoke, security: tuple[Any, Any]) -> None:
    app, datastore = security
    client = app.test_client()
    response = client.post(
        "/login?include_auth_token",
        json={"email": "alice@example.com", "password": "correct horse battery", "remember": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    remember = cookies_of(response)["remember_token"]
    code, document = run_json(invoke, ["verify", "-k", KEY, remember])
    with app.app_context():
        uniquifier = datastore.find_user(email="alice@example.com").fs_uniquifier
    assert code == 0 and document["format"] == "flask-login-remember" and document["data"] == uniquifier
    auth = response.get_json()["response"]["user"]["authentication_token"]
    code, document = run_json(invoke, ["verify", "-k", KEY, auth])
    assert code == 0 and document["format"] == "flask-security-token" and document["data"]["uid"] == uniquifier


# --- itsdangerous ---------------------------------------------------------------------------------


def test_itsdangerous_tokens_with_an_apps_own_salt_timed_and_untimed(invoke: Invoke) -> None:
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    timed = URLSafeTimedSerializer(KEY, salt="email-confirm").dumps({"email": "a@example.com"})
    code, document = run_json(
        invoke, ["verify", "--format", "itsdangerous", "--salt", "email-confirm", "-k", KEY, timed]
    )
    assert code == 0 and document["data"] == {"email": "a@example.com"} and document["max_age"] is None
    code, document = run_json(invoke, ["verify", "--format", "itsdangerous", "-k", KEY, timed])  # salt "itsdangerous"
    assert code == 1 and document["reason"] == "bad-signature"
    untimed = URLSafeSerializer(KEY).dumps([1, 2, 3])
    code, document = run_json(invoke, ["verify", "-k", KEY, untimed])
    assert code == 0 and document["format"] == "itsdangerous-untimed" and document["data"] == [1, 2, 3]
    assert document["kind"] == "token"  # not a Flask-Session id
    signed = invoke(["sign", "--format", "itsdangerous", "--salt", "reset", "-k", KEY, '"a@example.com"']).stdout
    assert URLSafeTimedSerializer(KEY, salt="reset").loads(signed.strip(), max_age=60) == "a@example.com"


def test_a_payload_the_library_cannot_load_is_what_the_library_does_with_it(invoke: Invoke) -> None:
    from itsdangerous import TimestampSigner

    signer = TimestampSigner(KEY, salt="wtf-csrf-token")
    not_json = signer.sign("bm90IGpzb24").decode()  # base64url of "not json"
    code, document = run_json(invoke, ["verify", "--format", "flask-wtf-csrf", "-k", KEY, not_json])
    assert code == 1 and document["reason"] == "malformed-payload" and document["outcome"] == "rejected"
    assert "HTTP 400" in document["detail"] and "HTTP 500" not in document["detail"]
    quart = TimestampSigner(KEY, salt="quart auth salt", digest_method=__import__("hashlib").sha512).sign("bm90IGpzb24")
    code, document = run_json(invoke, ["verify", "--format", "quart-auth", "-k", KEY, quart.decode()])
    assert code == 1 and document["outcome"] == "http-500" and "Quart-Auth" in document["detail"]


def test_flask_ruled_options_refuse_another_format(invoke: Invoke) -> None:
    result = invoke(["verify", "--format", "quart-auth", "--flask", "2.2", "-k", KEY, "x.y.z"])
    assert result.exit_code == 2 and "--flask and --quart" in result.stderr


def test_api_formats(login_page: tuple[Any, Any, str, str]) -> None:
    import flasksess_cli as fs

    app, _, token, raw = login_page
    assert fs.recognise(token).format.name == "flask-wtf-csrf"
    assert fs.decode(token, format=None).data == raw
    assert fs.verify(token, app=app, format=None).cookie.rules.format == "flask-wtf-csrf"
    assert fs.verify(token, KEY, format="flask-wtf-csrf").valid
    remember = fs.sign("9", KEY, format="flask-login-remember")
    client = app.test_client()
    client.set_cookie("remember_token", remember)
    assert client.get("/me").get_data(as_text=True) == "9"
    assert fs.find_key(fs.sign("1", "secret", format="flask-login-remember"), format=None).found is not None
    assert "flask-wtf-csrf" in fs.TOKEN_FORMATS
    with pytest.raises(fs.BadInput):
        fs.decode(token, format="flask-login-remember")


def test_the_format_names_are_one_list() -> None:
    from flasksess_cli.codec.formats import FORMATS
    from flasksess_cli.defaults import TOKEN_FORMATS

    assert tuple(FORMATS) == TOKEN_FORMATS


def test_a_csrf_token_holding_no_ascii_string_is_flask_wtfs_http_500(invoke: Invoke) -> None:
    from itsdangerous import URLSafeTimedSerializer

    app = flask_app(KEY)
    client = app.test_client()
    client.get("/login")
    for value in (42, ["a"], "é" * 40):
        token = URLSafeTimedSerializer(KEY, salt="wtf-csrf-token").dumps(value)
        with pytest.raises(TypeError):  # what Flask-WTF itself does with it: its 500
            app.config["PROPAGATE_EXCEPTIONS"] = True
            client.post("/form", data={"csrf_token": token})
        code, document = run_json(invoke, ["verify", "--format", "flask-wtf-csrf", "-k", KEY, token])
        assert code == 1 and document["reason"] == "malformed-payload" and document["outcome"] == "http-500"
        assert "hmac.compare_digest" in document["error"]
