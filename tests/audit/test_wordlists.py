"""Reading wordlists: whole lines by the kernel's definition, flat memory, shards, stdin, FIFOs."""

from __future__ import annotations

import io
import os
import random
import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flasksess_cli.audit import wordlists
from flasksess_cli.audit.scan import line_breaks
from flasksess_cli.audit.wordlists import ChunkReader, Shard
from flasksess_cli.errors import BadInput, UsageError

LINE = re.compile(rb"[^\r\n]+")  # what a candidate is (the kernel's definition)


def lines_of(data: bytes) -> int:
    """Lines as an editor counts them: terminators, plus an unterminated last line."""
    return line_breaks(data) + (1 if data and data[-1:] not in (b"\n", b"\r") else 0)


def read_all(data: bytes, **options: int) -> tuple[list[bytes], int, int]:
    """(candidates in order, lines counted, skipped) as the reader hands them over."""
    reader = ChunkReader(io.BytesIO(data), **options)
    candidates: list[bytes] = []
    lines = skipped = 0
    open_line = False  # only the last chunk may end inside a line
    for chunk in reader:
        part = chunk.data[: chunk.end]
        candidates += LINE.findall(part)
        lines += chunk.skipped + line_breaks(part)
        skipped += chunk.skipped
        open_line = bool(part) and part[-1:] not in (b"\n", b"\r")
    return candidates, lines + open_line, skipped


PIECES = st.lists(
    st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b" ", b"'", b"key-123"]), max_size=60
)


@settings(max_examples=400, deadline=None)
@given(pieces=PIECES, chunk=st.integers(min_value=1, max_value=9))
def test_chunks_hold_exactly_the_lines_whatever_the_cut(pieces: list[bytes], chunk: int) -> None:
    data = b"".join(pieces)
    candidates, lines, skipped = read_all(data, chunk_bytes=chunk, max_line=64)
    assert candidates == LINE.findall(data)
    assert (lines, skipped) == (lines_of(data), 0)


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(terminator: bytes) -> None:
    data = terminator.join([b"one", b"two", b"", b"four"]) + terminator
    assert read_all(data, chunk_bytes=3, max_line=8)[:2] == ([b"one", b"two", b"four"], 4)


@settings(max_examples=200, deadline=None)
@given(
    short=st.lists(st.binary(min_size=1, max_size=6).filter(lambda b: b"\n" not in b and b"\r" not in b), max_size=8),
    long_at=st.integers(min_value=0, max_value=8),
    long_size=st.integers(min_value=17, max_value=70),
    terminator=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    chunk=st.integers(min_value=1, max_value=16),
)
def test_over_long_lines_are_skipped_counted_and_never_buffered(
    short: list[bytes], long_at: int, long_size: int, terminator: bytes, chunk: int
) -> None:
    lines = list(short)
    lines.insert(min(long_at, len(lines)), b"x" * long_size)
    data = terminator.join(lines) + terminator
    candidates, counted, skipped = read_all(data, chunk_bytes=chunk, max_line=16)
    assert candidates == short
    assert (counted, skipped) == (len(lines), 1)


def test_a_10_mb_line_costs_no_memory_and_numbering_stays_right() -> None:
    import tracemalloc

    data = b"first\n" + b"x" * (10 << 20) + b"\r\nlast\n"
    tracemalloc.start()
    candidates, lines, skipped = read_all(data, chunk_bytes=1 << 16, max_line=1 << 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (candidates, lines, skipped) == ([b"first", b"last"], 3, 1)
    assert peak < 4 << 20  # the 10 MB line was never held


def test_shards_try_every_line_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(5)
    pieces = [rng.choice([b"w%d" % n, b"", b"long-" * rng.randrange(20)]) + rng.choice([b"\n", b"\r\n", b"\r"])
              for n in range(3000)]  # fmt: skip
    path = tmp_path / "list.txt"
    path.write_bytes(b"".join(pieces))
    everything = LINE.findall(path.read_bytes())
    for count in (1, 2, 3, 7, 64):
        seen: list[bytes] = []
        for index in range(1, count + 1):
            (opened,) = wordlists.open_wordlists([str(path)], shard=Shard(index, count))
            reader = ChunkReader(opened.handle, chunk_bytes=97, length=opened.size)
            seen += [line for chunk in reader for line in LINE.findall(chunk.data[: chunk.end])]
            wordlists.close_wordlists([opened])
        assert seen == everything, count


def test_a_shard_numbers_lines_like_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"".join(b"line%d\r\n" % n for n in range(1, 1001)))
    (opened,) = wordlists.open_wordlists([str(path)], shard=Shard(3, 4))
    first = next(iter(ChunkReader(opened.handle, chunk_bytes=64, length=opened.size)))
    number = opened.lines_before_start() + 1
    assert first.data.startswith(b"line%d\r\n" % number)
    wordlists.close_wordlists([opened])


@pytest.mark.parametrize(("text", "ok"), [("1/1", True), ("2/8", True), ("0/3", False), ("4/3", False), ("x", False),
                                          ("1/", False), ("-1/2", False), ("1/2/3", False), ("9" * 30 + "/1", False)])  # fmt: skip
def test_shard_syntax(text: str, ok: bool) -> None:
    if ok:
        assert str(Shard.parse(text)) == text
    else:
        with pytest.raises(UsageError):
            Shard.parse(text)


def test_stdin_once_and_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="twice"):
        wordlists.open_wordlists(["-", "-"])

    class Terminal(io.BytesIO):
        buffer = io.BytesIO()

        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    with pytest.raises(BadInput, match="terminal"):
        wordlists.open_wordlists(["-"])


def test_stdin_and_pipes_cannot_be_sharded(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--shard"):
        wordlists.open_wordlists(["-"], shard=Shard(1, 2))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_nothing_writes_to_is_refused_not_waited_on_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "list.fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(wordlists, "FIFO_WAIT_SECONDS", 0.3)
    with pytest.raises(BadInput, match="FIFO nothing wrote to"):
        wordlists.open_wordlists([str(fifo)])

    def write() -> None:
        with open(fifo, "wb") as handle:  # blocks until the reader below opens it
            handle.write(b"a\nb\n")

    writer = threading.Thread(target=write)
    writer.start()
    (opened,) = wordlists.open_wordlists([str(fifo)])
    assert opened.handle.read() == b"a\nb\n"
    wordlists.close_wordlists([opened])
    writer.join(timeout=10)


def test_unreadable_wordlists_are_one_clear_error(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.txt", tmp_path):
        with pytest.raises(BadInput, match=r"cannot read wordlist '.*' \((?:check the path)\)|cannot read wordlist"):
            wordlists.open_wordlists([str(path)])
    with pytest.raises(BadInput, match=r"\\x1b\[2J"):  # a hostile name is shown escaped
        wordlists.open_wordlists([str(tmp_path / "\x1b[2J")])
