"""The parallel engine: worker processes scanning wordlist blocks, fed through a bounded queue.

A shared flag stops every worker at the first match or on Ctrl-C; each worker
counts candidates and bytes in shared arrays for progress. Workers import only
the standard library and :mod:`flasksess_cli.audit.scan`.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from flasksess_cli.audit.scan import Target, Variant, mac_function, scan_block
from flasksess_cli.audit.wordlists import Block

#: A hit as a worker reports it: (wordlist number, line, variant, key).
WorkerHit = tuple[int, int, Variant, bytes]
#: report(bytes of wordlists read, total bytes or None, candidates tried)
Report = Callable[[int, "int | None", int], None]


def worker_main(number: int, target: Target, tasks: Any, results: Any, stop: Any, tried: Any, done: Any) -> None:
    """One worker process: scan blocks from ``tasks`` until a ``None`` or the stop flag.

    A task is ``(source, block)``. Reports a hit as ``(source, line, variant, key)``
    and its end as ``None`` on ``results``; ``tried[number]`` and ``done[number]``
    count candidates and bytes. The parent owns Ctrl-C: workers ignore SIGINT and
    are stopped by the flag (or terminated).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    macs = mac_function(target)
    while not stop.is_set():
        task = tasks.get()
        if task is None:
            break
        source, block = task
        hit, count = scan_block(block.data, target, macs) if block.lines else (None, 0)
        tried[number] += count
        done[number] += block.consumed
        if hit is not None:
            results.put((source, block.first_line + hit.position, hit.variant, hit.key))
            break
    results.put(None)


class ParallelOutcome(NamedTuple):
    hit: WorkerHit | None
    tried: int
    searched_bytes: int
    interrupted: bool


def scan_in_parallel(
    blocks: Iterator[tuple[int, Block]], target: Target, *, workers: int, total: int | None, report: Report
) -> ParallelOutcome:
    """Scan ``(wordlist number, block)`` pairs over ``workers`` processes until a hit, the end, or Ctrl-C."""
    pool = _Pool(target, workers)
    state = _Progress(report, pool, total)
    interrupted = False
    try:
        pool.start()
        for task in itertools.chain(blocks, itertools.repeat(None, workers)):
            while not pool.offer(task) and not state.poll(block=False):  # offer() waits while workers are busy
                pass
            if state.poll(block=False):
                break
        while state.hit is None and state.finished < workers:
            state.poll(block=True)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        pool.close()
    return ParallelOutcome(state.hit, pool.tried(), pool.done(), interrupted)


class _Progress:
    """The parent's view of the workers: results, finished count, throttled progress reports."""

    def __init__(self, report: Report, pool: _Pool, total: int | None) -> None:
        self.report, self.pool, self.total = report, pool, total
        self.hit: WorkerHit | None = None
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
            self.report(self.pool.done(), self.total, self.pool.tried())
        return self.hit is not None


class _Pool:
    """Worker processes fed through a bounded queue: memory stays flat, whatever the wordlist."""

    def __init__(self, target: Target, workers: int) -> None:
        import multiprocessing
        import threading

        # fork is cheapest, but only safe while this process has a single thread.
        method = "fork" if os.name == "posix" and threading.active_count() == 1 else "spawn"
        ctx: Any = multiprocessing.get_context(method)
        self.tasks = ctx.Queue(maxsize=2 * workers)
        self.results_queue = ctx.Queue()
        self.stop = ctx.Event()
        self.tried_counts = ctx.Array("q", workers, lock=False)
        self.done_counts = ctx.Array("q", workers, lock=False)
        self.ctx, self.target, self.workers = ctx, target, workers
        self.processes: list[Any] = []

    def start(self) -> None:
        """Start the workers; each one started is in ``processes`` with its pid, so close() always finds it.

        Ctrl-C is held back while they start: a KeyboardInterrupt between a fork and
        the pid's assignment would leave a worker no one stops (it would keep the
        caller's pipes open after this process exits).
        """
        import signal

        args = (self.target, self.tasks, self.results_queue, self.stop, self.tried_counts, self.done_counts)
        masking = hasattr(signal, "pthread_sigmask")
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masking else set()
        try:
            for n in range(self.workers):
                process = self.ctx.Process(target=worker_main, args=(n, *args), daemon=True)
                self.processes.append(process)
                process.start()
        finally:
            if masking:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def offer(self, task: tuple[int, Block] | None) -> bool:
        import queue

        try:
            self.tasks.put(task, timeout=0.1)
        except queue.Full:
            return False
        return True

    def results(self, *, wait: float) -> list[WorkerHit | None]:
        import queue

        out: list[WorkerHit | None] = []
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
