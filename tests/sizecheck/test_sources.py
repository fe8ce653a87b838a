"""sizecheck --url against a local Flask server, and --har against HAR files the tests write.

No test reaches a host other than 127.0.0.1: the HAR files name other hosts, but they are only read.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest

from flasksess_cli.sizecheck.servers import cookie_header
from tests.conftest import Invoke, Serve

Log = list[dict[str, Any]]


def shop(log: Log) -> flask.Flask:
    """A login that redirects, setting cookies on the way; one of them too large for browsers."""
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="k", MAX_COOKIE_SIZE=0)

    @app.before_request
    def record() -> None:
        r = flask.request
        log.append({"method": r.method, "path": r.path, "cookies": dict(r.cookies), "form": r.form.to_dict(),
                    "test_header": r.headers.get("X-Test")})  # fmt: skip

    @app.post("/login")
    def login() -> flask.Response:
        flask.session["user"] = flask.request.form["user"]
        response = flask.redirect("/welcome")
        response.set_cookie("tracking", "t" * 100)
        return response

    @app.get("/welcome")
    def welcome() -> flask.Response:
        response = flask.make_response("welcome")
        response.set_cookie("prefs", "p" * 4200)  # a browser drops it
        response.set_cookie("lang", "en", path="/welcome")
        return response

    @app.post("/keep-method")
    def keep_method() -> flask.Response:
        return flask.redirect("/echo", code=307)

    @app.route("/echo", methods=["GET", "POST"])
    def echo() -> str:
        return "echo"

    @app.get("/loop")
    def loop() -> flask.Response:
        return flask.redirect("/loop")

    @app.get("/many")
    def many() -> flask.Response:
        response = flask.make_response("many")
        for i in range(200):
            response.set_cookie(f"k{i:03d}", "v")
        return response

    @app.get("/big-request")
    def big_request() -> flask.Response:
        response = flask.make_response("three big cookies")
        for name in "abc":
            response.set_cookie(name, name * 3000)
        return response

    return app


@pytest.fixture
def site(serve: Serve) -> tuple[str, Log]:
    log: Log = []
    return serve(shop(log)), log


def run(invoke: Invoke, args: list[str]) -> tuple[int, dict[str, Any]]:
    result = invoke(["sizecheck", "--json", *args])
    assert result.stderr == "", result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_url_post_follows_redirects_and_checks_every_set_cookie(invoke: Invoke, site: tuple[str, Log]) -> None:
    base, log = site
    code, document = run(
        invoke,
        ["--url", f"{base}/login", "--data", "user=ann", "--header", "X-Test: yes", "--cookie", "existing=1"],
    )
    assert code == 1  # prefs is over 4096: browsers drop it
    cookies = {c["name"]: c for c in document["cookies"]}
    assert list(cookies) == ["existing", "tracking", "session", "prefs", "lang"]  # Flask adds the session last
    assert cookies["session"]["origin"] == f"POST {base}/login -> 302"
    assert cookies["prefs"]["origin"] == f"GET {base}/welcome -> 200"
    assert cookies["prefs"]["verdict"] == "dropped" and cookies["session"]["verdict"] == "ok"
    assert cookies["session"]["header_source"] == "given"
    assert cookies["session"]["session"]["keys"][0]["key"] == "user"  # a Flask session: decoded and priced
    # What the server received: a POST with the form, header and cookie, then a GET carrying the new cookies.
    assert [(e["method"], e["path"]) for e in log] == [("POST", "/login"), ("GET", "/welcome")]
    assert log[0]["form"] == {"user": "ann"} and log[0]["test_header"] == "yes"
    assert log[0]["cookies"] == {"existing": "1"}
    assert set(log[1]["cookies"]) == {"existing", "session", "tracking"} and log[1]["form"] == {}
    # The next request carries what a browser keeps: not prefs (dropped), not lang (Path=/welcome).
    [request] = document["requests"]
    assert request["url"] == f"next request to {base}/welcome"
    assert request["cookies"] == 4  # existing, session, tracking, and lang (the URL is /welcome)
    assert document["domains"] == [
        {"domain": "127.0.0.1", "cookies": 4, "limit": 180, "partitioned_bytes": 0, "verdict": "ok"}
    ]


def test_url_307_repeats_the_post(invoke: Invoke, site: tuple[str, Log]) -> None:
    base, log = site
    code, document = run(invoke, ["--url", f"{base}/keep-method", "--data", "a=1"])
    assert code == 0 and document["cookies"] == []
    assert [(e["method"], e["path"], e["form"]) for e in log] == [
        ("POST", "/keep-method", {"a": "1"}),
        ("POST", "/echo", {"a": "1"}),
    ]


def test_url_with_no_cookies_says_so(invoke: Invoke, site: tuple[str, Log]) -> None:
    base, _ = site
    result = invoke(["sizecheck", "--url", f"{base}/echo"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "No cookies" in result.stderr


def test_url_counts_cookies_per_domain(invoke: Invoke, site: tuple[str, Log]) -> None:
    base, _ = site
    code, document = run(invoke, ["--url", f"{base}/many"])
    assert code == 0
    assert document["domains"][0]["cookies"] == 200 and document["domains"][0]["verdict"] == "evicted"


@pytest.mark.parametrize(("server", "code"), [("nginx", 1), ("gunicorn", 1), ("node", 0), ("werkzeug", 0)])
def test_url_server_decides_when_picked(invoke: Invoke, site: tuple[str, Log], server: str, code: int) -> None:
    base, _ = site
    got, document = run(invoke, ["--url", f"{base}/big-request", "--server", server])
    assert got == code
    [request] = document["requests"]
    assert request["header_bytes"] == len(cookie_header([(n, n * 3000) for n in "abc"]))
    assert document["server_rejects"] is (code == 1)


def test_url_redirect_loop_is_bad_input(invoke: Invoke, site: tuple[str, Log]) -> None:
    base, _ = site
    result = invoke(["sizecheck", "--url", f"{base}/loop"])
    assert result.exit_code == 3 and "more than 20 redirects" in result.stderr


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_url_timeout(invoke: Invoke, silent_port: int, serve: Serve) -> None:
    result = invoke(["sizecheck", "--url", f"http://127.0.0.1:{silent_port}/", "--timeout", "0.3"])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: no answer from 127.0.0.1") and "--timeout" in result.stderr


def test_url_connection_refused(invoke: Invoke, serve: Serve) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke(["sizecheck", "--url", f"http://127.0.0.1:{port}/"])
    assert result.exit_code == 3 and result.stderr.startswith(f"Error: cannot reach 127.0.0.1:{port}")


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[str, str]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed to make a self-signed certificate for the --insecure test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


def test_url_insecure_accepts_a_self_signed_certificate(
    invoke: Invoke, serve: Serve, self_signed: tuple[str, str]
) -> None:
    base = serve(shop([]), ssl_context=self_signed)
    assert base.startswith("https://")
    refused = invoke(["sizecheck", "--url", f"{base}/welcome"])
    assert refused.exit_code == 3
    assert "TLS certificate is not trusted" in refused.stderr and "--insecure" in refused.stderr
    code, document = run(invoke, ["--url", f"{base}/welcome", "--insecure"])
    assert code == 1 and [c["name"] for c in document["cookies"]] == ["prefs", "lang"]


# --- HAR ---------------------------------------------------------------------------------------------


def har(*entries: dict[str, Any]) -> str:
    return json.dumps(
        {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": list(entries)}}
    )


def entry(
    url: str, *, method: str = "GET", status: int = 200, request: list[tuple[str, str]] = (),  # type: ignore[assignment]
    response: list[tuple[str, str]] = (), **extra: Any,  # type: ignore[assignment]
) -> dict[str, Any]:  # fmt: skip
    return {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"method": method, "url": url, "headers": [{"name": n, "value": v} for n, v in request],
                    "cookies": extra.get("request_cookies", [])},
        "response": {"status": status, "headers": [{"name": n, "value": v} for n, v in response],
                     "cookies": extra.get("response_cookies", [])},
    }  # fmt: skip


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "export.har"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_har_checks_every_set_cookie_and_every_cookie_header(invoke: Invoke, tmp_path: Path) -> None:
    big = "; ".join(f"{n}={n * 3000}" for n in "abc")
    text = har(
        entry("https://shop.example/", response=[("Set-Cookie", "session=abc.def.ghi; HttpOnly; Path=/")]),
        entry("https://shop.example/cart", method="POST", request=[("cookie", "session=abc.def.ghi")],
              response=[("set-cookie", "cart=" + "c" * 4200 + "; Path=/\nlang=en; Path=/")]),
        entry("https://shop.example/checkout", request=[("cookie", big.split("; ", 1)[0]), ("cookie", big.split("; ", 1)[1])]),
        entry("https://shop.example/", response=[("Set-Cookie", "session=abc.def.ghi; HttpOnly; Path=/")]),
    )  # fmt: skip
    code, document = run(invoke, ["--har", write(tmp_path, text)])
    assert code == 1  # cart is dropped
    cookies = [(c["name"], c["verdict"], c["seen"], c["origin"]) for c in document["cookies"]]
    assert cookies == [
        ("session", "ok", 2, "GET https://shop.example/ -> 200"),
        ("cart", "dropped", 1, "POST https://shop.example/cart -> 200"),
        ("lang", "ok", 1, "POST https://shop.example/cart -> 200"),
    ]
    largest, smallest = document["requests"]
    assert largest["header_bytes"] == len(big) and largest["cookies"] == 3  # HTTP/2's split headers joined
    verdicts = {s["server"]: s["verdict"] for s in largest["servers"]}
    assert verdicts["nginx"] == "rejected" and verdicts["node"] == "ok"
    assert smallest["url"] == "https://shop.example/cart"
    assert document["domains"] == [
        {"domain": "shop.example", "cookies": 3, "limit": 180, "partitioned_bytes": 0, "verdict": "ok"}
    ]


@pytest.mark.parametrize(("server", "code"), [("nginx", 1), ("apache", 1), ("cloudflare", 0), (None, 0)])
def test_har_server_option(invoke: Invoke, tmp_path: Path, server: str | None, code: int) -> None:
    big = "; ".join(f"{n}={n * 3000}" for n in "abc")
    path = write(tmp_path, har(entry("https://shop.example/checkout", request=[("Cookie", big)])))
    result = invoke(["sizecheck", "--har", path, *(["--server", server] if server else [])])
    assert result.exit_code == code, result.stderr
    if server:
        assert server in result.stdout


def test_har_without_headers_uses_its_cookie_objects(invoke: Invoke, tmp_path: Path) -> None:
    text = har(
        entry("https://a.example/", request_cookies=[{"name": "x", "value": "1"}],
              response_cookies=[{"name": "s", "value": "v" * 5000, "path": "/", "httpOnly": True}]),
    )  # fmt: skip
    code, document = run(invoke, ["--har", write(tmp_path, text)])
    assert code == 1
    assert document["cookies"][0]["name"] == "s" and document["requests"][0]["cookies"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (har(entry("https://a.example/")), "Chrome leaves them out unless you export 'with sensitive data'"),
        ('{"log": {}}', "not a HAR file"),
        ("this is not json", "not a HAR file"),
        ('{"log": {"entries": [{"request": {}}]}}', "not a HAR file"),
    ],
)
def test_har_bad_input(invoke: Invoke, tmp_path: Path, text: str, message: str) -> None:
    result = invoke(["sizecheck", "--har", write(tmp_path, text)])
    assert result.exit_code == 3 and result.stdout == ""
    assert message in result.stderr


def test_har_from_stdin(invoke: Invoke) -> None:
    text = har(entry("https://a.example/", response=[("Set-Cookie", "a=1")]))
    result = invoke(["sizecheck", "--har", "-", "--json"], input=text)
    assert result.exit_code == 0 and json.loads(result.stdout)["source"] == "har"
