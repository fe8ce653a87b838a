"""The README's console examples, produced by running them.

Every ```console block of README.md is a shell session: each ``$ `` line is run by
bash, in order and in one shell (so a variable set by one command is there for the
next), in a fresh folder holding the files the examples name, with ``flasksess``
from this checkout first on PATH, ``COLUMNS=100`` (a 100-column terminal) and no
``FLASK_SECRET_KEY``. What a command prints, stdout and stderr as a terminal shows
them, is its output in the README. ``scripts/regenerate.py`` writes the outputs;
``tests/test_docs.py`` fails when one has drifted.

Outputs that cannot repeat are compared after :func:`normalise`, which says exactly
what it hides: clock times and ages (``2026-11-21 14:02:13 UTC``, ``3 seconds ago``),
search times and rates, the search engine this machine's CPU chose (``(avx512, 2 threads)``),
and the keys that ``genkey`` draws at random (with their masked forms). Everything else must match to the character.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(```console\n)(.*?)(```)", re.DOTALL)
MARK = "@@flasksess-readme-example@@"

#: The key the examples sign with (a placeholder from the docs: audit finds it, which is the point there).
EXAMPLE_KEY = "change-me-please"


def fixtures(folder: Path) -> dict[str, str]:
    """Write the files the examples name into ``folder``; return the variables they use."""
    sys.path.insert(0, str(ROOT))
    from flasksess_cli.codec.cookie import sign_session
    from flasksess_cli.keys import SecretKey

    rng = random.Random(2026)  # noqa: S311 - fixtures that repeat, not secrets
    cart = [
        {"sku": f"SKU-{rng.randrange(10**6):06d}", "name": f"Item {n}", "qty": rng.randint(1, 4),
         "price": round(rng.uniform(1, 200), 2), "note": rng.randbytes(15).hex()}
        for n in range(90)
    ]  # fmt: skip
    session = {"user_id": 42, "csrf_token": rng.randbytes(20).hex(), "cart": cart,
               "_flashes": [["message", "Added to your cart"]]}  # fmt: skip
    (folder / "session.json").write_text(json.dumps(session, indent=2) + "\n")
    (folder / "words.txt").write_text("".join(f"{rng.randbytes(6).hex()}\n" for _ in range(100_000)))
    key = SecretKey(EXAMPLE_KEY)

    def blob(n: int) -> str:
        return rng.randbytes(n).hex()

    big = {"cart": [{"sku": f"SKU-{n}", "note": blob(24)} for n in range(40)]}
    entries = [
        _har_entry("GET", "https://shop.example/", 200, [f"session={sign_session({'v': 1}, key=key).value}; HttpOnly; Path=/"]),
        _har_entry("POST", "https://shop.example/cart/add?sku=SKU-7", 302, [
            f"session={sign_session(big, key=key, timestamp=1_795_269_733).value}; HttpOnly; Path=/",
            f"recently_viewed={blob(2100)}; Path=/", "theme=dark; Path=/", f"ab_test={blob(40)}; Path=/",
        ]),
        _har_entry("GET", "https://shop.example/checkout", 200, [], cookie=f"session=x; theme=dark; prefs={blob(4100)}"),
    ]  # fmt: skip
    (folder / "checkout.har").write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}, indent=1))
    return {
        "S": sign_session({"user_id": 42, "prefs": blob(1300)}, key=key, timestamp=1_795_269_733).value,
        "C": blob(2000),
        "P": blob(2100),
        "BIG_COOKIE": sign_session({"cart": [f"SKU-{n}" for n in range(200)]}, key=key, timestamp=1_795_269_733).value,
    }


def _har_entry(method: str, url: str, status: int, set_cookies: list[str], cookie: str = "") -> dict[str, object]:
    return {
        "request": {"method": method, "url": url, "headers": [{"name": "Cookie", "value": cookie}] if cookie else []},
        "response": {"status": status, "headers": [{"name": "Set-Cookie", "value": line} for line in set_cookies]},
    }


def commands(block: str) -> list[str]:
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def run_block(cmds: list[str], folder: Path, variables: dict[str, str]) -> list[str]:
    """Each command's output, run one after another in one bash, as a terminal would show it."""
    venv_bin = Path(sys.executable).parent
    env = {
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "COLUMNS": "100",
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave as on a terminal
        **variables,
    }
    # Between commands a marker line splits the outputs; $? still holds the previous command's status.
    script = "exec 2>&1\nstatus=0\n" + "".join(
        f"printf '%s\\n' '{MARK}'\n(exit $status)\n{cmd}\nstatus=$?\n" for cmd in cmds
    )
    proc = subprocess.run(  # noqa: S603 - our own README, run on purpose
        [shutil.which("bash") or "/bin/bash", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    parts = proc.stdout.split(MARK + "\n")
    if len(parts) != len(cmds) + 1:
        raise SystemExit(f"README example failed to run:\n{script}\n{proc.stdout}")
    return parts[1:]


def rerun(readme: str) -> str:
    """README.md with every console example's output replaced by what running it prints now."""
    with tempfile.TemporaryDirectory(prefix="flasksess-readme-") as tmp:
        folder = Path(tmp)
        variables = fixtures(folder)

        def replace(match: re.Match[str]) -> str:
            cmds = commands(match.group(2))
            outputs = run_block(cmds, folder, variables)
            body = "".join(
                f"$ {cmd}\n{out}" + ("" if not out or out.endswith("\n") else "\n")
                for cmd, out in zip(cmds, outputs, strict=True)
            )
            return match.group(1) + body + match.group(3)

        return BLOCK.sub(replace, readme)


_NORMAL = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "<clock time>"),
    (re.compile(r"\b\d+ (?:second|minute|hour|day|year)s?\b"), "<duration>"),
    (re.compile(r" in \d+\.\d\d s(?: at [\d,]+/s)?"), " in <search time>"),
    (re.compile(r"\((?:avx512|avx2|sha-ni|scalar|python)(?:, \d+ threads?)?\)"), "(<engine>)"),
]
_RANDOM_KEYS = [
    (re.compile(r"[0-9a-f]{32,}"), "<random hex>"),
    (re.compile(r"^b(['\"]).*\1$", re.MULTILINE), "<random bytes>"),
    (re.compile(r"[A-Za-z0-9_+/=-]{22,}"), "<random base64>"),
    (re.compile(r"\S\S…\S\S \(masked\)"), "<masked> (masked)"),
]


def normalise(readme: str) -> str:
    """The README with what cannot repeat replaced (see the module docstring); random keys only after genkey."""

    def block(match: re.Match[str]) -> str:
        lines = match.group(2).split("\n")
        out, random_keys = [], False
        for line in lines:
            if line.startswith("$ "):
                random_keys = "genkey" in line
                out.append(line)
                continue
            for pattern, stand_in in _NORMAL + (_RANDOM_KEYS if random_keys else []):
                line = pattern.sub(stand_in, line)
            out.append(line)
        return match.group(1) + "\n".join(out) + match.group(3)

    return BLOCK.sub(block, readme)
