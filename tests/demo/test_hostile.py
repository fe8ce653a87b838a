"""serve-demo, run for real, against hostile visitors: never a 500, a log no request can forge,
and a failed start that prints only its error."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import zlib
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner

from tests.conftest import Invoke
from tests.demo.test_serve import GOOD_KEY, demo_process, get

SGR = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def cookie(payload: str, *, key: str | None = GOOD_KEY, compress: bool = False) -> str:
    """A session cookie holding exactly this payload JSON: signed as Flask signs, or with a made-up signature."""
    raw = payload.encode("utf-8", "surrogatepass")
    data = zlib.compress(raw) if compress else raw
    body = ("." if compress else "") + base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    if key is None:
        return body + ".aW5Xbg.bm90IGEgc2lnbmF0dXJl"
    signer = TimestampSigner(key, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
    return signer.sign(body).decode()


FAR_FUTURE = '{" d": "Fri, 31 Dec 9999 23:59:59 -2359"}'
#: What visitors may send, with the demo's own key or without it.
HOSTILE = {
    "far-future date, unsigned": cookie(FAR_FUTURE, key=None),
    "far-future date, signed": cookie(FAR_FUTURE),
    "far-future date inside, signed": cookie('{"username": "ann", "when": ' + FAR_FUTURE + "}"),
    "top-level tuple, signed": cookie('{" t": [1, 2]}'),
    "top-level bytes, signed": cookie('{" b": "AAE="}'),
    "top-level markup, signed": cookie('{" m": "<b>x</b>"}'),
    "top-level uuid, signed": cookie('{" u": "not a uuid"}'),
    "escaped tag key, signed": cookie('{" di": {" t__": [1]}}'),
    "a list, signed": cookie("[1, 2]"),
    "lone surrogates, signed": cookie('{"username": "\\ud800", "\\udc00": "x"}'),
    "flashes of odd shapes, signed": cookie('{"_flashes": [{" t": ["a"]}, 5, {" t": ["x", "\\udfff"]}]}'),
    "flashes a number, signed": cookie('{"_flashes": 5}'),
    "types the demo never writes, signed": cookie('{"generation": "x", "blob": [1], "csrf_token": {}, "username": 5}'),
    "nested 5000 deep, signed": cookie('{"a": ' + "[" * 5000 + "]" * 5000 + "}"),
    "a zip bomb, signed": cookie('{"a": "' + "a" * 30_000_000 + '"}', compress=True),
    "escape sequences, signed": cookie('{"username": "\\u001b[2J\\u001b]8;;https://evil.example/\\u0007x"}'),
    "not base64": "!!!." + "A" * 10 + ".sig",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_whatever_the_cookie_every_page_renders(name: str) -> None:
    value = HOSTILE[name]
    with demo_process("-k", GOOD_KEY) as demo:
        for path in ("/", "/login"):
            status, page = get(demo.url, path, {"Cookie": f"session={value}"})
            assert status == 200 and "Cookie inspector" in page, (path, status, page[-500:])
        for path in ("/grow", "/logout", "/reset", "/login"):
            status, _ = _post(demo.url, path, f"session={value}")
            assert status < 500, (path, status)
        demo.stop()
        log = SGR.sub("", demo.stderr)  # Werkzeug's own colours
    assert "Traceback" not in log or name.startswith(("far-future", "top-level")), log[-3000:]
    assert not UNSAFE.search(log), [m.group() for m in UNSAFE.finditer(log)][:5]


def _post(url: str, path: str, cookie_header: str) -> tuple[int, str]:
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(
            "POST", path, body="csrf_token=x&username=ann&bytes=10",
            headers={"Cookie": cookie_header, "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_an_oversized_cookie_header_is_refused_not_a_500() -> None:
    with demo_process("-k", GOOD_KEY) as demo:
        status, _ = get(demo.url, "/", {"Cookie": "session=" + "a" * 70_000})
        assert 400 <= status < 500


def _raw_request(url: str, request_line: bytes, headers: bytes = b"") -> bytes:
    parts = urlsplit(url)
    with socket.create_connection(("127.0.0.1", parts.port or 80), timeout=30) as conn:
        conn.sendall(request_line + b"\r\nHost: 127.0.0.1\r\n" + headers + b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_no_request_can_forge_a_log_line_or_reach_the_terminal() -> None:
    bad = b"Cookie: session=" + HOSTILE["not base64"].encode() + b"\r\n"
    signed_bad = b"Cookie: session=" + cookie('{"a": 1}', key="another key of the right length").encode() + b"\r\n"
    forwarded = b"X-Forwarded-For: 203.0.113.9\x1b[2J\x1b]8;;https://evil.example/\x07\r\n"
    with demo_process("-k", GOOD_KEY, "--behind-proxy") as demo:
        answers = [
            _raw_request(
                demo.url, b"GET /%0d%0a[2024-01-01%2000:00:00,000]%20INFO%20in%20app:%20FORGED HTTP/1.1", signed_bad
            ),
            _raw_request(demo.url, b"GET /%1b[2J%1b]8;;https://evil.example/%07x HTTP/1.1", signed_bad),
            _raw_request(demo.url, b"GET /\x1b[2J\xe2\x80\xae HTTP/1.1", bad),
            _raw_request(demo.url, b"GET /%E2%80%AEgnp.exe HTTP/1.1", signed_bad + forwarded),
            _raw_request(demo.url, b"POST /login%0d%0aFORGED HTTP/1.1", b"Content-Length: 0\r\n"),
        ]
        demo.stop()
        log = demo.stderr
    assert all(not a.startswith(b"HTTP/1.1 5") and not a.startswith(b"HTTP/1.0 5") for a in answers), answers
    assert "bad signature" in log and "CSRF" in log  # the lines that quote the path were written
    log = SGR.sub("", log)  # Werkzeug's own colours
    assert not UNSAFE.search(log), [m.group() for m in UNSAFE.finditer(log)][:5]
    assert not any(line.startswith(("[2024-01-01", "FORGED")) for line in log.splitlines())
    assert "\\r\\n[2024-01-01 00:00:00,000] INFO in app: FORGED" in log  # shown, escaped, on its own request's line
    assert "203.0.113.9\\x1b[2J" in log


@pytest.mark.parametrize(
    "args",
    [["--port", "{port}"], ["--port", "{port}", "--host", "127.0.0.1"], ["--port", "{port}", "-k", GOOD_KEY]],
    ids=["no key", "host given", "key given"],
)
def test_a_failed_start_prints_its_error_and_nothing_before(invoke: Invoke, args: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke(["serve-demo", *[a.replace("{port}", str(port)) for a in args]])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr == f"Error: port {port} on 127.0.0.1 is in use (choose another with --port, or --port 0)\n"


def test_the_inspector_shows_what_it_can_and_says_what_it_cannot() -> None:
    with demo_process("-k", GOOD_KEY) as demo:
        _, page = get(demo.url, "/", {"Cookie": "session=" + HOSTILE["far-future date, unsigned"]})
        _, escaped = get(demo.url, "/", {"Cookie": "session=" + HOSTILE["escape sequences, signed"]})
    assert 'id="size-verdict"' in page  # the size is checked whatever the payload
    decoded = escaped.split('id="decoded">', 1)[1].split("</pre>", 1)[0]
    assert "\\x1b[2J" in decoded and "\x1b" not in decoded
    json.dumps(page)  # the page is text a browser can take (no lone surrogate reached it)
