"""The demo app through Flask's test client: routes, flashes, CSRF, escaping, the inspector, hostile cookies."""

from __future__ import annotations

import html
import logging
import re
import zlib
from typing import Any

import itsdangerous
import pytest
from flask.testing import FlaskClient

from flasksess_cli import keys
from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.demo import create_app

KEY = "demo-test-key-0123456789abcdef"


@pytest.fixture
def client() -> FlaskClient:
    return create_app(KEY).test_client()


def token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: FlaskClient, username: str) -> Any:
    form = client.get("/login").text
    return client.post("/login", data={"username": username, "csrf_token": token(form)}, follow_redirects=True)


def test_index_without_a_session(client: FlaskClient) -> None:
    page = client.get("/").text
    assert "You are not logged in" in page and 'href="/login"' in page
    assert "The browser sent no <code>session</code> cookie" in page


def test_login_flashes_and_shows_the_user(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    form = client.get("/login").text
    with caplog.at_level(logging.INFO):
        response = client.post("/login", data={"username": "  admin  ", "csrf_token": token(form)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert any(r.levelno == logging.INFO and "Login: 'admin'" in r.getMessage() for r in caplog.records)
    sent = client.get_cookie("session")
    assert sent is not None
    page = client.get("/").text
    assert "Logged in as <strong>admin</strong>" in page
    assert 'data-category="success">You were logged in</li>' in page
    # The inspector shows the cookie the browser sent, decoded, and its size.
    assert sent.value in page
    assert "&#39;username&#39;: &#39;admin&#39;" in page
    assert f"{len('session') + len(sent.value):,} bytes</strong>" in page


def test_logout_by_get_and_by_post(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    login(client, "admin")
    with caplog.at_level(logging.INFO):
        page = client.get("/logout", follow_redirects=True).text
    assert "You are not logged in" in page and "You were logged out" in page
    assert any("Logout: 'admin'" in r.getMessage() for r in caplog.records)
    page = login(client, "bob").text
    page = client.post("/logout", data={"csrf_token": token(page)}, follow_redirects=True).text
    assert "You are not logged in" in page


@pytest.mark.parametrize("username", ["", "   ", "x" * 65])
def test_bad_usernames_show_the_form_again(client: FlaskClient, username: str) -> None:
    form = client.get("/login").text
    response = client.post("/login", data={"username": username, "csrf_token": token(form)})
    assert response.status_code == 400
    assert 'id="username"' in response.text and "A username is 1 to 64 characters." in response.text
    assert "Logged in as" not in client.get("/").text


def test_sixty_four_characters_is_fine(client: FlaskClient) -> None:
    assert "Logged in as <strong>" + "x" * 64 in login(client, "x" * 64).text


def test_username_is_escaped(client: FlaskClient) -> None:
    page = login(client, "<script>alert(1)</script>").text
    assert "<script>alert(1)</script>" not in page
    assert "Logged in as <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in page


@pytest.mark.parametrize("path", ["/login", "/logout", "/grow", "/reset"])
def test_posts_without_the_csrf_token_are_refused(
    client: FlaskClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    client.get("/login")
    with caplog.at_level(logging.WARNING):
        missing = client.post(path, data={"username": "mallory"})
        wrong = client.post(path, data={"username": "mallory", "csrf_token": "forged"})
    assert missing.status_code == wrong.status_code == 400
    assert "Logged in as" not in client.get("/").text
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "CSRF" in r.getMessage()]
    assert len(warnings) == 2 and path in warnings[0].getMessage()


def test_security_headers_and_cookie_attributes(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_static_css_is_served_from_the_package(client: FlaskClient) -> None:
    with client.get("/static/style.css") as response:
        assert response.status_code == 200 and ".verdict-box" in response.text
    head = client.get("/").text.split("<body>")[0]
    assert "//" not in head  # nothing from a CDN


def test_grow_past_the_limit_predicts_the_drop(client: FlaskClient) -> None:
    page = login(client, "admin").text
    with pytest.warns(UserWarning, match="'session' cookie is too large"):  # Werkzeug's own warning
        response = client.post("/grow", data={"bytes": "5000", "csrf_token": token(page)})
    assert response.status_code == 302
    sent = re.search(r"sent=(\d+)&size=(\d+)", response.headers["Location"])
    assert sent and int(sent.group(2)) > 4096
    # The test client keeps any cookie, so the app sees the new generation: "kept".
    page = client.get(response.headers["Location"]).text
    assert 'id="kept"' in page
    # A browser that dropped it sends the old cookie back: the inspector explains.
    page = client.get(f"/?sent={int(sent.group(1)) + 1}&size=5100").text
    assert 'id="dropped"' in page and "Flask-Session" in page
    # The verdict comes first, the rejected cookie is drawn next to the kept one, raw values are folded.
    assert page.index('id="dropped"') < page.index('id="size-chart"') < page.index('id="raw-details"')
    assert 'id="bar-browser"' in page and 'id="bar-rejected"' in page and "5,100 bytes" in page
    assert '<details class="raw" id="raw-details">' in page


def test_inspector_bars_show_sizes(client: FlaskClient) -> None:
    page = login(client, "admin").text
    assert "against the 4,096-byte limit browsers enforce" in page and "of 4093 bytes before Flask warns" in page
    assert 'id="bar-browser"' in page and 'id="size-verdict">fits, with' in page
    assert 'id="bar-rejected"' not in page and 'id="dropped"' not in page


def test_the_chart_draws_a_cookie_past_the_limit_past_the_line() -> None:
    from flasksess_cli.demo.app import Inspector

    inspector = Inspector(
        "session",
        "v",
        error=None,
        session_text="",
        signed=None,
        size=None,
        sent_generation=3,
        sent_size=5100,
        seen_generation=2,
    )
    assert inspector.dropped and inspector.over_by == 5100 - 4096
    [rejected] = inspector.bars  # no cookie came back: only the rejected one is drawn
    assert rejected.state == "rejected" and rejected.width > rejected.limit


def test_server_side_sessions_keep_only_an_id_in_the_cookie(tmp_path: Any, invoke: Any) -> None:
    app = create_app(KEY, session_store=str(tmp_path))
    client = app.test_client()
    page = login(client, "admin").text
    assert "Logged in as <strong>admin</strong>" in page
    for _ in range(3):
        page = client.post("/grow", data={"bytes": "5000", "csrf_token": token(page)}, follow_redirects=True).text
    sent = client.get_cookie("session")
    assert sent is not None and len(sent.value) == 43 and "." not in sent.value  # Flask-Session 0.8: a random id
    assert 'id="kept"' in page and 'id="server-side"' in page and str(tmp_path) in page
    assert len(list(tmp_path.iterdir())) >= 1  # the data is in the store, 15 KB of it
    assert "&#39;username&#39;: &#39;admin&#39;" in page
    # decode and verify explain such an id instead of failing on it
    for args in (["decode", "--", sent.value], ["verify", "-k", KEY, "--", sent.value]):  # an id may start with -
        result = invoke(args)
        assert result.exit_code == 3 and "server-side session id (Flask-Session)" in result.stderr


def _attack(client: FlaskClient, value: str, caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    raw = client.application.test_client(use_cookies=False)  # sends the Cookie header as given
    with caplog.at_level(logging.WARNING):
        response = raw.get("/", headers={"Cookie": f"session={value}"})
    return response.status_code, response.text


def test_a_bad_signature_is_logged_and_no_session(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    forged = sign_session({"username": "admin"}, key=keys.parse_key("not-the-key")).value
    status, page = _attack(client, forged, caplog)
    assert status == 200 and "You are not logged in" in page
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("bad signature" in m for m in messages)
    assert not any(forged in m or KEY in m for r in caplog.records for m in [r.getMessage()])


def signed_raw(payload: bytes, compress: bool = False) -> str:
    signer = itsdangerous.TimestampSigner(KEY, salt="cookie-session", key_derivation="hmac")
    data = zlib.compress(payload, 9) if compress else payload
    return signer.sign((b"." if compress else b"") + itsdangerous.encoding.base64_encode(data)).decode()


@pytest.mark.parametrize("payload", [b'{"a":{" u":"nope"}}', b"[1]", b'{"a":'])
def test_a_bad_payload_is_logged_and_no_session_never_a_500(
    client: FlaskClient, payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    status, page = _attack(client, signed_raw(payload), caplog)
    assert status == 200 and "You are not logged in" in page
    assert any(r.levelno == logging.WARNING and "malformed payload" in r.getMessage() for r in caplog.records)


def test_a_zip_bomb_gets_an_empty_session_not_50_mb(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    import tracemalloc

    bomb = signed_raw(b'{"a":"' + b"0" * 50_000_000 + b'"}', compress=True)
    tracemalloc.start()
    try:
        status, page = _attack(client, bomb, caplog)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200 and "You are not logged in" in page
    assert any("decompression bomb" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert peak < 8 * 1024 * 1024
    assert html.escape("decompression bomb") in page  # the inspector says why, too
