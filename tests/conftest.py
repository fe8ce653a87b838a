"""Shared fixtures: the CLI runner with a clean environment, live servers on 127.0.0.1, headless Chromium."""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from flasksess_cli.cli import cli

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

Invoke = Callable[..., Result]
Serve = Callable[..., str]

#: ``flasksess`` in a child process that Ctrl-C (SIGINT) interrupts as it does at a terminal, even when
#: the test run itself ignores SIGINT (started in the background, or by CI), which a child inherits.
INTERRUPTIBLE_FLASKSESS = [
    sys.executable,
    "-c",
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('flasksess_cli', run_name='__main__', alter_sys=True)",
]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke(args, input=..., env=...)`` runs the CLI in-process, stdout and stderr apart."""
    for name in ("FORCE_COLOR", "FLASK_SECRET_KEY", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    call: Callable[..., Result] = functools.partial(runner.invoke, cli, catch_exceptions=False)

    def run(args: list[str], **kwargs: Any) -> Result:
        return call(args, **kwargs)

    return run


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """``serve(wsgi_app, ssl_context=None)`` runs the app on 127.0.0.1, a free port, and returns its base URL.

    The socket listens before ``serve`` returns, so no waiting is needed. Proxy variables
    are cleared so that no request leaves 127.0.0.1. Every server stops after the test.
    """
    from werkzeug.serving import make_server

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    running: list[tuple[Any, threading.Thread]] = []

    def start(app: Any, *, ssl_context: Any = None) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
        # shutdown() waits for serve_forever to look at its flag: every 5 ms, not socketserver's 0.5 s.
        thread = threading.Thread(target=server.serve_forever, args=(0.005,), name="test-server", daemon=True)
        thread.start()
        running.append((server, thread))
        return f"{'https' if ssl_context else 'http'}://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def _chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: browser tests need Debian's chromium and chromium-driver "
            "(./scripts/test installs them)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_chromium: WebDriver) -> WebDriver:
    """Headless Chromium (Selenium WebDriver) with an empty cookie jar. Fails, never skips, without Chromium.

    One browser serves the whole test session; every test starts with no cookies.
    Pair it with ``serve`` to load pages from 127.0.0.1.
    """
    _chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return _chromium


# --- nothing written beside the sources ------------------------------------------------------------

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: What a run may leave at the top level: the caches and build outputs .gitignore names.
_RUN_LEFTOVERS = {".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".coverage", "build", "dist"}
_top_level_before: set[str] = set()


def pytest_sessionstart(session: pytest.Session) -> None:
    _top_level_before.update(os.listdir(_ROOT))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test that writes into the working directory (not its tmp_path) fails the run, naming what it left."""
    if not _top_level_before:
        return
    left = sorted(set(os.listdir(_ROOT)) - _top_level_before - _RUN_LEFTOVERS)
    if left:
        sys.stderr.write(f"\nThe tests left {', '.join(left)} in {_ROOT}: write to tmp_path instead.\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
