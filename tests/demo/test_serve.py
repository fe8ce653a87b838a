"""serve-demo as users run it: a real process on 127.0.0.1, its key policy, errors, load and a real browser."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Invoke

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
        return self.proc.wait(timeout=15)

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
            [sys.executable, "-m", "flasksess_cli", "serve-demo", "--port", "0", *args],
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
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
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
        connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
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


def test_holds_fifty_concurrent_clients_for_ten_seconds() -> None:
    with demo_process("-k", GOOD_KEY) as demo:
        url = demo.url
        deadline = time.monotonic() + 10
        results: list[int] = []
        failures: list[str] = []
        lock = threading.Lock()

        def client() -> None:
            while time.monotonic() < deadline:
                try:
                    status, page = get(url)
                    ok = status == 200 and "Cookie inspector" in page
                except OSError as exc:
                    ok, status = False, -1
                    with lock:
                        failures.append(repr(exc))
                with lock:
                    results.append(status if ok else -1)

        threads = [threading.Thread(target=client) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == [] and -1 not in results
    assert len(results) >= 50


def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


@pytest.mark.browser
def test_end_to_end_in_chromium(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_window_size(1400, 1200)
    with demo_process() as demo:
        browser.get(demo.url)
        assert browser.find_element(By.ID, "status").text == "You are not logged in"
        browser.find_element(By.ID, "login-link").click()
        browser.find_element(By.ID, "username").send_keys("admin")
        browser.find_element(By.ID, "submit").click()
        _wait_for(lambda: browser.find_element(By.ID, "status").text == "Logged in as admin")
        flashes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash")]
        assert flashes == ["You were logged in"]
        assert "'username': 'admin'" in browser.find_element(By.ID, "decoded").text
        browser.save_screenshot(str(ARTIFACTS / "serve-demo-logged-in.png"))

        size_input = browser.find_element(By.ID, "grow-bytes")
        size_input.clear()
        size_input.send_keys("5000")
        browser.find_element(By.ID, "grow").click()
        _wait_for(lambda: browser.find_elements(By.ID, "dropped") or browser.find_elements(By.ID, "kept"))
        assert browser.find_elements(By.ID, "dropped"), "Chromium should have dropped the oversized cookie"
        assert "The browser dropped the new session cookie" in browser.find_element(By.ID, "dropped").text
        assert browser.find_element(By.ID, "status").text == "Logged in as admin"  # the old session, kept
        assert "blob" not in browser.find_element(By.ID, "decoded").text
        browser.save_screenshot(str(ARTIFACTS / "serve-demo-dropped.png"))

        browser.find_element(By.ID, "logout").click()
        _wait_for(lambda: browser.find_element(By.ID, "status").text == "You are not logged in")
        assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".flash")] == ["You were logged out"]
