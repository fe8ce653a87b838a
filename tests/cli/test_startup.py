"""Start-up discipline: the light commands never import Flask, Werkzeug or rich."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "rich")
COOKIE = "eyJhIjoxLCJiIjoidHdvIn0.awGaIQ.Ai2VioprGol0vRuQsI30udSIoPc"

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
        ["sizecheck", "--help"],
        ["audit", "--help"],
        ["audit", "key", "--help"],
        ["audit", "cookie", "--help"],
    ],
)
def test_light_commands_do_not_import_flask_werkzeug_or_rich(args: list[str]) -> None:
    assert loaded_heavy_modules(*args) == []


@pytest.mark.parametrize(
    "args",
    [
        ["decode", "--json", COOKIE],
        ["verify", "--json", "-k", "new-key-2025", "--no-max-age", COOKIE],
        ["verify", "--json", "--flask", "1.0", "-k", "new-key-2025", COOKIE],
        ["decode", "--json", "--quart", "0.18", COOKIE],
        ["sign", "--json", "-k", "k", '{"a": 1}'],
        ["sign", "--json", "--flask", "0.10", "-k", "k", '{"a": 1}'],
        ["decode", COOKIE],
        ["verify", "-k", "new-key-2025", COOKIE],
    ],
)
def test_cookie_commands_do_not_import_flask_or_werkzeug(args: list[str]) -> None:
    heavy = loaded_heavy_modules(*args)
    assert not [m for m in heavy if m.split(".")[0] in {"flask", "werkzeug"}]
    if "--json" in args:
        assert heavy == []


LOADED = """
import json, sys
from flasksess_cli.cli import cli
code = None
try:
    cli.main(args=sys.argv[1:], prog_name="flasksess")
except SystemExit as exc:
    code = exc.code
print(json.dumps([code, sorted(m for m in sys.modules if m.startswith("flasksess_cli"))]), file=sys.stderr)
"""
COMMAND_MODULES = {
    "flasksess_cli.cli.codec",
    "flasksess_cli.cli.sizecheck",
    "flasksess_cli.cli.audit",
    "flasksess_cli.cli.demo",
}


@pytest.mark.parametrize(
    ("args", "needed", "never"),
    [
        (["--version"], set(), {*COMMAND_MODULES, "flasksess_cli.codec.cookie"}),
        (["genkey"], {"flasksess_cli.keys"}, {*COMMAND_MODULES, "flasksess_cli.codec.cookie"}),
        (
            ["decode", "--json", COOKIE],
            {"flasksess_cli.cli.codec", "flasksess_cli.codec.cookie", "flasksess_cli.render.codec"},
            {*COMMAND_MODULES - {"flasksess_cli.cli.codec"}, "flasksess_cli.sizecheck", "flasksess_cli.audit"},
        ),
    ],
    ids=["--version", "genkey", "decode --json"],
)
def test_a_command_imports_its_own_family_only(args: list[str], needed: set[str], never: set[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=60, check=False
    )
    code, loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert code in (0, None) and proc.stdout.strip(), "the command did not run"
    assert needed <= set(loaded)
    assert never.isdisjoint(loaded), sorted(never & set(loaded))


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


@pytest.mark.parametrize(
    "words", ["flasksess sizecheck --ser", "flasksess sizecheck --server ", "flasksess sizecheck --sam"]
)
def test_tab_completion_of_sizecheck_does_not_import_flask_werkzeug_or_rich(words: str) -> None:
    env = {
        **os.environ,
        "_FLASKSESS_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    probe = PROBE.format(heavy=set(HEAVY)).replace(
        'prog_name="flasksess")', 'prog_name="flasksess", complete_var="_FLASKSESS_COMPLETE")'
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    assert proc.stdout.strip(), "completion offered nothing"


def test_the_flask_commands_module_imports_only_the_light_root() -> None:
    """Flask imports it at every `flask` start-up (flask --help, flask run): it must cost almost nothing."""
    code = (
        "import sys, flask.cli; before = set(sys.modules); import flasksess_cli.integrations.flask_commands; "
        "print(sorted(set(sys.modules) - before))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert eval(result.stdout) == [  # noqa: S307 - our own output, a list literal
        "flasksess_cli", "flasksess_cli.cli", "flasksess_cli.cli.common", "flasksess_cli.defaults", "flasksess_cli.errors",
        "flasksess_cli.integrations", "flasksess_cli.integrations.flask_commands", "flasksess_cli.keys",
    ]  # fmt: skip


def test_mitmproxy_addon_prints_an_existing_path_without_loading_anything_heavy() -> None:
    assert loaded_heavy_modules("mitmproxy-addon") == []
    path = subprocess.run(
        [sys.executable, "-m", "flasksess_cli", "mitmproxy-addon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert os.path.isfile(path) and path.endswith("integrations/mitmproxy_addon.py")
