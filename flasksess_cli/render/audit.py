"""audit key and audit cookie: the ``--json`` documents, human output, progress bar and hashcat line."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from flasksess_cli.render import app_section, emit_json, emit_value, grid, make_console, note, plain, untrusted

if TYPE_CHECKING:
    from flasksess_cli.audit.hashcat import HashcatHash
    from flasksess_cli.audit.search import CookieAudit
    from flasksess_cli.audit.strength import KeyAudit
    from flasksess_cli.audit.url import UrlAudit
    from flasksess_cli.codec.envelope import Verification
    from flasksess_cli.codec.formats import Recognition
    from flasksess_cli.settings import SessionSettings


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
    return f"{n:,} {noun}{'' if n == 1 else 'es' if noun.endswith('s') else 's'}"


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
        "published": found.published if found else None,
        "candidates": result.candidates,
        "builtin_candidates": result.builtin_candidates,
        "flask_unsign_version": result.flask_unsign_version,
        "lines": result.lines,
        "skipped_lines": result.skipped_lines,
        "seconds": round(result.seconds, 3),
        "rate": round(result.rate),
        "engine": result.engine,
        "simd": result.simd,
        "workers": result.workers,
        "worker_restarts": result.restarts,
        "interrupted": result.interrupted,
        "stopped_by": result.stopped_by,
        "shard": str(result.shard) if result.shard else None,
        "searched_bytes": result.searched_bytes,
        "total_bytes": result.total_bytes,
        "builtin": result.builtin,
        "wordlists": list(result.wordlists),
        "kind": result.kind,
        "digest": result.digest,
        "other_digests": list(result.other_digests),
        "key_derivation": result.key_derivation,
        "salt": result.salt,
    }


def output_closed() -> str | None:
    """ "closed-output" once nobody reads stdout any more (its pipe's reader is gone), else None.

    Polled while ``audit cookie`` searches, so ``... | head -c0`` or a killed consumer ends it at once.
    """
    import select
    import sys

    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else -1
        poller = select.poll()
    except (AttributeError, ValueError, OSError):
        return None
    if fd < 0:
        return None
    poller.register(fd, 0)  # no events asked: only POLLERR / POLLHUP / POLLNVAL are reported
    events = poller.poll(0)
    return "closed-output" if events and events[0][1] & (select.POLLERR | select.POLLHUP) else None


_READ = {
    "line": "",
    "entry": "",
    "literal": " (as the string it quotes)",
    "bytes-literal": " (as the bytes literal it spells)",
    "hex": " (as the bytes its hex spells)",
    "base64": " (as the bytes its base64 spells)",
    "latin-1": " (its text encoded Latin-1, not UTF-8)",
    "latin-1-text": " (its bytes read as Latin-1 text, then encoded UTF-8)",
    "hex-text": " (its hex digits as the key)",
    "bytes-repr": " (its bytes literal b'...' written as the key's text)",
}

_STOPPED = {
    "SIGINT": "INTERRUPTED",
    "SIGTERM": "STOPPED (SIGTERM)",
    "SIGHUP": "STOPPED (SIGHUP)",
}


def assumed_format(recognition: Recognition | None) -> None:
    """On stderr: which token format a search assumed from the value's shape, when it is not Flask's session."""
    if recognition is None or recognition.format.name == "flask-session" or recognition.certain:
        return  # the report names the format; only an assumption is worth a note
    others = _families(recognition)
    also = f"; it could also be: {others} (--format names one)" if others else ""
    note(f"Note: taking it for a {recognition.format.title} ({plain(recognition.why)}){also}.")


def _families(recognition: Recognition) -> str:
    """The other formats the shape allows, each family once (Flask-Security's tokens as one)."""
    return ", ".join(dict.fromkeys(f.family for f in recognition.alternatives))


def other_formats(recognition: Recognition | None) -> None:
    """On stderr, after a search of a value taken for Flask's session found nothing: what else it could be.

    An itsdangerous token of a compact JSON object is laid out exactly as a session cookie;
    only its salt differs, and the search used the session's.
    """
    if recognition is None or recognition.format.name != "flask-session" or recognition.certain:
        return
    note(
        f"Note: searched as a Flask session cookie, which its shape suggests; it could also be: {_families(recognition)}, "
        "each signed with its own salt (--format names one; --salt gives an app's own)."
    )


def cookie_audit(result: CookieAudit, *, as_json: bool, app: SessionSettings | None = None) -> None:
    if result.stopped_by == "closed-output":
        return  # nobody reads the output: end quietly (exit 141)
    fmt = "flask-session" if app is None else app.rules.format
    if as_json:
        emit_json(cookie_audit_document(result) | {"format": fmt} | app_section(app))
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
            label = _STOPPED.get(result.stopped_by or "", "INTERRUPTED")
            console.print(Text.assemble((label, "bold yellow"), f": {share}no key among {searched}"))
        else:
            console.print(Text.assemble(("NOT FOUND", "bold green"), f": no key among {searched}"))
            others = (
                f" Signed with {result.digest}, as its length suggests; {', '.join(result.other_digests)} "
                "make signatures as long: --digest searches with one of them."
                if result.other_digests
                else ""
            )
            note(
                "Note: the key is not in these lists; that alone does not make it strong: "
                "flasksess audit key checks the key itself."
                + ("" if result.wordlists else " Give --wordlist FILE (repeatable, - for stdin) to try more.")
                + others
            )
        return
    console.print(Text.assemble(("FOUND", "bold red"), f": {_found(fmt)}"))
    emit_value(found.display())
    read = _READ.get(found.variant, f" (as {found.variant})")
    if found.origin == "built-in" and found.wordlist is None:
        where = f"built-in list, entry {found.line}{read}: {found.published}"
    elif found.origin == "built-in":
        where = f"the flask-unsign list, line {found.line}{read}: {found.published}"
    else:
        where = f"{found.wordlist}, line {found.line}{read}"
        if found.published is not None:
            where += f"; a published key: {found.published}"
    console.print(grid([
        ("from", Text(plain(where))),
        ("tried", untrusted(searched)),
        ("fix", _FIX),
    ]))  # fmt: skip


def _found(fmt: str) -> str:
    from flasksess_cli.codec import formats

    if fmt == "flask-session":
        return "this key signed the cookie; whoever has it can forge any session"
    title = formats.get(fmt).title
    return (
        f"this key signed the {title}; whoever has it can forge one, and anything else the app signs with "
        "the same key (its sessions too, when it is SECRET_KEY)"
    )


def _searched(result: CookieAudit) -> str:
    parts = []
    if result.builtin:
        parts.append("the published keys and the flask-unsign list, every form")
    for name in result.wordlists:
        parts.append(plain(name))
    if result.shard is not None:
        parts.append(f"shard {result.shard}")
    skipped = f", {_count(result.skipped_lines, 'over-long line')} skipped" if result.skipped_lines else ""
    engine = result.simd if result.engine == "native" else "pure Python"
    unit = "thread" if result.engine == "native" else "process"
    workers = f", {_count(result.workers, unit)}" if result.workers > 1 else ""
    rate = f" at {result.rate:,.0f}/s" if result.seconds >= 0.05 and result.lines else ""
    restarts = f"; {_count(result.restarts, 'worker')} replaced" if result.restarts else ""
    return (
        f"{_count(result.candidates, 'candidate')} ({'; '.join(parts) or 'nothing'}{skipped}) "
        f"in {result.seconds:.2f} s{rate} ({engine}{workers}){restarts}"
    )


def hashcat(result: HashcatHash, *, as_json: bool) -> None:
    """The line alone on stdout (``> cookie.hash``); the command, and whether the installed hashcat takes it, on stderr."""
    command = " ".join(_shell_word(word) for word in result.command)
    if as_json:
        emit_json({
            "mode": result.mode,
            "hash": result.line,
            "command": list(result.command),
            "hashcat_version": result.version,
            "accepted": result.accepted,
            "refusal": result.refusal,
            "payload_length": result.payload_length,
            "notes": list(result.notes),
        })  # fmt: skip
        return
    emit_value(result.line)
    if result.version is None:
        note("hashcat is not installed here (Debian: apt install hashcat pocl-opencl-icd).")
    if result.refusal is not None:
        note(f"Warning: {plain(result.refusal)}.")
    elif result.version is not None:
        note(f"hashcat {result.version} takes it:")
    note(f"{command}   # with this line saved as cookie.hash")
    for remark in result.notes:
        note(f"Note: {remark}.")


def _shell_word(word: str) -> str:
    import shlex

    return shlex.quote(word)


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


def key_audit(results: Sequence[KeyAudit], *, as_json: bool, app: SessionSettings | None = None) -> None:
    if as_json:
        emit_json(key_audit_document(results) | app_section(app))
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


# --- audit url -----------------------------------------------------------------------------------------------


def url_audit_document(result: UrlAudit) -> dict[str, Any]:
    """audit url --json: the documented keys (README, "flasksess audit url")."""
    from flasksess_cli.render.codec import verification_document

    page = result.page
    artefacts = []
    for index, found in enumerate(result.found):
        signed = result.signs[index] if result.signs else None
        artefacts.append({
            "where": found.artefact.where,
            "name": found.artefact.name,
            "origin": found.artefact.origin,
            "value": found.artefact.value,
            "format": found.recognition.format.name,
            "recognition": found.recognition.document(),
            "searchable": found.target is not None,
            "problem": found.problem,
            "rate": None if found.rate is None else round(found.rate),
            "searched": found is result.searched,
            "signed_by_key": None if signed is None else signed.verified,
            "verification": None if signed is None else verification_document(signed),
        })  # fmt: skip
    return {
        "url": page.url,
        "final_url": page.final_url,
        "status": page.status,
        "exchanges": [{"method": e.method, "url": e.url, "status": e.status} for e in page.exchanges],
        "body_bytes": page.body_bytes,
        "truncated": page.truncated,
        "artefacts": artefacts,
        "dropped": result.dropped,
        "found": result.key_found,
        "search": None if result.search is None else cookie_audit_document(result.search),
    }


def url_audit(result: UrlAudit, *, as_json: bool, app: SessionSettings | None = None) -> None:
    search = result.search
    if search is not None and search.stopped_by == "closed-output":
        return
    if as_json:
        emit_json(url_audit_document(result) | app_section(app))
        return
    from rich.text import Text

    console = make_console()
    page = result.page
    where = f"{page.exchanges[-1].origin}, {page.body_bytes:,} bytes" + (
        " (the rest not read)" if page.truncated else ""
    )
    if not result.found:
        console.print(Text.assemble(("NOTHING SIGNED", "bold green"), ": the page shows no signed cookie, form token, "
                                    "meta tag, link or header"))  # fmt: skip
        console.print(grid([("page", Text(plain(where)))]))
        return
    searched = result.searched
    if search is None or searched is None:
        console.print(Text.assemble(("NOT SEARCHED", "bold yellow"), ": no artefact on the page can be searched"))
    elif search.found is None:
        label = _STOPPED.get(search.stopped_by or "", "INTERRUPTED") if search.interrupted else "NOT FOUND"
        style = "bold yellow" if search.interrupted else "bold green"
        console.print(Text.assemble((label, style), f": no key among {_searched(search)}"))
    else:
        signs = sum(1 for verdict in result.signs if verdict is not None and verdict.verified)
        console.print(Text.assemble(
            ("FOUND", "bold red"), f": the page's key is guessable; it signs {signs} of its {len(result.found)} artefacts"
        ))  # fmt: skip
        emit_value(search.found.display())
    rows: list[tuple[str, Any]] = [("page", Text(plain(where)))]
    for index, found in enumerate(result.found):
        rows.append((
            "searched" if found is searched else "seen",  # the fastest to search (its rate: --json)
            Text(plain(_artefact_line(found, result.signs[index] if result.signs else None))),
        ))  # fmt: skip
    if result.dropped:
        rows.append(("note", f"{result.dropped} more distinct artefacts not kept"))
    if search is not None and search.found is not None:
        rows += [
            ("risk", "whoever has the key can forge every artefact it signs: sessions, logins, CSRF tokens"),
            ("tried", untrusted(_searched(search))),  # it names the wordlists the user typed: text, not markup
            ("fix", _FIX),
        ]
    console.print(grid(rows))


def _artefact_line(found: Any, verdict: Verification | None) -> str:
    artefact = found.artefact
    text = f"{artefact.describe()}: {found.recognition.format.title}"
    if not found.recognition.certain:
        text += " (assumed from its shape)"
    if found.problem:
        text += f"; not searchable: {found.problem}"
    if verdict is not None:
        from flasksess_cli.codec import formats

        what = formats.of(verdict.cookie.rules).title
        text += f"; signed by this key as {_a(what)}" if verdict.verified else "; not signed by this key"
    return text


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
