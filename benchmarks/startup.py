"""Start-up time of flasksess commands against bare imports, measured in the same run.

Every command is run ROUNDS times, interleaved with its baseline, and the medians
are compared. Prints one line per case: both medians and the ratio against its
target. Baselines run with the interpreter of the flasksess being measured.

    python benchmarks/startup.py [--rounds N]
    python benchmarks/startup.py --flasksess /tmp/before/bin/flasksess --flasksess /tmp/after/bin/flasksess

Several ``--flasksess`` installs are measured side by side in one run (before and
after a change, say). Measure real installs (``pip install .``): an editable install
imports extra modules (pathlib among them) at every interpreter start.

Then the doors into other programs, for the first install: ``flask --help`` with flasksess
installed against the same ``flask --help`` in a virtual environment with the same Flask,
Werkzeug, click, Jinja, python-dotenv releases and no flasksess (made once, by pip, in
``--flask-only`` [default: ~/.cache/flasksess-bench/flask-only]), beside what importing the
plugin module itself costs; and pytest's start-up with the plugin and with ``-p no:flasksess``.
The target: ``flask --help`` gets slower by no more than the plugin module's import. When
valgrind is installed, each of these also runs once under callgrind, and the same comparison is
printed in instructions executed, which a busy machine does not blur.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COOKIE = "eyJhIjoxLCJiIjoidHdvIn0.awGaIQ.Ai2VioprGol0vRuQsI30udSIoPc"
KEY = "new-key-2025"
TAB = {"_FLASKSESS_COMPLETE": "bash_complete", "COMP_WORDS": "flasksess verify --dig", "COMP_CWORD": "2"}

# (name, arguments or "__tab__", stdin, baseline name, target ratio)
CASES: list[tuple[str, list[str], str, str, float]] = [
    ("--help", ["--help"], "", "click", 1.1),
    ("genkey", ["genkey"], "", "click", 1.1),
    ("TAB: verify --dig<TAB>", ["__tab__"], "", "click", 1.1),
    ("decode --json", ["decode", "--json", COOKIE], "", "click+itsdangerous", 1.3),
    ("verify --json", ["verify", "--json", "-k", KEY, COOKIE], "", "click+itsdangerous", 1.3),
    ("decode (human)", ["decode", COOKIE], "", "click+itsdangerous+rich", 1.3),
    ("sizecheck --help", ["sizecheck", "--help"], "", "click", 1.2),
]
BASELINES = {
    "click": "import click",
    "click+itsdangerous": "import click, itsdangerous",
    "click+itsdangerous+rich": "import click, itsdangerous, rich.console",
}


def run_once(argv: list[str], stdin: str, env: dict[str, str]) -> float:
    if argv[-1] == "__tab__":  # a completion round trip, as bash runs it
        argv, env = argv[:-1], env | TAB
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, capture_output=True, env=env, check=False)
    return time.perf_counter() - start


def default_flasksess() -> str:
    sibling = Path(sys.executable).with_name("flasksess")
    return str(sibling) if sibling.exists() else shutil.which("flasksess") or "flasksess"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--flasksess", action="append", help="a flasksess executable to measure (repeatable)")
    parser.add_argument(
        "--flask-only", default="~/.cache/flasksess-bench/flask-only", help="the venv without flasksess"
    )
    args = parser.parse_args()
    installs = args.flasksess or [default_flasksess()]
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    runs: dict[tuple[str, str], tuple[list[str], str]] = {}
    for install in installs:
        python = str(Path(install).with_name("python"))
        for base, code in BASELINES.items():
            runs[(install, base)] = ([python, "-c", code], "")
        for name, argv, stdin, _base, _target in CASES:
            runs[(install, name)] = ([install, *argv], stdin)
        peer = Path(install).with_name("flask-unsign")
        if peer.exists():  # the best-known peer, for reference only: no target, the ratio is reported
            runs[(install, "flask-unsign --decode (peer)")] = ([str(peer), "--decode", "--cookie", COOKIE], "")
    for argv, stdin in runs.values():
        run_once(argv, stdin, env)  # warm the page cache and .pyc files
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
    for _ in range(args.rounds):
        for key, (argv, stdin) in runs.items():
            samples[key].append(run_once(argv, stdin, env))
    median = {key: statistics.median(values) for key, values in samples.items()}
    print(f"{'install':24} {'case':28} {'median':>9} {'baseline':>25} {'ratio':>6}  target")
    all_ok = True
    for install in installs:
        label = str(Path(install).parent.parent.name or install)[:24]
        cases = [(name, base, target) for name, _a, _s, base, target in CASES]
        if (install, "flask-unsign --decode (peer)") in runs:
            cases.append(("flask-unsign --decode (peer)", "click", 0.0))
        for name, base, target in cases:
            mine, theirs = median[(install, name)], median[(install, base)]
            ratio = mine / theirs
            verdict = "(reference)" if not target else f"<= {target} " + ("ok" if ratio <= target else "OVER")
            all_ok &= not target or ratio <= target
            print(
                f"{label:24} {name:28} {mine * 1000:7.1f}ms {base:>16} {theirs * 1000:6.1f}ms {ratio:6.2f}  {verdict}"
            )
    print("all within target" if all_ok else "some cases are over target")
    doors(installs[0], args.rounds, Path(args.flask_only).expanduser(), env)


# --- flasksess inside flask and pytest -----------------------------------------------------------------


def flask_only_env(python: str, where: Path) -> Path:
    """A virtual environment with every distribution of the measured install but flasksess (made once).

    The same releases of everything else, so that Flask's entry-point scan reads the same
    distributions but one: the difference is flasksess being installed, nothing more.
    """
    freeze = [python, "-m", "pip", "freeze", "--exclude", "flasksess", "--exclude-editable"]
    pins = sorted(subprocess.run(freeze, capture_output=True, text=True, check=True).stdout.split())
    stamp = where / "pins.txt"
    if not stamp.exists() or stamp.read_text() != "\n".join(pins):
        subprocess.run([python, "-m", "venv", "--clear", str(where)], check=True)
        subprocess.run(
            [str(where / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", *pins], check=True
        )
        stamp.write_text("\n".join(pins))
    return where


def instructions(argv: list[str], cwd: str, env: dict[str, str]) -> int | None:
    """Instructions one run executes, counted by valgrind's callgrind: the same on a busy machine."""
    if shutil.which("valgrind") is None:
        return None
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    counted = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return int(counted[-1].rsplit(":", 1)[1]) if counted else None


def doors(install: str, rounds: int, flask_only: Path, env: dict[str, str]) -> None:
    import tempfile

    bin_dir = Path(install).parent
    bare = flask_only_env(str(bin_dir / "python"), flask_only) / "bin"
    runs = {
        "flask --help, with flasksess": [str(bin_dir / "flask"), "--help"],
        "flask --help, without": [str(bare / "flask"), "--help"],
        "import flask.cli + the plugin": [str(bin_dir / "python"), "-c", "import flask.cli, flasksess_cli.integrations.flask_commands"],
        "import flask.cli": [str(bin_dir / "python"), "-c", "import flask.cli"],
        "pytest --co, with the plugin": [str(bin_dir / "python"), "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"],
        "pytest --co, -p no:flasksess": [str(bin_dir / "python"), "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "-p", "no:flasksess"],
    }  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as empty:  # no app.py, no tests: start-up alone

        def once(argv: list[str]) -> float:
            start = time.perf_counter()
            subprocess.run(argv, cwd=empty, capture_output=True, env=env, check=False)
            return time.perf_counter() - start

        for argv in runs.values():
            once(argv)
        for _ in range(rounds):
            for name, argv in runs.items():
                samples[name].append(once(argv))
        counts = {name: instructions(argv, empty, env) for name, argv in runs.items()}
    median = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    for name in runs:
        count = counts[name]
        print(f"{name:34} {median[name]:7.1f}ms" + (f" {count / 1e6:9.1f}M instructions" if count else ""))
    flask_cost = median["flask --help, with flasksess"] - median["flask --help, without"]
    plugin_cost = median["import flask.cli + the plugin"] - median["import flask.cli"]
    pytest_cost = median["pytest --co, with the plugin"] - median["pytest --co, -p no:flasksess"]
    ratio = median["flask --help, with flasksess"] / median["flask --help, without"]
    verdict = "ok" if flask_cost <= plugin_cost + 2.0 else "OVER"  # 2 ms: the noise of a shared machine
    print(
        f"flask --help: +{flask_cost:.1f}ms ({ratio:.2f}x); the plugin module's import: +{plugin_cost:.1f}ms  {verdict}"
    )
    print(f"pytest start-up with the plugin: {pytest_cost:+.1f}ms")
    if all(counts.values()):  # the same comparison in instructions, which load does not blur
        n = {name: count or 0 for name, count in counts.items()}
        flask_extra = n["flask --help, with flasksess"] - n["flask --help, without"]
        plugin_extra = n["import flask.cli + the plugin"] - n["import flask.cli"]
        pytest_extra = n["pytest --co, with the plugin"] - n["pytest --co, -p no:flasksess"]
        share = flask_extra / n["flask --help, without"]
        print(
            f"in instructions: flask --help +{flask_extra / 1e6:.1f}M (+{share:.1%}), of which the plugin module's"
            f" import +{plugin_extra / 1e6:.1f}M and the rest +{(flask_extra - plugin_extra) / 1e6:.1f}M (Flask's"
            f" entry-point scan reading one more distribution, two more lines of help);"
            f" pytest start-up with the plugin {pytest_extra / 1e6:+.1f}M"
        )


if __name__ == "__main__":
    main()
