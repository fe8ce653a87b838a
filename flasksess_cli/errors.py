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
    #: An exception escaped a command: a bug in flasksess. The traceback is printed (EX_SOFTWARE in sysexits.h).
    INTERNAL = 70
    #: Interrupted (Ctrl-C): 128 + SIGINT, as shells report it.
    INTERRUPTED = 130
    #: stdout was closed before everything was written (``| head -1``): 128 + SIGPIPE, as shells report
    #: a program that SIGPIPE ended; nothing is printed.
    OUTPUT_CLOSED = 141


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
