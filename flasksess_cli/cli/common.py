"""What the root group needs at every start-up and every command module shares.

The command and group classes every command is built with, the "Environment:" line of
each command's help, ``--json``, and TAB completion of file names. Cheap to import: click's own ``click.Path`` type looks up translations
when it is built, which would cost every start-up a few milliseconds, so file
options complete through :func:`complete_path` instead.
"""

from __future__ import annotations

import os
from typing import Any

import click

#: The "Environment:" line of each command's help.
ENV_KEY = "Environment: FLASK_SECRET_KEY (the key, when neither -k nor --key-file is given), NO_COLOR (no colour)."
#: audit key: the key is KEY, --key-file or FLASK_SECRET_KEY (there is no -k).
ENV_AUDIT_KEY = (
    "Environment: FLASK_SECRET_KEY (the key, when neither KEY nor --key-file is given), FLASK_APP (--app; with"
    " --app, .flaskenv and .env too), NO_COLOR (no colour)."
)
ENV_COLOUR = "Environment: NO_COLOR (no colour in human output)."
#: Commands with --app: FLASK_APP names the app, and with --app .flaskenv and .env are read as flask reads them.
ENV_APP_KEY = (
    "Environment: FLASK_SECRET_KEY (the key, when neither -k nor --key-file is given), FLASK_APP (--app; with"
    " --app, .flaskenv and .env too), NO_COLOR (no colour)."
)
ENV_APP_COLOUR = "Environment: FLASK_APP (--app; with --app, .flaskenv and .env too), NO_COLOR (no colour)."
ENV_NONE = "Environment: none read."

#: ``ctx.meta`` key where ``flask session ...`` leaves (``ScriptInfo.load_app``, its import path): the app Flask loads.
LOADED_APP = "flasksess.loaded_app"


class Command(click.Command):
    """A click command that never echoes a stray argument: it may be a key typed in the wrong place.

    click's own message ("Got unexpected extra argument (...)") repeats the arguments,
    which would put a secret key into the terminal's scrollback and into logs of CI runs.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        allowed, ctx.allow_extra_args = ctx.allow_extra_args, True
        try:
            rest = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if ctx.args and not allowed and not ctx.resilient_parsing:
            n = len(ctx.args)
            ctx.fail(
                f"got {n} unexpected extra argument{'s' if n > 1 else ''}, not shown as it may be a key "
                "(quote a value that holds spaces; give keys with FLASK_SECRET_KEY or --key-file)"
            )
        return rest


class Group(click.Group):
    """A click group whose commands are :class:`Command`."""

    command_class = Command


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document (keys in the README).")


def complete_path(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The shell completes file names (what click.Path offers, without building one at every start-up)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def complete_at_file(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """TAB completion for ``@FILE`` values: list the directory being typed, nothing else."""
    from click.shell_completion import CompletionItem

    if not incomplete.startswith("@"):
        return []
    directory, _, prefix = incomplete[1:].rpartition("/")
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        return []
    items = []
    for name in names:
        if name.startswith(prefix) and (prefix.startswith(".") or not name.startswith(".")):
            path = f"{directory}/{name}" if directory else name
            items.append(CompletionItem("@" + path + ("/" if os.path.isdir(path) else "")))
    return items
