"""The mitmproxy add-on in real mitmdump, proxying a real Flask app on 127.0.0.1.

mitmproxy lives in an environment of its own, as its users run it (pipx, the standalone
binaries): ``scripts/test`` makes ``.venv-mitmproxy`` with the pinned release, without
flasksess, so the add-on also proves that it finds flasksess from mitmproxy's own Python.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, session

import flasksess_cli as fs

if TYPE_CHECKING:
    from tests.conftest import Serve

ROOT = Path(__file__).resolve().parents[2]
MITMDUMP = Path(os.environ.get("FLASKSESS_MITMDUMP", ROOT / ".venv-mitmproxy" / "bin" / "mitmdump"))
KEY, OLD_KEY = "proxy-test-key-8d2c4e6f0a1b3c5d7e9f", "proxy-test-old-key-1a2b3c"
PUBLISHED = b'_5#y2L"F4Q8z\n\xec]/'  # Flask's quickstart example key


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=KEY, SECRET_KEY_FALLBACKS=[OLD_KEY], MAX_COOKIE_SIZE=0)  # no warning: error here

    @app.get("/login")
    def login() -> str:
        session["user_id"] = 42
        return "logged in"

    @app.get("/grow")
    def grow() -> str:
        session["blob"] = os.urandom(3000).hex()  # random: zlib cannot bring it under 4096
        return "grown"

    @app.get("/theme")
    def theme() -> Any:
        response = app.make_response("themed")
        response.set_cookie("theme", "dark")
        return response

    return app


class Mitmdump:
    def __init__(self, process: subprocess.Popen[str], port: int, report: Path, flows: Path) -> None:
        self.process, self.port, self.report, self.flows = process, port, report, flows

    def records(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """The add-on's report once it holds ``count`` lines (polled, with a deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.report.read_text().splitlines() if self.report.exists() else []
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
            time.sleep(0.05)
        pytest.fail(f"the add-on reported {len(lines)} of {count} cookies in {timeout} s")


@pytest.fixture
def mitmdump(tmp_path: Path) -> Iterator[Mitmdump]:
    if not os.access(MITMDUMP, os.X_OK):
        pytest.fail(f"{MITMDUMP} missing: ./scripts/test installs mitmproxy in .venv-mitmproxy", pytrace=False)
    addon = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", "mitmproxy-addon"], capture_output=True, text=True, check=True
    ).stdout.strip()
    report, flows = tmp_path / "cookies.jsonl", tmp_path / "flows.mitm"
    command = [
        str(MITMDUMP), "--listen-host", "127.0.0.1", "--listen-port", "0", "--set", f"confdir={tmp_path / 'conf'}",
        "-s", addon, "--set", f"flasksess_key={KEY}", "--set", f"flasksess_fallbacks={OLD_KEY}",
        "--set", f"flasksess_report={report}", "-w", str(flows),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    port, deadline = None, time.monotonic() + 60
    while port is None and time.monotonic() < deadline and process.poll() is None:
        try:
            output.append(lines.get(timeout=0.1))
        except queue.Empty:
            continue
        listening = re.search(r"proxy listening at 127\.0\.0\.1:(\d+)", output[-1])
        port = int(listening.group(1)) if listening else None
    if port is None:
        process.kill()
        process.wait(timeout=30)
        pytest.fail("mitmdump did not start:\n" + "".join(output))
    try:
        yield Mitmdump(process, port, report, flows)
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def through_proxy(port: int) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"}),
        urllib.request.HTTPCookieProcessor(CookieJar()),
    )


def test_every_session_cookie_is_decoded_verified_and_checked(
    app: Flask, serve: Serve, mitmdump: Mitmdump, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = serve(app)
    monkeypatch.delenv("no_proxy")  # serve() keeps 127.0.0.1 off proxies; this test wants the proxy
    browser = through_proxy(mitmdump.port)
    assert browser.open(base + "/login", timeout=30).read() == b"logged in"  # Set-Cookie, current key
    browser.open(base + "/theme", timeout=30).read()  # Cookie: session (current) + a theme cookie, not a session
    old = fs.sign({"user_id": 7}, OLD_KEY)
    forged = fs.sign({"user_id": 1, "role": "admin"}, PUBLISHED)
    for cookie in (old, forged):  # another browser's cookies, in a bare Cookie header
        bare = through_proxy(mitmdump.port)
        bare.addheaders = [("Cookie", f"session={cookie}")]
        bare.open(base + "/theme", timeout=30).read()
    browser.open(base + "/grow", timeout=30).read()  # a Set-Cookie browsers drop

    records = mitmdump.records(6)
    by_place = [(r["direction"], r["url"].rsplit("/", 1)[1], r["cookie"]) for r in records]
    assert by_place == [
        ("response", "login", "session"),
        ("request", "theme", "session"),
        ("request", "theme", "session"),
        ("request", "theme", "session"),
        ("request", "grow", "session"),
        ("response", "grow", "session"),
    ]
    login, current, with_old, with_forged, _, grown = records
    assert (login["session"], login["valid"], login["matched_key"], login["dropped"]) == (
        {"user_id": 42},
        True,
        "current",
        False,
    )
    assert (current["valid"], current["warnings"]) == (True, [])
    assert (with_old["session"], with_old["matched_key"]) == ({"user_id": 7}, "fallback-1")
    assert with_forged["valid"] is False and with_forged["reason"] == "bad-signature"
    assert with_forged["published_key"].startswith("Flask docs")
    assert any("published key" in warning for warning in with_forged["warnings"])
    assert grown["dropped"] is True and grown["name_value_bytes"] > 4096 and grown["valid"] is True
    assert KEY not in mitmdump.report.read_text() and OLD_KEY not in mitmdump.report.read_text()

    # the flows themselves carry the findings: comment, metadata and mark, as mitmproxy saved them
    mitmdump.process.terminate()
    mitmdump.process.wait(timeout=30)
    saved = subprocess.run(
        [str(MITMDUMP.with_name("python")), "-c", READ_FLOWS, str(mitmdump.flows)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    flows = [json.loads(line) for line in saved]
    assert [f["path"] for f in flows] == ["/login", "/theme", "/theme", "/theme", "/grow"]
    assert 'flasksess: Set-Cookie "session" | {"user_id": 42} | VALID' in flows[0]["comment"]
    assert flows[0]["marked"] == "" and flows[3]["marked"] == flows[4]["marked"] == ":warning:"
    assert flows[3]["metadata"][0]["published_key"] == with_forged["published_key"]
    assert "browsers drop this Set-Cookie" in flows[4]["comment"]


READ_FLOWS = """
import json, sys
from mitmproxy import io
with open(sys.argv[1], "rb") as saved:
    for flow in io.FlowReader(saved).stream():
        print(json.dumps({"path": flow.request.path, "comment": flow.comment, "marked": flow.marked,
                          "metadata": flow.metadata.get("flasksess")}))
"""
