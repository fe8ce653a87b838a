"""A mitmproxy add-on: every Flask session cookie that crosses the proxy, decoded, verified and checked.

    mitmdump -s "$(flasksess mitmproxy-addon)"                       # decode, size, published keys
    mitmdump -s "$(flasksess mitmproxy-addon)" --set flasksess_key="$KEY" --set flasksess_report=cookies.jsonl

For every flow, each session cookie in the request (``Cookie``) and the response
(``Set-Cookie``) is decoded and recorded in the flow's comment and in
``flow.metadata["flasksess"]``; verified when ``flasksess_key`` is set (and
``flasksess_fallbacks``); searched for among published keys (Flask's docs, tutorials,
product defaults: anyone can forge sessions signed with those). Every ``Set-Cookie`` is
checked against the browsers' 4096-byte limit. A flow with a finding is marked.
``flasksess_report=FILE`` also appends one JSON line per cookie. Keys given are never shown.

mitmproxy runs add-ons with its own Python, which may not have flasksess installed
(pipx, the standalone binaries): this file then finds flasksess where it lies itself.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import flasksess_cli as fs
except ImportError:  # mitmproxy's own Python: use the flasksess this file belongs to (its packages last)
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    import flasksess_cli as fs

log = logging.getLogger("flasksess")

#: What the flow is marked with when a cookie needs a look.
MARK = ":warning:"


class FlaskSessionCookies:
    """The add-on: options ``flasksess_key``, ``flasksess_fallbacks``, ``flasksess_salt``, ``flasksess_report``."""

    def __init__(self) -> None:
        self.key: fs.SecretKey | None = None
        self.fallbacks: tuple[fs.SecretKey, ...] = ()
        self.salt: str | None = None
        self.report: Path | None = None

    def load(self, loader: Any) -> None:
        loader.add_option(
            "flasksess_key", str, "", "The app's SECRET_KEY (as flasksess reads it: text, b'...', hex:..., base64:...)."
        )
        loader.add_option("flasksess_fallbacks", Sequence[str], [], "SECRET_KEY_FALLBACKS, oldest first (repeatable).")
        loader.add_option("flasksess_salt", str, "", "A custom session interface's salt [default: cookie-session].")
        loader.add_option("flasksess_report", str, "", "Append one JSON line per session cookie to this file.")

    def configure(self, updated: set[str]) -> None:
        from mitmproxy import ctx

        options = ctx.options
        self.key = fs.parse_key(options.flasksess_key) if options.flasksess_key else None
        self.fallbacks = tuple(fs.parse_key(spec) for spec in options.flasksess_fallbacks)
        self.salt = options.flasksess_salt or None
        self.report = Path(options.flasksess_report) if options.flasksess_report else None

    def response(self, flow: Any) -> None:
        found = [
            self.inspect(flow, "request", value, name=name) for name, value in flow.request.cookies.items(multi=True)
        ]
        found += [self.inspect(flow, "response", header) for header in flow.response.headers.get_all("set-cookie")]
        records = [record for record in found if record is not None]
        if not records:
            return
        flow.metadata["flasksess"] = records
        lines = [summary(record) for record in records]
        flow.comment = "\n".join(filter(None, [flow.comment, *lines]))
        if any(record["warnings"] for record in records):
            flow.marked = MARK
        for line in lines:
            log.info(line)
        if self.report is not None:
            with self.report.open("a", encoding="utf-8") as report:
                for record in records:
                    report.write(json.dumps(record, sort_keys=True) + "\n")

    def inspect(self, flow: Any, direction: str, text: str, *, name: str | None = None) -> dict[str, Any] | None:
        """One cookie (a request cookie's value, or a Set-Cookie header): None if neither a session nor too large."""
        record: dict[str, Any] = {
            "url": flow.request.pretty_url,
            "direction": direction,
            "session": None,
            "warnings": [],
        }
        if name is None:  # a Set-Cookie header: sized as browsers size it
            checked = fs.check_size("Set-Cookie: " + text).cookies[0].report
            name, text = checked.name, "Set-Cookie: " + text
            record |= {"name_value_bytes": checked.name_value_bytes, "dropped": checked.dropped}
            if checked.dropped:
                record["warnings"].append(f"browsers drop this Set-Cookie: {checked.summary}")
        record["cookie"] = name
        try:
            decoded = fs.decode(text, name=name)
        except fs.FlasksessError:
            return record if record["warnings"] else None
        value = decoded.value
        record["session"] = None if decoded.session is None else fs.to_typed(decoded.session)
        issued = decoded.issued_at
        record["issued_at"] = issued.isoformat() if issued else None
        record["compressed"] = decoded.compressed
        record |= self.verification(value)
        published = published_key(value)
        record["published_key"] = published
        if published:
            record["warnings"].append(f"signed with a published key ({published}): anyone can forge this session")
        if record.get("valid") is False:
            record["warnings"].append(f"not accepted with the key given: {record['reason']}")
        return record

    def verification(self, value: str) -> dict[str, Any]:
        if self.key is None:
            return {"verified": None}
        result = fs.verify(value, self.key, fallbacks=self.fallbacks, salt=self.salt)
        verdict = {"valid": result.valid, "reason": result.reason, "matched_key": result.matched_key}
        return {"verified": result.verified, **verdict}


@functools.lru_cache(maxsize=4096)
def published_key(value: str) -> str | None:
    """Where the key that signed this cookie was published, or None (the built-in list, searched once per cookie)."""
    try:
        found = fs.find_key(value).found
    except fs.FlasksessError:
        return None
    if found is None:
        return None
    return found.published or "the built-in list"


def summary(record: dict[str, Any]) -> str:
    """One line for the flow's comment."""
    where = "Cookie" if record["direction"] == "request" else "Set-Cookie"
    parts = [f"flasksess: {where} {json.dumps(record['cookie'])}"]  # escaped: cookie names are untrusted
    if record["session"] is not None:
        shown = json.dumps(record["session"], sort_keys=True, ensure_ascii=True)
        parts.append(shown if len(shown) <= 200 else shown[:200] + "...")
    if record.get("valid") is not None:
        parts.append("VALID" if record["valid"] else f"INVALID ({record['reason']})")
    parts += [f"WARNING: {warning}" for warning in record["warnings"]]
    return " | ".join(parts)


addons = [FlaskSessionCookies()]
