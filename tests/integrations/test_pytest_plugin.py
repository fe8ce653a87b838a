"""The pytest plugin: real pytest runs in fresh processes, and the fixture against real Flask and real Chromium."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, session

from flasksess_cli.integrations.session_cookies import SessionCookieFactory

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.conftest import Serve

#: The README's example, as a user's project has it: the app factory and its tests.
ROTATION_PROJECT = {
    "myapp.py": """
        from flask import Flask, session


        def create_app(**config):
            app = Flask(__name__)
            app.config.update(SECRET_KEY="key-of-2025-3f9a1c0e7b2d4a6f8e1c3b5d7f9a2c4e", **config)

            @app.get("/account")
            def account():
                if "user_id" not in session:
                    return {"error": "log in"}, 401
                return {"user_id": session["user_id"]}

            return app
        """,
    "test_rotation.py": """
        from datetime import timedelta

        import pytest

        from myapp import create_app

        OLD_KEY = "key-of-2024-0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a"


        @pytest.fixture
        def app():
            return create_app(SECRET_KEY_FALLBACKS=[OLD_KEY])


        def test_a_cookie_signed_with_the_old_key_still_logs_in(app, flask_session_cookie):
            client = app.test_client()
            flask_session_cookie({"user_id": 42}, key=OLD_KEY).set_on(client)
            assert client.get("/account").json == {"user_id": 42}


        def test_once_the_old_key_leaves_the_fallbacks_it_logs_in_no_more(app, flask_session_cookie):
            client = app.test_client()
            flask_session_cookie({"user_id": 42}, key=OLD_KEY).set_on(client)
            app.config["SECRET_KEY_FALLBACKS"] = []
            assert client.get("/account").status_code == 401


        def test_an_expired_session_logs_in_no_more(app, flask_session_cookie):
            client = app.test_client()
            too_old = flask_session_cookie.lifetime() + timedelta(minutes=1)  # PERMANENT_SESSION_LIFETIME
            flask_session_cookie({"user_id": 42}, age=too_old).set_on(client)
            assert client.get("/account").status_code == 401
        """,
}


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real pytest run in a fresh process, in a folder of its own (no config of ours applies)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def test_the_readme_rotation_tests_pass_in_a_users_project(tmp_path: Path) -> None:
    result = run_pytest(write(tmp_path, ROTATION_PROJECT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_rotation_test_fails_when_flask_would_not_accept_the_cookie(tmp_path: Path) -> None:
    """A test that cannot fail proves nothing: with no fallbacks, the first test must fail."""
    files = dict(ROTATION_PROJECT)
    files["test_rotation.py"] = files["test_rotation.py"].replace("SECRET_KEY_FALLBACKS=[OLD_KEY]", "")
    result = run_pytest(write(tmp_path, files), "-k", "still_logs_in")
    assert result.returncode == 1 and "1 failed" in result.stdout


def test_the_plugin_costs_a_project_that_does_not_use_it_nothing(tmp_path: Path) -> None:
    probe = """
        import sys

        def test_nothing_of_flasksess_or_flask_was_imported():
            assert "flasksess_cli.integrations.pytest_plugin" in sys.modules  # registered
            heavy = {"flask", "werkzeug", "itsdangerous", "click", "rich"}
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith("flasksess_cli."))
            assert loaded == ["flasksess_cli.integrations", "flasksess_cli.integrations.pytest_plugin"]
        """
    result = run_pytest(write(tmp_path, {"test_probe.py": probe}))
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_an_app_fixture_the_error_says_what_to_do(tmp_path: Path) -> None:
    test = """
        def test_it(flask_session_cookie):
            flask_session_cookie({"a": 1})
        """
    result = run_pytest(write(tmp_path, {"test_no_app.py": test}))
    assert result.returncode == 1
    assert "flask_session_cookie needs the Flask app: define an 'app' fixture, or pass app=..." in result.stdout


# --- the fixture itself, in this suite (the plugin is installed here too) --------------------------------


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="current-key-5c2e8a1f9b3d7e4a6c0f2b8d", SECRET_KEY_FALLBACKS=["older", "old"])
    app.config["SESSION_COOKIE_NAME"] = "sid"

    @app.get("/")
    def show() -> Any:
        from flasksess_cli.codec.session_json import to_typed

        return json.dumps(to_typed(dict(session)), sort_keys=True)

    return app


def seen(app: Flask, cookie: Any) -> Any:
    client = app.test_client()
    cookie.set_on(client)
    return json.loads(client.get("/").get_data(as_text=True))


def test_typed_values_reach_the_app_as_they_were(app: Flask, flask_session_cookie: SessionCookieFactory) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    cookie = flask_session_cookie({"cart": (1, 2), "token": b"\x00\xff", "at": moment})
    assert cookie.name == "sid"
    assert seen(app, cookie) == {
        "at": {"__type__": "datetime", "value": "2026-01-02T03:04:05+00:00"},
        "cart": {"__type__": "tuple", "items": [1, 2]},
        "token": {"__type__": "bytes", "hex": "00ff"},
    }


@pytest.mark.parametrize(
    ("key", "loads"), [("current", True), (0, True), (1, True), ("never-configured", False), (b"current", False)]
)
def test_keys_current_fallbacks_and_others(
    app: Flask, flask_session_cookie: SessionCookieFactory, key: Any, loads: bool
) -> None:
    assert seen(app, flask_session_cookie({"u": 1}, key=key)) == ({"u": 1} if loads else {})


@pytest.mark.parametrize(
    ("age", "loads"),
    [
        (timedelta(0), True),
        (timedelta(days=31) - timedelta(minutes=1), True),  # about to expire
        (timedelta(days=31) + timedelta(seconds=5), False),  # expired
        (-timedelta(hours=1), False),  # dated in the future: itsdangerous refuses it
    ],
)
def test_signed_at_any_age(app: Flask, flask_session_cookie: SessionCookieFactory, age: timedelta, loads: bool) -> None:
    assert flask_session_cookie.lifetime() == timedelta(days=31)
    assert seen(app, flask_session_cookie({"u": 1}, age=age)) == ({"u": 1} if loads else {})


@pytest.mark.parametrize("compress", [True, False])
def test_compressed_or_not(app: Flask, flask_session_cookie: SessionCookieFactory, compress: bool) -> None:
    cookie = flask_session_cookie({"note": "x" * 300}, compress=compress)
    assert cookie.value.startswith(".") is compress
    assert seen(app, cookie) == {"note": "x" * 300}


def test_oversized_on_purpose(app: Flask, flask_session_cookie: SessionCookieFactory) -> None:
    cookie = flask_session_cookie({"u": 1}, size=5000)
    assert 5000 <= cookie.name_value_bytes <= 5002
    with pytest.warns(UserWarning, match="too large"):  # Werkzeug's own warning, as Flask would send it
        assert seen(app, cookie)["u"] == 1  # the test client keeps it; a browser would not (below)


def session_shown(browser: WebDriver, url: str) -> Any:
    """Load the page in the browser (which sends its cookies) and read the session the server saw."""
    browser.get(url)
    return json.loads(browser.find_element("tag name", "body").text)


@pytest.mark.browser
def test_a_live_server_in_chromium_logs_in_with_a_made_cookie(
    app: Flask, flask_session_cookie: SessionCookieFactory, serve: Serve, browser: WebDriver
) -> None:
    """No test client here: the cookie goes into a real browser, which sends it to a real server."""
    page = serve(app) + "/"
    assert session_shown(browser, page) == {}
    browser.add_cookie(flask_session_cookie({"user_id": 42}, key=1).for_browser())  # SECRET_KEY_FALLBACKS[1]
    assert session_shown(browser, page) == {"user_id": 42}
    browser.add_cookie(flask_session_cookie({"user_id": 42}, age=timedelta(days=32)).for_browser())  # expired
    assert session_shown(browser, page) == {}


@pytest.mark.browser
def test_chromium_refuses_an_oversized_cookie(
    app: Flask, flask_session_cookie: SessionCookieFactory, serve: Serve, browser: WebDriver
) -> None:
    from selenium.common.exceptions import WebDriverException

    page = serve(app) + "/"
    assert session_shown(browser, page) == {}
    browser.add_cookie(flask_session_cookie({"user_id": 1}, size=4096).for_browser())
    with pytest.raises(WebDriverException):  # 4097 bytes: past the limit every browser enforces
        browser.add_cookie(flask_session_cookie({"user_id": 2}, size=4097).for_browser())
    assert session_shown(browser, page)["user_id"] == 1
