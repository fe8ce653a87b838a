"""sizecheck: the ``--json`` document, the limits table and the human report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flasksess_cli.render import app_section, emit_json, make_console, note, plain, untrusted

if TYPE_CHECKING:
    from flasksess_cli.settings import SessionSettings
    from flasksess_cli.sizecheck.pricing import SessionSize
    from flasksess_cli.sizecheck.report import CheckedCookie, SizeCheck
    from flasksess_cli.sizecheck.servers import RequestReport


def limits(*, as_json: bool) -> None:
    """sizecheck --limits: the table in limits.LIMITS."""
    from flasksess_cli.sizecheck.limits import LIMITS

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
    make_console(piped_width=120).print(table)  # prose in boxes, nothing to copy: wrapped to stay readable


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
        "not_priced": checked.not_priced,
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


def _overview(cookies: Sequence[CheckedCookie]) -> Any:
    """One line per cookie, grouped under the request that set it ("set by POST /cart -> 200").

    The request is a line of its own, never a table column: at any width it shows
    the method and path whole (a column would be cut to ``GET http://127.0.0.1:…``).
    """
    from itertools import groupby

    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    name_width = min(24, max(len("cookie"), *(len(plain(c.report.name)) for c in cookies)))

    def table(header: bool) -> Table:
        grid = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim", show_header=header)
        grid.add_column("cookie", width=name_width, overflow="fold")
        grid.add_column("name+value", justify="right", no_wrap=True, width=10)
        grid.add_column("", no_wrap=True, width=15)
        grid.add_column("header", justify="right", no_wrap=True, width=7)
        grid.add_column("verdict", no_wrap=True)
        return grid

    parts: list[Any] = [Text("Cookies", style="bold"), table(header=True)]
    for origin, group in groupby(cookies, key=lambda c: c.origin):
        rows = table(header=False)
        for c in group:
            r = c.report
            rows.add_row(
                Text(plain(r.name)), f"{r.name_value_bytes:,}", _bar(r.name_value_bytes, r.browser_limit, 10),
                f"{r.header_bytes:,}", Text(r.verdict, style=_SIZE_STYLES.get(r.verdict, "green")),
            )  # fmt: skip
        if origin:
            parts.append(Text(f"set by {plain(_request_of(origin))}", style="dim", overflow="fold"))
        parts.append(rows)
    return Group(*parts)


def _request_of(origin: str | None) -> str:
    """``POST /cart?step=2 -> 302`` from ``POST https://shop.example/cart?step=2 -> 302``: what tells requests apart."""
    from urllib.parse import urlsplit

    if not origin:
        return ""
    method, _, rest = origin.partition(" ")
    url, arrow, status = rest.partition(" -> ")
    if not url.startswith(("http://", "https://")):
        return origin
    try:
        parts = urlsplit(url)
    except ValueError:  # a HAR may hold "http://[": show the request as it came
        return origin
    return f"{method} {parts.path or '/'}{'?' + parts.query if parts.query else ''}{' -> ' + status if arrow else ''}"


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
    )  # Text.append takes no markup
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
        from flasksess_cli.sizecheck.limits import ATTRIBUTE_LIMIT

        name, size = longest
        table.add_row(
            untrusted(f"attribute {name}"), f"{size:,}", f"{ATTRIBUTE_LIMIT:,}", f"{ATTRIBUTE_LIMIT - size:,}",
            _bar(size, ATTRIBUTE_LIMIT), Text("ignored" if size > ATTRIBUTE_LIMIT else "ok", style="green" if size <= ATTRIBUTE_LIMIT else "yellow"),
        )  # fmt: skip
    verdict = Text.assemble(
        (_VERDICT_WORDS[r.verdict], _SIZE_STYLES.get(r.verdict, "bold green")), ": ", plain(r.summary)
    )  # a summary may quote an attribute's name
    parts: list[Any] = [title, table, verdict]
    parts += [
        untrusted(f"  {p.message}", style="red" if p.drops_in else "yellow")
        for p in r.problems
        if p.message not in r.summary
    ]
    if checked.session is not None:
        parts.append(_session_section(checked.session))
    elif checked.not_priced:
        parts.append(untrusted(f"The session was not priced: {checked.not_priced}.", style="dim"))
    if checked.advice:
        from rich.table import Table

        steps = Table.grid(padding=(0, 1))
        steps.add_column(no_wrap=True)
        steps.add_column()
        for step in checked.advice:
            steps.add_row("  •", untrusted(step))
        parts += [Text("What to do:", style="bold"), steps]
    return parts


def _longest_attribute(header: str) -> tuple[str, int] | None:
    from flasksess_cli.cookie_text import parse_set_cookie
    from flasksess_cli.sizecheck.set_cookie import wire_bytes

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
            untrusted(cost.key), f"{cost.cookie_bytes:,}", _bar(max(cost.cookie_bytes, 0), size.cookie_bytes, 10),
            f"{cost.json_bytes:,}", untrusted(cost.holds),
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


def sizecheck(result: SizeCheck, *, as_json: bool, app: SessionSettings | None = None) -> None:
    if as_json:
        emit_json(sizecheck_document(result) | app_section(app))
        return
    from rich.console import Group
    from rich.text import Text

    sections: list[Any] = []
    if not result.cookies and not result.requests:
        note("No cookies: the responses set none and none were given.")
        return
    many = len(result.cookies) > 3
    if many:
        sections.append(_overview(result.cookies))
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
                untrusted(d.domain), f"{d.cookies:,}", f"{d.limit:,}", f"{d.limit - d.cookies:,}", _bar(d.cookies, d.limit),
                Text(d.verdict, style=_SIZE_STYLES.get(d.verdict, "green")),
            )  # fmt: skip
        sections.append(Group(Text("Cookies per domain", style="bold"), table))
    console = make_console()
    for n, section in enumerate(sections):
        if n:
            console.print()
        console.print(section)
