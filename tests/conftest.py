"""Shared fixtures: the CLI runner with a clean environment, and small Flask apps."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from flasksess_cli.cli import cli

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke(args, input=..., env=...)`` runs the CLI in-process, stdout and stderr apart."""
    for name in ("FORCE_COLOR", "FLASK_SECRET_KEY", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    call: Callable[..., Result] = functools.partial(runner.invoke, cli, catch_exceptions=False)

    def run(args: list[str], **kwargs: Any) -> Result:
        return call(args, **kwargs)

    return run
