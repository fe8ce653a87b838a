"""``flask session ...`` and ``flask secret ...``: the flasksess commands, run against the app Flask loaded.

Registered as ``flask.commands`` entry points, so in any project where flasksess is
installed ``flask session verify "$COOKIE"`` works with the app's real config, session
interface and ``SECRET_KEY_FALLBACKS``: no ``--app``, no code change. One implementation,
two doors: each subcommand is the ``flasksess`` click command itself, loaded when first
used, minus its own ``--app`` (``flask --app``, FLASK_APP, ``.flaskenv`` and ``wsgi.py``/``app.py``
pick the app, as for every ``flask`` command). Options, output and exit codes are those
of ``flasksess``.

Flask imports this module whenever it lists its commands (``flask --help``, ``flask run``):
it imports click and the light root of the command line, nothing else.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import click

from flasksess_cli.cli import CONTEXT_SETTINGS, FlasksessGroup, cli, error_funnel
from flasksess_cli.cli.common import ENV_KEY, LOADED_APP


class FlaskDoor(FlasksessGroup):
    """A group of flasksess commands under ``flask``: the app is the one Flask loads, on first use.

    The app is loaded only by a command that needs it (``genkey`` never does; ``decode`` only for its cookie name),
    and errors take the ``flasksess`` form: one ``Error:`` line and the documented exit code.
    """

    def _load(self, cmd_name: str) -> click.Command:
        command = copy.copy(super()._load(cmd_name))
        command.params = [param for param in command.params if param.name != "app_spec"]
        if command.help:  # its examples, as typed at this door
            import re

            mine = f"flasksess {'audit key' if cmd_name == 'audit' else cmd_name}"
            lines = [line for line in command.help.splitlines() if not (mine in line and "--app" in line)]
            command.help = re.sub(rf"{mine}\b", f"flask {self.name} {cmd_name}", "\n".join(lines))
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from flask.cli import ScriptInfo

        info = ctx.ensure_object(ScriptInfo)
        ctx.meta[LOADED_APP] = (info.load_app, info.app_import_path)
        with error_funnel():
            return super().invoke(ctx)


def _door(*names: str, **more: str) -> Callable[[Callable[[], None]], click.Group]:
    """A ``flask`` command group: the ``flasksess`` commands ``names``, and ``more`` (name -> "module:command")."""
    commands = {name: cli.lazy_subcommands[name] for name in names} | more
    return click.group(cls=FlaskDoor, context_settings=CONTEXT_SETTINGS, epilog=ENV_KEY, lazy_subcommands=commands)


@_door("decode", "verify", "sign", "sizecheck")
def session() -> None:
    """This app's session cookies (flasksess): decode, verify, sign, sizecheck.

    The commands of flasksess, with the keys, session interface and cookie settings of
    the app that flask loads (flask --app, FLASK_APP, .flaskenv, wsgi.py or app.py).

    \b
    Examples:
      flask session verify "$COOKIE"            # SECRET_KEY and SECRET_KEY_FALLBACKS
      flask session sign '{"user_id": 1}'       # a cookie this app accepts
      flask session sizecheck --session @cart.json
      flask --app shop:create_app session verify --json "$COOKIE"
    """


@_door(genkey="flasksess_cli.cli:genkey", audit="flasksess_cli.cli.audit:audit_key")
def secret() -> None:
    """This app's SECRET_KEY (flasksess): generate a strong one, audit the app's keys.

    \b
    Examples:
      flask secret genkey --format env >> .env
      flask secret audit                        # SECRET_KEY and every SECRET_KEY_FALLBACKS entry
    """
