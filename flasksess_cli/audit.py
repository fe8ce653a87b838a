"""``audit cookie``: is the key behind this cookie in the built-in list or a wordlist?

The built-in list (``known_keys``) is tried first, in process; then each wordlist,
streamed in whole-line blocks (``wordlist.BlockReader``) to one worker process per
core (``wordlist.worker_main``), or in process for small lists. A shared flag stops
every worker at the first match or on Ctrl-C. (``hashcat.py`` hands searches too
large for one machine to hashcat.)

Pure: returns frozen dataclasses, raises ``BadInput``; never prints.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from flasksess_cli.choices import DIGEST_SIZES, FLASK_SALT, FLASK_SESSION_SALT
from flasksess_cli.errors import BadInput
from flasksess_cli.known_keys import KnownKey, known_keys, lookup
from flasksess_cli.wordlist import BLOCK_BYTES, Block, BlockReader, Target, mac_function, scan_block

if TYPE_CHECKING:
    from flasksess_cli.cookies import Scheme

#: ``--wordlist flask-unsign``: the list of the flask-unsign-wordlist package, when installed.
FLASK_UNSIGN_WORDLIST = "flask-unsign"
#: Below this many bytes of wordlist, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 8 * BLOCK_BYTES

#: progress(bytes of wordlists read, total bytes or None when unknown, candidates tried)
Progress = Callable[[int, "int | None", int], None]


@dataclass(frozen=True)
class Found:
    """The key that signed the cookie, and where it came from."""

    key: bytes
    #: "built-in" or "wordlist".
    origin: str
    #: How the line was read: "line", "literal", "bytes-literal", "hex", "base64"; "entry" for the built-in list.
    variant: str
    #: The wordlist as given (a path, "-" or "flask-unsign"); None for the built-in list.
    wordlist: str | None = None
    #: Line in the wordlist, or entry number in the built-in list, counting from 1.
    line: int | None = None
    #: The published key these bytes are, if they are one.
    known: KnownKey | None = None

    @property
    def as_bytes(self) -> bool:
        """Show it as a bytes literal: published or written that way, or not printable UTF-8 text."""
        if self.variant in {"bytes-literal", "hex", "base64"} or (
            self.known is not None and self.known.form == "bytes"
        ):
            return True
        try:
            return not self.key.decode("utf-8").isprintable()
        except UnicodeDecodeError:
            return True

    def display(self) -> str:
        """``genkey --format bytes`` form for bytes keys, the text itself otherwise."""
        return repr(self.key) if self.as_bytes else self.key.decode("utf-8")


@dataclass(frozen=True)
class CookieAudit:
    found: Found | None
    candidates: int
    lines: int
    skipped_lines: int
    seconds: float
    workers: int
    interrupted: bool
    builtin: bool
    wordlists: tuple[str, ...]
    kind: str
    digest: str
    key_derivation: str
    salt: str
    #: Bytes of the wordlists searched, and their total (None when one is stdin).
    searched_bytes: int = 0
    total_bytes: int | None = None

    @property
    def rate(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0


# --- the target --------------------------------------------------------------------------------------


def cookie_target(value: str, *, scheme: Scheme, digest_given: bool) -> tuple[Target, str]:
    """What the signature commits to; and the cookie kind ("session" or "session-id").

    The digest is guessed from the signature's length unless ``digest_given``; a
    given digest of the wrong size is refused rather than searched in vain.
    """
    from itsdangerous.encoding import base64_decode

    from flasksess_cli.cookies import digest_guess

    if "." not in value:
        raise BadInput("not a Flask session cookie: it has no '.' (a cookie is payload.timestamp.signature)")
    signed, signature_text = value.rsplit(".", 1)
    try:
        signature = base64_decode(signature_text)
    except Exception:  # itsdangerous raises BadData
        raise BadInput("the cookie's signature is not base64 (is the cookie complete?)") from None
    kind = "session" if "." in signed else "session-id"
    digest = scheme.digest
    if not digest_given:
        digest = digest_guess(signature_text)
        if digest == "unknown":
            raise BadInput(
                f"the signature is {len(signature)} bytes, which no digest produces (is the cookie complete?)"
            )
    elif DIGEST_SIZES[digest] != len(signature):
        raise BadInput(
            f"the signature is {len(signature)} bytes but {digest} makes {DIGEST_SIZES[digest]} "
            f"(the cookie was signed with {digest_guess(signature_text)}; drop --digest to guess it)"
        )
    salt = FLASK_SESSION_SALT if kind == "session-id" and scheme.salt == FLASK_SALT else scheme.salt
    try:
        signed_bytes = signed.encode("ascii")
    except UnicodeEncodeError:
        raise BadInput("the cookie has non-ASCII characters, so no Flask app signed it") from None
    target = Target(signed_bytes, signature, salt.encode("utf-8"), digest, scheme.key_derivation)
    return target, kind


# --- wordlists ---------------------------------------------------------------------------------------


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


def open_wordlists(names: Sequence[str]) -> list[tuple[str, BinaryIO, int | None]]:
    """Open every wordlist before the search starts, so a typo fails at once: (name, handle, size)."""
    import sys

    opened: list[tuple[str, BinaryIO, int | None]] = []
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


def close_wordlists(opened: Sequence[tuple[str, BinaryIO, int | None]]) -> None:
    for name, handle, _ in opened:
        if name != "-":
            handle.close()


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- the search --------------------------------------------------------------------------------------


def audit_cookie(
    target: Target,
    *,
    kind: str,
    scheme: Scheme,
    wordlists: Sequence[tuple[str, BinaryIO, int | None]] = (),
    builtin: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> CookieAudit:
    """Try the built-in list, then each wordlist, until a key makes ``target``'s signature."""
    started = time.perf_counter()
    search = _Search(target, progress, block_bytes)
    found: Found | None = None
    if builtin:
        found = search.builtin()
    total = None if any(size is None for *_, size in wordlists) else sum(size or 0 for *_, size in wordlists)
    parallel = workers > 1 and (total is None or total >= min(PARALLEL_MIN_BYTES, 8 * block_bytes))
    if found is None and wordlists:
        found = search.wordlists(wordlists, total, workers if parallel else 1)
    return CookieAudit(
        found=found,
        candidates=search.tried,
        lines=search.lines,
        skipped_lines=search.skipped,
        seconds=time.perf_counter() - started,
        workers=workers if parallel else 1,
        interrupted=search.interrupted,
        builtin=builtin,
        wordlists=tuple(name for name, *_ in wordlists),
        kind=kind,
        digest=target.digest,
        key_derivation=target.key_derivation,
        salt=scheme.salt if target.salt == scheme.salt.encode() else target.salt.decode(),
        searched_bytes=search.searched_bytes,
        total_bytes=total if wordlists else 0,
    )


class _Search:
    def __init__(self, target: Target, progress: Progress | None, block_bytes: int) -> None:
        self.target = target
        self.block_bytes = block_bytes
        self.macs = mac_function(target)
        self.progress = progress
        self.tried = 0
        self.lines = 0
        self.skipped = 0
        self.searched_bytes = 0
        self.interrupted = False

    def builtin(self) -> Found | None:
        entries = known_keys()
        self.tried += len(entries)
        for entry, mac in zip(entries, self.macs(entry.material for entry in entries), strict=True):
            if mac == self.target.signature:
                return Found(entry.material, "built-in", "entry", None, entry.entry, entry)
        return None

    def wordlists(
        self, wordlists: Sequence[tuple[str, BinaryIO, int | None]], total: int | None, workers: int
    ) -> Found | None:
        readers = [BlockReader(handle, block_bytes=self.block_bytes) for _, handle, _ in wordlists]
        blocks = ((number, block) for number, reader in enumerate(readers) for block in reader)
        try:
            hit = self._parallel(blocks, total, workers) if workers > 1 else self._serial(blocks, total)
        finally:
            self.lines = sum(reader.lines for reader in readers)
            self.skipped = sum(reader.skipped_lines for reader in readers)
        if hit is None:
            return None
        source, line, variant, key = hit
        return Found(key, "wordlist", variant, wordlists[source][0], line, lookup(key))

    def _report(self, done: int, total: int | None, tried: int) -> None:
        if self.progress is not None:
            self.progress(done, total, tried)

    def _serial(self, blocks: Any, total: int | None) -> tuple[int, int, str, bytes] | None:
        done, base = 0, self.tried
        try:
            for source, block in blocks:
                if block.lines:
                    hit, count = scan_block(block.data, self.target, self.macs)
                    self.tried += count
                    if hit is not None:
                        self.searched_bytes = done + block.consumed
                        return source, block.first_line + hit.position, hit.variant, hit.key
                done += block.consumed
                self.searched_bytes = done
                self._report(done, total, self.tried - base)
        except KeyboardInterrupt:
            self.interrupted = True
        return None

    def _parallel(self, blocks: Any, total: int | None, workers: int) -> tuple[int, int, str, bytes] | None:
        pool = _Pool(self.target, workers)
        base = self.tried
        state = _Progress(self, pool, total)
        try:
            pool.start()
            tasks = itertools.chain(blocks, itertools.repeat(None, workers))
            for task in tasks:
                while not pool.offer(task):  # blocks while the workers are busy: no spinning
                    if state.poll(block=False):
                        return state.hit
                if state.poll(block=False):
                    return state.hit
            while state.finished < workers:
                if state.poll(block=True):
                    return state.hit
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            pool.close()
            self.tried = base + pool.tried()
            self.searched_bytes = pool.done()
        return state.hit


class _Progress:
    """The parent's view of the workers: results, finished count, throttled progress reports."""

    def __init__(self, search: _Search, pool: _Pool, total: int | None) -> None:
        self.search, self.pool, self.total = search, pool, total
        self.hit: tuple[int, int, str, bytes] | None = None
        self.finished = 0
        self.last = 0.0

    def poll(self, *, block: bool) -> bool:
        """Take results (waiting up to 0.1 s if ``block``); True once a worker found the key."""
        for result in self.pool.results(wait=0.1 if block else 0.0):
            if result is None:
                self.finished += 1
            else:
                self.hit = result
        now = time.monotonic()
        if now - self.last > 0.1:
            self.last = now
            self.pool.check_alive()
            self.search._report(self.pool.done(), self.total, self.pool.tried())
        return self.hit is not None


class _Pool:
    """Worker processes fed through a bounded queue: memory stays flat, whatever the wordlist."""

    def __init__(self, target: Target, workers: int) -> None:
        import multiprocessing
        import threading

        from flasksess_cli.wordlist import worker_main

        # fork is cheapest, but only safe while this process has a single thread.
        method = "fork" if os.name == "posix" and threading.active_count() == 1 else "spawn"
        ctx: Any = multiprocessing.get_context(method)
        self.tasks = ctx.Queue(maxsize=2 * workers)
        self.results_queue = ctx.Queue()
        self.stop = ctx.Event()
        self.tried_counts = ctx.Array("q", workers, lock=False)
        self.done_counts = ctx.Array("q", workers, lock=False)
        self.ctx, self.target, self.workers, self.worker_main = ctx, target, workers, worker_main
        self.processes: list[Any] = []

    def start(self) -> None:
        """Start the workers; each one started is in ``processes`` at once, so close() always finds it."""
        args = (self.target, self.tasks, self.results_queue, self.stop, self.tried_counts, self.done_counts)
        for n in range(self.workers):
            process = self.ctx.Process(target=self.worker_main, args=(n, *args), daemon=True)
            self.processes.append(process)
            process.start()

    def offer(self, task: tuple[int, Block] | None) -> bool:
        import queue

        try:
            self.tasks.put(task, timeout=0.1)
        except queue.Full:
            return False
        return True

    def results(self, *, wait: float) -> list[tuple[int, int, str, bytes] | None]:
        import queue

        out: list[tuple[int, int, str, bytes] | None] = []
        try:
            out.append(self.results_queue.get(timeout=wait) if wait else self.results_queue.get_nowait())
            while True:
                out.append(self.results_queue.get_nowait())
        except queue.Empty:
            return out

    def check_alive(self) -> None:
        for process in self.processes:
            if process.exitcode not in (None, 0):
                raise RuntimeError(f"a wordlist worker died (exit code {process.exitcode})")

    def tried(self) -> int:
        return sum(self.tried_counts)

    def done(self) -> int:
        return sum(self.done_counts)

    def close(self) -> None:
        """Stop every worker: the flag first, then terminate whichever is still inside a block."""
        self.stop.set()
        started = [process for process in self.processes if process.pid is not None]
        deadline = time.monotonic() + 0.2
        for process in started:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join()
        self.tasks.cancel_join_thread()
        self.results_queue.cancel_join_thread()
