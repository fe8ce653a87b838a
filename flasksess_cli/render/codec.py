"""decode, verify and sign: their ``--json`` documents and human output."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flasksess_cli.render import (
    app_section,
    duration,
    emit_json,
    emit_value,
    grid,
    make_console,
    note,
    plain,
    untrusted,
    utc,
)
from flasksess_cli.untrusted import printable_lines

__all__ = ["decoded", "note", "signed", "verification"]

if TYPE_CHECKING:
    from flasksess_cli.codec.cookie import DecodedCookie, SignedCookie, Verification
    from flasksess_cli.codec.rules import Rules
    from flasksess_cli.settings import SessionSettings

_DIGEST_NOTES = {"sha1": "HMAC-SHA1, Flask's default"}


def cookie_document(cookie: DecodedCookie) -> dict[str, Any]:
    """decode --json: the documented keys (README, "decode --json")."""
    from flasksess_cli.codec.cookie import digest_candidates
    from flasksess_cli.codec.session_json import iso_utc, to_typed

    issued = cookie.issued_at
    return {
        "format": cookie.rules.format,
        "recognition": None if cookie.recognition is None else cookie.recognition.document(),
        "data": None if cookie.data is None or cookie.kind == "session" else to_typed(cookie.data),
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
        "digest_candidates": list(digest_candidates(cookie.signature)),
        "session_id": cookie.session_id,
        "sizes": {"cookie": len(cookie.value), "stored": cookie.stored_bytes, "json": cookie.json_bytes},
        "verified": False,
        "rules": cookie.rules.document(),
        "notes": list(cookie.notes),
    }


def decoded(cookie: DecodedCookie, *, as_json: bool) -> None:
    from flasksess_cli.codec.session_json import recursion_room

    with recursion_room(cookie.depth):
        if as_json:
            emit_json(cookie_document(cookie))
            return
        what = "a Flask session" if cookie.rules.is_flask_session else _a(_title(cookie))
        note(
            f"Note: decoded without a key, NOT verified. Anyone can read {what}; only the secret key "
            "proves who wrote it (flasksess verify)."
        )
        make_console().print(grid(_cookie_rows(cookie)))


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _title(cookie: DecodedCookie) -> str:
    from flasksess_cli.codec import formats

    return formats.of(cookie.rules).title


def _format_row(cookie: DecodedCookie, tried: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """What the value is: the format named, the one whose MAC the key made (of those tried), or the one its shape
    suggests and what else it could be."""
    from rich.text import Text

    recognition = cookie.recognition
    if recognition is None:
        if tried and cookie.rules.source == "signature":
            return [("format", f"{_title(cookie)} (found by its MAC: the key made it with this format's scheme)")]
        return [] if cookie.rules.is_flask_session else [("format", _title(cookie))]
    text = f"{recognition.format.title} (assumed: {recognition.why}"
    if recognition.alternatives:
        others = ", ".join(dict.fromkeys(f.family for f in recognition.alternatives))
        text += f"; could also be: {others}; name one with --format"
    return [("format", Text(plain(text + ")")))]


def _cookie_rows(
    cookie: DecodedCookie, *, lifetime: bool = True, notes: tuple[str, ...] = (), tried: tuple[str, ...] = ()
) -> list[tuple[str, Any]]:
    import time

    from rich.highlighter import ReprHighlighter
    from rich.text import Text

    from flasksess_cli.codec.cookie import digest_candidates

    rules = cookie.rules
    candidates = digest_candidates(cookie.signature)
    if rules.envelope == "remember":
        digest = f"{len(cookie.signature)} hex digits: HMAC-{cookie.digest_guess.upper()}"
    elif not rules.is_flask_session and rules.payload != "session-id":
        named = [rules.digest] if rules.digest in candidates else candidates
        digest = f"{len(cookie.signature)} characters: HMAC-{' or '.join(c.upper() for c in named) or '?'}"
    else:
        digest = f"{len(cookie.signature)} characters: " + _DIGEST_NOTES.get(
            cookie.digest_guess,
            f"HMAC-{' or '.join(c.upper() for c in candidates)} (a custom session interface)"
            if candidates
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
            ("rules", untrusted(cookie.rules.describe())),  # it quotes the salt, which --salt or --app set
            *(("note", Text(plain(remark), style="yellow")) for remark in notes),
        ]
    from flasksess_cli.codec.session_json import python_text

    rows: list[tuple[str, Any]] = _format_row(cookie, tried)
    content: tuple[str, Any] | None = None
    if cookie.session is not None:
        content = ("session", cookie.session)
    elif cookie.kind == "token" and not cookie.payload_error:
        content = ("user id" if rules.envelope == "remember" else "value", cookie.data)
    if content is not None:
        shown, omitted = summarised(content[1])
        rows.append((content[0], ReprHighlighter()(Text(printable_lines(python_text(shown))))))
        if omitted:
            rows.append(
                ("shown", Text(f"in part: {omitted:,} items left out (decode --json shows them all)", style="yellow"))
            )
    if cookie.payload_error:
        rows.append(("payload", untrusted(cookie.payload_error, style="red")))
    elif rules.envelope == "remember":
        size = f"{cookie.json_bytes} byte{'s' if cookie.json_bytes != 1 else ''}"
        rows.append(("payload", f"the user id as text: {size}, readable by anyone"))
    elif cookie.compressed:
        rows.append(
            ("payload", f"zlib-compressed: {cookie.stored_bytes} bytes inflate to {cookie.json_bytes} bytes of JSON")
        )
    else:
        rows.append(("payload", f"not compressed: {cookie.json_bytes} bytes of JSON"))
    rows.append(("cookie" if cookie.kind != "token" else "token", f"{len(cookie.value)} characters"))
    issued = cookie.issued_at
    if issued is not None:
        age = time.time() - issued.timestamp()
        when = f"{duration(age)} ago" if age >= 0 else f"{duration(age)} in the future"
        rows.append(
            ("signed", f"{utc(issued)} ({when})" + (", timestamp counted from 2011" if cookie.legacy_epoch else ""))
        )
        if lifetime:  # verify's verdict line speaks for the max-age it checked
            rows.append(("lifetime", _lifetime(age, cookie.rules)))
    elif rules.envelope == "remember" and lifetime:
        rows.append(
            ("lifetime", "no time inside: it logs in until SECRET_KEY changes (only the cookie's Expires ends it)")
        )
    if cookie.legacy_epoch_suspected and cookie.timestamp is not None:
        from flasksess_cli.codec.cookie import LEGACY_EPOCH

        legacy = datetime.fromtimestamp(cookie.timestamp + LEGACY_EPOCH, tz=timezone.utc)
        rows.append(("note", Text(
            f"a Unix time before 2011 predates Flask's cookie sessions: counted from 2011 (itsdangerous <= 0.24) "
            f"it is {utc(legacy)}; use --legacy-epoch or --flask 0.12", style="yellow",
        )))  # fmt: skip
    rows += [("note", untrusted(remark, style="yellow")) for remark in (*cookie.notes, *notes)]
    rows.append(("signature", digest))
    rows.append(("rules", untrusted(cookie.rules.describe())))  # it quotes the salt, which --salt or --app set
    return rows


#: Human output shows at most this many items of a session (this many of any one list or dict), strings
#: and bytes up to this many characters, and containers this deep; ``--json`` shows everything.
SHOWN_ITEMS = 1000
SHOWN_ITEMS_EACH = 100
SHOWN_CHARACTERS = 1000
SHOWN_DEPTH = 40


class _Omitted:
    """Stands in the shown session for what was left out; pprint prints its repr as is."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def summarised(session: Any) -> tuple[Any, int]:
    """The session (or a token's value) cut to what a person reads (see SHOWN_ITEMS), and how many items were left out.

    Printing a whole 1 MiB session would take seconds and fill the scrollback with megabytes;
    this costs time in proportion to what is shown, whatever the session's size.
    """
    budget = [SHOWN_ITEMS]
    omitted = [0]

    def cut(value: Any, depth: int) -> Any:
        if isinstance(value, (str, bytes)) and len(value) > SHOWN_CHARACTERS:
            unit = "characters" if isinstance(value, str) else "bytes"
            return _Omitted(f"{value[:SHOWN_CHARACTERS]!r}... ({len(value):,} {unit})")
        if not isinstance(value, (dict, list, tuple)):
            return value
        if depth >= SHOWN_DEPTH:
            omitted[0] += len(value)
            return _Omitted(f"<{type(value).__name__} of {len(value):,}, nested too deep to show>")
        room = max(min(budget[0], SHOWN_ITEMS_EACH), 0)
        items = list(itertools.islice(value.items() if isinstance(value, dict) else value, room))
        budget[0] -= len(items)
        left = len(value) - len(items)
        omitted[0] += left
        if isinstance(value, dict):
            shown = {cut(key, depth + 1): cut(item, depth + 1) for key, item in items}
            return shown | ({_Omitted("..."): _Omitted(f"{left:,} more keys")} if left else {})
        listed = [cut(item, depth + 1) for item in items] + ([_Omitted(f"... {left:,} more")] if left else [])
        return tuple(listed) if isinstance(value, tuple) else listed

    return cut(session, 0), omitted[0]


def _lifetime(age: float, rules: Rules) -> str:
    from flasksess_cli.defaults import DEFAULT_MAX_AGE

    if not rules.is_flask_session:
        if age < 0:
            return "signed in the future: itsdangerous >= 2.0 refuses it where it checks the age"
        if rules.max_age is None:
            return f"no age limit by default ({rules.library} loads it however old it is)"
        left = rules.max_age - age
        if left < 0:
            return f"older than {rules.library}'s default limit ({duration(rules.max_age)}) by {duration(-left)}"
        return f"within {rules.library}'s default limit ({duration(rules.max_age)}): expires in {duration(left)}"
    if age < 0:
        if not rules.future_check:
            return f"signed in the future: {rules.name}'s itsdangerous accepts that"
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
    """One sentence on what the app would do with this cookie."""
    if result.cookie.kind == "token" or result.cookie.rules.payload == "starlette-session":
        return _token_detail(result)
    rules = result.cookie.rules
    key = "the current key" if result.matched_key == "current" else f"{result.matched_key} (a fallback key)"
    if result.signer == "sha512-fallback":
        key += " through itsdangerous 1.1's SHA-512 fallback signer"
    if result.reason == "valid":
        if result.cookie.kind == "session-id":
            return f"the session id was signed with {key}"
        limit = "" if result.max_age is None or result.age_seconds is None else (
            f"; expires in {duration(result.max_age - result.age_seconds)} (max-age {duration(result.max_age)})"
        )  # fmt: skip
        signed = f"signed with {key} {duration(result.age_seconds or 0)} ago{limit}"
        if result.outcome == "http-500-after-view":
            return f"{signed}: {rules.name} runs the view with this session, then answers HTTP 500"
        return signed
    if result.reason == "bad-signature":
        if result.ignored_key:
            return (
                f"signed with {result.ignored_key}, which {rules.name} does not verify with: it would start an "
                "empty session"
            )
        if result.outcome == "http-500":
            return f"no key given signed this cookie, and {rules.name} answers HTTP 500 for its timestamp"
        return f"no key given signed this cookie: {rules.name} would start an empty session"
    if result.reason == "expired":
        over = (result.age_seconds or 0) - (result.max_age or 0)
        return (
            f"signed with {key}, but {duration(over)} past the max-age of {duration(result.max_age or 0)}: "
            f"{rules.name} would start an empty session"
        )
    if result.reason == "future-timestamp":
        return f"signed with {key}, but dated {duration(result.age_seconds or 0)} in the future: itsdangerous >= 2.0 rejects it"
    if result.reason == "malformed-timestamp":
        if result.outcome == "http-500":
            return f"signed with {key}, but the timestamp is past year 9999: {rules.name} answers HTTP 500"
        return f"signed with {key}, but the timestamp is malformed: {rules.name} would start an empty session"
    return f"signed with {key}, but {rules.name} cannot load the payload and answers such requests with HTTP 500"


def _token_detail(result: Verification) -> str:
    """One sentence on what the token's library does with it."""
    from flasksess_cli.codec import formats
    from flasksess_cli.codec.tokens import what_follows

    rules = result.cookie.rules
    fmt = formats.of(rules)
    key = "the current key" if result.matched_key == "current" else f"{result.matched_key} (a fallback key)"
    if result.reason == "valid":
        when = "" if result.age_seconds is None else f" {duration(result.age_seconds)} ago"
        limit = "" if result.max_age is None or result.age_seconds is None else (
            f"; expires in {duration(result.max_age - result.age_seconds)} (max-age {duration(result.max_age)})"
        )  # fmt: skip
        return f"{_a(fmt.title)} signed with {key}{when}{limit}: {fmt.accepts}"
    if result.reason == "bad-signature":
        if result.ignored_key:
            return f"{_a(fmt.title)} signed with {result.ignored_key}, which {rules.name} does not verify with: {fmt.refuses}"
        if len(result.tried) > 1:
            return (
                f"no key given signed it as any of the {len(result.tried)} formats its shape admits; "
                f"as {_a(fmt.title)}: {fmt.refuses}"
            )
        return f"no key given signed this {fmt.title}: {fmt.refuses}"
    if result.reason == "expired":
        over = (result.age_seconds or 0) - (result.max_age or 0)
        return f"{_a(fmt.title)} signed with {key}, but {duration(over)} past the max-age of {duration(result.max_age or 0)}: {fmt.refuses}"
    if result.reason == "future-timestamp":
        return f"{_a(fmt.title)} signed with {key}, but dated {duration(result.age_seconds or 0)} in the future: {fmt.refuses}"
    if result.reason == "malformed-timestamp":
        return f"{_a(fmt.title)} signed with {key}, but its timestamp is malformed: {fmt.refuses}"
    return f"{_a(fmt.title)} signed with {key}, but its payload cannot be used: {what_follows(rules, result.outcome)}"


def verification_document(result: Verification, *, hint: str | None = None) -> dict[str, Any]:
    return cookie_document(result.cookie) | {
        "hint": hint,
        "verified": result.verified,
        "valid": result.valid,
        "reason": result.reason,
        "outcome": result.outcome,
        "detail": verdict_detail(result),
        "matched_key": result.matched_key,
        "signer": result.signer,
        "ignored_key": result.ignored_key,
        "age_seconds": result.age_seconds,
        "max_age": result.max_age,
        "error": result.cookie.timestamp_error or result.cookie.payload_error,
        "notes": [*result.cookie.notes, *result.notes],
        "tried": list(result.tried),
    }


def verification(
    result: Verification, *, as_json: bool, app: SessionSettings | None = None, hint: str | None = None
) -> None:
    from flasksess_cli.codec.session_json import recursion_room

    with recursion_room(result.cookie.depth):
        if as_json:
            emit_json(verification_document(result, hint=hint) | app_section(app))
            return
        from rich.text import Text

        label, style = _VERDICTS[result.reason]
        if result.outcome in ("http-500", "http-500-after-view"):
            label = f"{label} (HTTP 500)" if result.reason == "valid" else "HTTP 500"
            style = "red"
        console = make_console()
        console.print(Text.assemble((label, f"bold {style}"), ": ", verdict_detail(result)))
        tried = result.tried if result.verified else ()
        console.print(grid(_cookie_rows(result.cookie, lifetime=False, notes=result.notes, tried=tried)))
        if hint:
            note(f"Hint: {hint}.")


def signed(cookie: SignedCookie, *, rules: Rules, as_json: bool, app: SessionSettings | None = None) -> None:
    if as_json:
        emit_json(
            {
                "cookie": cookie.value,
                "length": len(cookie.value),
                "compressed": cookie.compressed,
                "json_bytes": cookie.json_bytes,
                "rules": rules.document(),
                "format": rules.format,
                "signed_with": cookie.signed_with,
                "notes": list(cookie.notes),
            }
            | app_section(app)
        )
        return
    for remark in cookie.notes:
        note(f"Note: {remark}")
    emit_value(cookie.value)
