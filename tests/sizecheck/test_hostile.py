"""sizecheck against a hostile server on 127.0.0.1, and hostile HAR files.

The server speaks raw HTTP over a socket, so it can do what no framework lets it: drip a byte at
a time, redirect forever slowly, send a status line or a Location with terminal escapes, set
cookies whose names and attributes are escape sequences, rich markup and bidirectional overrides.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import string
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

Behaviour = Callable[[socket.socket, str, threading.Event], None]
ESC_OSC8 = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
MARKUP = "[link=https://evil.example/]x[/link]"
#: Set-Cookie headers whose every field is hostile.
HOSTILE_COOKIES = [
    "\x1b[2J=v; \x1b]8;;https://evil.example/\x07=1; Path=/",
    f"[bold]x[/bold]=1; [bold]=2; Domain={MARKUP}",
    "bidi=\u202egnp.exe; \x07=1; Path=/\u202e",
    "[/]=1",
    "b=" + "x" * 5000 + "; \x1b[31m=" + "y" * 2000,  # dropped, an attribute over 1024 bytes
    "session=" + sign_session({"\x1b[2J": "[bold]", MARKUP: "\u202e", "[/]": 1}, key=SecretKey("k" * 20)).value,
]
SGR = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _respond(status: str, headers: list[str], body: bytes = b"") -> bytes:
    head = [status, *headers, f"Content-Length: {len(body)}", "Connection: close"]
    return "\r\n".join(head).encode("utf-8") + b"\r\n\r\n" + body


#: Set once the drip has begun answering a request.
DRIPPING = threading.Event()


def drip(conn: socket.socket, path: str, stop: threading.Event) -> None:
    """A header one byte at a time, for ever: each byte well within any per-read timeout."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    DRIPPING.set()
    while not stop.wait(0.05):
        conn.sendall(b"x")


def slow_redirects(conn: socket.socket, path: str, stop: threading.Event) -> None:
    """A redirect chain without end, each hop a little slow."""
    stop.wait(0.2)
    n = int(path.rsplit("/", 1)[-1] or 0)
    conn.sendall(_respond("HTTP/1.1 302 Found", [f"Location: /slow/{n + 1}", "Set-Cookie: hop=" + str(n)]))


def hostile_status(conn: socket.socket, path: str, stop: threading.Event) -> None:
    conn.sendall(f"HTTP/1.1 2x0 {ESC_OSC8}\x1b[2J\r\n\r\n".encode())


def hostile_location(conn: socket.socket, path: str, stop: threading.Event) -> None:
    conn.sendall(_respond("HTTP/1.1 302 Found", [f"Location: http://[{ESC_OSC8}"]))


def hostile_cookies(conn: socket.socket, path: str, stop: threading.Event) -> None:
    conn.sendall(_respond(f"HTTP/1.1 200 {ESC_OSC8}", [f"Set-Cookie: {c}" for c in HOSTILE_COOKIES], b"ok"))


BEHAVIOURS: dict[str, Behaviour] = {
    "/drip": drip, "/slow": slow_redirects, "/status": hostile_status, "/location": hostile_location,
    "/cookies": hostile_cookies,
}  # fmt: skip


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A raw HTTP server on 127.0.0.1 whose paths behave as BEHAVIOURS says; its base URL."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)

    def handle(conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1].decode("latin-1")
            behaviour = next((b for prefix, b in BEHAVIOURS.items() if path.startswith(prefix)), None)
            try:
                if behaviour is not None:
                    behaviour(conn, path, stop)
            except OSError:
                pass  # the client went away: that is what the deadline does

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=10)
    listener.close()


def flasksess(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(
        [sys.executable, "-m", "flasksess_cli", *args], capture_output=True, text=True, env=env, timeout=timeout,
        check=False,
    )  # fmt: skip


# --- --timeout is the deadline of the whole exchange ----------------------------------------------


def test_a_server_that_drips_a_byte_at_a_time_is_cut_off_at_the_deadline(hostile: str) -> None:
    """The drip never ends and each byte comes well within the timeout: only a deadline ends this."""
    result = flasksess("sizecheck", "--url", f"{hostile}/drip", "--timeout", "1")
    assert result.returncode == 3 and result.stdout == ""
    assert (
        result.stderr == f"Error: no answer from {hostile.removeprefix('http://')} within 1 seconds (raise --timeout)\n"
    )


def test_a_slow_redirect_chain_is_cut_off_at_the_deadline(hostile: str) -> None:
    """Each hop answers within the timeout; the chain as a whole does not (and would loop past 20)."""
    result = flasksess("sizecheck", "--url", f"{hostile}/slow/0", "--timeout", "1")
    assert result.returncode == 3 and result.stdout == ""
    assert re.fullmatch(r"Error: no answer from 127\.0\.0\.1:\d+ within 1 seconds \(after \d+ responses?\) "
                        r"\(raise --timeout\)\n", result.stderr), result.stderr  # fmt: skip
    assert "redirect loop" not in result.stderr


def test_ctrl_c_while_a_server_drips_exits_130_with_one_line(hostile: str) -> None:
    DRIPPING.clear()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with subprocess.Popen(
        [sys.executable, "-m", "flasksess_cli", "sizecheck", "--url", f"{hostile}/drip", "--timeout", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    ) as proc:  # fmt: skip
        try:
            assert DRIPPING.wait(timeout=60), "the request never reached the server"
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert (proc.returncode, stdout, stderr) == (130, b"", b"Error: interrupted\n")


def test_the_deadline_leaves_no_thread_waiting(invoke: Invoke, hostile: str) -> None:
    result = invoke(["sizecheck", "--url", f"{hostile}/drip", "--timeout", "0.5"])
    assert result.exit_code == 3
    workers = [thread for thread in threading.enumerate() if thread.name == "flasksess-fetch"]
    for worker in workers:
        worker.join(timeout=10)  # its socket was shut down: it ends at once, not when the drip ends
    assert not any(worker.is_alive() for worker in workers)


# --- nothing a server sends reaches the terminal raw ----------------------------------------------


@pytest.mark.parametrize("path", ["/status", "/location"])
def test_a_hostile_status_line_or_redirect_target_is_escaped_in_the_error(
    invoke: Invoke, hostile: str, path: str
) -> None:
    result = invoke(["sizecheck", "--url", hostile + path])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert not UNSAFE.search(result.stderr), result.stderr


def _shown_safely(result_stdout: str, terminal: bool) -> str:
    out = SGR.sub("", result_stdout)  # rich's own colours, on a terminal; nothing else may escape
    assert not UNSAFE.search(out), [m.group() for m in UNSAFE.finditer(out)][:5]
    assert (SGR.search(result_stdout) is not None) is terminal
    return out


TERMINAL = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "200"}
PIPED = {"COLUMNS": "200"}


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_hostile_cookie_names_from_a_server_are_shown_literally(invoke: Invoke, hostile: str, terminal: bool) -> None:
    result = invoke(["sizecheck", "--url", f"{hostile}/cookies"], env=TERMINAL if terminal else PIPED)
    assert result.exit_code == 1, result.stderr  # the 7 KB cookie is dropped
    out = _shown_safely(result.stdout, terminal)
    for shown in ("\\x1b[2J", "[bold]x[/bold]", "[/]", "bidi", "\\x1b[31m=yyyy"):
        assert shown in out, shown  # as text: markup not interpreted, escapes visible
    assert result.stderr == ""


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_hostile_attributes_and_session_keys_are_shown_literally(invoke: Invoke, terminal: bool) -> None:
    env = TERMINAL if terminal else PIPED
    header = "Set-Cookie: " + HOSTILE_COOKIES[2] + "; \x1b]8;;https://evil.example/\x07=" + "z" * 1100
    result = invoke(["sizecheck", "-"], input=header, env=env)
    out = _shown_safely(result.stdout, terminal)
    for shown in ("\\x07=1", "Path=/\\u202e", "its https://evil.example/\\x07 is 1100 bytes"):
        assert shown in out, shown
    big = "".join(random.Random(1).choices(string.ascii_letters, k=3000))  # near the limit: keys with advice
    value = sign_session(
        {"\x1b[2J": big[:1500], MARKUP: "[bold]" + big[1500:], "[/]": 1}, key=SecretKey("k" * 20)
    ).value
    result = invoke(["sizecheck", value], env=env)
    out = _shown_safely(result.stdout, terminal)
    for shown in ("\\x1b[2J", MARKUP, "[/]", f"'{MARKUP}' costs"):
        assert shown in out, shown


def test_hostile_cookies_in_json_are_json_escapes(invoke: Invoke, hostile: str) -> None:
    result = invoke(["sizecheck", "--json", "--url", f"{hostile}/cookies"])
    assert not UNSAFE.search(result.stdout) and "\\u001b" in result.stdout and "\\u202e" in result.stdout
    document = json.loads(result.stdout)
    names = {c["name"] for c in document["cookies"]}
    assert {"\x1b[2J", "[bold]x[/bold]", "bidi", "[/]", "session"} <= names
    [session] = [c for c in document["cookies"] if c["name"] == "session"]
    assert {k["key"] for k in session["session"]["keys"]} == {"\x1b[2J", MARKUP, "[/]"}


def test_lone_surrogates_are_sized_and_shown_escaped(invoke: Invoke, tmp_path: Path) -> None:
    har = tmp_path / "s.har"
    har.write_text(json.dumps({"log": {"entries": [{
        "request": {"method": "GET", "url": "https://a.example/\ud800", "headers": [{"name": "Cookie", "value": "\ud800=1"}]},
        "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "a\udc00=\ud800; Path=/\ud800"}]},
    }]}}))  # fmt: skip
    for args in (["--har", str(har)], ["--json", "--har", str(har)]):
        result = invoke(["sizecheck", *args])
        assert result.exit_code == 0 and not UNSAFE.search(result.stdout), result.stderr
    assert json.loads(result.stdout)["cookies"][0]["name_value_bytes"] == 7  # "a", then 3 bytes per surrogate


# --- HAR files --------------------------------------------------------------------------------------


def _har(*entries: object) -> str:
    return json.dumps({"log": {"entries": list(entries)}})


@pytest.mark.parametrize(
    "text",
    [
        '{"log": {"entries": ' + "[" * 100_000 + "]" * 100_000 + "}}",  # RecursionError in json
        _har({"request": {"url": 5}}),
        _har({"request": {"url": "https://a.example/", "method": ["GET"]}}),
        _har("x"),
    ],
    ids=["nested 100000 deep", "url a number", "method a list", "entry a string"],
)
def test_a_har_that_is_not_one_is_bad_input(invoke: Invoke, tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.har"
    path.write_text(text)
    result = invoke(["sizecheck", "--har", str(path)])
    assert result.exit_code == 3 and result.stderr.startswith("Error: not a HAR file"), result.stderr


def test_har_fields_of_odd_types_and_urls_that_do_not_parse_are_read_around(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "odd.har"
    path.write_text(_har(
        {"request": {"method": "GET", "url": "http://[", "headers": [{"name": "Cookie", "value": "a=1"}]},
         "response": {"status": 1e300, "headers": [{"name": "Set-Cookie", "value": "s=1"}, {"name": 5, "value": 6}]}},
        {"request": {"method": "GET", "url": "http://[::1/", "cookies": [{"name": "x", "value": None}]},
         "response": {"status": True, "cookies": [{"name": "c", "value": "1", "path": 7, "secure": "yes"}]}},
    ))  # fmt: skip
    result = invoke(["sizecheck", "--json", "--har", str(path)])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [c["name"] for c in document["cookies"]] == ["s", "c"]
    assert document["cookies"][0]["origin"] == "GET http://["  # the status was no status


#: Runs flasksess, then writes its peak resident memory (VmHWM, kB: this process's own, since exec) to argv[1].
#: The report's path is taken before argv becomes flasksess's own (where argv[1] is the command's name).
_MEASURED = """
import atexit, sys
REPORT = sys.argv[1]
def report():
    with open("/proc/self/status") as status, open(REPORT, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(report)
sys.argv = ["flasksess", *sys.argv[2:]]
from flasksess_cli.cli import main
main()
"""


def _peak_rss_of(args: list[str], tmp_path: Path) -> tuple[int, str, int]:
    """Run flasksess: its exit code, its stderr, and its peak resident memory in bytes."""
    report = tmp_path / "peak-rss"
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(report), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    return result.returncode, result.stderr, int(report.read_text()) * 1024


def test_a_large_har_is_read_in_about_twice_its_size(tmp_path: Path) -> None:
    """A browser's export holds response bodies; sizecheck drops what it does not read while parsing."""
    body = {"size": 1 << 20, "mimeType": "text/html", "text": "<p>" + "x" * (1 << 20) + "</p>"}
    entry = {
        "request": {"method": "GET", "url": "https://a.example/", "headers": [{"name": "Cookie", "value": "a=1"}]},
        "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "s=1"}], "content": body},
        "timings": {"wait": 1.5},
    }
    path = tmp_path / "big.har"
    with path.open("w") as handle:
        handle.write('{"log": {"entries": [')
        handle.write(", ".join(json.dumps(entry) for _ in range(60)))
        handle.write("]}}")
    size = path.stat().st_size
    code, stderr, peak = _peak_rss_of(["sizecheck", "--json", "--har", str(path)], tmp_path)
    assert code == 0, stderr
    assert peak < 3 * size + 120 * (1 << 20), f"{peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB HAR"


def test_a_har_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.har"
    with path.open("wb") as handle:
        handle.truncate(200 * 10**6)  # sparse: 200 MB that take no disk
    code, stderr, peak = _peak_rss_of(["sizecheck", "--har", str(path)], tmp_path)
    assert code == 3
    assert stderr == f"Error: the HAR file is 200000000 bytes, larger than {128 << 20} bytes\n"
    assert peak < 100 * (1 << 20), f"{peak / 2**20:.0f} MiB"  # it was not read
