"""The exit-code contract and the domain errors that carry it.

Every command exits with one of :class:`ExitCode`. Pure modules raise a
:class:`FlasksessError` subclass; ``FlasksessGroup.main`` (``flasksess_cli.cli``)
turns it into one ``Error:`` line on stderr and the error's exit code, in one place.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    #: The answer is "no": invalid or expired signature, cookie too large, guessable key.
    NO = 1
    #: Usage error, reported by click itself.
    USAGE = 2
    #: The input is unreadable or not what the command takes.
    BAD_INPUT = 3
    #: An exception escaped a command: a bug in flasksess. The traceback is printed (sysexits EX_SOFTWARE).
    INTERNAL = 70
    #: The operating system failed the command: audit cookie's worker processes kept dying (sysexits EX_OSERR).
    OS_ERROR = 71
    #: Ended by a signal, 128 + its number, as shells report it: SIGHUP, SIGINT (Ctrl-C), SIGPIPE (the
    #: output was closed), SIGTERM. audit cookie still reports how far it got.
    HANGUP = 129
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


class FlasksessError(Exception):
    """An error a user can cause. Its message never contains a secret key."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class BadInput(FlasksessError):
    """The input is unreadable or not what the command takes (exit 3)."""


class UsageError(FlasksessError):
    """A combination of options that click cannot check by itself (exit 2)."""

    exit_code = ExitCode.USAGE


class Interrupted(FlasksessError):
    """Ctrl-C (exit 130)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self) -> None:
        super().__init__("interrupted")


class OutputExists(FlasksessError):
    """Refusing to overwrite an existing file without ``--force`` (exit 3)."""
