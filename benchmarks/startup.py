"""Start-up time of flasksess commands against bare imports, measured in the same run.

Every command is run ROUNDS times, interleaved with its baseline, and the medians
are compared. Prints one line per case: both medians and the ratio against its
target. Baselines run with the interpreter of the flasksess being measured.

    python benchmarks/startup.py [--rounds N]
    python benchmarks/startup.py --flasksess /tmp/before/bin/flasksess --flasksess /tmp/after/bin/flasksess

Several ``--flasksess`` installs are measured side by side in one run (before and
after a change, say). Measure real installs (``pip install .``): an editable install
imports extra modules (pathlib among them) at every interpreter start.
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


if __name__ == "__main__":
    main()
