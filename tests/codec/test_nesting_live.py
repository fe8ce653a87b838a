"""How deep a session the installed Flask loads, measured now, and flasksess's verdict at and past that depth.

The limits are Python's recursion limit spent by Flask's own recursion (untagging
on load; tagging and the JSON encoder on writing a session back), so they depend
on the Flask line and the Python version. Nothing here assumes a number: the
installed Flask is bisected through its test client (each request in a fresh
thread, as ``tests/vectors/record_outcomes.py`` measures every release), then
``verify`` must call the deepest session that loads valid and the next one HTTP 500.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import zlib
from collections.abc import Callable
from typing import Any

import flask
import itsdangerous
import pytest

from flasksess_cli.codec.cookie import Verification, verify_cookie
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

KEY = "nesting-key"


def nested(kind: str, levels: int, *, permanent: bool) -> str:
    """A session with ``levels`` containers of one kind below its key "a" (tuples: {" t": [...]} each)."""
    inner = "[" * levels + "]" * levels if kind == "list" else '{" t":[' * levels + "]}" * levels
    return "{" + ('"_permanent":true,' if permanent else "") + '"a":' + inner + "}"


def signed(payload: str) -> str:
    """A cookie around this exact payload, signed as Flask signs (itsdangerous, not flasksess)."""
    data = payload.encode()
    packed = zlib.compress(data)
    body = (
        b"." + itsdangerous.encoding.base64_encode(packed)
        if len(packed) < len(data) - 1
        else itsdangerous.encoding.base64_encode(data)
    )
    signer = itsdangerous.TimestampSigner(KEY, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
    return signer.sign(body).decode()


def flask_answers(cookie: str) -> tuple[int, bool]:
    """(status, whether the view ran), from a request made in a fresh thread (a stack of known depth)."""
    app = flask.Flask(__name__)
    app.secret_key = KEY
    ran: list[bool] = []

    @app.get("/")
    def view() -> str:
        ran.append(True)
        return "ok"

    box: dict[str, int] = {}

    def request() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie)
        box["status"] = client.get("/").status_code

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    return box["status"], bool(ran)


def deepest(works: Callable[[int], bool], hi: int = 2000) -> int:
    lo = 1
    assert works(lo) and not works(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if works(mid):
            lo = mid
        else:
            hi = mid
    return lo


def document(text: str) -> Any:
    """A --json document, with room for this side's json.loads (never while Flask is measured)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20000)
    try:
        return json.loads(text)
    finally:
        sys.setrecursionlimit(limit)


#: Levels by which the installed release's limit, measured here, may differ from the recorded one: the
#: stack under ``open_session`` differs by a few frames between test clients, Werkzeug releases and servers.
TOLERANCE = 3


@pytest.mark.parametrize("permanent", [False, True], ids=["loaded", "written-back"])
@pytest.mark.parametrize("kind", ["list", "tuple"])
def test_verify_agrees_with_flask_and_says_so_when_it_is_a_close_call(
    invoke: Invoke, kind: str, permanent: bool
) -> None:
    flask_limit = deepest(lambda n: flask_answers(signed(nested(kind, n, permanent=permanent))) == (200, True))
    status, ran = flask_answers(signed(nested(kind, flask_limit + 1, permanent=permanent)))
    assert status == 500 and ran is permanent  # written back: the view ran, then the write failed

    def verdict(levels: int) -> dict[str, Any]:
        cookie = signed(nested(kind, levels, permanent=permanent))
        result = invoke(["verify", "--json", "--no-max-age", "-k", KEY, cookie])
        found = document(result.stdout)
        assert result.exit_code == (1 if found["outcome"] == "http-500" else 0)
        return found

    def loads(levels: int) -> Verification:  # the library, for the bisection: the CLI prints megabytes
        return verify_cookie(signed(nested(kind, levels, permanent=permanent)), key=SecretKey(KEY), max_age=None)

    ours = deepest(lambda n: loads(n).outcome == "session")
    assert abs(ours - flask_limit) <= TOLERANCE, (ours, flask_limit)
    assert verdict(flask_limit - TOLERANCE)["outcome"] == "session"
    beyond = flask_limit + 1 + TOLERANCE
    status, ran = flask_answers(signed(nested(kind, beyond, permanent=permanent)))
    assert verdict(beyond)["outcome"] == ("http-500-after-view" if ran else "http-500") and status == 500
    for levels in range(min(ours, flask_limit) + 1, max(ours, flask_limit) + 1):  # where the two disagree
        notes = loads(levels).cookie.notes
        assert any("within 1% of the nesting limit" in note for note in notes), levels
    if not permanent:
        decoded = invoke(["decode", signed(nested(kind, flask_limit + 1 + TOLERANCE, permanent=False))])
        assert decoded.exit_code == 3 and "RecursionError" in decoded.stderr and "HTTP 500" in decoded.stderr


@pytest.mark.parametrize("levels", [5000, 100_000])
def test_far_past_any_limit_is_http_500_without_a_recursion_error_of_ours(invoke: Invoke, levels: int) -> None:
    cookie = signed(nested("list", levels, permanent=False))
    result = invoke(["verify", "--json", "--no-max-age", "-k", KEY, cookie])
    assert result.exit_code == 1 and document(result.stdout)["outcome"] == "http-500"
    assert invoke(["decode", cookie]).exit_code == 3
    deep_session = '{"a":' + "[" * levels + "]" * levels + "}"
    refused = invoke(["sign", "-k", KEY, deep_session])
    assert refused.exit_code == 3 and "levels deep" in refused.stderr
