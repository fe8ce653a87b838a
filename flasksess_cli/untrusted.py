"""Untrusted text made safe to show: on a terminal, in an ``Error:`` line, in a log line.

Text that came from input or the network (a cookie's name, a session key, a URL, a
server's status line, a file name the user typed) may hold ESC and OSC sequences
(``ESC[2J`` clears the screen, OSC 8 makes a hyperlink), BEL, CR (which rewrites the
line), bidirectional overrides (U+202E reverses what is read), line separators or lone
surrogates (which cannot be written as UTF-8 at all). Every character that
:meth:`str.isprintable` refuses is shown as its Python escape (``\\x1b``, ``\\u202e``),
so none of them reaches a terminal or a log, and the text stays on one line.

Rich markup (``[bold]``, ``[link=...]``) is the renderer's concern: untrusted text
enters rich output only as ``rich.text.Text``, never as a markup string.
"""

from __future__ import annotations


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with every non-printable character escaped as Python writes it; printable text is unchanged.

    Character by character: a message that quotes text already escaped (Flask's
    ``Could not import 'x\\x1b'``) keeps its single backslashes beside a new escape.
    With ``limit``, at most that many characters of ``text`` are kept (then "...").
    """
    if limit is not None and len(text) > limit:
        return printable(text[:limit]) + "..."
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def show(untrusted: str, limit: int = 40) -> str:
    """Untrusted text for a one-line message: quoted, escaped (repr) and shortened to ``limit`` characters."""
    shown = repr(untrusted[:limit])
    return shown + "..." if len(untrusted) > limit else shown


def printable_lines(text: str) -> str:
    """Several lines of text (a traceback), each escaped, the line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))
