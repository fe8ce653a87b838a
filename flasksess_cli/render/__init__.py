"""All output: ``--json`` documents, copyable values, and human output with rich.

The only package that imports rich, and it does so inside the functions that need
it, so that commands which print plain values never pay for it. This module holds
what every command shares; ``codec``, ``sizecheck`` and ``audit`` hold each command
family's documents and human output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from flasksess_cli.untrusted import printable

#: ``plain(text)``: untrusted text with every non-printable character escaped (as a ``str``).
plain = printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from flasksess_cli.keys import GeneratedKey, SecretKey, WrittenFile
    from flasksess_cli.settings import SessionSettings


def emit_json(document: Any) -> None:
    """One JSON document on stdout: sorted keys, strict JSON (no NaN), UTF-8.

    Printable text is written as is (``"Zoë"``); every other character is a JSON escape
    (``"\\u001b"``, ``"\\u202e"``, a lone surrogate ``"\\ud800"``), so the document can always
    be written and never acts on the terminal it is printed to.
    """
    import json

    text = json.dumps(document, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False)
    if not all(line.isprintable() for line in text.split("\n")):
        text = _NOT_PRINTABLE_ASCII.sub(_json_escape, text)
    click.echo(text)


def _json_escape(match: re.Match[str]) -> str:
    import json

    char = match.group()
    return char if char.isprintable() else json.dumps(char)[1:-1]


#: Candidates for escaping: anything but printable ASCII and the line breaks of the indentation.
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e\n]")


def app_section(settings: SessionSettings | None) -> dict[str, Any]:
    """``"app"`` in a --json document: everything read from the app (``--app`` or ``flask session``), or null.

    Keys are described, never shown: their type and length only.
    """
    if settings is None or settings.app is None:
        return {"app": None}
    from flasksess_cli.keys import SecretKey

    def described(key: SecretKey | None) -> dict[str, Any] | None:
        if key is None:
            return None
        return {"type": type(key.value).__name__, "bytes": len(key.material)}

    return {
        "app": {
            "import": settings.app,
            "session_interface": settings.session_interface,
            "secret_key": described(settings.key),
            "fallbacks": [described(key) for key in settings.fallbacks],
            "salt": settings.salt,
            "digest": settings.digest,
            "key_derivation": settings.key_derivation,
            "cookie_name": settings.cookie_name,
            "domain": settings.domain,
            "path": settings.path,
            "secure": settings.secure,
            "httponly": settings.httponly,
            "samesite": settings.samesite,
            "partitioned": settings.partitioned,
            "lifetime": settings.lifetime,
            "max_cookie_size": settings.max_cookie_size,
            "sort_keys": settings.sort_keys,
            "ensure_ascii": settings.ensure_ascii,
            "token_settings": {
                name: described(value) if isinstance(value, SecretKey) else value for name, value in settings.app_config
            },
        }
    }


def emit_value(value: str) -> None:
    """A value the user copies (key, cookie): alone on its line, never wrapped."""
    click.echo(value)


def note(message: str) -> None:
    """A remark for the person at the terminal, on stderr, on one line (what it quotes is escaped)."""
    click.echo(printable(message), err=True)


def generated_keys(keys: Sequence[GeneratedKey], *, as_json: bool, as_list: bool, written: WrittenFile | None) -> None:
    if as_json:
        docs = [
            {"format": k.format, "bytes": k.bytes, "entropy_bits": k.entropy_bits}
            | ({"path": written.path, "created_folders": list(written.created_folders)} if written else {"key": k.key})
            for k in keys
        ]
        emit_json(docs if as_list else docs[0])
    elif written:
        folders = "".join(f"; created {folder}/ (mode 0700)" for folder in written.created_folders)
        note(f"Wrote the key to {written.path} (mode 0600{folders}).")
    else:
        for k in keys:
            emit_value(k.key)


# --- shared pieces of human output ------------------------------------------------------------------


#: Width of human output that is not going to a terminal (and COLUMNS is unset): lines are never wrapped.
PIPED_WIDTH = 10_000


def make_console(*, piped_width: int = PIPED_WIDTH) -> Console:
    """A Console for stdout, built per call so that NO_COLOR, TERM=dumb and pipes are honoured.

    On a terminal, rich as it is. Piped or redirected, lines are not wrapped (a session,
    a header or a sentence stays on one line for grep and copy) and carry no trailing
    spaces (rich pads table cells to the column width). A boxed table of prose that holds
    nothing to copy may ask for a ``piped_width`` to wrap at instead.

    A closed stdout raises BrokenPipeError, as click.echo does, for the CLI to end with its
    code (rich's own answer is exit 1, which means "no").
    """
    import os
    import sys

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    if sys.stdout.isatty():
        return _Console(highlight=False)
    from typing import TextIO, cast

    width = None if os.environ.get("COLUMNS", "").isdigit() else piped_width
    return _Console(highlight=False, file=cast(TextIO, _TrimmedLines(sys.stdout)), width=width)


class _TrimmedLines:
    """A text stream that drops the spaces at the end of each line (before any closing colour codes)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._partial = ""

    def write(self, text: str) -> int:
        import re

        *lines, self._partial = (self._partial + text).split("\n")
        if lines:
            trimmed = (re.sub(r" +((?:\x1b\[[0-9;]*m)*)$", r"\1", line) for line in lines)
            self._stream.write("\n".join(trimmed) + "\n")
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def untrusted(text: str, style: str = "") -> Text:
    """Text from input or the network, for rich output: control characters escaped, markup not interpreted.

    The one way such text enters a table, a grid or a line of human output: a plain
    ``str`` there would be read as rich markup (``[link=...]``, ``[/]``, ``:emoji:``).
    """
    from rich.text import Text

    return Text(printable(text), style=style)


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


def grid(rows: list[tuple[str, Any]]) -> Any:
    """Label and value rows, labels in bold: the body of most human reports."""
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    return table
