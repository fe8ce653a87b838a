"""audit cookie on every token that shares the key, each made by the real library, on both engines.

The key has a non-ASCII character and the wordlist holds it as UTF-8 text, the way a wordlist
does: Flask-Login keys its HMAC with the key's Latin-1 bytes, so its remember cookie is only
found because a non-ASCII line is also tried as its Latin-1 bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flasksess_cli.audit.candidates import special_readings
from tests.conftest import Invoke
from tests.tokenapps import flask_app, quart_app, starlette_app

KEY = "flasksess-demo-key-café"


def _csrf_token() -> str:
    page = flask_app(KEY).test_client().get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found is not None
    return found[1]


def _remember_cookie() -> str:
    client = flask_app(KEY).test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/login", data={"csrf_token": token[1], "username": "42", "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    return header.split(";", 1)[0].split("=", 1)[1]


def _starlette_session() -> str:
    """The cookie Starlette's SessionMiddleware sets, from the ASGI app itself (no server needed)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/login", "raw_path": b"/login", "query_string": b"user=alice", "root_path": "",
        "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(starlette_app(KEY)(scope, receive, send))
    headers = next(m["headers"] for m in sent if m["type"] == "http.response.start")
    cookie = next(v.decode() for n, v in headers if n == b"set-cookie" and v.startswith(b"session="))
    return cookie.split(";", 1)[0].split("=", 1)[1]


def _quart_auth_token() -> str:
    async def log_in() -> str:
        response = await quart_app(KEY).test_client().post("/login/user-42")
        header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("QUART_AUTH="))
        return header.split(";", 1)[0].split("=", 1)[1]

    return asyncio.run(log_in())


def _flask_security_token() -> str:
    pytest.importorskip("flask_security", reason="Flask-Security 5.9 needs Python 3.11")
    from tests.tokenapps import flask_security_app

    app, _ = flask_security_app(KEY)
    with app.app_context():
        return str(app.extensions["security"].reset_serializer.dumps(["a" * 32, "$5$rounds=535000$y"]))


def _itsdangerous(timed: bool) -> Callable[[], str]:
    def make() -> str:
        from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

        serializer = URLSafeTimedSerializer if timed else URLSafeSerializer
        return str(serializer(KEY, salt="password-reset").dumps({"user": 42}))

    return make


def _flask_session_id() -> str:
    from itsdangerous import Signer

    # What Flask-Session (0.4 to 0.8) sets: the id signed as its _get_signer() does.
    return Signer(KEY, salt="flask-session", key_derivation="hmac").sign("kgXzNGTR7ZoEV4BA0s2mSCd5EGg").decode()


ARTEFACTS: dict[str, tuple[Callable[[], str], list[str]]] = {
    "flask-wtf-csrf": (_csrf_token, []),
    "flask-login-remember": (_remember_cookie, []),
    "starlette-session": (_starlette_session, []),
    "quart-auth": (_quart_auth_token, []),
    "flask-security-reset": (_flask_security_token, []),
    "itsdangerous": (_itsdangerous(timed=True), ["--format", "itsdangerous", "--salt", "password-reset"]),
    "itsdangerous-untimed": (_itsdangerous(timed=False), ["--format", "itsdangerous-untimed", "--salt", "password-reset"]),
    "flask-session-id": (_flask_session_id, []),
}  # fmt: skip


@pytest.mark.parametrize("name", ARTEFACTS)
def test_audit_cookie_finds_the_key_behind_every_token(
    invoke: Invoke, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    make, options = ARTEFACTS[name]
    token = make()
    monkeypatch.setenv("FLASKSESS_AUDIT_ENGINE", engine)
    words = tmp_path / "words.txt"
    words.write_text(f"one\ntwö\n{KEY}\nfour\n", encoding="utf-8")
    result = invoke(["audit", "cookie", "--json", "--no-builtin", *options, "--wordlist", str(words), token])
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert (document["format"], document["engine"], document["key"], document["line"]) == (name, engine, KEY, 3)
    assert document["key_format"] == "text"
    assert document["variant"] == ("latin-1" if name == "flask-login-remember" else "line")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("one\ntwö\n", encoding="utf-8")
    missed = invoke(["audit", "cookie", "--json", "--no-builtin", *options, "--wordlist", str(wrong), token])
    assert missed.exit_code == 0 and json.loads(missed.stdout)["found"] is False


def test_a_remember_cookie_is_searched_in_parallel_with_latin_1_readings(engine: str) -> None:
    """The worker pools (threads for the C kernel, processes for the twin) try the Latin-1 readings too."""
    import hmac

    from flasksess_cli.audit import search
    from flasksess_cli.audit.scan import Target
    from flasksess_cli.audit.wordlists import Wordlist
    from flasksess_cli.codec.cookie import Scheme

    signature = hmac.new(KEY.encode("latin-1"), b"42", hashlib.sha512).digest()
    target = Target(b"42", signature, b"", "sha512", "none", "latin-1")
    lines = [f"wörd{n}".encode() for n in range(40_000)] + [KEY.encode("utf-8"), b"after"]
    wordlist = Wordlist("w", io.BytesIO(b"\n".join(lines)), None)
    result = search.audit_cookie(
        target, kind="token", scheme=Scheme(), wordlists=[wordlist], builtin=False, engine=engine,  # type: ignore[arg-type]
        workers=2, chunk_bytes=16 * 1024,
    )  # fmt: skip
    assert result.found is not None and result.engine == engine
    assert (result.found.line, result.found.variant, result.found.display()) == (40_001, "latin-1", KEY)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (b"plain\nascii\n", []),
        ("caf\u00e9\n".encode(), [(0, b"caf\xe9")]),
        ("a\n\u65e5\u672c\nb\xe9\nz\u00ff\r".encode() + b"\xff\xfe\n", [(9, b"b\xe9"), (13, b"z\xff")]),
        ("'caf\u00e9'\n".encode(), [(0, b"'caf\xe9'"), (0, "caf\u00e9".encode())]),
    ],
    ids=["ascii", "latin-1", "not-latin-1-or-not-utf-8", "quoted"],
)
def test_latin_1_readings_of_non_ascii_lines(lines: bytes, expected: list[tuple[int, bytes]]) -> None:
    assert [(r.offset, r.key) for r in special_readings(lines, len(lines), latin1=True)] == expected
    assert all(r.variant != "latin-1" for r in special_readings(lines, len(lines)))


def test_a_search_of_what_looks_like_a_session_says_what_else_it_could_be(invoke: Invoke, tmp_path: Path) -> None:
    """An itsdangerous token of a compact JSON object is laid out as a session cookie: only its salt tells."""
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer("reset-key", salt="password-reset").dumps({"user_id": 1})
    words = tmp_path / "words.txt"
    words.write_text("reset-key\n")
    missed = invoke(["audit", "cookie", "--no-builtin", "--wordlist", str(words), token])
    assert missed.exit_code == 0 and missed.stdout.startswith("NOT FOUND")
    assert (
        "searched as a Flask session cookie, which its shape suggests; it could also be: itsdangerous" in missed.stderr
    )
    assert "Starlette" not in missed.stderr  # Starlette spaces its JSON and writes standard base64
    options = ["--format", "itsdangerous", "--salt", "password-reset"]
    found = invoke(["audit", "cookie", "--no-builtin", *options, "--wordlist", str(words), token])
    assert found.exit_code == 1 and "it could also be" not in found.stderr
    assert "it could also be" not in invoke(["audit", "cookie", "--json", "--no-builtin", token]).stderr
