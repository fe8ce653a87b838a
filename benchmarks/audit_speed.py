"""Candidates per second of ``flasksess audit cookie`` against hashcat and flask-unsign, in one run, side by side.

Cookies signed by real Flask with a key in no list: short (~60 B), 1 KB and 3.5 KB. Wordlists
(key absent): 1,000,000 and 20,000,000 lines of 6 to 16 random characters (generated once
under /tmp/flasksess-bench, never in the repository), and the flask-unsign-wordlist package's
quoted list. Every measurement is end to end: process start to exit, output discarded.

* flasksess, native engine (the C kernel over threads, one per core) and pure-Python engine
  (``FLASKSESS_AUDIT_ENGINE=python``: the twin over worker processes), ``--no-builtin``;
* hashcat ``-m 29100 -a 0 -w 3`` when installed, on the cookies it takes (a warm-up run first
  builds its kernel cache); Debian: ``apt install hashcat pocl-opencl-icd`` (hashcat 6.2.6, CPU
  through PoCL);
* flask-unsign when installed (``pip install flask-unsign``), on a 100,000-line prefix of the
  1M list (at its speed the whole list takes minutes; a rate is per candidate), and on the
  quoted list;
* ``--baseline CMD``: another flasksess (e.g. ``/work/main/.venv/bin/flasksess``) on the 1M list,
  to compare the pure-Python engine with it.

Prints each rate, the peak RSS, and the ratios the project targets, all from this one run.
The script installs nothing. Run: ``python benchmarks/audit_speed.py [--skip-20m] [--baseline CMD]``.
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
from typing import NamedTuple

PY = sys.executable
BIN = Path(PY).with_name("flasksess")
FLASKSESS = [str(BIN)] if BIN.exists() else [PY, "-m", "flasksess_cli"]
UNSIGN = shutil.which("flask-unsign", path=f"{Path(PY).parent}:{os.environ.get('PATH', '')}")
HASHCAT = shutil.which("hashcat")
LISTS = Path(tempfile.gettempdir()) / "flasksess-bench"
ALPHABET = (string.ascii_letters + string.digits + "_-!@#.").encode()


def wordlist(lines: int) -> Path:
    """``lines`` random lines of 6 to 16 characters, made once and kept under /tmp."""
    path = LISTS / f"plain-{lines}.txt"
    if path.exists():
        return path
    LISTS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(lines)
    table = bytes(ALPHABET[i % len(ALPHABET)] for i in range(256))
    partial = path.with_suffix(".part")
    with partial.open("wb") as handle:
        for start in range(0, lines, 200_000):
            count = min(200_000, lines - start)
            lengths = [rng.randrange(6, 17) for _ in range(count)]
            blob = rng.randbytes(sum(lengths)).translate(table)
            out, at = [], 0
            for length in lengths:
                out.append(blob[at : at + length])
                at += length
            handle.write(b"\n".join(out) + b"\n")
    partial.rename(path)
    return path


def prefix(path: Path, lines: int) -> Path:
    out = path.with_name(f"{path.stem}-first-{lines}.txt")
    if not out.exists():
        with path.open("rb") as source, out.open("wb") as target:
            for _ in range(lines):
                target.write(source.readline())
    return out


def flask_cookie(size: int) -> str:
    """A cookie of about ``size`` bytes that real Flask signed with a random key (in a child process:
    this one stays small, so the peak RSS of the tools it starts is theirs)."""
    code = f"""
import os, random, string, flask
app = flask.Flask("bench")
app.secret_key = os.urandom(32)  # never in any wordlist
rng = random.Random({size})
session = {{"user_id": 42}}
@app.post("/")
def view():
    flask.session.update(session)
    return ""
for n in range(0, 8000, 8):
    if n:
        session["blob"] = "".join(rng.choices(string.ascii_letters + string.digits, k=n))
    cookie = app.test_client().post("/").headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    if len(cookie) >= {size} or {size} < 100:
        print(cookie)
        break
"""
    return subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


class Measured(NamedTuple):
    seconds: float
    cpu: float
    peak_kib: int


def run(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 1)) -> Measured:
    """Wall seconds, CPU seconds and peak RSS (VmHWM, polled) of one process, start to exit."""
    environment = {k: v for k, v in os.environ.items() if k not in {"FLASK_SECRET_KEY", "FLASKSESS_AUDIT_ENGINE"}}
    environment.update(env or {})
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors, env=environment)
        peak = 0
        while True:
            peak = max(peak, _vm_hwm(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code not in ok:
            errors.seek(0)
            raise SystemExit(f"{argv[0]} failed ({code}): {errors.read().decode(errors='replace')[-800:]}")
    return Measured(elapsed, usage.ru_utime + usage.ru_stime, peak)


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def flasksess(cookie: str, path: Path | str, *, engine: str = "native", command: list[str] | None = None) -> Measured:
    env = {"FLASKSESS_AUDIT_ENGINE": "python"} if engine == "python" else {}
    return run([*(command or FLASKSESS), "audit", "cookie", "--no-builtin", "--wordlist", str(path), cookie], env)


def unsign(cookie: str, path: Path, *, literal: bool) -> Measured:
    assert UNSIGN is not None
    argv = [UNSIGN, "--unsign", "--quiet", "--cookie", cookie, "--wordlist", str(path)]
    return run([*argv, *(() if literal else ("--no-literal-eval",))], ok=(0, 1, 2))


def hashcat(cookie: str, path: Path, home: Path) -> Measured | None:
    assert HASHCAT is not None
    hashes = home / "cookie.hash"
    hashes.write_text(cookie + "\n")
    argv = [HASHCAT, "-m", "29100", "-a", "0", "-w", "3", "--potfile-disable", "--quiet", str(hashes), str(path)]
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"), "XDG_DATA_HOME": str(home / "data")}
    try:
        return run(argv, env, ok=(0, 1))  # 1: exhausted (the key is absent)
    except SystemExit as exc:
        reason = " ".join(str(exc).split())[-120:]
        print(f"  {'hashcat -m 29100':22} refuses this cookie ({reason})")
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-20m", action="store_true", help="leave out the 20M-line list (it takes a while)")
    parser.add_argument("--peer-lines", type=int, default=100_000, help="flask-unsign's prefix (default 100,000)")
    parser.add_argument("--baseline", help="another flasksess command to compare the pure-Python engine with")
    args = parser.parse_args()

    import flask_unsign_wordlist

    cookies = {"short": flask_cookie(60), "1 KB": flask_cookie(1024), "3.5 KB": flask_cookie(3584)}
    if len(cookies["short"].split(".")[0]) > 27:
        raise SystemExit("the short cookie's payload must fit hashcat 6.2.6 (27 characters)")
    lists = {"1M": (wordlist(1_000_000), 1_000_000)}
    if not args.skip_20m:
        lists["20M"] = (wordlist(20_000_000), 20_000_000)
    quoted = Path(flask_unsign_wordlist.get("all"))
    quoted_lines = sum(1 for line in quoted.read_bytes().split(b"\n") if line.strip())
    peer = prefix(lists["1M"][0], args.peer_lines)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"python {sys.version.split()[0]}; cores: {cores}; load average: {os.getloadavg()[0]:.1f}")
    print("columns: tool, cookie, list, candidates per second (wall), seconds, per CPU-second, peak RSS")
    print("cookies: " + ", ".join(f"{name} {len(value)} B" for name, value in cookies.items()))
    version = (
        subprocess.run([HASHCAT, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        if HASHCAT
        else None
    )
    print(f"hashcat: {version or 'not installed (apt install hashcat pocl-opencl-icd)'}; "
          f"flask-unsign: {'installed' if UNSIGN else 'not installed (pip install flask-unsign)'}")  # fmt: skip

    rates: dict[tuple[str, str, str], float] = {}
    per_cpu: dict[tuple[str, str, str], float] = {}
    rss: dict[tuple[str, str], int] = {}

    def record(tool: str, cookie: str, listed: str, lines: int, measured: Measured | None) -> None:
        if measured is None:
            return
        rates[tool, cookie, listed] = lines / measured.seconds
        per_cpu[tool, cookie, listed] = lines / max(measured.cpu, 1e-9)
        rss[tool, listed] = max(rss.get((tool, listed), 0), measured.peak_kib)
        print(
            f"  {tool:22} {cookie:6} {listed:12} {lines / measured.seconds:>13,.0f}/s {measured.seconds:7.2f} s"
            f"  {per_cpu[tool, cookie, listed]:>13,.0f}/CPU-s {measured.peak_kib / 1024:6.0f} MiB"
        )

    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        if HASHCAT:
            hashcat(cookies["short"], peer, home)  # warm-up: hashcat builds its kernel cache
        big = "20M" if "20M" in lists else "1M"
        for name, cookie in cookies.items():
            for listed, (path, lines) in lists.items():
                record("flasksess native", name, listed, lines, flasksess(cookie, path))
                if HASHCAT and listed == big:
                    record("hashcat -m 29100", name, listed, lines, hashcat(cookie, path, home))
            record("flasksess pure Python", name, "1M", 1_000_000, flasksess(cookie, lists["1M"][0], engine="python"))
            if args.baseline:
                record(
                    "baseline", name, "1M", 1_000_000, flasksess(cookie, lists["1M"][0], command=args.baseline.split())
                )
            if UNSIGN:
                record("flask-unsign", name, f"{args.peer_lines // 1000}k prefix", args.peer_lines,
                       unsign(cookie, peer, literal=False))  # fmt: skip
        short = cookies["short"]
        record("flasksess native", "short", "quoted list", quoted_lines, flasksess(short, "flask-unsign"))
        record(
            "flasksess pure Python",
            "short",
            "quoted list",
            quoted_lines,
            flasksess(short, "flask-unsign", engine="python"),
        )
        if UNSIGN:
            record("flask-unsign", "short", "quoted list", quoted_lines, unsign(short, quoted, literal=True))

    print("\nratios (each from this run):")

    def ratio(label: str, a: tuple[str, str, str], b: tuple[str, str, str], target: str) -> None:
        if a in rates and b in rates:
            print(
                f"  {label:62} {rates[a] / rates[b]:8.1f}x  per CPU-second {per_cpu[a] / per_cpu[b]:8.1f}x"
                f"  (target {target})"
            )

    ratio(
        f"native / hashcat CPU, short cookie, {big} list",
        ("flasksess native", "short", big),
        ("hashcat -m 29100", "short", big),
        ">= 10x",
    )
    peer_name = f"{args.peer_lines // 1000}k prefix"
    for name in cookies:
        ratio(f"native ({big}) / flask-unsign ({peer_name}), {name} cookie", ("flasksess native", name, big),
              ("flask-unsign", name, peer_name), ">= 300x")  # fmt: skip
    ratio("native / flask-unsign, the quoted list, end to end", ("flasksess native", "short", "quoted list"),
          ("flask-unsign", "short", "quoted list"), "-")  # fmt: skip
    for name in cookies:
        ratio(
            f"pure Python / baseline, {name} cookie, 1M list",
            ("flasksess pure Python", name, "1M"),
            ("baseline", name, "1M"),
            ">= 1x",
        )
    key = ("flasksess native", "3.5 KB", big)
    if key in rates:
        print(f"  {'native rate, 3.5 KB cookie, ' + big + ' list':58} {rates[key] / 1e6:8.2f}M/s (target >= 3M/s)")
    if ("flasksess native", "20M") in rss:
        print(f"  {'native peak RSS, 1M list -> 20M list':58} {rss['flasksess native', '1M'] / 1024:.0f} -> "
              f"{rss['flasksess native', '20M'] / 1024:.0f} MiB (target: flat)")  # fmt: skip


if __name__ == "__main__":
    main()
