"""sizecheck's verdicts against real headless Chromium and a real Flask server on 127.0.0.1.

* name+value of 4096 bytes is kept and 4097 dropped, and sizecheck says so (exit 0 / 1);
* a Flask session sizecheck calls "will be dropped" really is: the next request sees the
  previous session; one it calls "Flask will warn" is kept.
"""

from __future__ import annotations

import json
import random
import string
from typing import TYPE_CHECKING, Any

import flask
import pytest

from flasksess_cli.sizecheck.pricing import session_cookie
from tests.conftest import Invoke, Serve

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.browser

TEXT = "".join(random.Random(0).choices(string.ascii_letters + string.digits, k=12000))


def raw_set_cookie(name_value_bytes: int) -> str:
    return f"nv={'a' * (name_value_bytes - 2)}; Path=/"


def written_session(n: int, pad: int, gen: int) -> dict[str, Any]:
    """The session the app writes for /write?n=&pad=&gen= (random text, so zlib cannot shrink it much)."""
    return {"blob": TEXT[:n], "gen": gen, "pad": "x" * pad}


def cookie_app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = "a browser test"  # default config otherwise: MAX_COOKIE_SIZE 4093 warns

    @app.get("/raw/<int:size>")
    def raw(size: int) -> flask.Response:
        response = flask.make_response("set")
        response.headers.add("Set-Cookie", raw_set_cookie(size))  # past dump_cookie: exactly these bytes
        return response

    @app.get("/raw-header")
    def raw_header() -> flask.Response:
        response = flask.make_response("set")
        response.headers.add("Set-Cookie", flask.request.args["h"])  # control characters and all
        return response

    @app.get("/cookie-length")
    def cookie_length() -> str:
        return str(len(flask.request.cookies.get("nv", "")))

    @app.get("/write")
    def write() -> str:
        args = flask.request.args
        flask.session.clear()
        flask.session.update(written_session(int(args["n"]), int(args["pad"]), int(args["gen"])))
        return "written"

    @app.get("/read")
    def read() -> str:
        return str(flask.session.get("gen"))

    return app


def page_text(browser: WebDriver, url: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(url)
    return str(browser.find_element(By.TAG_NAME, "body").text)


@pytest.mark.parametrize(("name_value", "kept"), [(4095, True), (4096, True), (4097, False), (4100, False)])
def test_chromium_keeps_4096_bytes_of_name_and_value_and_drops_4097(
    browser: WebDriver, serve: Serve, invoke: Invoke, name_value: int, kept: bool
) -> None:
    base = serve(cookie_app())
    page_text(browser, f"{base}/raw/{name_value}")
    stored = page_text(browser, f"{base}/cookie-length")
    assert stored == (str(name_value - 2) if kept else "0")
    verdict = invoke(["sizecheck", "--json", "Set-Cookie: " + raw_set_cookie(name_value)])
    assert verdict.exit_code == (0 if kept else 1)
    [cookie] = json.loads(verdict.stdout)["cookies"]
    assert cookie["browser"]["verdict"] == ("kept" if kept else "dropped")


def session_with_value_length(target: int, gen: int) -> tuple[int, int]:
    """(n, pad) for which the app's session cookie value is exactly ``target`` characters."""

    def length(n: int, pad: int) -> int:
        return len(session_cookie(written_session(n, pad, gen)).value)

    low, high = 0, len(TEXT)
    while low < high:  # the shortest text that reaches the target (lengths grow with n, give or take)
        mid = (low + high) // 2
        low, high = (mid + 1, high) if length(mid, 0) < target else (low, mid)
    for n in range(max(low - 40, 0), low + 40):
        for pad in range(24):
            if length(n, pad) == target:
                return n, pad
    raise AssertionError(f"no session with a {target}-character value")


def sizecheck_verdict(invoke: Invoke, n: int, pad: int, gen: int) -> tuple[int, dict[str, Any]]:
    typed = json.dumps(written_session(n, pad, gen))
    result = invoke(["sizecheck", "--json", "--session", typed])
    [cookie] = json.loads(result.stdout)["cookies"]
    return result.exit_code, cookie


@pytest.mark.filterwarnings("ignore:The 'session' cookie is too large:UserWarning")  # the server thread warns
def test_a_session_sizecheck_calls_dropped_is_dropped_and_the_app_sees_the_previous_one(
    browser: WebDriver, serve: Serve, invoke: Invoke
) -> None:
    base = serve(cookie_app())
    # gen 1: small. gen 2: value 4088, name+value 4095: Flask warns, Chromium keeps it (the largest a
    # compressed Flask value can be and be kept: 4089 is impossible, base64 lengths skip 1 mod 4).
    # gen 3: value 4090, name+value 4097: dropped. gen 4: small again, and the session recovers.
    steps = [(1, 300, "ok", 1), (2, 4088, "flask-warns", 2), (3, 4090, "dropped", 2), (4, 300, "ok", 4)]
    for gen, value_length, verdict, seen_next in steps:
        n, pad = session_with_value_length(value_length, gen)
        code, cookie = sizecheck_verdict(invoke, n, pad, gen)
        assert (cookie["value_bytes"], cookie["verdict"]) == (value_length, verdict)
        assert code == (1 if verdict == "dropped" else 0)
        assert page_text(browser, f"{base}/write?n={n}&pad={pad}&gen={gen}") == "written"
        assert page_text(browser, f"{base}/read") == str(seen_next), f"after writing gen {gen}"
        [stored] = [c for c in browser.get_cookies() if c["name"] == "session"]
        assert len(stored["value"]) == (value_length if verdict != "dropped" else 4088)


@pytest.mark.filterwarnings("ignore:The 'session' cookie is too large:UserWarning")
def test_a_dropped_first_session_leaves_no_session(browser: WebDriver, serve: Serve, invoke: Invoke) -> None:
    base = serve(cookie_app())
    n, pad = session_with_value_length(4200, 1)
    code, cookie = sizecheck_verdict(invoke, n, pad, 1)
    assert code == 1 and cookie["summary"].startswith("browsers will silently ignore this cookie")
    page_text(browser, f"{base}/write?n={n}&pad={pad}&gen=1")
    assert page_text(browser, f"{base}/read") == "None"
    assert browser.get_cookies() == []


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("nv=plain; Path=/", True),
        ("nv=a\x01b; Path=/", False),
        ("nv=a\x7fb; Path=/", False),
        ("nv=a\x1bb; Path=/", False),
        ("nv=a\tb; Path=/", False),  # Chromium: a tab inside the value (RFC 6265bis would keep it)
        ("nv=ab; Path=/\x01", False),
    ],
    ids=["plain", "SOH", "DEL", "ESC", "tab", "in an attribute"],
)
def test_chromium_drops_a_cookie_with_a_control_character_and_sizecheck_says_so(
    browser: WebDriver, serve: Serve, invoke: Invoke, header: str, kept: bool
) -> None:
    from urllib.parse import quote

    base = serve(cookie_app())
    assert page_text(browser, f"{base}/raw-header?h={quote(header)}") == "set"
    stored = [c for c in browser.get_cookies() if c["name"] == "nv"]
    assert bool(stored) == kept, stored
    verdict = invoke(["sizecheck", "--json", "-"], input="Set-Cookie: " + header + "\n")
    assert verdict.exit_code == (0 if kept else 1), verdict.stderr
    [cookie] = json.loads(verdict.stdout)["cookies"]
    assert cookie["verdict"] == ("ok" if kept else "dropped")
    assert [p["rule"] for p in cookie["problems"]] == ([] if kept else ["control-character"])
