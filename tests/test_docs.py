"""Derived files stay true: completion scripts and the README's command reference match the code."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
regenerate = runpy.run_path(str(ROOT / "scripts" / "regenerate.py"))


def test_completion_scripts_and_readme_reference_are_current() -> None:
    stale = regenerate["stale_files"]()
    assert stale == [], f"stale: {stale}; run python scripts/regenerate.py"


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
