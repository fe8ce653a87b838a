"""The search engine: the kernel over threads (native), or its pure-Python twin over worker processes.

The native kernel (``_scan``, a C extension) releases the GIL while it scans a chunk, so
plain threads run it on every core: no process to orphan, nothing to pickle. Where it
could not be built, the pure-Python twin (:mod:`.scan`) holds the GIL, so chunks go to a
standard :class:`~concurrent.futures.ProcessPoolExecutor` instead; its workers die with
the parent (``PR_SET_PDEATHSIG`` on Linux, a watchdog thread elsewhere), never hold the
caller's stdout or stderr, and a worker that dies (OOM killer, ``kill -9``) or is stopped
(``SIGSTOP``) is replaced and its chunks searched again.

Results come back in wordlist order, so the hit reported is the first line that signs,
whatever the worker count. Nothing here prints or exits.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from types import ModuleType
from typing import Any, Literal, NamedTuple

from flasksess_cli.audit.candidates import Variant, line_end, special_readings
from flasksess_cli.audit.scan import Target, line_breaks
from flasksess_cli.errors import ExitCode, FlasksessError

#: How often the waiting parent looks at progress, its stop conditions and its workers (seconds).
TICK = 0.1
#: Replaced workers before the search gives up.
MAX_RESTARTS = 3
#: A worker stopped (SIGSTOP) for this long is killed and replaced.
STOPPED_GRACE = 1.0

EngineName = Literal["native", "python"]


class SearchStopped(Exception):
    """The search was asked to stop: a signal, or nobody reads the output any more."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SearchFailed(FlasksessError):
    """The search could not go on (worker processes kept dying)."""

    exit_code = ExitCode.OS_ERROR


# --- the kernel -------------------------------------------------------------------------------------------


def load_kernel(prefer: EngineName | None = None) -> ModuleType:
    """The C extension, or the pure-Python twin when it is not built (or ``prefer="python"``)."""
    if prefer != "python":
        try:
            from flasksess_cli.audit import _scan

            return _scan
        except ImportError:
            if prefer == "native":
                raise
    from flasksess_cli.audit import scan

    return scan


def engine_name(kernel: ModuleType) -> EngineName:
    return "python" if kernel.__name__.endswith(".scan") else "native"


def make_scanner(kernel: ModuleType, target: Target) -> Any:
    return kernel.Scanner(target.signed, target.signature, target.salt, target.digest, target.key_derivation)


class ChunkResult(NamedTuple):
    """What scanning one chunk found: its line terminators, the candidates tried, and the first hit."""

    breaks: int
    tried: int
    #: (offset of the line, how it was read, the key, line terminators before it), or None
    hit: tuple[int, Variant, bytes, int] | None


def scan_chunk(kernel: ModuleType, scanner: Any, data: bytes, end: int) -> ChunkResult:
    """Every line of ``data[:end]`` as its bytes (the kernel), then the values the special lines spell."""
    view = memoryview(data)[:end]
    offset, tried = scanner.scan(view)
    readings = special_readings(data, end)
    if offset >= 0:
        readings = [reading for reading in readings if reading.offset < offset]
    hit: tuple[int, Variant, bytes] | None = None
    if readings:
        index = scanner.match([reading.key for reading in readings])
        tried += len(readings) if index < 0 else index + 1
        if index >= 0:
            hit = readings[index]
    if hit is None and offset >= 0:
        hit = (offset, "line", bytes(view[offset : line_end(data, offset, end)]))
    breaks = getattr(kernel, "line_breaks", line_breaks)
    if hit is None:
        return ChunkResult(breaks(view), tried, None)
    return ChunkResult(breaks(view), tried, (*hit, breaks(view[: hit[0]])))


# --- the engines ------------------------------------------------------------------------------------------


class Engine:
    """Scans chunks, in process or in parallel, and yields their results in order."""

    def __init__(self, kernel: ModuleType, target: Target, workers: int) -> None:
        self.kernel, self.target, self.workers = kernel, target, workers
        self.name: EngineName = engine_name(kernel)
        self.scanner = make_scanner(kernel, target)
        #: The SIMD path the kernel chose (avx512, avx2, sha-ni, scalar), or "python".
        self.simd: str = self.scanner.engine
        self.restarts = 0

    def match(self, keys: list[bytes]) -> int:
        return int(self.scanner.match(keys))

    def results(
        self, chunks: Iterator[tuple[Any, bytes, int]], tick: Callable[[], None]
    ) -> Generator[tuple[Any, ChunkResult], None, None]:
        """``(tag, data, end)`` in, ``(tag, result)`` out, in order; ``tick`` is called while waiting."""
        if self.workers == 1:
            for tag, data, end in chunks:
                yield tag, scan_chunk(self.kernel, self.scanner, data, end)
                tick()
            return
        pool = _ThreadPool(self) if self.name == "native" else _ProcessPool(self)
        try:
            yield from _in_order(pool, chunks, tick, self.workers)
        finally:
            pool.close()


def _in_order(
    pool: _ThreadPool | _ProcessPool, chunks: Iterator[tuple[Any, bytes, int]], tick: Callable[[], None], workers: int
) -> Iterator[tuple[Any, ChunkResult]]:
    """Keep ``2 * workers`` chunks in flight (memory stays flat) and hand results back in order.

    A pool found broken (a worker died), whether by a result or by a submission, is restarted
    and every chunk still in flight is searched again.
    """
    from concurrent.futures import wait

    #: [tag, data, end, its future (None: not submitted to the current pool yet)]
    flight: collections.deque[list[Any]] = collections.deque()
    more = True
    while more or flight:
        while more and len(flight) < 2 * workers:
            job = next(chunks, None)
            if job is None:
                more = False
                break
            flight.append([*job, None])
        if not flight:
            break
        try:
            for entry in flight:
                if entry[3] is None:
                    entry[3] = pool.submit(entry[1], entry[2])
            future: Future[ChunkResult] = flight[0][3]
            if not wait([future], timeout=TICK).done:
                tick()
                pool.check()
                continue
            result = future.result()
        except pool.broken as exc:
            pool.restart(exc)
            for entry in flight:
                entry[3] = None
            continue
        yield flight.popleft()[0], result


class _ThreadPool:
    """Threads around the GIL-releasing kernel: one scanner shared (it is read-only)."""

    broken: type[BaseException] = ()  # type: ignore[assignment]  # threads do not die alone

    def __init__(self, engine: Engine) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.engine = engine
        self.executor = ThreadPoolExecutor(engine.workers, thread_name_prefix="flasksess-scan")

    def submit(self, data: bytes, end: int) -> Future[ChunkResult]:
        return self.executor.submit(scan_chunk, self.engine.kernel, self.engine.scanner, data, end)

    def check(self) -> None:
        pass

    def restart(self, exc: BaseException) -> None:  # pragma: no cover - never broken
        raise exc

    def close(self) -> None:
        # A chunk in the kernel finishes in milliseconds; nothing waits for it.
        self.executor.shutdown(wait=False, cancel_futures=True)


class _ProcessPool:
    """A standard process pool for the pure-Python twin, which holds the GIL."""

    def __init__(self, engine: Engine) -> None:
        from concurrent.futures.process import BrokenProcessPool

        self.engine = engine
        self.broken = BrokenProcessPool
        self.stopped_since: dict[int, float] = {}
        self.executor = self._start()

    def _start(self) -> Any:
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        # fork is cheapest, but only safe while this process runs a single thread.
        method = "fork" if os.name == "posix" and threading.active_count() == 1 else "spawn"
        return ProcessPoolExecutor(
            self.engine.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_worker_start,
            initargs=(self.engine.target, os.getpid()),
        )

    def submit(self, data: bytes, end: int) -> Future[ChunkResult]:
        future: Future[ChunkResult] = self.executor.submit(_worker_scan, data, end)
        return future

    def check(self) -> None:
        """A worker stopped by SIGSTOP would make the search wait forever: kill it, so it is replaced."""
        now = time.monotonic()
        for pid in [child.pid for child in _children(self.executor) if child.pid is not None]:
            if _process_state(pid) == "T":
                if now - self.stopped_since.setdefault(pid, now) > STOPPED_GRACE:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            else:
                self.stopped_since.pop(pid, None)

    def restart(self, exc: BaseException) -> None:
        self.engine.restarts += 1
        self.close()
        if self.engine.restarts > MAX_RESTARTS:
            raise SearchFailed(
                f"search worker processes died {self.engine.restarts} times (killed or out of memory?); "
                "the search stopped (run it again, or with --workers 1)"
            ) from exc
        self.stopped_since.clear()
        self.executor = self._start()

    def close(self) -> None:
        children = _children(self.executor)
        self.executor.shutdown(wait=False, cancel_futures=True)
        for child in children:  # a worker inside a chunk is ended now, not when the chunk is done
            with contextlib.suppress(ValueError):  # already closed
                child.terminate()
        for child in children:
            with contextlib.suppress(ValueError, AssertionError):
                child.join(timeout=1)
                if child.is_alive():
                    child.kill()
                    child.join()


def _children(executor: Any) -> list[Any]:
    """The pool's worker processes (ProcessPoolExecutor keeps them in ``_processes``; 3.14 adds terminate_workers)."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _process_state(pid: int) -> str:
    """A process's state letter from /proc (R running, S sleeping, T stopped, ...); "" when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0].decode("ascii")
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


# --- inside a worker process ------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _worker_start(target: Target, parent: int) -> None:
    """Set up a worker: die with the parent, leave the caller's pipes alone, let the parent own Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # a worker never holds the caller's stdin, stdout or stderr open
        os.dup2(devnull, fd)
    os.close(devnull)
    kernel = load_kernel("python")
    _WORKER.update(kernel=kernel, scanner=make_scanner(kernel, target))


def _die_with(parent: int) -> None:
    """End this process when ``parent`` ends, even by SIGKILL."""
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - other systems: watch the parent
        import threading

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the death signal was set
        os.kill(os.getpid(), signal.SIGKILL)


def _worker_scan(data: bytes, end: int) -> ChunkResult:
    return scan_chunk(_WORKER["kernel"], _WORKER["scanner"], data, end)


# --- stopping ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the search the way Ctrl-C does (with a report), while it runs."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SearchStopped(signal.Signals(signum).name)

    previous = {number: signal.signal(number, stop) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
