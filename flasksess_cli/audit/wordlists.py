"""Wordlists: opening them (files, ``-`` for stdin, FIFOs, the named bundled list) and reading them in chunks.

A line is what the search kernel takes (:mod:`.scan`): a maximal run of bytes other than
``\\r`` and ``\\n``, so ``\\n``, ``\\r\\n`` and a lone ``\\r`` (old Mac files) all end one.
:class:`ChunkReader` cuts a stream into chunks of whole lines without ever splitting a
``\\r\\n``, keeps memory flat whatever the list, and skips (and counts) a line longer than
:data:`MAX_LINE_BYTES` without buffering it. ``--shard K/N`` reads the K-th of N byte
ranges, each moved to the next line start, so N runs try every line exactly once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from flasksess_cli.errors import BadInput, UsageError

#: Bytes read at a time: one chunk is one call into the kernel (a few ms of work) and one unit for a worker.
CHUNK_BYTES = 1 << 20
#: Longer lines are not keys anyone configured: they are skipped (and counted), never buffered.
MAX_LINE_BYTES = 1 << 20
#: ``--wordlist flask-unsign``: the list of the flask-unsign-wordlist package.
FLASK_UNSIGN_WORDLIST = "flask-unsign"
#: How long a named FIFO may stay silent before it is refused as one nothing writes to.
FIFO_WAIT_SECONDS = 10.0

_LF, _CR = 10, 13


@dataclass(frozen=True)
class Shard:
    """The K-th of N parts of every wordlist (``--shard K/N``, K counted from 1)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise UsageError(f"--shard {self.index}/{self.count}: K must be between 1 and N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, slash, count = text.partition("/")
        if not slash or not index.isdigit() or not count.isdigit() or len(text) > 21:
            raise UsageError(f"--shard takes K/N, like 1/4, not {text!r}")
        return cls(int(index), int(count))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class Wordlist:
    """An open wordlist: its name as given, its handle, and the byte range this run reads."""

    name: str
    handle: BinaryIO
    #: Bytes this run reads (the shard's range); None when unknown (stdin, a pipe).
    size: int | None
    #: Where the range starts in the file (0 unless sharded).
    start: int = 0
    #: Where it ends (None: the end of the stream).
    end: int | None = None

    def lines_before_start(self) -> int:
        """Lines of the file before this run's range (to number a hit in a shard like a line of the whole file)."""
        if self.start == 0:
            return 0
        from flasksess_cli.audit.scan import line_breaks

        position = self.handle.tell()
        try:
            self.handle.seek(0)
            lines, left, carry = 0, self.start, b""
            while left > 0:
                data = self.handle.read(min(CHUNK_BYTES, left))
                if not data:
                    break
                left -= len(data)
                data, carry = carry + data, b""
                if left > 0 and data.endswith(b"\r"):  # its \n may be in the next read: one terminator
                    data, carry = data[:-1], b"\r"
                lines += line_breaks(data)
            return lines + line_breaks(carry)
        finally:
            self.handle.seek(position)


def wordlist_path(name: str) -> str:
    """The file behind a ``--wordlist`` value (``flask-unsign`` is the package's list)."""
    if name != FLASK_UNSIGN_WORDLIST:
        return name
    return flask_unsign_list_path()


def flask_unsign_list_path() -> str:
    """The flask-unsign-wordlist package's ``all.txt`` (a runtime dependency)."""
    try:
        import flask_unsign_wordlist
    except ImportError:
        raise BadInput(
            "the flask-unsign wordlist is not installed (pip install flask-unsign-wordlist, or give a file)"
        ) from None
    return str(flask_unsign_wordlist.get("all"))


def open_wordlists(names: Sequence[str], *, shard: Shard | None = None) -> list[Wordlist]:
    """Open every wordlist before the search starts, so a typo fails at once."""
    if list(names).count("-") > 1:
        raise UsageError("--wordlist - is given twice, but stdin can be read once")
    opened: list[Wordlist] = []
    try:
        for name in names:
            opened.append(_open(name, shard))
    except BaseException:
        close_wordlists(opened)
        raise
    return opened


def _open(name: str, shard: Shard | None) -> Wordlist:
    import sys

    if name == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise BadInput("--wordlist - reads the list from stdin, which is a terminal (pipe a list in)")
        handle: BinaryIO = sys.stdin.buffer
        if shard is not None and shard.count > 1:
            raise UsageError("--shard needs wordlist files: stdin cannot be split into byte ranges")
        return Wordlist(name, handle, None)
    path = wordlist_path(name)
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        named_fifo = stat.S_ISFIFO(mode) and not _is_descriptor(path)
        handle = _open_fifo(path, name) if named_fifo else open(path, "rb")  # noqa: SIM115 - closed by close_wordlists
    except OSError as exc:
        raise BadInput(f"cannot read wordlist {name!r}: {exc.strerror or 'unreadable'} (check the path)") from None
    size = _size(handle)
    if shard is None or shard.count == 1:
        return Wordlist(name, handle, size)
    if size is None or not handle.seekable():
        handle.close()
        raise UsageError(f"--shard needs wordlist files: {name!r} cannot be split into byte ranges")
    start = _line_start(handle, (shard.index - 1) * size // shard.count, size)
    end = _line_start(handle, shard.index * size // shard.count, size)
    handle.seek(start)
    return Wordlist(name, handle, end - start, start, end)


def _is_descriptor(path: str) -> bool:
    """/dev/fd/N, /dev/stdin, /proc/self/fd/N: an already open pipe, as ``--wordlist <(generator)`` gives."""
    real = os.path.realpath(path)
    return path.startswith(("/dev/fd/", "/dev/stdin", "/proc/self/fd/")) or real.startswith("pipe:")


def _open_fifo(path: str, name: str) -> BinaryIO:
    """A named FIFO: opened without blocking, refused if nothing writes to it within :data:`FIFO_WAIT_SECONDS`."""
    import select
    import time

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        deadline = time.monotonic() + FIFO_WAIT_SECONDS
        while not poller.poll(100):  # in slices, so Ctrl-C is seen at once
            if time.monotonic() > deadline:
                raise BadInput(
                    f"wordlist {name!r} is a FIFO nothing wrote to in {FIFO_WAIT_SECONDS:.0f} s "
                    "(start the program that writes to it, or pipe it to --wordlist -)"
                )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _size(handle: BinaryIO) -> int | None:
    try:
        status = os.fstat(handle.fileno())
    except OSError:
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _line_start(handle: BinaryIO, position: int, size: int) -> int:
    """The first line start at or after ``position``: after a \\n, or after a \\r not followed by \\n."""
    if position <= 0:
        return 0
    if position >= size:
        return size
    handle.seek(position - 1)
    while True:
        data = handle.read(64 * 1024 + 1)
        if len(data) < 2:
            return size
        for i in range(len(data) - 1):
            byte = data[i]
            if byte == _LF or (byte == _CR and data[i + 1] != _LF):
                return handle.tell() - len(data) + i + 1
        handle.seek(-1, os.SEEK_CUR)


def close_wordlists(opened: Sequence[Wordlist]) -> None:
    for wordlist in opened:
        if wordlist.name != "-":
            wordlist.handle.close()


class Chunk(NamedTuple):
    """Whole lines of a wordlist: ``data[:end]``, which ends at a line terminator unless the stream ended."""

    data: bytes
    end: int
    #: Over-long lines skipped just before this chunk (each still counts as a line).
    skipped: int
    #: Bytes of the file this chunk accounts for (progress), skipped lines included.
    consumed: int


class ChunkReader:
    """Chunks of whole lines from a binary stream, memory flat whatever the line lengths."""

    def __init__(
        self,
        handle: BinaryIO,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        max_line: int = MAX_LINE_BYTES,
        length: int | None = None,
    ) -> None:
        if not 0 < chunk_bytes <= max_line:
            raise ValueError("chunk_bytes must be positive and at most max_line")
        self.handle = handle
        self.chunk_bytes = chunk_bytes
        self.max_line = max_line
        self.length = length
        self.skipped_lines = 0

    def _reads(self) -> Iterator[bytes]:
        # read1 returns what a pipe holds now, so a slow generator's lines are searched as they come;
        # from a fast one, reads are joined while more is ready, up to chunk_bytes.
        read = getattr(self.handle, "read1", self.handle.read)
        ready = _ready_check(self.handle)
        left = self.length
        while left is None or left > 0:
            want = self.chunk_bytes if left is None else min(self.chunk_bytes, left)
            data = read(want)
            if not data:
                return
            while len(data) < want // 2 and ready():
                more = read(want - len(data))
                if not more:
                    break
                data += more
            if left is not None:
                left -= len(data)
            yield data

    def __iter__(self) -> Iterator[Chunk]:
        pending = b""  # the start of a line whose end is not read yet (at most max_line bytes)
        skipping = False  # inside an over-long line, until its terminator
        after_cr = False  # a skipped line ended with \r at the end of a read: a \n that follows is its too
        skipped = consumed = 0
        for data in self._reads():
            consumed += len(data)
            if after_cr:
                after_cr = False
                data = data[1:] if data[0] == _LF else data
            buffer, pending = (pending + data if pending else data), b""
            if skipping:
                buffer, after_cr, ended = _drop_first_line(buffer)
                if not ended:
                    continue
                skipping, skipped = False, skipped + 1
            else:  # lines inside one read are short enough; the one continuing ``pending`` may not be
                first = _first_break(buffer)
                if first > self.max_line:
                    buffer, after_cr, _ = _drop_first_line(buffer)
                    skipped += 1
                elif first < 0 and len(buffer) > self.max_line:
                    skipping = True
                    continue
            cut = _cut(buffer)
            if cut == 0:
                pending = buffer
                continue
            yield Chunk(buffer, cut, skipped, consumed)
            self.skipped_lines += skipped
            skipped = consumed = 0
            pending = buffer[cut:]
        if skipping:
            skipped += 1
        if pending or skipped or consumed:
            self.skipped_lines += skipped
            yield Chunk(pending, len(pending), skipped, consumed)


def _drop_first_line(buffer: bytes) -> tuple[bytes, bool, bool]:
    """``buffer`` after its first line and that line's terminator; whether a \n may follow in the next read; whether the line ended."""
    stop = _first_break(buffer)
    if stop < 0:
        return b"", False, False
    end = stop + 1
    if buffer[stop] == _CR:
        if end == len(buffer):
            return b"", True, True
        if buffer[end] == _LF:
            end += 1
    return buffer[end:], False, True


def _ready_check(handle: BinaryIO) -> Callable[[], bool]:
    """Whether more of a pipe can be read at once (always False for anything else)."""
    import select

    try:
        fd = handle.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) and not stat.S_ISSOCK(os.fstat(fd).st_mode):
            return lambda: False
        poller = select.poll()
    except (OSError, ValueError, AttributeError):  # BytesIO and friends
        return lambda: False
    poller.register(fd, select.POLLIN)
    return lambda: bool(poller.poll(0))


def _first_break(data: bytes, start: int = 0) -> int:
    """Index of the first \\r or \\n at or after ``start``, or -1."""
    lf, cr = data.find(b"\n", start), data.find(b"\r", start)
    return cr if lf < 0 else lf if cr < 0 else min(lf, cr)


def _cut(buffer: bytes) -> int:
    """Where the whole lines of ``buffer`` end: after its last \\n, or its last \\r that is not its last byte."""
    return max(buffer.rfind(b"\n"), buffer.rfind(b"\r", 0, len(buffer) - 1)) + 1
