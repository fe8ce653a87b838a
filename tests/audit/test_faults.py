"""audit cookie under signals and faults, in real processes: a report, the right code, no orphan, no hang.

The wordlist comes from a pipe this test writes to, so the search is known to be running (the
pipe empties) when the signal is sent, and it never ends by itself before that. Every wait
polls with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import IO

import pytest

from flasksess_cli.audit.search import default_workers
from flasksess_cli.audit.workers import ChunkResult, _in_order
from tests.audit.conftest import flask_cookie
from tests.conftest import INTERRUPTIBLE_FLASKSESS

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc as on Linux")

DEADLINE = 60.0
COOKIE = flask_cookie(b"\x00" * 32, {"user_id": 1})  # a key no list holds
NEEDLE_COOKIE = flask_cookie("the-needle-key", {"user_id": 1})


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def children(pid: int) -> list[int]:
    try:
        return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Search:
    """``flasksess audit cookie --wordlist - ...`` reading a list this test writes."""

    def __init__(self, engine: str, *args: str, stdout: int | IO[bytes] = subprocess.PIPE) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"FLASK_SECRET_KEY", "NO_COLOR"}}
        env["FLASKSESS_AUDIT_ENGINE"] = engine
        self.proc = subprocess.Popen(
            [*INTERRUPTIBLE_FLASKSESS, "audit", "cookie", "--no-builtin", "--wordlist", "-", *args],
            stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE, env=env,
        )  # fmt: skip
        self.written = 0
        self.writer: threading.Thread | None = None

    def feed(self, data: bytes) -> None:
        """Write in the background (the pipe blocks while the search is busy)."""

        def write() -> None:
            assert self.proc.stdin is not None
            try:
                for start in range(0, len(data), 1 << 16):
                    self.proc.stdin.write(data[start : start + (1 << 16)])
                    self.proc.stdin.flush()
                    self.written += min(1 << 16, len(data) - start)
            except (BrokenPipeError, ValueError, OSError):
                pass

        if self.writer is not None:
            self.writer.join(DEADLINE)
        self.writer = threading.Thread(target=write, daemon=True)
        self.writer.start()

    def searching(self) -> None:
        """Wait until the search has read a good part of the list: it is running, its handlers in place."""
        wait_for(lambda: self.written >= 2 << 20 or self.proc.poll() is not None, "the search to read its list")
        assert self.proc.poll() is None, self.proc.communicate()

    def finish(self) -> tuple[int, str, str]:
        if self.writer is not None:
            self.writer.join(DEADLINE)
        stdout, stderr = self.proc.communicate(timeout=DEADLINE)
        return self.proc.returncode, (stdout or b"").decode(), stderr.decode()


def endless_lines(start: int = 0, count: int = 3_000_000) -> bytes:
    return b"".join(b"candidate-%d\n" % n for n in range(start, start + count))


@pytest.mark.parametrize(
    ("signum", "code", "label"),
    [(signal.SIGINT, 130, "INTERRUPTED"), (signal.SIGTERM, 143, "STOPPED (SIGTERM)"), (signal.SIGHUP, 129, "STOPPED (SIGHUP)")],
)  # fmt: skip
def test_a_signal_ends_the_search_at_once_with_how_far_it_got(engine: str, signum: int, code: int, label: str) -> None:
    search = Search(engine, COOKIE)
    search.feed(endless_lines())
    search.searching()
    search.proc.send_signal(signum)
    returncode, stdout, stderr = search.finish()
    assert returncode == code, stderr
    assert stdout.startswith(f"{label}: no key among "), stdout
    assert "Traceback" not in stderr


def test_a_stopped_search_says_so_in_json(engine: str) -> None:
    search = Search(engine, "--json", COOKIE)
    search.feed(endless_lines())
    search.searching()
    search.proc.send_signal(signal.SIGTERM)
    returncode, stdout, _ = search.finish()
    document = json.loads(stdout)
    assert (returncode, document["interrupted"], document["stopped_by"]) == (143, True, "SIGTERM")
    assert document["candidates"] > 0 and document["engine"] == engine


def test_a_closed_output_ends_the_search_quietly(engine: str) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as stdout:
        search = Search(engine, COOKIE, stdout=stdout)
    search.feed(endless_lines())
    search.searching()
    os.close(read_end)  # whoever read the output is gone
    search.feed(endless_lines(3_000_000))  # the search goes on reading until it notices
    returncode, _, stderr = search.finish()
    assert (returncode, stderr) == (141, "")


@pytest.mark.skipif(default_workers() < 2, reason="worker processes need two cores")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_outlives_the_parent(signum: int) -> None:
    search = Search("python", COOKIE)
    search.feed(endless_lines())
    search.searching()
    wait_for(lambda: len(children(search.proc.pid)) >= 2, "the worker processes")
    workers = children(search.proc.pid)
    search.proc.send_signal(signum)
    returncode, _, _ = search.finish()  # returns: no worker holds the caller's pipes open
    assert returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 143)
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to end with their parent")


@pytest.mark.skipif(default_workers() < 2, reason="worker processes need two cores")
@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP])
def test_a_dead_or_stopped_worker_is_replaced_and_the_search_finishes(fault: int) -> None:
    search = Search("python", "--json", NEEDLE_COOKIE)
    first = endless_lines(count=2_000_000)
    search.feed(first)
    search.searching()
    wait_for(lambda: len(children(search.proc.pid)) >= 2, "the worker processes")
    victim = children(search.proc.pid)[0]
    os.kill(victim, fault)
    search.feed(endless_lines(2_000_000, 300_000) + b"the-needle-key\n")
    returncode, stdout, stderr = search.finish()  # the list ends: communicate() closes its pipe
    document = json.loads(stdout)
    assert returncode == 1, stderr
    assert (document["key"], document["line"]) == ("the-needle-key", 2_300_001)
    assert document["worker_restarts"] >= 1
    wait_for(lambda: not alive(victim), "the faulty worker to be gone")


@pytest.mark.skipif(default_workers() < 2, reason="worker processes need two cores")
def test_workers_that_keep_dying_end_the_search_with_one_error() -> None:
    """After MAX_RESTARTS replaced workers the search gives up: exit 71, one Error: line, no orphan."""
    code = "import flasksess_cli.audit.workers as w; w.MAX_RESTARTS = 0; from flasksess_cli.cli import main; main()"
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"} | {"FLASKSESS_AUDIT_ENGINE": "python"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "audit", "cookie", "--no-builtin", "--wordlist", "-", COOKIE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    search = Search.__new__(Search)
    search.proc, search.written, search.writer = proc, 0, None
    search.feed(endless_lines())
    search.searching()
    wait_for(lambda: len(children(proc.pid)) >= 2, "the worker processes")
    workers = children(proc.pid)
    os.kill(workers[0], signal.SIGKILL)
    returncode, stdout, stderr = search.finish()
    assert (returncode, stdout) == (71, "")
    assert stderr.startswith("Error: search worker processes died") and stderr.count("\n") == 1, stderr
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to be gone")


class BreakingPool:
    """A pool whose workers "die" at chosen submissions: the submission itself, or its result, fails."""

    broken = BrokenProcessPool

    def __init__(self, fail_submit: set[int], fail_result: set[int]) -> None:
        self.submissions, self.restarts = 0, 0
        self.fail_submit, self.fail_result = fail_submit, fail_result

    def submit(self, data: bytes, end: int) -> Future[ChunkResult]:
        self.submissions += 1
        if self.submissions in self.fail_submit:
            raise BrokenProcessPool("a child process terminated abruptly")
        future: Future[ChunkResult] = Future()
        if self.submissions in self.fail_result:
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        else:
            future.set_result(ChunkResult(end, end, None))
        return future

    def check(self) -> None:
        pass

    def restart(self, exc: BaseException) -> None:
        self.restarts += 1


@pytest.mark.parametrize(("fail_submit", "fail_result"), [({5}, set()), (set(), {5}), ({3, 9}, {6}), ({4, 5}, set())])
def test_a_pool_broken_at_submission_or_result_loses_no_chunk(fail_submit: set[int], fail_result: set[int]) -> None:
    """A worker can die between two submissions: the next submit raises, and the search still sees every chunk once, in order."""
    pool = BreakingPool(fail_submit, fail_result)
    chunks = iter([(n, b"", n) for n in range(20)])
    results = list(_in_order(pool, chunks, lambda: None, workers=2))  # type: ignore[arg-type]
    assert [(tag, result.tried) for tag, result in results] == [(n, n) for n in range(20)]
    assert pool.restarts >= 1
