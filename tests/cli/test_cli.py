"""The command-line contract: exit codes, streams, --json documents, hostile input, --app."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flasksess_cli import keys
from flasksess_cli.cli import cli
from flasksess_cli.codec.cookie import sign_session
from tests.conftest import Invoke

KEY = "contract-key"
COOKIE = sign_session({"user_id": 42, "cart": (1, 2)}, key=keys.parse_key(KEY)).value
OTHER = sign_session({"user_id": 42}, key=keys.parse_key("another-key")).value
OLD = sign_session({"user_id": 42}, key=keys.parse_key(KEY), timestamp=1_600_000_000).value

# (args, stdin, exit code, stdout must be empty)
CONTRACT = [
    (["genkey"], None, 0, False),
    (["genkey", "--bytes", "8"], None, 2, True),
    (["genkey", "--format", "nope"], None, 2, True),
    (["decode", COOKIE], None, 0, False),
    (["decode", "-"], COOKIE, 0, False),
    (["decode", "not a cookie"], None, 3, True),
    (["decode", ""], None, 3, True),
    (["decode", "-"], "x" * (1024 * 1024 + 1), 3, True),
    (["decode"], None, 3, True),  # stdin is not a terminal here: it is read, and it is empty
    (["verify", "-k", KEY, COOKIE], None, 0, False),
    (["verify", "-k", "wrong", COOKIE], None, 1, False),
    (["verify", "-k", KEY, OTHER], None, 1, False),
    (["verify", "-k", KEY, OLD], None, 1, False),
    (["verify", "-k", KEY, "--no-max-age", OLD], None, 0, False),
    (["verify", "-k", KEY, "garbage.x.y"], None, 1, False),
    (["verify", "-k", KEY, "garbage"], None, 3, True),
    (["verify", COOKIE], None, 2, True),
    (["verify", "-k", KEY, "--key-file", "/nonexistent", COOKIE], None, 2, True),
    (["verify", "--key-file", "/nonexistent", COOKIE], None, 3, True),
    (["sign", "-k", KEY, '{"a": 1}'], None, 0, False),
    (["sign", "-k", KEY, "[1, 2]"], None, 3, True),
    (["sign", "-k", KEY, "{bad json"], None, 3, True),
    (["sign", "-k", KEY, "--python", "{'a': {1, 2}}"], None, 3, True),
    (["sign", "-k", KEY, "@/nonexistent"], None, 3, True),
    (["sign", '{"a": 1}'], None, 2, True),
    (["nonsense"], None, 2, True),
]


@pytest.mark.parametrize(("args", "stdin", "code", "quiet"), CONTRACT, ids=lambda v: str(v)[:40])
def test_exit_code_contract(invoke: Invoke, args: list[str], stdin: str | None, code: int, quiet: bool) -> None:
    result = invoke(args, input=stdin)
    assert result.exit_code == code, result.stderr
    if quiet:
        assert result.stdout == ""
    if code in (2, 3):
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    if code in (0, 1):
        assert "Error" not in result.stderr


@pytest.mark.parametrize(
    "args", [["decode"], ["verify", "-k", KEY], ["audit", "cookie"], ["sizecheck"]], ids=lambda a: " ".join(a)
)
def test_a_left_out_cookie_is_read_from_stdin_unless_it_is_a_terminal(args: list[str]) -> None:
    import pty

    command = [sys.executable, "-m", "flasksess_cli", *args]
    piped = subprocess.run(command, input=COOKIE + "\n", capture_output=True, text=True, timeout=60, check=False)
    assert piped.returncode in (0, 1) and piped.stdout, piped.stderr  # echo "$C" | flasksess decode
    controller, terminal = pty.openpty()
    try:
        typed = subprocess.run(command, stdin=terminal, capture_output=True, text=True, timeout=60, check=False)
    finally:
        os.close(controller)
        os.close(terminal)
    assert typed.returncode == 2 and typed.stdout == ""
    assert typed.stderr.startswith("Error: ") and len(typed.stderr.splitlines()) == 1


@pytest.mark.parametrize(("typo", "meant"), [("sizechek", "sizecheck"), ("serve-dmo", "serve-demo")])
def test_a_mistyped_command_is_answered_as_if_every_command_were_loaded(typo: str, meant: str) -> None:
    # A fresh process: in this one, earlier tests have already loaded the lazy commands.
    proc = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", typo], capture_output=True, text=True, timeout=60, check=False
    )
    message = f"Error: No such command {typo!r}."
    if hasattr(click.exceptions, "NoSuchCommand"):  # click >= 8.4 suggests the nearest name
        message += f" Did you mean {meant!r}?"
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", message + " (see 'flasksess --help')\n")


def test_every_command_loads_under_the_name_it_is_listed_by() -> None:
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name


def test_secret_keys_never_appear_in_errors(invoke: Invoke, tmp_path: Path) -> None:
    secret = "hunter2-super-secret"
    for args in (
        ["verify", "-k", f"b'{secret}\\x'", COOKIE],
        ["verify", "-k", f"hex:{secret}", COOKIE],
        ["verify", "-k", f"base64:{secret}!", COOKIE],
        ["sign", "-k", f"hex:{secret}", "{}"],
    ):
        result = invoke(args)
        assert result.exit_code == 3 and secret not in result.stderr + result.stdout
    result = invoke(["verify", "not-a-cookie"], env={"FLASK_SECRET_KEY": secret})
    assert secret not in result.stderr + result.stdout


def test_key_sources(invoke: Invoke, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    assert invoke(["verify", "--key-file", str(key_file), COOKIE]).exit_code == 0
    assert invoke(["verify", COOKIE], env={"FLASK_SECRET_KEY": KEY}).exit_code == 0
    # A file beats the environment.
    assert invoke(["verify", "--key-file", str(key_file), COOKIE], env={"FLASK_SECRET_KEY": "x"}).exit_code == 0
    raw = b"\xbc\xf6\x8aTP\xba\xe7\xf8*\xcc\xa7\xbe\xb2S\xd5\x83"
    signed = sign_session({"a": 1}, key=keys.SecretKey(raw)).value
    for spec in (repr(raw), "hex:" + raw.hex(), "base64:vPaKVFC65/gqzKe+slPVgw=="):
        assert invoke(["verify", "-k", spec, signed]).exit_code == 0, spec


@pytest.mark.parametrize(
    "text",
    [
        "{c}",
        "session={c}",
        "  'session={c}'  ",
        '"{c}"',
        "Cookie: theme=dark; session={c}; other=1",
        "Set-Cookie: session={c}; Expires=Thu, 01 Jan 2099 00:00:00 GMT; HttpOnly; Path=/",
        "HTTP/1.1 302 FOUND\r\nLocation: /\r\nSet-Cookie: csrf=abc; Path=/\r\nset-cookie: session={c}; HttpOnly\r\n\r\n",
    ],
)
def test_cookie_input_forms(invoke: Invoke, text: str) -> None:
    result = invoke(["decode", "--json", "-"], input=text.format(c=COOKIE))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["session"] == {"cart": {"__type__": "tuple", "items": [1, 2]}, "user_id": 42}


def test_cookie_name_option(invoke: Invoke) -> None:
    header = f"Cookie: session=other; __Host-sess={COOKIE}"
    assert invoke(["decode", "--cookie-name", "__Host-sess", header]).exit_code == 0
    result = invoke(["decode", f"Cookie: a=1; b={COOKIE}"])
    assert result.exit_code == 3 and "'a', 'b'" in result.stderr and "--cookie-name" in result.stderr


def test_decode_json_document(invoke: Invoke) -> None:
    doc = json.loads(invoke(["decode", "--json", COOKIE]).stdout)
    assert {
        "session",
        "payload",
        "compressed",
        "timestamp",
        "issued_at",
        "epoch",
        "signature",
        "digest_guess",
        "verified",
    } <= set(doc)
    assert doc["verified"] is False and doc["epoch"] == "unix" and doc["digest_guess"] == "sha1"
    assert json.loads(doc["payload"]) == {"cart": {" t": [1, 2]}, "user_id": 42}
    assert doc["signature"] == COOKIE.rsplit(".", 1)[1]
    assert doc["issued_at"].endswith("+00:00")


def test_verify_json_document(invoke: Invoke) -> None:
    doc = json.loads(invoke(["verify", "--json", "-k", "x", "--fallback", KEY, COOKIE]).stdout)
    assert doc["valid"] and doc["verified"] and doc["reason"] == "valid" and doc["matched_key"] == "fallback-1"
    assert isinstance(doc["age_seconds"], int) and doc["session"]["user_id"] == 42
    bad = invoke(["verify", "--json", "-k", "x", COOKIE])
    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert (
        doc["valid"] is False
        and doc["verified"] is False
        and doc["reason"] == "bad-signature"
        and doc["matched_key"] is None
    )


def test_decode_then_sign_round_trips(invoke: Invoke) -> None:
    doc = json.loads(invoke(["decode", "--json", COOKIE]).stdout)
    again = invoke(["sign", "-k", KEY, "--timestamp", str(doc["timestamp"]), "-"], input=json.dumps(doc["session"]))
    assert again.stdout.strip() == COOKIE
    tagged = invoke(["sign", "-k", KEY, "--tagged", "--timestamp", str(doc["timestamp"]), doc["payload"]])
    assert tagged.stdout.strip() == COOKIE
    python = invoke(
        ["sign", "-k", KEY, "--timestamp", str(doc["timestamp"]), "--python", "{'user_id': 42, 'cart': (1, 2)}"]
    )
    assert python.stdout.strip() == COOKIE


def test_sign_json_and_file_input(invoke: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text('{"items": ' + json.dumps(list(range(200))) + "}")
    doc = json.loads(invoke(["sign", "-k", KEY, "--json", f"@{source}"]).stdout)
    assert doc["compressed"] is True and doc["length"] == len(doc["cookie"]) and doc["cookie"].startswith(".")


def test_untrusted_session_text_reaches_the_terminal_escaped(invoke: Invoke) -> None:
    hostile = sign_session(
        {"x": "[bold red]boo[/] \x1b[2J\x07 \u202e", "[link=x]k[/link]": 1}, key=keys.parse_key(KEY)
    ).value
    for args in (["decode", hostile], ["verify", "-k", KEY, hostile]):
        result = invoke(args, env={"FORCE_COLOR": "1", "COLUMNS": "200"})
        assert result.exit_code == 0
        shown = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # rich's own colours
        assert "[bold red]boo[/]" in shown and "[link=x]k[/link]" in shown
        assert "\x1b[2J" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
        assert "\\x1b[2J" in shown


def test_human_decode_says_what_matters(invoke: Invoke) -> None:
    result = invoke(["decode", COOKIE], env={"COLUMNS": "200"})
    out = result.stdout
    assert "NOT verified" in result.stderr  # a note about the result, not the result
    assert "(1, 2)" in out and "HMAC-SHA1" in out and "31-day" in out
    legacy = invoke(
        ["decode", sign_session({"a": 1}, key=keys.parse_key(KEY), timestamp=1_795_000_000, legacy_epoch=True).value],
        env={"COLUMNS": "200"},
    )
    assert "--legacy-epoch" in legacy.stdout


def test_no_color_and_pipes_get_no_escape_codes(invoke: Invoke) -> None:
    assert "\x1b[" not in invoke(["verify", "-k", KEY, COOKIE]).stdout
    forced = invoke(["verify", "-k", KEY, COOKIE], env={"FORCE_COLOR": "1"}).stdout
    no_color = invoke(["verify", "-k", KEY, COOKIE], env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    colour = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")
    assert colour.search(forced) and not colour.search(no_color)  # NO_COLOR drops colour; bold may stay


APP_SOURCE = """
import hashlib
from datetime import timedelta
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

class Interface(SecureCookieSessionInterface):
    salt = "my-app-salt"
    digest_method = staticmethod(hashlib.sha256)

def create_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="app-key-new", SECRET_KEY_FALLBACKS=["app-key-old"],
                      SESSION_COOKIE_NAME="appsess", PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    app.session_interface = Interface()
    return app

app = create_app()
"""


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"userapp_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(APP_SOURCE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_app_option_reads_keys_and_session_interface(invoke: Invoke, app_module: str) -> None:
    signed = invoke(["sign", "--app", f"{app_module}:app", "--json", '{"user": "a"}'])
    assert signed.exit_code == 0, signed.stderr
    cookie = json.loads(signed.stdout)["cookie"]
    assert len(cookie.rsplit(".", 1)[1]) == 43  # sha256
    doc = json.loads(invoke(["verify", "--app", f"{app_module}:create_app()", "--json", f"appsess={cookie}"]).stdout)
    assert doc["valid"] and doc["matched_key"] == "current" and doc["max_age"] == 3600
    old = invoke(
        ["sign", "-k", "app-key-old", "--salt", "my-app-salt", "--digest", "sha256", '{"user": "b"}']
    ).stdout.strip()
    doc = json.loads(invoke(["verify", "--app", app_module, "--json", old]).stdout)
    assert doc["valid"] and doc["matched_key"] == "fallback-1"
    plain = invoke(["verify", "--app", app_module, "--json", "--salt", "cookie-session", old])
    assert plain.exit_code == 1


def test_app_option_applies_the_installed_releases_rules(invoke: Invoke, app_module: str) -> None:
    from importlib.metadata import version

    cookie = invoke(["sign", "--app", app_module, '{"user": "a"}']).stdout.strip()
    rules = json.loads(invoke(["verify", "--app", app_module, "--json", f"appsess={cookie}"]).stdout)["rules"]
    assert rules["framework"] == "flask" and rules["version"] == version("flask") and rules["source"] == "--app"
    older = json.loads(invoke(["verify", "--app", app_module, "--flask", "2.3", "--json", f"appsess={cookie}"]).stdout)
    assert older["rules"]["version"] == "2.3" and older["valid"]  # signed with the current key: no fallback needed


def test_app_errors_are_one_line(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "brokenapp.py").write_text("raise RuntimeError('boom')\n")
    for spec in ("no_such_module_xyz", "brokenapp", "brokenapp:nothing"):
        result = invoke(["verify", "--app", spec, COOKIE])
        assert (
            result.exit_code == 3 and result.stderr.startswith("Error: --app") and len(result.stderr.splitlines()) == 1
        )
        sys.modules.pop("brokenapp", None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(), st.text(alphabet="abcAB09-_.=;:\"' \n+/", max_size=80), st.just(COOKIE[:-3])))
def test_arbitrary_input_never_makes_a_traceback(invoke: Invoke, text: str) -> None:
    for args, stdin in (
        (["decode", "-"], text),
        (["decode", "--json", "-"], text),
        (["verify", "-k", KEY, "-"], text),
        (["sign", "-k", KEY, "-"], text),
        (["sign", "-k", KEY, "--tagged", "-"], text),
        (["sign", "-k", KEY, "--python", "-"], text),
    ):
        result = invoke(args, input=stdin)  # catch_exceptions=False: a traceback fails the test
        assert result.exit_code in {0, 1, 3}
        if result.exit_code == 3:
            assert result.stdout == "" and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


def test_sign_help_says_what_it_writes_without_format(invoke: Invoke) -> None:
    """sign has no value whose shape could choose the format: its help said "[default: what its shape suggests]"."""
    help_text = " ".join(invoke(["sign", "--help"]).stdout.split())
    assert "[default: flask-session, the session cookie]" in help_text and "shape suggests" not in help_text
    assert "[default: what its shape suggests]" in " ".join(invoke(["decode", "--help"]).stdout.split())


def test_the_audit_summary_names_pages_too(invoke: Invoke) -> None:
    """audit url and the token formats landed; the summaries a newcomer reads first still said "a cookie" alone."""
    assert "the key behind a cookie or page, guessable?" in invoke(["--help"]).stdout
    assert "a cookie, a token or a page" in " ".join(invoke(["audit", "--help"]).stdout.split())
