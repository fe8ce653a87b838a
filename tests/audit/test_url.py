"""audit url against real apps on 127.0.0.1: the key found from a login page alone, without logging in; decode --url
and audit cookie --url (flask-unsign's --server workflow); hostile pages.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Invoke, Serve
from tests.tokenapps import flask_app, hypercorn_server, quart_app, starlette_app, uvicorn_server

WEAK = "secret"  # the flask-unsign list has it, and so do the published keys
STRONG = "3f7a1c9e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"


def audit_json(invoke: Invoke, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke(["audit", "url", "--json", *args])
    assert result.stdout, result.stderr
    return result.exit_code, json.loads(result.stdout)


def by_format(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {artefact["format"]: artefact for artefact in document["artefacts"]}


def test_a_flask_login_page_alone_gives_the_key_away(invoke: Invoke, serve: Serve) -> None:
    base = serve(flask_app(WEAK))
    code, document = audit_json(invoke, f"{base}/login")
    assert code == 1 and document["found"] is True and document["search"]["key"] == WEAK
    artefacts = by_format(document)
    assert set(artefacts) == {"flask-session", "flask-wtf-csrf"}
    csrf = artefacts["flask-wtf-csrf"]
    assert {csrf["where"], csrf["name"]} in ({"meta", "csrf-token"}, {"input", "csrf_token"})
    assert all(a["signed_by_key"] is True for a in document["artefacts"])
    assert sum(a["searched"] for a in document["artefacts"]) == 1
    assert artefacts["flask-session"]["verification"]["format"] == "flask-session"
    assert [e["method"] for e in document["exchanges"]] == ["GET"]  # nobody logged in
    human = invoke(["audit", "url", f"{base}/login"])
    assert human.exit_code == 1 and human.stdout.splitlines()[1] == WEAK and "signs 2 of its 2" in human.stdout
    assert "meta 'csrf-token' and form field 'csrf_token'" in " ".join(human.stdout.split())


def test_the_key_found_forges_a_remember_cookie_the_app_accepts(invoke: Invoke, serve: Serve) -> None:
    base = serve(flask_app(WEAK))
    key = audit_json(invoke, f"{base}/login")[1]["search"]["key"]
    forged = invoke(["sign", "--format", "flask-login-remember", "-k", key, '"admin"']).stdout.strip()
    request = urllib.request.Request(f"{base}/me", headers={"Cookie": f"remember_token={forged}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
        assert response.read() == b"admin"


def test_a_logged_in_view_adds_the_remember_cookie(invoke: Invoke, serve: Serve) -> None:
    app = flask_app(WEAK)
    remember = invoke(["sign", "--format", "flask-login-remember", "-k", WEAK, '"42"']).stdout.strip()
    base = serve(app)
    code, document = audit_json(invoke, "--cookie", f"remember_token={remember}", f"{base}/me")
    artefacts = by_format(document)
    assert code == 1 and artefacts["flask-login-remember"]["origin"] == "--cookie"
    assert artefacts["flask-login-remember"]["signed_by_key"] is True


def test_a_starlette_login_page_gives_the_key_away(invoke: Invoke) -> None:
    with uvicorn_server(starlette_app(WEAK)) as base:
        code, document = audit_json(invoke, f"{base}/login")
    assert code == 1 and document["search"]["key"] == WEAK
    (artefact,) = document["artefacts"]
    assert artefact["format"] == "starlette-session" and artefact["signed_by_key"] is True


def test_a_quart_login_page_gives_the_key_to_forge_a_quart_auth_login(invoke: Invoke) -> None:
    with hypercorn_server(quart_app(WEAK)) as base:
        code, document = audit_json(invoke, f"{base}/login")
        assert code == 1 and document["search"]["key"] == WEAK and document["artefacts"][0]["format"] == "flask-session"
        forged = invoke(["sign", "--format", "quart-auth", "-k", WEAK, '"admin"']).stdout.strip()
        request = urllib.request.Request(f"{base}/me", headers={"Cookie": f"QUART_AUTH={forged}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1
            assert response.read() == b"admin"


def test_a_strong_key_is_not_found_and_the_artefacts_are_listed(invoke: Invoke, serve: Serve) -> None:
    base = serve(flask_app(STRONG))
    code, document = audit_json(invoke, f"{base}/login")
    assert code == 0 and document["found"] is False and document["search"]["found"] is False
    assert {a["format"] for a in document["artefacts"]} == {"flask-session", "flask-wtf-csrf"}
    assert all(a["signed_by_key"] is None and a["rate"] > 0 for a in document["artefacts"])
    human = invoke(["audit", "url", f"{base}/login"])
    assert human.exit_code == 0 and human.stdout.startswith("NOT FOUND")


def test_a_page_with_nothing_signed(invoke: Invoke, serve: Serve) -> None:
    from flask import Flask

    app = Flask(__name__)

    @app.get("/")
    def index() -> tuple[str, int, dict[str, str]]:
        return "<input name='q' value='a.b.c'>", 200, {"Set-Cookie": "theme=dark; Path=/"}

    base = serve(app)
    code, document = audit_json(invoke, f"{base}/")
    assert code == 0 and document["artefacts"] == [] and document["search"] is None
    human = invoke(["audit", "url", f"{base}/"])
    assert human.exit_code == 0 and human.stdout.startswith("NOTHING SIGNED")


# --- decode --url and audit cookie --url: flask-unsign's --server ----------------------------------


class Recorder:
    """A WSGI app recording each request's User-Agent and target, then serving Flask's login page."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.seen.append((environ.get("HTTP_USER_AGENT"), environ.get("HTTP_HOST"), environ.get("PATH_INFO")))
        return self.app(environ, start_response)


def test_decode_and_audit_cookie_take_the_cookie_from_a_url(invoke: Invoke, serve: Serve) -> None:
    recorder = Recorder(flask_app(WEAK))
    base = serve(recorder)
    decoded = json.loads(invoke(["decode", "--json", "--url", f"{base}/login", "--user-agent", "tester/1"]).stdout)
    assert decoded["format"] == "flask-session" and "csrf_token" in decoded["session"]
    assert recorder.seen[-1][0] == "tester/1"
    found = invoke(["audit", "cookie", "--json", "--url", f"{base}/login"])
    assert found.exit_code == 1 and json.loads(found.stdout)["key"] == WEAK
    named = invoke(["decode", "--url", f"{base}/login", "--cookie-name", "nope"])
    assert named.exit_code == 3 and "no cookie named 'nope'" in named.stderr
    both = invoke(["decode", "--url", f"{base}/login", "x.y.z"])
    assert both.exit_code == 2 and "either COOKIE or --url" in both.stderr


def test_proxy_carries_the_requests(invoke: Invoke, serve: Serve) -> None:
    recorder = Recorder(flask_app(WEAK))
    proxy = serve(recorder)  # Werkzeug's server takes a proxy's absolute-form request line
    result = invoke(["audit", "url", "--json", "--proxy", proxy, "http://app.invalid/login"])
    assert result.exit_code == 1, result.stderr
    assert recorder.seen[-1][1:] == ("app.invalid", "/login")
    through = [
        "--url", "http://app.invalid/login", "--proxy", proxy, "--user-agent", "audit/2", "--cookie-name", "session",
    ]  # fmt: skip
    found = invoke(["audit", "cookie", "--json", *through])
    assert found.exit_code == 1 and json.loads(found.stdout)["key"] == WEAK, found.stderr
    assert recorder.seen[-1] == ("audit/2", "app.invalid", "/login")
    decoded = json.loads(invoke(["decode", "--json", *through]).stdout)
    assert decoded["format"] == "flask-session" and "csrf_token" in decoded["session"]


# --- hostile pages ---------------------------------------------------------------------------------


def page_app(body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body))), *headers])
        return [body]

    return app


def token(n: int) -> str:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(STRONG, salt="wtf-csrf-token").dumps(f"{n:040x}")


def test_a_url_with_non_ascii_characters_is_sent_as_a_browser_sends_it(invoke: Invoke, serve: Serve) -> None:
    """Percent-encoded UTF-8 in the path and the query (a browser's address bar does the same)."""
    from flask import Flask, request

    app = Flask(__name__)
    page = f'<input name="csrf_token" value="{token(0)}">'

    @app.get("/café")
    def cafe() -> str:
        assert request.args["q"] == "ü"
        return page

    base = serve(app)
    result = invoke(["audit", "url", "--no-builtin", "--json", f"{base}/café?q=ü"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == 200 and document["final_url"].endswith("/café?q=ü")
    assert [a["format"] for a in document["artefacts"]] == ["flask-wtf-csrf"]


def test_thousands_of_forms_and_a_huge_page_stay_bounded(invoke: Invoke, serve: Serve) -> None:
    forms = "".join(f'<form><input type="hidden" name="csrf_token" value="{token(n)}"></form>' for n in range(3000))
    body = (forms + "<p>" + "x" * (12 << 20)).encode()
    base = serve(page_app(body))
    code, document = audit_json(invoke, "--no-builtin", f"{base}/")
    assert code == 0 and document["truncated"] is True and document["body_bytes"] == 8 << 20
    assert len(document["artefacts"]) == 200 and document["dropped"] == 2800


def test_only_the_artefacts_kept_have_their_payload_read(
    invoke: Invoke, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telling a token from other text takes its layout alone. Reading every payload met on the page inflated each
    compressed one (up to 64 KiB from ~160 bytes): an 8 MiB page of them took 12 s to collect 200 artefacts."""
    import zlib

    from itsdangerous.encoding import base64_encode

    from flasksess_cli.codec import formats

    bomb = "." + base64_encode(zlib.compress(b'"' + b"a" * 70000 + b'"', 9)).decode()
    inputs = "".join(f'<input name="t" value="{bomb}.aw9z{n:04d}.{"A" * 27}">' for n in range(3000))
    base = serve(page_app(inputs.encode()))
    read = formats._read_payload
    calls = []
    monkeypatch.setattr(formats, "_read_payload", lambda *a, **k: calls.append(1) or read(*a, **k))
    code, document = audit_json(invoke, "--no-builtin", f"{base}/")
    assert code == 0 and len(document["artefacts"]) == 200 and document["dropped"] == 2800
    assert len(calls) <= 5 * len(document["artefacts"])  # a few per artefact kept, not one per token on the page


def test_malformed_tokens_and_binary_bodies_are_no_crash(invoke: Invoke, serve: Serve) -> None:
    junk = [
        "eyJhIjoxfQ.aw9ZFw", "!!!!.@@@@@@.########################", "eyJ.aw9ZFw.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ".eJwLz0otTi0GAA.aw9ZFw.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "a" * 40 + "|" + "f" * 128, "1|" + "0" * 127,
        "e30." * 5000 + "AAAAAAAAAAAAAAAAAAAAAAAAAAA", "\u202e\x1b[2J.aw9ZFw.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]  # fmt: skip
    html = "".join(f'<input value="{value}"><meta name="m" content="{value}">' for value in junk)
    binary = bytes(range(256)) * 4096 + b'<input value="' + token(1).encode() + b'">' + os.urandom(1 << 16)
    for body, headers in (
        (html.encode(), (("X-CSRFToken", junk[2]), ("Set-Cookie", f"session={junk[3]}"))),
        (binary, (("Content-Encoding", "identity"),)),
    ):
        base = serve(page_app(body, headers))
        result = invoke(["audit", "url", "--no-builtin", f"{base}/"])
        assert result.exit_code in (0, 1) and "Traceback" not in result.stderr + result.stdout
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


@pytest.mark.parametrize("location", ["http://[x/", "http://a\x1bb/", "/\u202e", "ftp://a/"])  # U+202E: as UTF-8
def test_a_redirect_to_no_url_is_one_error(invoke: Invoke, serve: Serve, location: str) -> None:
    """The message names the server's redirect, not the URL the user typed, as what is wrong."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        wire = location.encode("utf-8").decode("latin-1")  # WSGI headers are Latin-1 text: these are UTF-8 bytes
        start_response("302 Found", [("Location", wire), ("Content-Length", "0")])
        return [b""]

    base = serve(app)
    result = invoke(["audit", "url", f"{base}/"])
    assert result.exit_code == 3 and result.stdout == "", result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert result.stderr.startswith(f"Error: {base.split('//')[1]} redirects to {location!r}, which "), result.stderr


def test_a_lookalike_cookie_does_not_hide_the_real_token_and_hostile_names_stay_text(
    invoke: Invoke, serve: Serve
) -> None:
    """A third party's cookie laid out like a token (standard base64 that reads as nothing) used to be taken for a
    Starlette session and searched instead of the page's real CSRF token; names with markup and control characters
    are shown as text, in the human report and in --json."""
    from itsdangerous import URLSafeTimedSerializer

    csrf = URLSafeTimedSerializer(WEAK, salt="wtf-csrf-token").dumps("a1" * 20)
    lookalike = "ab/cd+ef==.aw9s1w." + "A" * 27
    name = "[bold red]csrf\x1b[2J\u202e\x9b"
    body = f'<form><input type="hidden" name="{name}" value="{csrf}"></form>'.encode()
    headers = (("Set-Cookie", f"tracker={lookalike}; Path=/"),)
    base = serve(page_app(body, headers))
    code, document = audit_json(invoke, "--no-builtin", "--wordlist", "-", f"{base}/")
    assert code == 0 and document["search"]["found"] is False  # nothing given to search with but an empty list
    searched = next(a for a in document["artefacts"] if a["searched"])
    assert (searched["format"], searched["name"]) == ("flask-wtf-csrf", name)
    human = invoke(["audit", "url", f"{base}/"])
    assert human.exit_code == 1 and human.stdout.splitlines()[1] == WEAK, human.stderr
    assert "[bold red]csrf\\x1b[2J\\u202e\\x9b" in human.stdout
    assert not any(c in human.stdout + human.stderr for c in "\x1b\u202e\x9b")


def test_a_wordlist_named_with_markup_is_text_when_the_key_is_found(
    invoke: Invoke, serve: Serve, tmp_path: Path
) -> None:
    """The report's 'tried' row names the wordlists: read as rich markup, '[/]' was a MarkupError traceback (exit 70)
    and '[link=...]' a hyperlink on a terminal."""
    folder = tmp_path / "[link=https:evil.example][bold]w["
    folder.mkdir()
    wordlist = folder / "]x"
    wordlist.write_text("not-the-key\n")
    result = invoke(["audit", "url", "--wordlist", str(wordlist), f"{serve(flask_app(WEAK))}/login"])
    assert result.exit_code == 1 and result.stdout.splitlines()[1] == WEAK, result.stderr
    tried = next(line for line in result.stdout.splitlines() if line.startswith("tried"))
    assert f"; {wordlist})" in tried


@pytest.fixture
def slow_server() -> Iterator[str]:
    """Sends its headers, then one byte of body every 0.2 s, forever (or until the client leaves)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve_one(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000000\r\n\r\n")
                while not stop.wait(0.2):
                    connection.sendall(b"<")
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_a_slow_server_is_cut_off_at_the_deadline(invoke: Invoke, slow_server: str) -> None:
    result = invoke(["audit", "url", "--timeout", "1.5", f"{slow_server}/"])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.count("Error:") == 1 and "within 1.5 seconds" in result.stderr


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """Answers 404 with the start of a long body, then resets the connection (SO_LINGER 0)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 100000\r\n\r\n<html>")
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_connection_reset_while_an_error_page_is_read_is_one_error(invoke: Invoke, resetting_server: str) -> None:
    result = invoke(["audit", "url", "--no-builtin", f"{resetting_server}/"])
    assert (result.exit_code, result.stdout) == (3, ""), result.stderr
    assert result.stderr.startswith("Error: the request to 127.0.0.1:") and result.stderr.count("\n") == 1


def test_memory_stays_bounded_on_a_huge_page(serve: Serve) -> None:
    """The peak resident size of the process, run for real: well under what reading 64 MiB would cost."""
    body = (b'<input name="csrf_token" value="' + token(0).encode() + b'">') + b"y" * (64 << 20)
    base = serve(page_app(body))
    script = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-m", "flasksess_cli", "audit", "url", "--no-builtin", "--json", f"{base}/"]
    done = subprocess.run(
        [sys.executable, "-c", script, *command], capture_output=True, text=True, timeout=300, check=True
    )
    peak_kib = int(done.stdout.strip())
    assert peak_kib < 160 * 1024, f"peak RSS {peak_kib} KiB"


def test_the_demos_login_page_points_at_audit_url_and_the_command_does_what_it_says(
    invoke: Invoke, serve: Serve
) -> None:
    from flasksess_cli.demo.app import create_app

    base = serve(create_app("dev"))  # the tutorial's key: published, found at once
    with urllib.request.urlopen(f"{base}/login", timeout=30) as response:  # noqa: S310 - 127.0.0.1
        page = response.read().decode()
    assert f"<code>flasksess audit url {base}/login</code>" in page
    code, document = audit_json(invoke, f"{base}/login")
    assert code == 1 and document["search"]["key"] == "dev"
    assert [a["format"] for a in document["artefacts"]] == ["flask-session"]  # its CSRF token is not signed
