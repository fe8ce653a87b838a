"""All output: ``--json`` documents, copyable values, and human output with rich.

The only module that imports rich, and it does so inside the functions that need
it, so that commands which print plain values never pay for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from flasksess_cli.audit import CookieAudit
    from flasksess_cli.cookies import DecodedCookie, SignedCookie, Verification
    from flasksess_cli.hashcat import HashcatHash
    from flasksess_cli.keys import GeneratedKey
    from flasksess_cli.session_size import SessionSize
    from flasksess_cli.sizes import CheckedCookie, RequestReport, SizeCheck
    from flasksess_cli.strength import KeyAudit


def emit_json(document: Any) -> None:
    """One JSON document on stdout: sorted keys, strict JSON (no NaN)."""
    import json

    click.echo(json.dumps(document, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False))


def emit_value(value: str) -> None:
    """A value the user copies (key, cookie): alone on its line, never wrapped."""
    click.echo(value)


def note(message: str) -> None:
    """A remark for the person at the terminal, on stderr."""
    click.echo(message, err=True)


def generated_keys(keys: Sequence[GeneratedKey], *, as_json: bool, as_list: bool, path: str | None) -> None:
    if as_json:
        docs = [
            {"format": k.format, "bytes": k.bytes, "entropy_bits": k.entropy_bits}
            | ({"path": path} if path else {"key": k.key})
            for k in keys
        ]
        emit_json(docs if as_list else docs[0])
    elif path:
        noun = "key" if len(keys) == 1 else f"{len(keys)} keys"
        note(f"Wrote {noun} to {path} (mode 0600).")
    else:
        for k in keys:
            emit_value(k.key)


# --- shared pieces of human output ------------------------------------------------------------------


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def plain(untrusted: str) -> str:
    """Untrusted text with every non-printable character escaped, so none reaches the terminal."""
    return untrusted if untrusted.isprintable() else repr(untrusted)[1:-1]


def duration(seconds: float) -> str:
    """``3 hours``, ``30 days``: the largest whole unit."""
    seconds = abs(int(seconds))
    for unit, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _grid(rows: list[tuple[str, Any]]) -> Any:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    return grid


# --- decode, verify, sign ----------------------------------------------------------------------------

_DIGEST_NOTES = {"sha1": "HMAC-SHA1, Flask's default"}


def cookie_document(cookie: DecodedCookie) -> dict[str, Any]:
    """decode --json: the documented keys (README, "decode --json")."""
    from flasksess_cli.session_json import iso_utc, to_typed

    issued = cookie.issued_at
    return {
        "kind": cookie.kind,
        "session": None if cookie.session is None else to_typed(cookie.session),
        "payload": cookie.payload,
        "compressed": cookie.compressed,
        "timestamp": cookie.timestamp,
        "issued_at": iso_utc(issued) if issued else None,
        "epoch": "legacy-2011" if cookie.legacy_epoch else "unix",
        "legacy_epoch_suspected": cookie.legacy_epoch_suspected,
        "legacy_tags": cookie.legacy_tags,
        "signature": cookie.signature,
        "digest_guess": cookie.digest_guess,
        "session_id": cookie.session_id,
        "sizes": {"cookie": len(cookie.value), "stored": cookie.stored_bytes, "json": cookie.json_bytes},
        "verified": False,
    }


def decoded(cookie: DecodedCookie, *, as_json: bool) -> None:
    if as_json:
        emit_json(cookie_document(cookie))
        return
    from rich.text import Text

    console = _console()
    console.print(
        Text(
            "Decoded without a key: NOT verified. Anyone can read a Flask session; only the secret key "
            "proves who wrote it (flasksess verify).",
            style="yellow",
        )
    )
    console.print(_grid(_cookie_rows(cookie)))


def _cookie_rows(cookie: DecodedCookie, *, lifetime: bool = True) -> list[tuple[str, Any]]:
    import time

    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    digest = f"{len(cookie.signature)} characters: " + _DIGEST_NOTES.get(
        cookie.digest_guess,
        f"HMAC-{cookie.digest_guess.upper()} (a custom session interface)"
        if cookie.digest_guess != "unknown"
        else "no digest has this length",
    )
    if cookie.kind == "session-id":
        return [
            (
                "kind",
                "Flask-Session server-side session id: the data lives on the server; the cookie holds only the id",
            ),
            ("session id", Text(plain(cookie.session_id or ""))),
            ("signature", digest + " (verify checks it with salt 'flask-session')"),
        ]
    rows: list[tuple[str, Any]] = []
    if cookie.session is not None:
        from flasksess_cli.session_json import python_text

        rows.append(("session", ReprHighlighter()(Text(python_text(cookie.session)))))
    if cookie.payload_error:
        rows.append(("payload", Text(cookie.payload_error, style="red")))
    elif cookie.compressed:
        rows.append(
            ("payload", f"zlib-compressed: {cookie.stored_bytes} bytes inflate to {cookie.json_bytes} bytes of JSON")
        )
    else:
        rows.append(("payload", f"not compressed: {cookie.json_bytes} bytes of JSON"))
    rows.append(("cookie", f"{len(cookie.value)} characters"))
    issued = cookie.issued_at
    if issued is not None:
        age = time.time() - issued.timestamp()
        when = f"{duration(age)} ago" if age >= 0 else f"{duration(age)} in the future"
        rows.append(
            ("signed", f"{utc(issued)} ({when})" + (", timestamp counted from 2011" if cookie.legacy_epoch else ""))
        )
        if lifetime:  # verify's verdict line speaks for the max-age it checked
            rows.append(("lifetime", _lifetime(age)))
    if cookie.legacy_epoch_suspected and cookie.timestamp is not None:
        from flasksess_cli.cookies import LEGACY_EPOCH

        legacy = datetime.fromtimestamp(cookie.timestamp + LEGACY_EPOCH, tz=timezone.utc)
        rows.append(("note", Text(
            f"a Unix time before 2011 predates Flask's cookie sessions: counted from 2011 (itsdangerous <= 0.24) "
            f"it is {utc(legacy)}; use --legacy-epoch", style="yellow",
        )))  # fmt: skip
    if cookie.legacy_tags:
        rows.append(
            (
                "note",
                Text("loaded with Flask < 1.0 rules: Flask >= 1.0 fails on this payload (HTTP 500)", style="yellow"),
            )
        )
    rows.append(("signature", digest))
    return rows


def _lifetime(age: float) -> str:
    from flasksess_cli.choices import DEFAULT_MAX_AGE

    if age < 0:
        return "signed in the future: itsdangerous >= 2.0 rejects it, so Flask starts an empty session"
    if age > DEFAULT_MAX_AGE:
        return f"older than Flask's default 31-day lifetime by {duration(age - DEFAULT_MAX_AGE)}: Flask would start an empty session"
    return f"within Flask's default 31-day lifetime: expires in {duration(DEFAULT_MAX_AGE - age)}"


_VERDICTS = {
    "valid": ("VALID", "green"),
    "bad-signature": ("BAD SIGNATURE", "red"),
    "expired": ("EXPIRED", "red"),
    "future-timestamp": ("NOT YET VALID", "red"),
    "malformed-timestamp": ("MALFORMED", "red"),
    "malformed-payload": ("MALFORMED", "red"),
}


def verdict_detail(result: Verification) -> str:
    """One sentence on what Flask would do with this cookie."""
    key = "the current key" if result.matched_key == "current" else f"{result.matched_key} (a fallback key)"
    if result.reason == "valid":
        if result.cookie.kind == "session-id":
            return f"the session id was signed with {key}"
        limit = "" if result.max_age is None or result.age_seconds is None else (
            f"; expires in {duration(result.max_age - result.age_seconds)} (max-age {duration(result.max_age)})"
        )  # fmt: skip
        return f"signed with {key} {duration(result.age_seconds or 0)} ago{limit}"
    if result.reason == "bad-signature":
        return "no key given signed this cookie: Flask would start an empty session"
    if result.reason == "expired":
        over = (result.age_seconds or 0) - (result.max_age or 0)
        return f"signed with {key}, but {duration(over)} past the max-age of {duration(result.max_age or 0)}: Flask would start an empty session"
    if result.reason == "future-timestamp":
        return f"signed with {key}, but dated {duration(result.age_seconds or 0)} in the future: itsdangerous >= 2.0 rejects it"
    if result.reason == "malformed-timestamp":
        return f"signed with {key}, but the timestamp is malformed: Flask would start an empty session"
    return f"signed with {key}, but Flask cannot load the payload and answers such requests with HTTP 500"


def verification_document(result: Verification) -> dict[str, Any]:
    return cookie_document(result.cookie) | {
        "verified": result.verified,
        "valid": result.valid,
        "reason": result.reason,
        "detail": verdict_detail(result),
        "matched_key": result.matched_key,
        "age_seconds": result.age_seconds,
        "max_age": result.max_age,
        "error": result.cookie.timestamp_error or result.cookie.payload_error,
    }


def verification(result: Verification, *, as_json: bool) -> None:
    if as_json:
        emit_json(verification_document(result))
        return
    from rich.text import Text

    label, style = _VERDICTS[result.reason]
    console = _console()
    console.print(Text.assemble((label, f"bold {style}"), ": ", verdict_detail(result)))
    console.print(_grid(_cookie_rows(result.cookie, lifetime=False)))


def signed(cookie: SignedCookie, *, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "cookie": cookie.value,
                "length": len(cookie.value),
                "compressed": cookie.compressed,
                "json_bytes": cookie.json_bytes,
            }
        )
    else:
        emit_value(cookie.value)


# --- sizecheck ---------------------------------------------------------------------------------------


def limits(*, as_json: bool) -> None:
    """sizecheck --limits: the table in sizes.LIMITS."""
    from flasksess_cli.sizes import LIMITS

    if as_json:
        emit_json(
            [
                {
                    "id": row.id, "applies_to": row.applies_to, "limit": row.limit, "unit": row.unit,
                    "enforced_by": row.enforced_by, "counts": row.counts, "on_exceed": row.on_exceed,
                    "source": row.source, "measured": row.measured or None,
                }
                for row in LIMITS
            ]
        )  # fmt: skip
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Cookie size limits (flasksess sizecheck)", show_lines=True, title_justify="left")
    table.add_column("limit", no_wrap=True)
    table.add_column("what it is, and where it is written")
    for row in LIMITS:
        details = Text()
        for label, text in (
            ("enforced by", row.enforced_by),
            ("counts", row.counts),
            ("past it", row.on_exceed),
            ("source", row.source),
            ("measured", row.measured or "documented, not measured"),
        ):
            details.append(f"{label}: ", style="dim")
            details.append(text + "\n")
        details.rstrip()
        table.add_row(Text.assemble((row.id, "bold"), f"\n{row.limit:,} {row.unit}"), details)
    _console().print(table)


def _session_document(size: SessionSize | None) -> dict[str, Any] | None:
    if size is None:
        return None
    return {
        "compressed": size.compressed,
        "json_bytes": size.json_bytes,
        "cookie_bytes": size.cookie_bytes,
        "permanent": size.permanent,
        "flashes": size.flashes,
        "keys": [
            {"key": k.key, "cookie_bytes": k.cookie_bytes, "json_bytes": k.json_bytes, "holds": k.holds}
            for k in size.keys
        ],
        "keys_not_measured": size.keys_not_measured,
    }


def _cookie_size_document(checked: CheckedCookie) -> dict[str, Any]:
    r = checked.report
    return {
        "name": r.name,
        "origin": checked.origin,
        "seen": checked.seen,
        "header_source": checked.header_source,
        "attributes": r.attributes,
        "value_bytes": r.value_bytes,
        "name_value_bytes": r.name_value_bytes,
        "header_bytes": r.header_bytes,
        "browser": {
            "limit": r.browser_limit, "bytes": r.name_value_bytes, "headroom": r.browser_headroom,
            "verdict": r.browser_verdict,
        },
        "flask": {
            "limit": r.max_cookie_size, "bytes": r.header_bytes, "headroom": r.flask_headroom,
            "verdict": r.flask_verdict,
        },
        "problems": [{"rule": p.rule, "message": p.message, "drops_in": p.drops_in or None} for p in r.problems],
        "verdict": r.verdict,
        "summary": r.summary,
        "session": _session_document(checked.session),
        "advice": list(checked.advice),
    }  # fmt: skip


def _request_document(request: RequestReport) -> dict[str, Any]:
    return {
        "url": request.url,
        "seen": request.seen,
        "cookies": request.cookies,
        "header_bytes": request.header_bytes,
        "servers": [
            {
                "server": s.server.id, "name": s.server.enforced_by, "limit": s.server.limit, "bytes": s.size,
                "headroom": s.headroom, "counts": s.server.counts, "verdict": s.verdict,
            }
            for s in request.servers
        ],
    }  # fmt: skip


def sizecheck_document(result: SizeCheck) -> dict[str, Any]:
    """sizecheck --json: the documented keys (README, "flasksess sizecheck")."""
    return {
        "source": result.source,
        "verdict": result.verdict,
        "dropped": result.dropped,
        "server": result.server,
        "server_rejects": result.server_rejects,
        "cookies": [_cookie_size_document(c) for c in result.cookies],
        "requests": [_request_document(r) for r in result.requests],
        "domains": [
            {
                "domain": d.domain, "cookies": d.cookies, "limit": d.limit, "partitioned_bytes": d.partitioned_bytes,
                "verdict": d.verdict,
            }
            for d in result.domains
        ],
    }  # fmt: skip


_SIZE_STYLES = {"dropped": "bold red", "rejected": "bold red", "flask-warns": "bold yellow", "warns": "yellow",
                "at-risk": "yellow", "evicted": "bold red", "partition-evicted": "yellow"}  # fmt: skip
_VERDICT_WORDS = {"ok": "OK", "flask-warns": "FLASK WARNS", "dropped": "DROPPED"}


def _bar(size: int, limit: int, width: int = 12) -> Any:
    """``█████░░░░░  48%``: readable without colour; red past the limit, yellow past 90%."""
    from rich.text import Text

    share = size / limit if limit else 0.0
    filled = min(width, round(share * width))
    style = "red" if size > limit else ("yellow" if share > 0.9 else "green")
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"), f" {share:4.0%}")


def _size_table(first: str = "check", unit: str = "bytes") -> Any:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), show_header=True, header_style="dim")
    table.add_column(first)
    table.add_column(unit, justify="right")
    table.add_column("limit", justify="right")
    table.add_column("left", justify="right")
    table.add_column("")
    table.add_column("")
    return table


def _cookie_section(checked: CheckedCookie) -> list[Any]:
    from rich.text import Text

    r = checked.report
    title = Text.assemble(("Cookie ", "bold"), (plain(r.name) or "(nameless)", "bold cyan"))
    if checked.origin:
        title.append(f"  set by {plain(checked.origin)}", style="dim")
    if checked.seen > 1:
        title.append(f"  ({checked.seen} times)", style="dim")
    how = "as sent" if checked.header_source == "given" else "as Flask would send it"
    title.append(
        f"\nSet-Cookie {how}: name=value; {plain(r.attributes)}" if r.attributes else f"\nno attributes ({how})",
        style="dim",
    )
    table = _size_table()
    table.add_row(
        "browsers: name+value", f"{r.name_value_bytes:,}", f"{r.browser_limit:,}",
        f"{r.browser_headroom:,}", _bar(r.name_value_bytes, r.browser_limit),
        Text(r.browser_verdict, style=_SIZE_STYLES.get(r.browser_verdict, "green")),
    )  # fmt: skip
    if r.max_cookie_size:
        table.add_row(
            "Flask: whole header", f"{r.header_bytes:,}", f"{r.max_cookie_size:,}",
            f"{r.flask_headroom:,}", _bar(r.header_bytes, r.max_cookie_size),
            Text(r.flask_verdict, style=_SIZE_STYLES.get(r.flask_verdict, "green")),
        )  # fmt: skip
    else:
        table.add_row("Flask: whole header", f"{r.header_bytes:,}", "-", "-", "", Text("off (0)", style="dim"))
    longest = _longest_attribute(r.header)
    if longest is not None:
        from flasksess_cli.sizes import ATTRIBUTE_LIMIT

        name, size = longest
        table.add_row(
            f"attribute {plain(name)}", f"{size:,}", f"{ATTRIBUTE_LIMIT:,}", f"{ATTRIBUTE_LIMIT - size:,}",
            _bar(size, ATTRIBUTE_LIMIT), Text("ignored" if size > ATTRIBUTE_LIMIT else "ok", style="green" if size <= ATTRIBUTE_LIMIT else "yellow"),
        )  # fmt: skip
    verdict = Text.assemble((_VERDICT_WORDS[r.verdict], _SIZE_STYLES.get(r.verdict, "bold green")), ": ", r.summary)
    parts: list[Any] = [title, table, verdict]
    parts += [
        Text(f"  {p.message}", style="red" if p.drops_in else "yellow")
        for p in r.problems
        if p.message not in r.summary
    ]
    if checked.session is not None:
        parts.append(_session_section(checked.session))
    if checked.advice:
        from rich.table import Table

        steps = Table.grid(padding=(0, 1))
        steps.add_column(no_wrap=True)
        steps.add_column()
        for step in checked.advice:
            steps.add_row("  •", plain(step))
        parts += [Text("What to do:", style="bold"), steps]
    return parts


def _longest_attribute(header: str) -> tuple[str, int] | None:
    from flasksess_cli.sizes import parse_set_cookie, wire_bytes

    sized = [(k, wire_bytes(v)) for k, v in parse_set_cookie(header).attributes if v]
    return max(sized, key=lambda kv: kv[1]) if sized else None


def _session_section(size: SessionSize) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    how = "zlib-compressed" if size.compressed else "not compressed (zlib would not make it shorter)"
    head = Text(
        f"The session: {size.json_bytes:,} bytes of JSON, {how}: a {size.cookie_bytes:,}-byte value"
        + ("; permanent (Expires)" if size.permanent else ""),
        style="dim",
    )
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
    table.add_column("key")
    table.add_column("cookie bytes", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("JSON bytes", justify="right")
    table.add_column("holds")
    for cost in size.keys[:10]:
        table.add_row(
            Text(plain(cost.key)), f"{cost.cookie_bytes:,}", _bar(max(cost.cookie_bytes, 0), size.cookie_bytes, 10),
            f"{cost.json_bytes:,}", cost.holds,
        )  # fmt: skip
    rest = len(size.keys) - 10 + size.keys_not_measured
    notes = [Text(f"... and {rest} smaller keys", style="dim")] if rest > 0 else []
    return Group(head, table, *notes)


def _request_section(request: RequestReport, server: str | None) -> list[Any]:
    from rich.text import Text

    where = f" ({plain(request.url)})" if request.url else ""
    seen = f", seen {request.seen} times" if request.seen > 1 else ""
    title = Text.assemble(
        ("Cookie request header", "bold"),
        f": {request.header_bytes:,} bytes, {request.cookies} cookie{'s' if request.cookies != 1 else ''}{where}{seen}",
    )
    table = _size_table()
    for check in request.servers:
        if server is not None and check.server.id != server:
            continue
        table.add_row(
            check.server.id + ("*" if check.server.shared else ""), f"{check.size:,}",
            f"{check.server.limit:,}", f"{check.headroom:,}", _bar(check.size, check.server.limit),
            Text(check.verdict, style=_SIZE_STYLES.get(check.verdict, "green")),
        )  # fmt: skip
    shown = [c.server for c in request.servers if server is None or c.server.id == server]
    notes = [Text("* the limit also covers the request line and the other headers", style="dim")]
    return [title, table, *(notes if any(row.shared for row in shown) else [])]


def sizecheck(result: SizeCheck, *, as_json: bool) -> None:
    if as_json:
        emit_json(sizecheck_document(result))
        return
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    sections: list[Any] = []
    if not result.cookies and not result.requests:
        note("No cookies: the responses set none and none were given.")
        return
    many = len(result.cookies) > 3
    if many:
        overview = Table(
            title="Cookies", title_justify="left", box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim"
        )
        overview.add_column("cookie", max_width=24, overflow="ellipsis", no_wrap=True)
        overview.add_column("name+value", justify="right", no_wrap=True)
        overview.add_column("", no_wrap=True)
        overview.add_column("header", justify="right", no_wrap=True)
        overview.add_column("verdict", no_wrap=True)
        overview.add_column("set by", no_wrap=True, overflow="ellipsis", max_width=22)
        for c in result.cookies:
            r = c.report
            overview.add_row(
                Text(plain(r.name)), f"{r.name_value_bytes:,}", _bar(r.name_value_bytes, r.browser_limit, 10),
                f"{r.header_bytes:,}", Text(r.verdict, style=_SIZE_STYLES.get(r.verdict, "green")),
                Text(plain(c.origin or ""), style="dim"),
            )  # fmt: skip
        sections.append(overview)
    for c in result.cookies:
        if many and c.report.verdict == "ok" and not c.advice:
            continue
        sections.append(Group(*_cookie_section(c)))
    if result.source in {"url", "har"} or result.server or any(r.cookies > 1 for r in result.requests):
        # The largest Cookie header, and every one some server refuses; the rest only in a count.
        shown = [r for n, r in enumerate(result.requests) if n == 0 or any(c.verdict != "ok" for c in r.servers)]
        sections += [Group(*_request_section(request, result.server)) for request in shown[:5]]
        if len(result.requests) > len(shown[:5]):
            rest = len(result.requests) - len(shown[:5])
            sections.append(
                Text(f"{rest} smaller Cookie header(s) are within every limit (--json lists them all)", style="dim")
            )
    if result.domains:
        table = _size_table("domain", "cookies")
        for d in result.domains:
            table.add_row(
                Text(plain(d.domain)), f"{d.cookies:,}", f"{d.limit:,}", f"{d.limit - d.cookies:,}", _bar(d.cookies, d.limit),
                Text(d.verdict, style=_SIZE_STYLES.get(d.verdict, "green")),
            )  # fmt: skip
        sections.append(Group(Text("Cookies per domain", style="bold"), table))
    console = _console()
    for n, section in enumerate(sections):
        if n:
            console.print()
        console.print(section)


# --- audit ------------------------------------------------------------------------------------------


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

    console = _console()
    found = result.found
    searched = _searched(result)
    if found is None:
        if result.interrupted:
            share = (
                f"{result.searched_bytes / result.total_bytes:.0%} of the wordlists searched, "
                if result.total_bytes
                else ""
            )
            console.print(Text.assemble(("INTERRUPTED", "bold yellow"), f": {share}no key among {searched}"))
        else:
            console.print(Text.assemble(("NOT FOUND", "bold green"), f": no key among {searched}"))
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
    console.print(_grid([
        ("from", Text(plain(where))),
        ("tried", f"{searched}"),
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

    console = _console()
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
        console.print(_grid(rows))
    if any(r.weak for r in results):
        console.print(Text.assemble(("fix", "bold"), f": {_FIX}"))
