"""Start-up time of flasksess commands against bare imports, measured in the same run.

Every command is run ROUNDS times, interleaved with its baseline, and the
medians are compared. Prints one line per case: both medians and the ratio
against its target. Run: ``python benchmarks/startup.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
BIN = Path(PY).with_name("flasksess")
FLASKSESS = [str(BIN)] if BIN.exists() else [shutil.which("flasksess") or "flasksess"]

COOKIE = "eyJhIjoxLCJiIjoidHdvIn0.awGaIQ.Ai2VioprGol0vRuQsI30udSIoPc"
KEY = "new-key-2025"

# (name, command, stdin, baseline name, target ratio)
CASES: list[tuple[str, list[str], str, str, float]] = [
    ("flasksess --help", [*FLASKSESS, "--help"], "", "click", 1.2),
    ("flasksess genkey", [*FLASKSESS, "genkey"], "", "click", 1.2),
    ("flasksess decode --json", [*FLASKSESS, "decode", "--json", COOKIE], "", "click+itsdangerous", 1.3),
    ("flasksess verify --json", [*FLASKSESS, "verify", "--json", "-k", KEY, COOKIE], "", "click+itsdangerous", 1.3),
    ("flasksess decode (human)", [*FLASKSESS, "decode", COOKIE], "", "click+itsdangerous+rich", 1.3),
    ("flasksess sizecheck --help", [*FLASKSESS, "sizecheck", "--help"], "", "click", 1.2),
]
PEER = Path(PY).with_name("flask-unsign")
if PEER.exists() or shutil.which("flask-unsign"):
    # The best-known peer, for reference only: no target, the ratio is reported.
    CASES.append(
        (
            "flask-unsign --decode (peer)",
            [str(PEER if PEER.exists() else "flask-unsign"), "--decode", "--cookie", COOKIE],
            "",
            "click",
            0.0,
        )
    )

BASELINES = {
    "click": [PY, "-c", "import click"],
    "click+itsdangerous": [PY, "-c", "import click, itsdangerous"],
    "click+itsdangerous+rich": [PY, "-c", "import click, itsdangerous, rich.console"],
}


TAB = {"_FLASKSESS_COMPLETE": "bash_complete", "COMP_WORDS": "flasksess verify --dig", "COMP_CWORD": "2"}
CASES.insert(2, ("TAB: flasksess verify --dig<TAB>", [*FLASKSESS, "__tab__"], "", "click", 1.2))


def run_once(argv: list[str], stdin: str, env: dict[str, str]) -> float:
    if argv[-1] == "__tab__":  # a completion round trip, as bash runs it
        argv, env = argv[:-1], env | TAB
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, capture_output=True, env=env, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    # pip compiles an installed package's bytecode; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module at every start.
    import flasksess_cli

    compileall.compile_dir(str(Path(flasksess_cli.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    needed = {base for *_, base, _ in CASES}
    for argv, stdin in [(BASELINES[b], "") for b in needed] + [(c[1], c[2]) for c in CASES]:
        run_once(argv, stdin, env)  # warm the page cache and .pyc files
    samples: dict[str, list[float]] = {name: [] for name, *_ in CASES} | {b: [] for b in needed}
    for _ in range(args.rounds):
        for base in needed:
            samples[base].append(run_once(BASELINES[base], "", env))
        for name, argv, stdin, _base, _target in CASES:
            samples[name].append(run_once(argv, stdin, env))
    print(f"{'case':44} {'median':>9} {'baseline':>24} {'ratio':>6}  target")
    worst_ok = True
    for name, _argv, _stdin, base, target in CASES:
        mine, theirs = statistics.median(samples[name]), statistics.median(samples[base])
        ratio = mine / theirs
        if not target:
            print(f"{name:44} {mine * 1000:7.1f}ms {base:>15} {theirs * 1000:6.1f}ms {ratio:6.2f}  (reference)")
            continue
        worst_ok &= ratio <= target
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{name:44} {mine * 1000:7.1f}ms {base:>15} {theirs * 1000:6.1f}ms {ratio:6.2f}  <= {target} {verdict}")
    print("all within target" if worst_ok else "some cases are over target")


if __name__ == "__main__":
    main()
