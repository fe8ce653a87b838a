"""The rule for streams (README, "Conventions"): the result on stdout, everything said about it on stderr.

stdout holds what was asked for (a key, a cookie, a JSON document, the report that answers the
question); stderr holds notes on how to read it, hints, warnings, progress and errors. Piped
human output is never wrapped and has no trailing spaces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

KEY = "streams-test-key-0123456789abcdef"
COOKIE = sign_session({"user_id": 42}, key=SecretKey(KEY)).value
NEWLINE_KEY_COOKIE = sign_session({"user_id": 42}, key=SecretKey(KEY + "\n")).value
UNKNOWN_KEY_COOKIE = sign_session({"user_id": 42}, key=SecretKey("not-in-any-list-" + "z" * 20)).value

# (arguments, stdin, the result on stdout, what is said about it on stderr)
RULE = [
    (["decode", COOKIE], None, "session    {'user_id': 42}", "Note: decoded without a key, NOT verified"),
    (["verify", "-k", KEY, NEWLINE_KEY_COOKIE], None, "BAD SIGNATURE", "Hint: the key with a trailing newline"),
    (["audit", "cookie", UNKNOWN_KEY_COOKIE], None, "NOT FOUND", "Note: the key is not in these lists"),
    (["audit", "cookie", "--hashcat", COOKIE], None, COOKIE, "hashcat -m 29100"),
    (["genkey", "--out", "{tmp}/instance/secret.key"], None, "", "Wrote the key to"),
    (["sign", "--key-file", "{tmp}/shared.key", "{}"], None, ".", "Warning: key file"),
    (["verify", "-k", KEY, "nonsense"], None, "", "Error: "),
]


@pytest.mark.parametrize(("args", "stdin", "result", "said"), RULE, ids=lambda v: str(v)[:30])
def test_the_result_is_on_stdout_and_what_is_said_about_it_on_stderr(
    invoke: Invoke, tmp_path: Path, args: list[str], stdin: str | None, result: str, said: str
) -> None:
    shared = tmp_path / "shared.key"
    shared.write_text(KEY)
    shared.chmod(0o644)
    run = invoke([a.replace("{tmp}", str(tmp_path)) for a in args], input=stdin)
    assert result in run.stdout if result else run.stdout == ""
    assert said in run.stderr and said not in run.stdout
    assert not any(line.startswith(("Note:", "Hint:", "Warning:", "Error:")) for line in run.stdout.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        ["decode", "{long}"],
        ["verify", "-k", KEY, "{long}"],
        ["sizecheck", "{long}"],
        ["sizecheck", "--session", "-"],
        ["audit", "key", "-"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_piped_human_output_is_neither_wrapped_nor_padded(invoke: Invoke, args: list[str]) -> None:
    value = "x" * 300
    long_cookie = sign_session({"note": value, "user_id": 42}, key=SecretKey(KEY)).value
    stdin = json.dumps({"cart": [{"sku": n, "note": value} for n in range(5)]}) if "--session" in args else KEY
    run = invoke([a.replace("{long}", long_cookie) for a in args], input=stdin)
    assert run.exit_code in (0, 1), run.stderr
    lines = run.stdout.splitlines()
    assert lines and not [line for line in lines if line != line.rstrip()], "trailing spaces"
    if args[0] in {"decode", "verify"}:
        assert any(value in line for line in lines)  # the session on one line, not cut at 80 columns
    if args[0] == "sizecheck":
        assert re.search(r"DROPPED: browsers will silently ignore this cookie; .* over 4096\)$", run.stdout, re.M) or (
            "OK: fits" in run.stdout
        )


def test_columns_still_sets_a_width(invoke: Invoke) -> None:
    long_cookie = sign_session({"note": "word " * 60}, key=SecretKey(KEY)).value
    run = invoke(["decode", long_cookie], env={"COLUMNS": "60"})
    assert max(len(line) for line in run.stdout.splitlines()) <= 60
