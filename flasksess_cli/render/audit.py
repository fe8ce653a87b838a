"""audit key and audit cookie: the ``--json`` documents, human output, progress bar and hashcat line."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from flasksess_cli.render import emit_json, emit_value, grid, make_console, note, plain, untrusted

if TYPE_CHECKING:
    from flasksess_cli.audit.hashcat import HashcatHash
    from flasksess_cli.audit.search import CookieAudit
    from flasksess_cli.audit.strength import KeyAudit


@contextlib.contextmanager
def audit_progress(*, enabled: bool) -> Iterator[Callable[[int, int | None, int], None] | None]:
    """A progress bar on stderr (rate, ETA) while the wordlists are searched; none when not a terminal.

    Started on the first report, so that worker processes are forked before its
    refresh thread exists.
    """
    import sys

    if not enabled or not sys.stderr.isatty():
        yield None
        return
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("searching"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    state: dict[str, Any] = {}

    def report(done: int, total: int | None, tried: int) -> None:
        if "task" not in state:
            progress.start()
            state["task"], state["start"] = progress.add_task("search", total=total, rate=""), time.monotonic()
        elapsed = max(time.monotonic() - state["start"], 1e-9)
        progress.update(state["task"], completed=done, total=total, rate=f"{tried / elapsed:,.0f} keys/s")

    try:
        yield report
    finally:
        if "task" in state:
            progress.stop()


_FIX = (
    "replace it with flasksess genkey (32 random bytes, 256 bits); do not keep the guessable key in "
    "SECRET_KEY_FALLBACKS, where it still verifies forged cookies (sessions signed with it end)"
)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def cookie_audit_document(result: CookieAudit) -> dict[str, Any]:
    """audit cookie --json: the documented keys (README, "flasksess audit")."""
    found = result.found
    return {
        "found": found is not None,
        "key": found.display() if found else None,
        "key_format": ("bytes" if found.as_bytes else "text") if found else None,
        "origin": found.origin if found else None,
        "wordlist": found.wordlist if found else None,
        "line": found.line if found else None,
        "variant": found.variant if found else None,
        "published": (found.known.source if found.known else None) if found else None,
        "candidates": result.candidates,
        "lines": result.lines,
        "skipped_lines": result.skipped_lines,
        "seconds": round(result.seconds, 3),
        "rate": round(result.rate),
        "workers": result.workers,
        "interrupted": result.interrupted,
        "searched_bytes": result.searched_bytes,
        "total_bytes": result.total_bytes,
        "builtin": result.builtin,
        "wordlists": list(result.wordlists),
        "kind": result.kind,
        "digest": result.digest,
        "key_derivation": result.key_derivation,
        "salt": result.salt,
    }


def cookie_audit(result: CookieAudit, *, as_json: bool) -> None:
    if as_json:
        emit_json(cookie_audit_document(result))
        return
    from rich.text import Text

    console = make_console()
    found = result.found
    searched = _searched(result)
    if found is None:
        if result.interrupted:
            share = (
                f"{result.searched_bytes / result.total_bytes:.0%} of the wordlists searched, "
                if result.total_bytes
                else ""
            )
            console.print(Text.assemble(("INTERRUPTED", "bold yellow"), f": {share}no key among {plain(searched)}"))
        else:
            console.print(Text.assemble(("NOT FOUND", "bold green"), f": no key among {plain(searched)}"))
            console.print(
                Text(
                    "The key is not in these lists; that alone does not make it strong: "
                    "flasksess audit key checks the key itself.",
                    style="dim",
                )
            )
        return
    console.print(
        Text.assemble(("FOUND", "bold red"), ": this key signed the cookie; whoever has it can forge any session")
    )
    emit_value(found.display())
    if found.origin == "built-in" and found.known is not None:
        where = f"built-in list, entry {found.known.entry}: {found.known.source}"
    else:
        read = {
            "line": "",
            "literal": " (as the string it quotes)",
            "bytes-literal": " (as the bytes literal it spells)",
        }
        where = f"{found.wordlist}, line {found.line}" + read.get(found.variant, f" (as {found.variant})")
        if found.known is not None:
            where += f"; a published key: {found.known.source}"
    console.print(grid([
        ("from", Text(plain(where))),
        ("tried", untrusted(searched)),
        ("fix", _FIX),
    ]))  # fmt: skip


def _searched(result: CookieAudit) -> str:
    parts = []
    if result.builtin:
        parts.append("the built-in list")
    for name in result.wordlists:
        parts.append(name)
    skipped = f", {_count(result.skipped_lines, 'over-long line')} skipped" if result.skipped_lines else ""
    rate = f" at {result.rate:,.0f}/s" if result.seconds >= 0.05 and result.lines else ""
    return f"{_count(result.candidates, 'candidate')} ({', '.join(parts) or 'nothing'}{skipped}) in {result.seconds:.2f} s{rate}"


def hashcat(result: HashcatHash, *, as_json: bool) -> None:
    if as_json:
        emit_json({"mode": result.mode, "hash": result.line})
        return
    emit_value(result.line)
    note(f"hashcat -m {result.mode} -a 0 cookie.hash wordlist.txt   # with this line saved as cookie.hash")


def key_audit_document(results: Sequence[KeyAudit]) -> dict[str, Any]:
    """audit key --json: the documented keys (README, "flasksess audit")."""
    weak = any(result.weak for result in results)
    return {
        "verdict": "weak" if weak else "strong",
        "keys": [
            {
                "role": r.role,
                "bytes": r.length,
                "characters": r.characters,
                "alphabet": r.alphabet,
                "entropy_bits": r.entropy_bits,
                "published": r.known.source if r.known else None,
                "patterns": list(r.patterns),
                "verdict": r.verdict,
                "reasons": list(r.reasons),
                "masked": r.masked,
            }
            for r in results
        ],
        "fix": _FIX if weak else None,
    }


def key_audit(results: Sequence[KeyAudit], *, as_json: bool) -> None:
    if as_json:
        emit_json(key_audit_document(results))
        return
    from rich.text import Text

    console = make_console()
    for r in results:
        label, style = ("WEAK", "bold red") if r.weak else ("STRONG", "bold green")
        size = f"{r.length} bytes" + (f", {r.characters} characters" if r.characters not in (None, r.length) else "")
        console.print(
            Text.assemble((label, style), f": {r.role} ({size}), about {r.entropy_bits:.0f} bits of estimated entropy")
        )
        rows: list[tuple[str, Any]] = [("key", Text(plain(r.masked) + " (masked)")), ("alphabet", r.alphabet)]
        if r.known is not None:
            rows.append(("published", Text(plain(r.known.source), style="red")))
        if r.patterns:
            rows.append(("patterns", Text(plain("; ".join(r.patterns)))))
        for reason in r.reasons:
            rows.append(("why", Text(plain(reason))))
        console.print(grid(rows))
    if any(r.weak for r in results):
        console.print(Text.assemble(("fix", "bold"), f": {_FIX}"))
