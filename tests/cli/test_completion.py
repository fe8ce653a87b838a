"""TAB completion, called the way a shell calls it: the _FLASKSESS_COMPLETE protocol in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from flasksess_cli.cli import cli
try:
    cli.main(prog_name="flasksess")
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"flask", "werkzeug", "rich", "itsdangerous"})
print(json.dumps(heavy), file=sys.stderr)
"""


def complete(words: list[str], *, cwd: Path | None = None, shell: str = "bash") -> tuple[list[str], list[str]]:
    """Ask for completions of the last word, as bash/zsh/fish do; stdin stays open and unread."""
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    env["_FLASKSESS_COMPLETE"] = f"{shell}_complete"
    if shell == "fish":
        env["COMP_WORDS"], env["COMP_CWORD"] = " ".join(words[:-1]) + " ", words[-1]
    else:
        env["COMP_WORDS"], env["COMP_CWORD"] = " ".join(words), str(len(words) - 1)
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, cwd=cwd, text=True,
    )  # fmt: skip
    try:
        proc.wait(timeout=30)  # a completion that read stdin would hang here: stdin is an open, empty pipe
    finally:
        proc.kill()
    assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdin.close()
    proc.stdout.close()
    proc.stderr.close()
    return out.splitlines(), json.loads(err.strip().splitlines()[-1])


def values(lines: list[str]) -> list[str]:
    return [line.split(",", 1)[1] for line in lines if line.startswith("plain,")]


def test_subcommands_complete_without_importing_anything_heavy() -> None:
    lines, heavy = complete(["flasksess", ""])
    assert set(values(lines)) == {
        "genkey",
        "decode",
        "verify",
        "sign",
        "sizecheck",
        "audit",
        "serve-demo",
        "completion",
        "mitmproxy-addon",
    }
    assert heavy == []


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["flasksess", "genkey", "--format", ""], {"hex", "urlsafe", "base64", "bytes", "env", "python"}),
        (
            ["flasksess", "verify", "--digest", "sha"],
            {"sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512"},
        ),
        (["flasksess", "sign", "--key-derivation", ""], {"hmac", "concat", "django-concat", "none"}),
        (["flasksess", "verify", "--no"], {"--no-max-age"}),
        (["flasksess", "completion", ""], {"bash", "zsh", "fish"}),
    ],
)
def test_choices_and_options(words: list[str], expected: set[str]) -> None:
    lines, heavy = complete(words)
    assert set(values(lines)) == expected
    assert heavy == []


@pytest.mark.parametrize(
    "option",
    [
        ["verify", "--key-file"],
        ["sizecheck", "--har"],
        ["audit", "cookie", "--wordlist"],
        ["audit", "key", "--key-file"],
    ],
)
def test_file_options_complete_paths_through_the_shell(option: list[str]) -> None:
    lines, _ = complete(["flasksess", *option, "sec"])
    assert lines == ["file,sec"]


def test_at_file_arguments_complete_paths(tmp_path: Path) -> None:
    (tmp_path / "session.json").write_text("{}")
    (tmp_path / "sessions").mkdir()
    (tmp_path / "other.txt").write_text("")
    lines, heavy = complete(["flasksess", "sign", "@sess"], cwd=tmp_path)
    assert values(lines) == ["@session.json", "@sessions/"]
    lines, _ = complete(["flasksess", "sign", "--python", "@o"], cwd=tmp_path)
    assert values(lines) == ["@other.txt"]
    lines, _ = complete(["flasksess", "sizecheck", "--session", "@session."], cwd=tmp_path)
    assert values(lines) == ["@session.json"]
    assert heavy == []


def test_completion_never_reads_stdin_or_imports_the_app(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "myapp.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    for words in (
        ["flasksess", "decode", "-"],
        ["flasksess", "sign", "-"],
        ["flasksess", "verify", "--app", "myapp:app", "-"],
    ):
        _, heavy = complete(words, cwd=tmp_path)
        assert heavy == []
    assert not marker.exists()


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_protocols(shell: str) -> None:
    lines, heavy = complete(["flasksess", "genkey", "--format", "he"], shell=shell)
    assert any("hex" in line for line in lines)
    assert heavy == []
