"""Wordlists: opening them (files, ``-`` for stdin, the named bundled lists) and reading them in whole-line blocks.

Memory stays flat whatever the list: blocks of about :data:`BLOCK_BYTES`, and a
line longer than :data:`MAX_LINE_BYTES` is skipped without being buffered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import BinaryIO, NamedTuple

from flasksess_cli.errors import BadInput

#: Bytes read from a wordlist at a time; one block is one unit of work for a worker.
BLOCK_BYTES = 256 * 1024
#: Longer lines are not keys anyone configured: they are skipped (and counted), never buffered.
MAX_LINE_BYTES = 64 * 1024
#: ``--wordlist flask-unsign``: the list of the flask-unsign-wordlist package, when installed.
FLASK_UNSIGN_WORDLIST = "flask-unsign"

#: An open wordlist: its name as given, its handle, and its size in bytes (None when unknown).
OpenWordlist = tuple[str, BinaryIO, "int | None"]


def wordlist_path(name: str) -> str:
    """The file behind a ``--wordlist`` value (``flask-unsign`` is the package's list)."""
    if name != FLASK_UNSIGN_WORDLIST:
        return name
    import importlib

    try:
        flask_unsign_wordlist = importlib.import_module("flask_unsign_wordlist")
    except ImportError:
        raise BadInput(
            "the flask-unsign wordlist is not installed (pip install flask-unsign-wordlist, or give a file)"
        ) from None
    return str(flask_unsign_wordlist.get("all"))


def open_wordlists(names: Sequence[str]) -> list[OpenWordlist]:
    """Open every wordlist before the search starts, so a typo fails at once: (name, handle, size)."""
    import sys

    opened: list[OpenWordlist] = []
    try:
        for name in names:
            if name == "-":
                opened.append((name, sys.stdin.buffer, None))
                continue
            path = wordlist_path(name)
            try:
                handle = open(path, "rb")  # noqa: SIM115 - closed by close_wordlists
            except OSError as exc:
                raise BadInput(
                    f"cannot read wordlist {name!r}: {exc.strerror or 'unreadable'} (check the path)"
                ) from None
            opened.append((name, handle, _size(handle)))
    except BadInput:
        close_wordlists(opened)
        raise
    return opened


def _size(handle: BinaryIO) -> int | None:
    try:
        size = os.fstat(handle.fileno()).st_size
    except OSError:
        return None
    return size if size > 0 else None


def close_wordlists(opened: Sequence[OpenWordlist]) -> None:
    for name, handle, _ in opened:
        if name != "-":
            handle.close()


class Block(NamedTuple):
    #: The line number (from 1) of the block's first line.
    first_line: int
    #: Whole lines joined by ``\n`` (no trailing newline).
    data: bytes
    #: Lines in ``data``.
    lines: int
    #: Bytes of the file this block accounts for (progress).
    consumed: int


class BlockReader:
    """Whole-line blocks of a binary stream, with memory flat whatever the line lengths.

    A line longer than :data:`MAX_LINE_BYTES` is skipped without being buffered; it
    still counts as a line, so later line numbers stay right.
    """

    def __init__(self, handle: BinaryIO, *, block_bytes: int = BLOCK_BYTES, max_line: int = MAX_LINE_BYTES) -> None:
        self.handle = handle
        self.block_bytes = block_bytes
        self.max_line = max_line
        self.skipped_lines = 0
        self.lines = 0

    def __iter__(self) -> Iterator[Block]:
        pending = b""  # the start of a line whose end is not read yet
        skipping = False  # inside an over-long line, until its newline
        next_line = 1
        consumed = 0
        while True:
            data = self.handle.read(self.block_bytes)
            consumed += len(data)
            if not data:
                break
            if skipping:
                newline = data.find(b"\n")
                if newline < 0:
                    continue
                data, skipping = data[newline + 1 :], False
                self._skip()
                next_line += 1
            buffer = pending + data if pending else data
            cut = buffer.rfind(b"\n")
            if cut < 0:
                pending = buffer
                if len(pending) > self.max_line:
                    pending, skipping = b"", True
                continue
            block, pending = buffer[:cut], buffer[cut + 1 :]
            if len(pending) > self.max_line:
                pending, skipping = b"", True
            yield from self._emit(block, next_line, consumed)
            next_line += block.count(b"\n") + 1
            consumed = 0
        if skipping:
            self._skip()
        elif pending:
            yield from self._emit(pending, next_line, consumed)
        elif consumed:
            yield Block(next_line, b"", 0, consumed)

    def _skip(self) -> None:
        self.skipped_lines += 1
        self.lines += 1

    def _emit(self, block: bytes, first_line: int, consumed: int) -> Iterator[Block]:
        """Whole lines; a line over the limit inside a block is dropped in place (kept empty)."""
        if len(block) > self.max_line and any(len(line) > self.max_line for line in block.split(b"\n")):
            lines = block.split(b"\n")
            long_lines = sum(1 for line in lines if len(line) > self.max_line)
            self.skipped_lines += long_lines
            block = b"\n".join(b"" if len(line) > self.max_line else line for line in lines)
        count = block.count(b"\n") + 1
        self.lines += count
        yield Block(first_line, block, count, consumed)
