"""What the commands share: input reading, option decorators, and the key and scheme they resolve.

Imported at every start-up (the root group's help takes its Environment line from
here), so its top-level imports stay light: click, choices, keys and errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flasksess_cli import choices, keys
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.cookies import Scheme
    from flasksess_cli.flaskapp import AppSettings

#: The "Environment:" line of each command's help.
ENV_KEY = "Environment: FLASK_SECRET_KEY (the key, when neither -k nor --key-file is given), NO_COLOR (no colour)."
ENV_COLOUR = "Environment: NO_COLOR (no colour in human output)."
ENV_NONE = "Environment: none read."


def read_input(source: str, what: str, *, limit: int = choices.MAX_INPUT_BYTES) -> str:
    """An argument's text: itself, ``-`` for stdin, or ``@FILE``; at most ``limit`` bytes, UTF-8."""
    data: bytes
    if source == "-":
        data = sys.stdin.buffer.read(limit + 1)
    elif source.startswith("@"):
        try:
            with open(source[1:], "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise BadInput(f"cannot read {source[1:]!r}: {exc.strerror or 'unreadable'}") from None
    else:
        return source
    if len(data) > limit:
        raise BadInput(f"the {what} is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"the {what} is not UTF-8 text") from None


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


def cookie_argument(f: Any) -> Any:
    f = click.option(
        "--cookie-name",
        metavar="NAME",
        help=f"Which cookie to take from a Cookie: or Set-Cookie: header [default: {choices.DEFAULT_COOKIE_NAME}, or the app's].",
    )(f)
    return click.argument("cookie", metavar="COOKIE")(f)


def scheme_options(f: Any) -> Any:
    for decorator in reversed(
        [
            click.option(
                "--app",
                "app_spec",
                metavar="MODULE:APP",
                help="Take keys, cookie name, lifetime, salt, digest and key derivation from this Flask app (flask --app syntax).",
            ),
            click.option("--salt", help=f"The session interface's salt [default: {choices.FLASK_SALT}]."),
            click.option(
                "--digest", type=click.Choice(tuple(choices.DIGEST_SIZES)), help="HMAC digest [default: sha1]."
            ),
            click.option(
                "--key-derivation",
                type=click.Choice(choices.KEY_DERIVATIONS),
                help="itsdangerous key derivation [default: hmac, Flask's].",
            ),
            click.option(
                "--legacy-epoch",
                is_flag=True,
                help="Timestamps count from 2011-01-01 (cookies signed by itsdangerous <= 0.24).",
            ),
        ]
    ):
        f = decorator(f)
    return f


def key_options(f: Any) -> Any:
    for decorator in reversed(
        [
            click.option(
                "--secret-key",
                "-k",
                envvar="FLASK_SECRET_KEY",
                show_envvar=True,
                metavar="KEY",
                help="The SECRET_KEY: text, b'...' bytes literal, hex:... or base64:... "
                "Prefer FLASK_SECRET_KEY or --key-file: a key in argv shows in ps and shell history.",
            ),
            click.option(
                "--key-file",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Read the SECRET_KEY from this file (as genkey --out writes it).",
            ),
            click.option(
                "--fallback",
                "fallback_specs",
                multiple=True,
                metavar="KEY",
                help="An older key that still verifies (repeatable, oldest first, as SECRET_KEY_FALLBACKS).",
            ),
        ]
    ):
        f = decorator(f)
    return f


def json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document (keys in the README).")(f)


def max_size_option(f: Any) -> Any:
    return click.option(
        "--max-size",
        "max_json",
        type=click.IntRange(min=1),
        default=choices.DEFAULT_MAX_JSON_BYTES,
        show_default=True,
        metavar="BYTES",
        help="Refuse payloads that inflate to more JSON than this (zip-bomb guard).",
    )(f)


class Signing:
    """Keys, scheme and cookie settings from the options, with ``--app`` filling what was not given."""

    def __init__(self, ctx: click.Context, *, need_key: bool) -> None:
        from flasksess_cli.cookies import Scheme

        p = ctx.params
        app: AppSettings | None = None
        if p.get("app_spec"):
            from flasksess_cli.flaskapp import load_app_settings

            app = load_app_settings(p["app_spec"])
        self.app = app
        self.key = resolve_key(ctx, app)
        if need_key and self.key is None:
            raise click.UsageError("no secret key: give --secret-key, FLASK_SECRET_KEY, --key-file or --app", ctx=ctx)
        self.max_age: int = app.max_age if app else choices.DEFAULT_MAX_AGE
        given = tuple(keys.parse_key(spec) for spec in p.get("fallback_specs") or ())
        self.fallbacks = given or (app.fallbacks if app else ())
        base = app.scheme if app else Scheme()
        self.scheme: Scheme = Scheme(
            salt=p.get("salt") or base.salt,
            digest=p.get("digest") or base.digest,
            key_derivation=p.get("key_derivation") or base.key_derivation,
        )
        self.cookie_name: str = p.get("cookie_name") or (app.cookie_name if app else choices.DEFAULT_COOKIE_NAME)

    @property
    def required_key(self) -> keys.SecretKey:
        if self.key is None:  # only when constructed with need_key=False
            raise BadInput("no secret key: give --secret-key, FLASK_SECRET_KEY, --key-file or --app")
        return self.key


def resolve_key(ctx: click.Context, app: AppSettings | None = None) -> keys.SecretKey | None:
    """The key from --secret-key, --key-file, FLASK_SECRET_KEY or the app; a file or the app beats the environment."""
    p = ctx.params
    from_env = ctx.get_parameter_source("secret_key") is click.core.ParameterSource.ENVIRONMENT
    if p.get("secret_key") and p.get("key_file") and not from_env:
        raise click.UsageError("give either --secret-key or --key-file, not both", ctx=ctx)
    if p.get("key_file"):
        return keys.read_key_file(p["key_file"])
    if p.get("secret_key") and not (from_env and app and app.key):
        return keys.parse_key(p["secret_key"])
    return app.key if app else None
