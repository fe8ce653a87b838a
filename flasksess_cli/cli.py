"""The ``flasksess`` command line: parse, call the pure modules, render.

The only module that imports click. Heavy modules (rich, Flask, the codec) are
imported inside the commands that use them: every ``--help`` and every TAB press
runs this file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from flasksess_cli import keys
from flasksess_cli.errors import ExitCode, FlasksessError


class FlasksessGroup(click.Group):
    """Turns every error a user can cause into one ``Error:`` line and its exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except FlasksessError as exc:
            _fail(str(exc), exc.exit_code)
        except click.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _fail(exc.format_message() + hint, ExitCode.USAGE)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            _fail("interrupted", 130)
        sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def _terminal_width() -> int:
    """What ``shutil.get_terminal_size`` answers, without importing shutil (and with it bz2 and lzma)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno() if sys.__stdout__ else 1).columns
    except (AttributeError, ValueError, OSError):
        return 80


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "terminal_width": min(_terminal_width(), 100)}


@click.group(cls=FlasksessGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="flasksess", prog_name="flasksess")
def cli() -> None:
    """Flask secret keys and session cookies: generate, decode, verify, sign, size-check, audit.

    \b
    Exit codes: 0 success; 1 the answer is "no" (bad signature, cookie too large,
    guessable key); 2 usage error; 3 input unreadable or not what the command takes.
    """


def _check_bytes(ctx: click.Context, param: click.Parameter, value: int) -> int:
    try:
        keys.check_key_length(value)
    except FlasksessError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


@cli.command()
@click.option(
    "--bytes",
    "n_bytes",
    type=int,
    default=keys.DEFAULT_KEY_BYTES,
    show_default=True,
    callback=_check_bytes,
    help=f"Random bytes per key ({keys.MIN_KEY_BYTES} to {keys.MAX_KEY_BYTES}).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(keys.KEY_FORMATS),
    default="hex",
    show_default=True,
    help="hex; urlsafe base64; base64; a Python bytes literal; an env line; a config.py line.",
)
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True, help="How many independent keys.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the key to this file (mode 0600) instead of stdout.",
)
@click.option("--force", is_flag=True, help="With --out: replace an existing file.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@click.pass_context
def genkey(
    ctx: click.Context, n_bytes: int, fmt: str, count: int, out: Path | None, force: bool, as_json: bool
) -> None:
    """Generate a strong SECRET_KEY from the operating system's random source.

    stdout carries only the key, so it can be captured by the shell.

    \b
    Examples:
      flasksess genkey
      export FLASK_SECRET_KEY=$(flasksess genkey)
      flasksess genkey --format bytes          # b'...' for app.secret_key = ...
      flasksess genkey --format env >> .env
      flasksess genkey --out instance/secret.key
    """
    from flasksess_cli import render

    generated = keys.generate_keys(n_bytes=n_bytes, fmt=fmt, count=count)
    if out is not None:
        keys.write_private_file(out, "".join(k.key + "\n" for k in generated).encode(), force=force)
    many = ctx.get_parameter_source("count") is click.core.ParameterSource.COMMANDLINE
    render.generated_keys(generated, as_json=as_json, as_list=many, path=str(out) if out else None)


def main() -> None:
    cli(prog_name="flasksess")
