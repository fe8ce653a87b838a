"""serve-demo as users run it: a real process on 127.0.0.1, its key policy, errors, load and a real browser."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import INTERRUPTIBLE_FLASKSESS, Invoke

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
GOOD_KEY = "4f0c6d2e9b8a7f6e5d4c3b2a19087f6e"


class Demo:
    """A running ``flasksess serve-demo`` process; its stderr (the request log) goes to a file."""

    def __init__(self, proc: subprocess.Popen[str], log: Path, url: str) -> None:
        self.proc, self.log, self.url = proc, log, url

    def stop(self) -> int:
        """Ctrl-C, as a person stops it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    @property
    def stderr(self) -> str:
        return self.log.read_text()


@contextmanager
def demo_process(*args: str, env: dict[str, str] | None = None) -> Iterator[Demo]:
    """Start ``flasksess serve-demo --port 0 ...``; yield once its URL is printed (the socket listens)."""
    environment = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"} | (env or {})
    log = Path(tempfile.mkstemp(prefix="serve-demo-", suffix=".log")[1])
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*INTERRUPTIBLE_FLASKSESS, "serve-demo", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=err, text=True, env=environment,
        )  # fmt: skip
    assert proc.stdout is not None
    demo = Demo(proc, log, proc.stdout.readline().strip())
    try:
        assert demo.url.startswith("http://127.0.0.1:"), (demo.url, demo.stderr)
        yield demo
    finally:
        try:
            demo.stop()
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
            log.unlink()


def get(url: str, path: str = "/", headers: dict[str, str] | None = None) -> tuple[int, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_serves_prints_its_url_and_stops_cleanly_on_ctrl_c() -> None:
    with demo_process() as demo:
        status, page = get(demo.url)
        assert status == 200 and "You are not logged in" in page
        assert demo.stop() == 0
        err = demo.stderr
    assert "sessions end when the server stops" in err and "Stopped." in err
    assert "Traceback" not in err


def test_a_given_key_is_used_and_sessions_verify_with_it() -> None:
    with demo_process(env={"FLASK_SECRET_KEY": GOOD_KEY}) as demo:
        parts = urlsplit(demo.url)
        connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
        connection.request("GET", "/login")
        response = connection.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie", "").split(";")[0].split("=", 1)[1]
        connection.close()
    verify = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", "verify", "-k", GOOD_KEY, cookie],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_port_in_use_is_a_clear_error(invoke: Invoke) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(["serve-demo", "--port", str(port), "-k", GOOD_KEY])
    assert result.exit_code == 3
    assert result.stderr == f"Error: port {port} on 127.0.0.1 is in use (choose another with --port, or --port 0)\n"


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("short-key", "under 16"),
        ("any random string", "published example"),
        ("b'\\xbc\\xf6\\x8aTP\\xba\\xe7\\xf8*\\xcc\\xa7\\xbe\\xb2S\\xd5\\x83'", "published example"),
        ("b'_5#y2L\"F4Q8z\\n\\xec]/'", "published example"),
    ],
)
def test_weak_and_published_keys_are_refused(invoke: Invoke, key: str, why: str) -> None:
    result = invoke(["serve-demo", "--port", "0", "-k", key])
    assert result.exit_code == 2 and why in result.stderr and "--allow-weak-key" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and key not in result.stderr


def test_allow_weak_key_starts_anyway() -> None:
    with demo_process("-k", "any random string", "--allow-weak-key") as demo:
        assert get(demo.url)[0] == 200


def test_other_addresses_warn_and_still_serve_loopback() -> None:
    with demo_process("--host", "0.0.0.0", "-k", GOOD_KEY) as demo:  # noqa: S104 - the point of the test
        assert get(demo.url)[0] == 200
        assert "Warning: listening on 0.0.0.0, not loopback" in demo.stderr


def test_behind_proxy_trusts_forwarded_headers() -> None:
    with demo_process("--behind-proxy", "-k", GOOD_KEY) as demo:
        status, _ = get(demo.url, "/", {"X-Forwarded-For": "203.0.113.9"})
        assert status == 200
        demo.stop()
        assert "203.0.113.9" in demo.stderr  # Werkzeug's request log shows the client the proxy reported


def _wait_for(browser: Any, condition: Any, timeout: float = 60.0) -> Any:
    """Poll until ``condition(browser)`` is truthy; a page still loading (element missing or stale) is polled again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    waiting = WebDriverWait(
        browser,
        timeout,
        poll_frequency=0.05,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )
    return waiting.until(condition)


def _text(browser: Any, element_id: str) -> str:
    """An element's text, shown or folded inside a closed <details>."""
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.ID, element_id).get_attribute("textContent"))


def _click(browser: Any, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    _wait_for(browser, lambda b: b.find_element(By.ID, element_id)).click()


def _log_in(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url)
    _wait_for(browser, lambda b: b.find_element(By.ID, "status").text == "You are not logged in")
    _click(browser, "login-link")
    _wait_for(browser, lambda b: b.find_element(By.ID, "username")).send_keys("admin")
    _click(browser, "submit")
    _wait_for(browser, lambda b: b.find_element(By.ID, "status").text == "Logged in as admin")


def _grow(browser: Any, n_bytes: int) -> None:
    """Grow the session by ``n_bytes`` and wait for the page that says whether the browser kept the cookie."""
    from selenium.webdriver.common.by import By

    size_input = _wait_for(browser, lambda b: b.find_element(By.ID, "grow-bytes"))
    size_input.clear()
    size_input.send_keys(str(n_bytes))
    before = browser.current_url
    _click(browser, "grow")
    _wait_for(
        browser,
        lambda b: b.current_url != before and (b.find_elements(By.ID, "dropped") or b.find_elements(By.ID, "kept")),
    )


def _screenshots(browser: Any, name: str) -> None:
    """The whole page at a phone's width (390 px) and a laptop's (1280 px), for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        browser.set_window_size(width, 900)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, int(height) + 140)  # the window's frame; headless keeps the page whole
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width  # no sideways scroll
        browser.save_screenshot(str(ARTIFACTS / f"serve-demo-{name}-{width}.png"))


@pytest.mark.browser
def test_end_to_end_in_chromium(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 1000)
    with demo_process() as demo:
        _log_in(browser, demo.url)
        flashes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash")]
        assert flashes == ["You were logged in"]
        assert "'username': 'admin'" in _text(browser, "decoded")
        _screenshots(browser, "logged-in")

        _grow(browser, 2500)  # a 2.7 KB cookie: kept
        assert browser.find_elements(By.ID, "kept")
        _grow(browser, 1500)  # 4.2 KB: dropped
        assert browser.find_elements(By.ID, "dropped"), "Chromium should have dropped the oversized cookie"
        assert "The browser dropped the new session cookie" in _text(browser, "dropped")
        assert browser.find_element(By.ID, "status").text == "Logged in as admin"  # the old session, kept
        assert browser.find_element(By.ID, "bar-rejected").is_displayed()
        assert not browser.find_element(By.ID, "raw-cookie").is_displayed()  # folded away
        _screenshots(browser, "dropped")

        _click(browser, "logout")
        _wait_for(browser, lambda b: b.find_element(By.ID, "status").text == "You are not logged in")
        assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash")] == ["You were logged out"]


@pytest.mark.browser
def test_server_side_end_to_end_in_chromium(browser: Any) -> None:
    """--server-side: the session grows past 4096 bytes on the server; the cookie stays a short id, kept."""
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 1000)
    with demo_process("--server-side") as demo:
        _log_in(browser, demo.url)
        _grow(browser, 3000)
        _grow(browser, 3000)
        assert browser.find_elements(By.ID, "kept")
        [cookie] = [c for c in browser.get_cookies() if c["name"] == "session"]
        assert len(cookie["value"]) == 43
        assert "'blob': '" in _text(browser, "decoded") and "lives on the server" in _text(browser, "server-side")
        _screenshots(browser, "server-side")
        store = _text(browser, "store")
        assert Path(store).is_dir()
        assert demo.stop() == 0
        assert "Sessions live on the server" in demo.stderr
        assert not Path(store).exists()  # removed when the demo stops
