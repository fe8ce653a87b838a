"""Typed options at their limits, untrusted text in every output, and output bounded whatever the input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.errors import ExitCode
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

KEY = "4f0c6d2e9b8a7f6e5d4c3b2a19087f6e"
COOKIE = sign_session({"user_id": 42, "blob": "x" * 3000}, key=SecretKey(KEY)).value
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def one_error_line(result: Any, code: int) -> str:
    assert result.exit_code == code, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert not UNSAFE.search(result.stderr) and "Traceback" not in result.stderr
    return str(result.stderr)


# --- typed options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["decode", "--max-size", "99999999999999999999", COOKIE], ExitCode.USAGE, "1<=x<=1073741824"),
        (["verify", "-k", KEY, "--max-size", "99999999999999999999", COOKIE], ExitCode.USAGE, "1<=x<=1073741824"),
        (["sizecheck", "--timeout", "inf", "--url", "http://127.0.0.1:1/"], ExitCode.USAGE, "0<x<=3600"),
        (["sizecheck", "--timeout", "nan", "--url", "http://127.0.0.1:1/"], ExitCode.USAGE, "nan is not a number"),
        (["sizecheck", "--timeout", "1e400", "--url", "http://127.0.0.1:1/"], ExitCode.USAGE, "0<x<=3600"),
        (["sizecheck", "--url", "http://["], ExitCode.BAD_INPUT, "'http://[' is not an http:// or https:// URL"),
        (["decode", "--flask", "9\x1f \x8c9E", COOKIE], ExitCode.USAGE, "'9\\x1f \\x8c9E' is not a Flask version"),
        (["verify", "-k", KEY, "--quart", "0.20" + "9" * 60, COOKIE], ExitCode.USAGE, "is not a Quart version"),
        (
            ["audit", "url", "-H", "Authorization: Bearer s3cr3t\r\nX: y", "http://127.0.0.1:1/"],
            ExitCode.USAGE,
            "'Authorization''s value holds a line break or NUL",
        ),
        (
            ["sizecheck", "--cookie", "a=b\nc", "--url", "http://127.0.0.1:1/"],
            ExitCode.USAGE,
            "'a''s value holds a line break or NUL",
        ),
        (["sign", "-k", KEY, '"abc"'], ExitCode.BAD_INPUT, "not str (a token of another kind: --format NAME)"),
        (["genkey", "--count", "100001"], ExitCode.USAGE, "1<=x<=100000"),
        (["genkey", "--count", "99999999999999999999"], ExitCode.USAGE, "1<=x<=100000"),
        (["genkey", "--out", "k" * 300], ExitCode.BAD_INPUT, "File name too long"),
        (
            ["sign", "-k", KEY, '{"a": {"__type__": "datetime", "value": "9999-12-31T23:59:59-01:00"}}'],
            ExitCode.BAD_INPUT,
            "Flask cannot store this session: date value out of range",
        ),
        (
            ["sizecheck", "--session", '{"a": {"__type__": "datetime", "value": "0001-01-01T00:00:00+01:00"}}'],
            ExitCode.BAD_INPUT,
            "Flask cannot store this session: date value out of range",
        ),
    ],
    ids=lambda v: str(v)[:45],
)
def test_a_typed_option_at_its_limits_is_one_error_line(
    invoke: Invoke, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    message = one_error_line(invoke(args), code)
    assert says in message and "s3cr3t" not in message  # a header's value may be a bearer token: never echoed


@pytest.mark.parametrize("command", [["sign", "-k", KEY], ["sizecheck"]])
def test_an_empty_python_literal_is_not_a_request_to_read_stdin(invoke: Invoke, command: list[str]) -> None:
    result = invoke([*command, "--python", ""], input='{"a": 1}')  # stdin holds a valid session: not read
    assert "not a Python literal" in one_error_line(result, ExitCode.BAD_INPUT)


def test_a_python_session_with_keys_that_are_not_text_is_priced_as_flask_writes_it(invoke: Invoke) -> None:
    result = invoke(["sizecheck", "--json", "--python", "{1: 'a', 2: '" + "b" * 3000 + "'}"])
    assert result.exit_code == 0, result.stderr
    [cookie] = json.loads(result.stdout)["cookies"]
    assert [k["key"] for k in cookie["session"]["keys"]] == ["2", "1"]
    human = invoke(["sizecheck", "--python", "{1: 'a', 2: 'b'}"])
    assert human.exit_code == 0 and human.stderr == ""
    mixed = invoke(["sizecheck", "--python", "{1: 'a', 'b': 2}"])  # Flask cannot sort 1 and "b" either
    assert "Flask cannot store this session" in one_error_line(mixed, ExitCode.BAD_INPUT)


# --- untrusted text in every output ---------------------------------------------------------------

HOSTILE_SESSION = {
    "\x1b[2J": "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07",
    "[bold]": "[link=https://evil.example/]x[/link]",
    "[/]": "\u202egnp.exe\r\x07",
    "surrogate": "\ud800",
}


@pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("command", ["decode", "verify"])
def test_session_contents_never_reach_the_terminal_raw(invoke: Invoke, command: str, as_json: bool) -> None:
    value = sign_session(HOSTILE_SESSION, key=SecretKey(KEY)).value
    args = [command, *(["-k", KEY] if command == "verify" else []), *(["--json"] if as_json else []), value]
    for env in ({}, {"FORCE_COLOR": "1", "TERM": "xterm-256color"}):
        result = invoke(args, env=env)
        assert result.exit_code == 0, result.stderr
        out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # rich's colours, when forced
        assert not UNSAFE.search(out), [m.group() for m in UNSAFE.finditer(out)][:5]
        assert "[link=https://evil.example/]x[/link]" in out and "\x1b]8" not in result.stdout
    if as_json:
        session = json.loads(result.stdout)["session"]
        assert session == HOSTILE_SESSION  # JSON escapes, exact on the way back in
        assert '"\\ud800"' in result.stdout and '"\\u202egnp.exe\\r\\u0007"' in result.stdout


def test_json_output_escapes_only_what_is_not_printable(invoke: Invoke) -> None:
    value = sign_session({"name": "Zoë ✓ 😀", "c1": "\x9b31m", "del": "\x7f"}, key=SecretKey(KEY)).value
    result = invoke(["decode", "--json", value])
    assert '"Zoë ✓ 😀"' in result.stdout and '"\\u009b31m"' in result.stdout and '"\\u007f"' in result.stdout


def test_a_user_typed_name_in_a_note_is_escaped(invoke: Invoke, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["genkey", "--out", "key\x1b[2J\u202e.txt"])
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == "Wrote the key to key\\x1b[2J\\u202e.txt (mode 0600).\n"


@pytest.mark.parametrize(
    "args",
    [
        ["sign", "--app", "no_such_module\x1b[2J:app\x07", "{}"],
        ["audit", "cookie", "--workers", "1", "--wordlist", "words\x1b[2J\u202e\r.txt", COOKIE],
        ["genkey", "--out", "a-file/sub\x1b]8;;https://evil.example/\x07/key"],
        ["sign", "--key-file", "key\x1b[2J\u202e", "{}"],
        ["sizecheck", "--har", "capture\x1b[2J\r.har"],
    ],
    ids=["--app", "--wordlist", "--out", "--key-file", "--har"],
)
def test_a_user_typed_name_in_an_error_is_escaped(
    invoke: Invoke, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")  # so --out's folder cannot be made
    error = one_error_line(invoke(args), ExitCode.BAD_INPUT)
    assert "\\x1b" in error  # shown as its escape, not lost
    assert "\\\\" not in error  # escaped once: Flask's own quoting of --app is not escaped again


def test_an_unknown_option_typed_with_escapes_is_escaped_in_the_error(invoke: Invoke) -> None:
    one_error_line(invoke(["decode", "--\x1b[2J\u202e", COOKIE]), ExitCode.USAGE)
    one_error_line(invoke(["\x1b]8;;https://evil.example/\x07"]), ExitCode.USAGE)


# --- output bounded whatever the input --------------------------------------------------------------


def test_human_decode_of_a_megabyte_session_is_a_summary(invoke: Invoke) -> None:
    session = {"ids": list(range(100_000)), "text": "y" * 150_000, "map": {str(n): n for n in range(10_000)}}
    value = sign_session(session, key=SecretKey(KEY)).value
    assert len(value) < 1 << 20
    result = invoke(["decode", "-"], input=value)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout) < 100_000  # the whole session printed is about 11 MB
    assert "... 99,900 more" in result.stdout and "9,900 more keys" in result.stdout
    assert "(150,000 characters)" in result.stdout and "decode --json shows them all" in result.stdout
    full = json.loads(invoke(["decode", "--json", "-"], input=value).stdout)["session"]
    assert len(full["ids"]) == 100_000  # --json shows everything


@pytest.mark.parametrize("command", [["decode"], ["verify", "-k", KEY], ["sizecheck"], ["audit", "cookie"]])
def test_text_in_argv_that_is_not_utf8_is_refused_as_stdin_would_be(invoke: Invoke, command: list[str]) -> None:
    not_utf8 = COOKIE + "\udcff"  # what Python makes of a byte 0xff in argv
    assert "the cookie is not UTF-8 text" in one_error_line(invoke([*command, not_utf8]), ExitCode.BAD_INPUT)
    from_stdin = invoke([*command, "-"], input=COOKIE.encode() + b"\xff")
    assert one_error_line(from_stdin, ExitCode.BAD_INPUT) == one_error_line(invoke([*command, not_utf8]), 3)
