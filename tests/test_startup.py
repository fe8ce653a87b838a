"""Start-up discipline: the light commands never import Flask, Werkzeug or rich."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "rich")

PROBE = """
import json, sys
from flasksess_cli.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="flasksess")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""


def loaded_heavy_modules(*args: str, stdin: str = "") -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return list(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_importing_the_cli_loads_nothing_heavy() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, flasksess_cli.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["genkey"],
        ["genkey", "--json", "--count", "2"],
        ["genkey", "--help"],
        ["audit", "--help"],
        ["audit", "key", "--help"],
        ["audit", "cookie", "--help"],
    ],
)
def test_light_commands_do_not_import_flask_werkzeug_or_rich(args: list[str]) -> None:
    assert loaded_heavy_modules(*args) == []


def test_python_dash_m_behaves_like_the_console_script() -> None:
    via_module = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", "genkey", "--bytes", "8"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert via_module.returncode == 2
    assert via_module.stderr.startswith("Error:") and "flasksess genkey --help" in via_module.stderr
    version = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    from importlib.metadata import version as installed_version

    assert version.stdout.strip() == f"flasksess, version {installed_version('flasksess')}"
