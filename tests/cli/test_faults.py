"""The contract when things go wrong: a bug, Ctrl-C, a closed pipe, a key in the wrong place.

Signals and pipes are tested on real processes, as a shell delivers them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flasksess_cli.cli import cli
from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.errors import ExitCode
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

KEY = "4f0c6d2e9b8a7f6e5d4c3b2a19087f6e"
COOKIE = sign_session({"user_id": 42, "cart": list(range(2000))}, key=SecretKey(KEY)).value
ENV = {k: v for k, v in os.environ.items() if k not in {"FLASK_SECRET_KEY", "FORCE_COLOR", "COLUMNS"}}


def flasksess(*args: str) -> list[str]:
    return [sys.executable, "-m", "flasksess_cli", *args]


# --- a bug ----------------------------------------------------------------------------------------


def test_an_escaping_exception_prints_its_traceback_and_exits_70(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise ZeroDivisionError("a bug \x1b[2J here")

    monkeypatch.setattr("flasksess_cli.codec.cookie.decode_cookie", broken)
    result = invoke(["decode", COOKIE])
    assert result.exit_code == ExitCode.INTERNAL == 70
    assert result.stdout == ""
    assert "Traceback (most recent call last):" in result.stderr and "ZeroDivisionError" in result.stderr
    assert "\x1b" not in result.stderr and "a bug \\x1b[2J here" in result.stderr  # escaped, still readable
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: internal error (ZeroDivisionError): a bug in flasksess, not in your input; "
        "the traceback above says where (please report it)"
    ]
    assert result.stderr.splitlines()[-1] == errors[0]


def test_internal_error_is_documented() -> None:
    assert "70 internal error" in (cli.help or "")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`70`" in readme and "`141`" in readme and "`130`" in readme


# --- Ctrl-C ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["decode", "-"],
        ["verify", "-k", KEY, "-"],
        ["sign", "-k", KEY, "-"],
        ["sizecheck", "-"],
        ["sizecheck", "--har", "-"],
        ["audit", "key", "-"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_ctrl_c_exits_130_with_one_line(args: list[str]) -> None:
    """Each command waits on stdin, which never ends; Ctrl-C reaches it there."""
    with subprocess.Popen(
        flasksess(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    ) as proc:
        try:
            _wait_until_blocked_on_stdin(proc)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED == 130
    assert stdout == b"" and stderr == b"Error: interrupted\n"


def _wait_until_blocked_on_stdin(proc: subprocess.Popen[bytes], deadline: float = 30.0) -> None:
    """Poll /proc until the process sleeps in a read of fd 0 (its imports are done)."""
    end = time.monotonic() + deadline
    syscall = Path(f"/proc/{proc.pid}/syscall")
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        fields = syscall.read_text().split()
        if fields and fields[0] == "0" and int(fields[1], 16) == 0:  # read(0, ...)
            return
        time.sleep(0.01)
    pytest.fail("the command never waited on stdin")


# --- a closed stdout ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["genkey", "--count", "100000"],
        ["genkey", "--count", "100000", "--json"],
        ["sizecheck", "--limits"],
        ["decode", COOKIE],
        ["decode", "--json", COOKIE],
        ["completion", "bash"],
    ],
    ids=lambda args: " ".join(args[:3])[:30],
)
def test_a_closed_stdout_ends_quietly_with_141(args: list[str]) -> None:
    """stdout is a pipe whose reader is already gone, so the first write fails however little is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            flasksess(*args), stdout=write_end, stderr=subprocess.PIPE, env=ENV, timeout=60, check=False
        )
    finally:
        os.close(write_end)
    assert result.returncode == ExitCode.BROKEN_PIPE
    # Nothing about the pipe: stderr holds at most the command's own note ("Decoded without a key ...").
    assert not any(word in result.stderr for word in (b"Error", b"Traceback", b"BrokenPipe", b"Exception"))


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize(
    ("args", "head"), [(["genkey", "--count", "100000"], "-1"), (["genkey", "--count", "100000", "--json"], "-c 10")]
)
def test_genkey_count_into_head_in_a_real_shell(args: list[str], head: str, unbuffered: str) -> None:
    """The reader leaves in the middle of the output; one --json document is a single large write.

    Under PYTHONUNBUFFERED (Docker images set it) the text layer sits on the raw file and would
    take the short write of that document for a whole one: exit 0, the pipe's end unnoticed.
    """
    result = subprocess.run(
        ["bash", "-c", f"{' '.join(flasksess(*args))} | head {head}; status=${{PIPESTATUS[0]}}; echo; echo $status"],
        capture_output=True, text=True, env=ENV | {"PYTHONUNBUFFERED": unbuffered}, timeout=120, check=False,
    )  # fmt: skip
    *_, status = result.stdout.splitlines()
    assert status == "141" and result.stderr == ""


# --- a key where an argument was expected ---------------------------------------------------------

SECRET = "hunter2-the-real-production-key"


@pytest.mark.parametrize(
    "args",
    [
        ["genkey", SECRET],
        ["decode", COOKIE, SECRET],
        ["verify", "-k", KEY, COOKIE, SECRET],
        ["sign", "-k", KEY, "{}", SECRET],
        ["sizecheck", COOKIE, SECRET],
        ["audit", "key", KEY, SECRET],
        ["audit", "cookie", COOKIE, SECRET],
        ["serve-demo", SECRET],
        ["completion", "bash", SECRET],
    ],
    ids=lambda args: " ".join(args[:2])[:20],
)
def test_a_stray_argument_is_never_echoed(invoke: Invoke, args: list[str]) -> None:
    result = invoke(args)
    assert result.exit_code == ExitCode.USAGE
    assert SECRET not in result.stderr and SECRET not in result.stdout
    assert result.stderr.startswith("Error: got 1 unexpected extra argument, not shown as it may be a key")
    assert result.stderr.count("\n") == 1


def test_every_command_hides_stray_arguments() -> None:
    """Every command, present and future, is built from the class that hides them."""
    import click

    from flasksess_cli.cli.common import Command

    def commands(group: click.Group, ctx: click.Context) -> list[click.Command]:
        found: list[click.Command] = []
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            found += commands(command, ctx) if isinstance(command, click.Group) else [command]
        return found

    with click.Context(cli) as ctx:
        every = commands(cli, ctx)
    assert len(every) >= 9 and all(isinstance(command, Command) for command in every)
