"""Derived files stay true: completion scripts and the README's command reference match the code."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
regenerate = runpy.run_path(str(ROOT / "scripts" / "regenerate.py"))


def test_completion_scripts_the_readme_reference_and_its_examples_are_current() -> None:
    """Every console example in the README is what running it prints (scripts/readme_examples.py runs them)."""
    import difflib

    examples = regenerate["readme_examples"]
    expected = regenerate["expected_files"]()
    drift = []
    for path, text in expected.items():
        current = path.read_text() if path.exists() else ""
        if path.name == "README.md":
            text, current = examples.normalise(text), examples.normalise(current)
        if text != current:
            drift.append(
                "".join(difflib.unified_diff(current.splitlines(True), text.splitlines(True), str(path), "now"))
            )
    assert drift == [], "run python scripts/regenerate.py:\n" + "\n".join(drift)[:6000]


def test_the_normalisation_hides_only_what_cannot_repeat() -> None:
    normalise = regenerate["readme_examples"].normalise
    block = "```console\n$ flasksess genkey\n{key}\n$ flasksess decode x\nsigned     {when} (3 seconds ago)\n```"
    first = block.format(key="ab" * 32, when="2026-11-21 14:02:13 UTC")
    again = block.format(key="cd" * 32, when="2027-01-02 03:04:05 UTC")
    assert normalise(first) == normalise(again)
    assert normalise(first) != normalise(first.replace("signed ", "signed:"))  # anything else must match
    hex_elsewhere = "```console\n$ flasksess sign x\n" + "ab" * 32 + "\n```"
    assert normalise(hex_elsewhere) == hex_elsewhere  # random keys are hidden only after genkey


def test_completion_command_prints_the_checked_in_scripts() -> None:
    for shell, name in regenerate["COMPLETIONS"].items():
        printed = subprocess.run(
            [sys.executable, "-m", "flasksess_cli", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert printed == (ROOT / "completions" / name).read_text()


def test_every_help_has_a_summary_an_example_and_its_environment() -> None:
    for path in regenerate["command_paths"](regenerate["cli"]):
        text = regenerate["help_text"](path)
        summary = text.split("\n\n")[1].strip()
        assert summary and summary.endswith("."), (path, summary)
        assert "Environment:" in text, path
        if path and path != ("audit",):
            assert "Example" in text, path
