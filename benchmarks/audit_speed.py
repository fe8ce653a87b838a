"""Candidates per second of ``flasksess audit cookie`` against flask-unsign, measured in the same run.

Generates a wordlist (default 1,000,000 lines of 6 to 16 random characters, the
key absent), signs a ~100-byte and a ~3 KB cookie with real Flask, then times, end
to end (process start to exit, output discarded):

* ``flasksess audit cookie --no-builtin --wordlist W COOKIE`` with every core, and with one;
* ``flask-unsign --unsign --no-literal-eval --quiet`` (when installed) on a prefix of
  the same wordlist (default 100,000 lines: at its speed the whole list would take
  minutes; a rate is per candidate, so the prefix measures the same thing).

Prints each rate (best of ``--rounds``, interleaved), the ratio flasksess /
flask-unsign, and how the rate falls with the cookie's size.
Run: ``python benchmarks/audit_speed.py [--lines N] [--peer-lines N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
BIN = Path(PY).with_name("flasksess")
FLASKSESS = [str(BIN)] if BIN.exists() else [PY, "-m", "flasksess_cli"]
UNSIGN = Path(PY).with_name("flask-unsign")


def make_wordlist(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "_-!@#."
    with path.open("w", encoding="ascii") as handle:
        for _ in range(lines):
            handle.write("".join(rng.choices(alphabet, k=rng.randrange(6, 17))) + "\n")


def flask_cookie(session: dict[str, object]) -> str:
    import flask

    app = flask.Flask("bench")
    app.secret_key = os.urandom(32)  # never in any wordlist

    @app.post("/")
    def view() -> str:
        flask.session.update(session)
        return ""

    header = app.test_client().post("/").headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def timed(argv: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def ours(cookie: str, wordlist: Path, lines: int, workers: int | None = None) -> float:
    extra = ["--workers", str(workers)] if workers else []
    return lines / timed([*FLASKSESS, "audit", "cookie", "--no-builtin", *extra, "--wordlist", str(wordlist), cookie])


def peer(cookie: str, wordlist: Path, lines: int) -> float:
    argv = [str(UNSIGN), "--unsign", "--no-literal-eval", "--quiet", "--cookie", cookie, "--wordlist", str(wordlist)]
    return lines / timed(argv)


def best(rates: dict[str, float], name: str, rate: float) -> None:
    rates[name] = max(rate, rates.get(name, 0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="wordlist lines for flasksess (default 1,000,000)")
    parser.add_argument("--peer-lines", type=int, default=100_000, help="prefix for flask-unsign (default 100,000)")
    parser.add_argument("--rounds", type=int, default=1, help="best of N runs of each measurement (default 1)")
    args = parser.parse_args()
    rng = random.Random(2)
    small = flask_cookie({"user_id": 42, "role": "admin", "csrf": "x" * 16})
    blob = "".join(rng.choices(string.ascii_letters + string.digits, k=2900))  # compresses little: a ~3 KB cookie
    large = flask_cookie({"user_id": 42, "blob": blob})
    with tempfile.TemporaryDirectory() as tmp:
        wordlist, prefix = Path(tmp) / "words.txt", Path(tmp) / "prefix.txt"
        make_wordlist(wordlist, args.lines)
        with wordlist.open("rb") as source, prefix.open("wb") as target:
            for _ in range(args.peer_lines):
                target.write(source.readline())
        cores = os.cpu_count() or 1
        print(f"wordlist: {args.lines:,} lines (key absent); cores: {cores}; python {sys.version.split()[0]}")
        print(f"cookies: small {len(small)} B, large {len(large)} B")
        have_peer = UNSIGN.exists() or shutil.which("flask-unsign") is not None
        rates: dict[str, float] = {}
        for _ in range(args.rounds):  # interleaved, so both tools see the same machine load
            best(rates, "flasksess small", ours(small, wordlist, args.lines))
            best(rates, "flasksess small, 1 worker", ours(small, wordlist, args.lines, workers=1))
            if have_peer:
                best(rates, "flask-unsign small", peer(small, prefix, args.peer_lines))
            best(rates, "flasksess large", ours(large, wordlist, args.lines))
            if have_peer:
                best(rates, "flask-unsign large", peer(large, prefix, args.peer_lines))
        for name, rate in rates.items():
            print(f"{name:32} {rate:>12,.0f} candidates/s")
        if have_peer:
            for size in ("small", "large"):
                ratio = rates[f"flasksess {size}"] / rates[f"flask-unsign {size}"]
                print(f"ratio flasksess / flask-unsign, {size} cookie: {ratio:.1f}x (target >= 25x)")
        else:
            print("flask-unsign is not installed: pip install flask-unsign to measure the ratio")
        drop = rates["flasksess large"] / rates["flasksess small"]
        print(f"rate vs cookie size: {len(large)} B cookie runs at {drop:.0%} of the {len(small)} B cookie's rate")


if __name__ == "__main__":
    main()
