"""A long fuzz campaign against every command: inputs tried, tracebacks, contract violations, hangs.

The invocations and the contract are those of the fuzz test in the suite
(``tests/fuzzing.py``): every command, its options introspected from click, hostile text
in arguments, stdin and files. Here the campaign runs for minutes and records instead of
stopping at the first failure. Each distinct failure (crash site, or kind of violation) is
printed once with the input that first showed it.

By default hypothesis generates the inputs. With ``--atheris`` (``pip install atheris``),
atheris drives the same generator from its coverage-guided byte stream
(``hypothesis.fuzz_one_input``) with flasksess's modules instrumented.

    python benchmarks/fuzz.py [--inputs 20000] [--minutes 10] [--seed N] [--atheris]

The campaign's seed is printed first; ``--seed`` repeats a campaign (the same inputs, in order).
"""

from __future__ import annotations

import argparse
import atexit
import collections
import importlib
import random
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from hypothesis import HealthCheck, Phase, given, seed, settings

if TYPE_CHECKING:
    from tests.fuzzing import Invocation


class TimeUp(BaseException):
    """The campaign's time is up (a BaseException: hypothesis lets it through, as it does Ctrl-C)."""


class Campaign:
    def __init__(self, fuzzing: ModuleType, deadline: float) -> None:
        self.fuzzing = fuzzing
        self.deadline = deadline
        self.tried = 0
        self.started = time.monotonic()
        self.failures: collections.Counter[str] = collections.Counter()
        self.first: dict[str, str] = {}
        self.codes: collections.Counter[int] = collections.Counter()

    def record(self, invocation: Invocation) -> None:
        if time.monotonic() > self.deadline:
            raise TimeUp
        self.tried += 1
        with tempfile.TemporaryDirectory() as workdir:
            try:
                outcome = self.fuzzing.run(invocation, Path(workdir))
            except self.fuzzing.Hang:
                self._failure("hang", invocation, "")
                return
        self.codes[outcome.code] += 1
        for violation in self.fuzzing.violations(outcome):
            if violation in {"a traceback", "exit code 70"}:
                violation = f"traceback at {self.fuzzing.crash_site(outcome)}"
            self._failure(violation, invocation, outcome.stderr)

    def _failure(self, kind: str, invocation: Invocation, stderr: str) -> None:
        self.failures[kind] += 1
        if kind not in self.first:
            self.first[kind] = f"{invocation}\n      stderr ends: {stderr[-240:]!r}"
            print(f"new: {kind}: {invocation}", flush=True)

    def report(self) -> None:
        seconds = time.monotonic() - self.started
        tracebacks = {k: n for k, n in self.failures.items() if k.startswith("traceback")}
        hangs = self.failures.get("hang", 0)
        contract = {k: n for k, n in self.failures.items() if k not in tracebacks and k != "hang"}
        print(f"\n{self.tried} inputs in {seconds:.0f} s ({self.tried / max(seconds, 1e-9):.0f}/s)")
        print(f"exit codes: {dict(sorted((int(code), n) for code, n in self.codes.items()))}")
        print(f"tracebacks: {sum(tracebacks.values())} ({len(tracebacks)} distinct crash sites)")
        print(f"contract violations: {sum(contract.values())} ({len(contract)} kinds)")
        print(f"hangs (> {self.fuzzing.HANG_SECONDS} s): {hangs}")
        for kind, count in self.failures.most_common():
            print(f"  {count:6d}  {kind}\n      first: {self.first[kind]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=20_000, help="stop after this many inputs")
    parser.add_argument("--minutes", type=float, default=10.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis's seed (default: a random one)")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided, driven by atheris")
    args = parser.parse_args()
    if args.atheris:
        import atheris  # type: ignore[import-not-found]

        with atheris.instrument_imports(include=["flasksess_cli"]):
            import pkgutil

            import flasksess_cli

            for module in pkgutil.walk_packages(flasksess_cli.__path__, "flasksess_cli."):
                importlib.import_module(module.name)  # the lazily imported modules too: all instrumented
            from tests import fuzzing
    else:
        from tests import fuzzing
    campaign = Campaign(fuzzing, time.monotonic() + 60 * args.minutes)
    chosen = random.getrandbits(64) if args.seed is None else args.seed
    print(f"seed {chosen} (--seed {chosen} repeats this campaign)", flush=True)
    atexit.register(campaign.report)

    @settings(
        max_examples=args.inputs, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @seed(chosen)  # a seed of our own: hypothesis prints none when the time is up
    @given(fuzzing.invocations())
    def one(invocation: Invocation) -> None:
        campaign.record(invocation)

    if not args.atheris:
        with contextlib.suppress(TimeUp):
            one()
        return

    def fuzz(data: Any) -> None:
        one.hypothesis.fuzz_one_input(data)

    limits = [f"-runs={args.inputs}", f"-max_total_time={int(60 * args.minutes)}", "-max_len=4096"]
    atheris.Setup([sys.argv[0], *limits], fuzz)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
