"""The whole exit-code contract in one table: every command, every code it can return.

0 success; 1 the answer is "no"; 2 usage error; 3 input unreadable or not what the command
takes; 71 audit cookie's worker processes kept dying; 128 + the signal when one ended it (129
SIGHUP, 130 Ctrl-C, 141 a closed output, 143 SIGTERM). Each row also checks the streams: stdout is empty on an error, and an
error is exactly one ``Error:`` line on stderr.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.errors import ExitCode
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke, Serve
from tests.tokenapps import flask_app

KEY = "a6f3e1c0b9d8e7f6a5b4c3d2e1f00918"
GOOD = sign_session({"user_id": 42}, key=SecretKey(KEY)).value
OLD = sign_session({"user_id": 42}, key=SecretKey(KEY), timestamp=int(time.time()) - 40 * 86400).value
PUBLISHED = sign_session({"user_id": 1}, key=SecretKey("dev")).value
LARGE = json.dumps({"blob": random.Random(0).randbytes(4000).hex()})  # incompressible: a 5 KB cookie
CSRF = URLSafeTimedSerializer(KEY, salt="wtf-csrf-token").dumps("0123456789abcdef0123456789abcdef01234567")
REMEMBER = "42|" + hmac.new(KEY.encode("latin-1"), b"42", hashlib.sha512).hexdigest()

# (id, arguments, stdin, expected code)
CONTRACT: list[tuple[str, list[str], str | None, ExitCode]] = [
    ("genkey", ["genkey"], None, ExitCode.OK),
    ("genkey: too short", ["genkey", "--bytes", "8"], None, ExitCode.USAGE),
    ("genkey: file exists", ["genkey", "--out", "{existing}"], None, ExitCode.BAD_INPUT),
    ("decode", ["decode", GOOD], None, ExitCode.OK),
    ("decode: no cookie", ["decode", "--no-such-option"], None, ExitCode.USAGE),
    ("decode: not a cookie", ["decode", "hello"], None, ExitCode.BAD_INPUT),
    ("decode: a CSRF token", ["decode", CSRF], None, ExitCode.OK),
    ("decode: a page's cookie", ["decode", "--url", "{weak}/login"], None, ExitCode.OK),
    ("decode: COOKIE and --url", ["decode", "--url", "{weak}/login", GOOD], None, ExitCode.USAGE),
    ("decode: not a remember cookie", ["decode", "--format", "flask-login-remember", GOOD], None, ExitCode.BAD_INPUT),
    ("verify", ["verify", "-k", KEY, GOOD], None, ExitCode.OK),
    ("verify: wrong key", ["verify", "-k", "another-key", GOOD], None, ExitCode.NO),
    ("verify: expired", ["verify", "-k", KEY, OLD], None, ExitCode.NO),
    ("verify: no key", ["verify", GOOD], None, ExitCode.USAGE),
    ("verify: not a cookie", ["verify", "-k", KEY, "hello"], None, ExitCode.BAD_INPUT),
    ("verify: a remember cookie", ["verify", "-k", KEY, REMEMBER], None, ExitCode.OK),
    ("verify: a CSRF token, another key", ["verify", "-k", "another-key", CSRF], None, ExitCode.NO),
    (
        "verify: --format with --flask",
        ["verify", "--format", "quart-auth", "--flask", "2.2", "-k", KEY, CSRF],
        None,
        ExitCode.USAGE,
    ),
    ("sign", ["sign", "-k", KEY, '{"a": 1}'], None, ExitCode.OK),
    ("sign: no key", ["sign", '{"a": 1}'], None, ExitCode.USAGE),
    ("sign: not JSON", ["sign", "-k", KEY, "{a: 1"], None, ExitCode.BAD_INPUT),
    ("sign: a remember cookie", ["sign", "--format", "flask-login-remember", "-k", KEY, '"1"'], None, ExitCode.OK),
    (
        "sign: a Starlette session of a list",
        ["sign", "--format", "starlette-session", "-k", KEY, "[1]"],
        None,
        ExitCode.BAD_INPUT,
    ),
    ("sizecheck", ["sizecheck", GOOD], None, ExitCode.OK),
    ("sizecheck: dropped", ["sizecheck", "--session", "-"], LARGE, ExitCode.NO),
    ("sizecheck: two inputs", ["sizecheck", GOOD, "--session", "{}"], None, ExitCode.USAGE),
    ("sizecheck: not a HAR", ["sizecheck", "--har", "-"], "{}", ExitCode.BAD_INPUT),
    ("audit key", ["audit", "key", "-"], KEY, ExitCode.OK),
    ("audit key: weak", ["audit", "key", "-"], "secret", ExitCode.NO),
    ("audit key: no key", ["audit", "key"], None, ExitCode.USAGE),
    ("audit key: unreadable file", ["audit", "key", "--key-file", "{missing}"], None, ExitCode.BAD_INPUT),
    ("audit cookie: not found", ["audit", "cookie", GOOD], None, ExitCode.OK),
    ("audit cookie: found", ["audit", "cookie", PUBLISHED], None, ExitCode.NO),
    ("audit cookie: bad option", ["audit", "cookie", "--workers", "0", GOOD], None, ExitCode.USAGE),
    ("audit cookie: not a cookie", ["audit", "cookie", "hello"], None, ExitCode.BAD_INPUT),
    ("audit cookie: stdin twice", ["audit", "cookie", "--wordlist", "-", "--wordlist", "-", GOOD], "", ExitCode.USAGE),
    (
        "audit cookie: unreadable wordlist",
        ["audit", "cookie", "--wordlist", "{missing}", GOOD],
        None,
        ExitCode.BAD_INPUT,
    ),
    ("audit cookie: --hashcat", ["audit", "cookie", "--hashcat", GOOD], None, ExitCode.OK),
    ("audit cookie: --hashcat, a remember cookie", ["audit", "cookie", "--hashcat", REMEMBER], None, ExitCode.OK),
    ("audit cookie: --hashcat, no mode", ["audit", "cookie", "--hashcat", CSRF], None, ExitCode.BAD_INPUT),
    ("audit cookie: a page's cookie", ["audit", "cookie", "--url", "{weak}/login"], None, ExitCode.NO),
    ("audit url: found", ["audit", "url", "{weak}/login"], None, ExitCode.NO),
    ("audit url: not found", ["audit", "url", "{strong}/login"], None, ExitCode.OK),
    ("audit url: not a URL", ["audit", "url", "file:///etc/passwd"], None, ExitCode.BAD_INPUT),
    ("audit url: bad option", ["audit", "url", "--timeout", "0", "{weak}/login"], None, ExitCode.USAGE),
    ("audit url: nothing listening", ["audit", "url", "http://127.0.0.1:1/"], None, ExitCode.BAD_INPUT),
    (
        "audit url: a header with a line break",
        ["audit", "url", "-H", "X: a\r\nY: b", "{weak}/login"],
        None,
        ExitCode.USAGE,
    ),
    ("audit url: an IPv6 host unclosed", ["audit", "url", "http://[x/"], None, ExitCode.BAD_INPUT),
    ("audit url: a control character", ["audit", "url", "http://a\x1bb/"], None, ExitCode.BAD_INPUT),
    (
        "audit url: the proxy unreachable",
        ["audit", "url", "--proxy", "http://127.0.0.1:1", "http://app.invalid/"],
        None,
        ExitCode.BAD_INPUT,
    ),
    ("decode: an unknown --format", ["decode", "--format", "nope", CSRF], None, ExitCode.USAGE),
    (
        "decode: --url, no such cookie",
        ["decode", "--url", "{weak}/login", "--cookie-name", "x"],
        None,
        ExitCode.BAD_INPUT,
    ),
    (
        "audit cookie: --format of another digest",
        ["audit", "cookie", "--format", "quart-auth", CSRF],
        None,
        ExitCode.BAD_INPUT,
    ),
    ("serve-demo: bad port", ["serve-demo", "--port", "70000"], None, ExitCode.USAGE),
    ("serve-demo: published key", ["serve-demo", "-k", "dev"], None, ExitCode.USAGE),
    ("completion", ["completion", "bash"], None, ExitCode.OK),
    ("unknown command", ["frobnicate"], None, ExitCode.USAGE),
]


@pytest.mark.parametrize(("args", "stdin", "code"), [row[1:] for row in CONTRACT], ids=[row[0] for row in CONTRACT])
def test_exit_code_contract(
    invoke: Invoke, serve: Serve, tmp_path: Path, args: list[str], stdin: str | None, code: int
) -> None:
    existing = tmp_path / "secret.key"
    existing.write_text("x")
    args = [a.replace("{existing}", str(existing)).replace("{missing}", str(tmp_path / "missing.key")) for a in args]
    for placeholder, key in (("{weak}", "dev"), ("{strong}", KEY)):  # a login page on 127.0.0.1 (Flask-WTF)
        if any(placeholder in a for a in args):
            base = serve(flask_app(key))
            args = [a.replace(placeholder, base) for a in args]
    result = invoke(args, input=stdin)
    assert result.exit_code == code, result.stderr
    assert "\x1b" not in result.stdout + result.stderr  # no control character of the input reaches the terminal
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    if code in (ExitCode.USAGE, ExitCode.BAD_INPUT):
        assert result.stdout == ""
        assert len(errors) == 1 and result.stderr.count("\n") == 1, result.stderr
    else:
        assert errors == [] and result.stdout


def test_interrupted_is_130_with_one_line(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("flasksess_cli.keys.generate_keys", interrupt)
    result = invoke(["genkey"])
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    assert result.stdout == "" and result.stderr.strip() == "Error: interrupted"


#: Codes proved in real processes, with real signals and faults (tests/audit/test_faults.py).
IN_REAL_PROCESSES = {ExitCode.HANGUP, ExitCode.BROKEN_PIPE, ExitCode.TERMINATED, ExitCode.OS_ERROR}


def test_every_exit_code_is_in_the_table() -> None:
    """The codes no table row can produce have their own tests: Ctrl-C above; a bug (70) and a closed
    stdout in tests/cli/test_faults.py; the signals and dying workers of audit cookie in real processes."""
    tabled = {row[-1] for row in CONTRACT} | {ExitCode.INTERRUPTED, ExitCode.INTERNAL} | IN_REAL_PROCESSES
    assert tabled == set(ExitCode)
