"""sizecheck on a megabyte of hostile cookies: seconds, not minutes, whatever the cookies hold.

Each case is about 1 MiB of ``Set-Cookie:`` lines (the input cap) whose sessions are
built to be expensive: many keys of long text (the shape that cost ~27 s for 40 cookies
when each key was priced by recompressing the whole session), 90,000 tiny keys, long
lists of numbers, of empty objects, of nested lists. The baseline is 1 MiB of ordinary
session cookies, in the same run. Each case runs ``flasksess sizecheck --json @FILE`` as
a real process; ``--before PYTHON`` also runs the flasksess installed for another
interpreter (a virtual environment with an older release) on the same files, for a
before/after ratio.

    python benchmarks/sizecheck_pricing.py [--before /tmp/old-venv/bin/python] [--timeout 600]
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from itsdangerous.encoding import base64_encode, int_to_bytes

from flasksess_cli.codec.cookie import Scheme, sign_session
from flasksess_cli.keys import SecretKey

KEY = SecretKey("benchmark key, 20 bytes or more")
INPUT = 1_000_000
_RANDOM = random.Random(5)

SHAPES: dict[str, dict[str, Any]] = {
    "ordinary sessions (baseline)": {
        "user_id": 42,
        "csrf_token": "".join(_RANDOM.choices(string.ascii_letters, k=40)),
        "cart": [{"sku": n, "qty": 1} for n in range(12)],
    },
    "70 keys of long text": {f"k{i:02d}": chr(97 + i % 26) * ((1 << 20) // 70 - 200) for i in range(70)},
    "90,000 tiny keys": {f"{i}": 0 for i in range(90_000)},
    "a list of 480,000 numbers": {"a": [0] * 480_000},
    "a list of 300,000 empty objects": {"a": [{}] * 300_000},
    "a list of 60,000 nested lists": {"a": [[[[[1]]]]] * 60_000},
}


def cookies_file(directory: Path, name: str, session: dict[str, Any]) -> tuple[Path, int]:
    """About INPUT bytes of Set-Cookie lines, each cookie distinct: the same payload, signed at another second."""
    payload = sign_session(session, key=KEY, timestamp=1_700_000_000).value.rsplit(".", 2)[0]
    signer = Scheme().signer(KEY)
    lines, size, n = [], 0, 0
    while size < INPUT:
        signed = f"{payload}.{base64_encode(int_to_bytes(1_700_000_000 + n)).decode()}"
        value = f"{signed}.{signer.get_signature(signed).decode()}"
        line = f"Set-Cookie: s{n}={value}"
        if size + len(line) + 1 > INPUT and lines:
            break
        lines.append(line[: INPUT - 1])
        size += len(lines[-1]) + 1
        n += 1
    path = directory / f"{len(list(directory.iterdir()))}.txt"
    path.write_text("\n".join(lines))
    return path, n


def run(path: Path, python: str, timeout: float) -> tuple[float, int | None]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, "-m", "flasksess_cli", "sizecheck", "--json", f"@{path.name}"],
            capture_output=True, timeout=timeout, check=False, cwd=path.parent,  # not this checkout's package
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="PYTHON", help="also run the flasksess this interpreter has installed")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up on one run after this long")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = {name: cookies_file(Path(tmp), name, session) for name, session in SHAPES.items()}
        baseline = None
        header = f"{'case':34} {'cookies':>7} {'seconds':>8} {'x baseline':>10}"
        print(header + (f" {'before (s)':>10} {'before/now':>10}" if args.before else ""))
        for name, (path, n) in files.items():
            seconds, code = run(path, sys.executable, args.timeout)
            baseline = baseline or seconds
            line = f"{name:34} {n:7d} {seconds:8.2f} {seconds / baseline:10.1f}"
            if code not in (0, 1):
                line += f"  exit {code}"
            if args.before:
                before, before_code = run(path, args.before, args.timeout)
                timed_out = ">" if before_code is None else ""  # the ratio is then at least this
                shown = f">{args.timeout:.0f}" if timed_out else f"{before:.2f}"
                line += f" {shown:>10} {timed_out + f'{before / seconds:.1f}':>10}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
