"""Every command, hostile arguments, stdin and files: no traceback, an exit code in the contract,
stdout empty on an error, exactly one ``Error:`` line, no control character on either stream.

The generator and the contract are in ``tests/fuzzing.py``; ``benchmarks/fuzz.py`` runs the same
for minutes. The crash sites its campaigns found in the codec are kept below as reproducers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke
from tests.fuzzing import COOKIES, KEY, Invocation, as_argv, invocations, run, violations


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(invocation=invocations())
def test_no_input_breaks_the_contract(invocation: Invocation) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        outcome = run(invocation, Path(workdir))
    found = violations(outcome)
    assert not found, f"{invocation}\n{found}\n{outcome.stderr[-2000:]}"


# --- the crash sites campaigns found, reproduced -------------------------------------------------

FAR_FUTURE = COOKIES[3]  # {" d": "Fri, 31 Dec 9999 23:59:59 -2359"}, unsigned
OTHER = sign_session({"user_id": 1}, key=SecretKey("another key, not the fuzz key")).value


def _no_traceback(invoke: Invoke, args: list[str], **kwargs: object) -> None:
    result = invoke(args, **kwargs)
    assert result.exit_code in {0, 1, 2, 3} and "Traceback" not in result.stderr, result.stderr[-500:]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["verify", "-k", as_argv("\udcff"), COOKIES[0]], {}),
        (["verify", COOKIES[0]], {"FLASK_SECRET_KEY": as_argv("\udcff")}),
        (["verify", "-k", KEY, "--fallback", as_argv("\udcff"), OTHER], {}),
        (["audit", "key"], {"FLASK_SECRET_KEY": as_argv("\udcff")}),
    ],
    ids=["-k", "FLASK_SECRET_KEY", "--fallback", "audit key"],
)
def test_a_key_that_is_not_utf8(invoke: Invoke, args: list[str], env: dict[str, str]) -> None:
    _no_traceback(invoke, args, env=env)


def test_a_salt_that_is_not_utf8(invoke: Invoke) -> None:
    _no_traceback(invoke, ["verify", "-k", KEY, "--salt", as_argv("\udcff"), COOKIES[0]])


@pytest.mark.parametrize("args", [["decode", FAR_FUTURE], ["decode", "--json", FAR_FUTURE]], ids=["human", "json"])
def test_a_date_past_9999_in_decode(invoke: Invoke, args: list[str]) -> None:
    _no_traceback(invoke, args)
