"""The ``flasksess`` command line: parse, call the pure modules, render.

The only package that builds commands with click (render uses only click.echo).
The root group and ``genkey`` live here; every other command family has its own
module (``codec``, ``sizecheck``, ``audit``, ``demo``), imported only when that
command runs, shows its help or completes its options. Heavy modules (rich, Flask,
the codec) are imported inside the commands that use them: every ``--help`` and
every TAB press runs this file.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

import click

from flasksess_cli import defaults, keys
from flasksess_cli.cli.common import ENV_KEY, ENV_NONE, Group, complete_path, json_option
from flasksess_cli.errors import BadInput, ExitCode, FlasksessError, Interrupted

__all__ = ["FlasksessGroup", "cli", "completion_script", "error_funnel", "main"]


class FlasksessGroup(Group):
    """The error funnel: every way a command can end becomes its exit code, and at most one ``Error:`` line.

    * an error a user can cause (a :class:`FlasksessError`, a click usage error): one
      ``Error:`` line on stderr and the error's code;
    * Ctrl-C: ``Error: interrupted``, exit 130;
    * stdout closed early (``| head -1``): nothing printed, exit 141;
    * any other exception is a bug: its traceback, then one ``Error:`` line, exit 70
      (never 1, which means "the answer is no").

    Whatever reaches stderr here is escaped: no control character from an input or a
    server reaches the terminal through an error.

    Subcommands in ``lazy_subcommands`` (name -> ``"module:attribute"``) are imported
    only when asked for, as in click's "lazily loading subcommands" pattern: running
    one, its ``--help`` or completing its options loads that module alone.
    """

    def __init__(self, *args: Any, lazy_subcommands: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            self.add_command(self._load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # click's "Did you mean ...?" looks only at the loaded commands: load them all for an unknown name.
        if not ctx.resilient_parsing and args and self.get_command(ctx, args[0]) is None:
            for name in self.lazy_subcommands:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def _load(self, cmd_name: str) -> click.Command:
        module_name, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
        return command

    # Ctrl-C and a closed stdout are caught here, before click's own handlers see them: click
    # would print a blank line for Ctrl-C, and exit 1 ("no") for a closed pipe.
    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _interrupts_and_pipes():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _interrupts_and_pipes():
            return super().invoke(ctx)

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
        with error_funnel():
            rv = super().main(args, prog_name, complete_var, False, **extra)
        sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


@contextlib.contextmanager
def error_funnel() -> Iterator[None]:
    """Every way a command can end becomes its exit code and at most one ``Error:`` line, in one place.

    Used by :class:`FlasksessGroup` and by every other door onto the commands (``flask session``).
    The domain's warnings (:class:`~flasksess_cli.keys.KeyFileWarning`) become one ``Warning:``
    line each on stderr; a bare group (``flasksess``, ``flasksess audit``) shows its formatted
    help, on the stream and with the code click uses for that.
    """
    _buffered_stdout()
    try:
        with _warnings_on_stderr():
            yield
        sys.stdout.flush()  # a closed pipe shows here when the output fit in the buffer
    except click.exceptions.Exit:
        raise  # ctx.exit(code): the command's own answer
    except _OutputClosed:
        _output_closed()
    except FlasksessError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        _fail(exc.format_message() + hint, ExitCode.USAGE)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted", ExitCode.INTERRUPTED)
    except BrokenPipeError:
        _output_closed()
    except Exception as exc:  # a bug: keep it visible, and say so with the internal-error code
        _internal_error(exc)


def _buffered_stdout() -> None:
    """Under PYTHONUNBUFFERED (``python -u``) stdout's text layer writes to the raw file, and ignores a
    short write: a reader that leaves in the middle of a large output goes unnoticed (exit 0, not
    141). A buffered writer finishes every write or raises; line buffering keeps lines prompt."""
    import io

    raw = getattr(sys.stdout, "buffer", None)
    if isinstance(raw, io.FileIO) and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(raw), encoding=sys.stdout.encoding, errors=sys.stdout.errors, line_buffering=True
        )


class _OutputClosed(Exception):
    """stdout was closed; not an OSError, so that click's handler for EPIPE (exit 1) lets it pass."""


@contextlib.contextmanager
def _interrupts_and_pipes() -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted() from None
    except BrokenPipeError:
        raise _OutputClosed() from None


@contextlib.contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        from flasksess_cli.untrusted import printable

        click.echo(f"Warning: {printable(' '.join(str(message).split()))}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", keys.KeyFileWarning)
        warnings.showwarning = show
        yield


def _fail(message: str, code: int) -> NoReturn:
    from flasksess_cli.untrusted import printable

    click.echo(f"Error: {printable(' '.join(message.split()))}", err=True)
    sys.exit(code)


def _output_closed() -> NoReturn:
    """The reader went away: say nothing, and keep the interpreter's last flush from complaining."""
    for stream in (sys.stdout, sys.stderr):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, AttributeError, ValueError):
            pass  # not a real file (a test runner's buffer): nothing is flushed at exit
    sys.exit(ExitCode.BROKEN_PIPE)


def _internal_error(exc: Exception) -> NoReturn:
    import traceback

    from flasksess_cli.untrusted import printable_lines

    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n")
    click.echo(printable_lines(trace), err=True)
    _fail(
        f"internal error ({type(exc).__name__}): a bug in flasksess, not in your input; "
        "the traceback above says where (please report it)",
        ExitCode.INTERNAL,
    )


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


@click.group(
    cls=FlasksessGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog=ENV_KEY,
    lazy_subcommands={
        "decode": "flasksess_cli.cli.codec:decode",
        "verify": "flasksess_cli.cli.codec:verify",
        "sign": "flasksess_cli.cli.codec:sign",
        "sizecheck": "flasksess_cli.cli.sizecheck:sizecheck",
        "audit": "flasksess_cli.cli.audit:audit",
        "serve-demo": "flasksess_cli.cli.demo:serve_demo",
    },
)
@click.version_option(package_name="flasksess", prog_name="flasksess")
def cli() -> None:
    """Flask secret keys and session cookies: generate, decode, verify, sign, size-check, audit, demo.

    \b
    Exit codes: 0 success; 1 the answer is "no" (bad signature, cookie too large,
    guessable key); 2 usage error; 3 input unreadable or not what the command takes;
    70 internal error (a bug: the traceback is printed); 130 interrupted (Ctrl-C);
    141 stdout closed early (| head).
    """


def _check_bytes(ctx: click.Context, param: click.Parameter, value: int) -> int:
    try:
        keys.check_key_length(value)
    except FlasksessError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


@cli.command(epilog=ENV_NONE)
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
@click.option(
    "--count",
    type=click.IntRange(min=1, max=defaults.MAX_KEY_COUNT),
    default=1,
    show_default=True,
    help=f"How many independent keys (at most {defaults.MAX_KEY_COUNT:,}).",
)
@click.option(
    "--out",
    metavar="FILE",
    shell_complete=complete_path,
    help="Write the key to this file (mode 0600, missing folders 0700) instead of stdout.",
)
@click.option("--force", is_flag=True, help="With --out: replace an existing file.")
@json_option
@click.pass_context
def genkey(ctx: click.Context, n_bytes: int, fmt: str, count: int, out: str | None, force: bool, as_json: bool) -> None:
    """Generate a strong SECRET_KEY from the operating system's random source.

    stdout carries only the key, so it can be captured by the shell. --out writes the
    key alone, no newline, owner-only (0600), making missing folders (0700); load it with
    Path(app.instance_path, "secret.key").read_text().

    \b
    Examples:
      flasksess genkey
      export FLASK_SECRET_KEY=$(flasksess genkey)
      flasksess genkey --format bytes          # b'...' for app.secret_key = ...
      flasksess genkey --format env >> .env    # read from .env only with python-dotenv
      flasksess genkey --out instance/secret.key
    """
    from flasksess_cli import render

    if out is not None and count > 1:
        raise click.UsageError(
            "--out writes one key (a key file holds one key); drop --count, or write each key to its own file", ctx=ctx
        )
    generated = keys.generate_keys(n_bytes=n_bytes, fmt=fmt, count=count)
    written = None if out is None else keys.write_private_file(out, keys.key_file_content(generated[0]), force=force)
    many = ctx.get_parameter_source("count") is click.core.ParameterSource.COMMANDLINE
    render.generated_keys(generated, as_json=as_json, as_list=many, written=written)


@cli.command(epilog=ENV_NONE)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the TAB-completion script for SHELL (the same as completions/).

    \b
    Examples:
      mkdir -p ~/.local/share/bash-completion/completions
      flasksess completion bash > ~/.local/share/bash-completion/completions/flasksess
      flasksess completion zsh > "${fpath[1]}/_flasksess"
      mkdir -p ~/.config/fish/completions
      flasksess completion fish > ~/.config/fish/completions/flasksess.fish
    """
    from flasksess_cli import render

    render.emit_value(completion_script(shell))


@cli.command("mitmproxy-addon", epilog=ENV_NONE)
@json_option
def mitmproxy_addon(as_json: bool) -> None:
    """Print the path of the mitmproxy add-on (mitmproxy finds no add-ons by itself).

    The add-on decodes every Flask session cookie that crosses the proxy into the flow's
    comment, verifies it with the key you give, flags Set-Cookie headers browsers drop and
    cookies signed with a published key. It runs in mitmproxy's own Python.

    \b
    Examples:
      mitmdump -s "$(flasksess mitmproxy-addon)"
      mitmdump -s "$(flasksess mitmproxy-addon)" --set flasksess_key="$KEY"
      mitmweb -s "$(flasksess mitmproxy-addon)" --set flasksess_report=cookies.jsonl
    """
    from flasksess_cli import render

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(package, "integrations", "mitmproxy_addon.py")
    if as_json:
        render.emit_json({"path": path})
    else:
        render.emit_value(path)


def completion_script(shell: str) -> str:
    """click's own completion script for this application."""
    from click.shell_completion import get_completion_class

    shell_class = get_completion_class(shell)
    if shell_class is None:
        raise BadInput(f"no completion for the shell {shell!r}")
    return shell_class(cli, {}, "flasksess", "_FLASKSESS_COMPLETE").source()


def main() -> None:
    cli(prog_name="flasksess")
