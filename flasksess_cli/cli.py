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
from typing import TYPE_CHECKING, Any

import click

from flasksess_cli import choices, keys
from flasksess_cli.errors import BadInput, ExitCode, FlasksessError

if TYPE_CHECKING:
    from flasksess_cli.cookies import Scheme
    from flasksess_cli.flaskapp import AppSettings


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

#: The "Environment:" line of each command's help.
ENV_KEY = "Environment: FLASK_SECRET_KEY (the key, when neither -k nor --key-file is given), NO_COLOR (no colour)."
ENV_COLOUR = "Environment: NO_COLOR (no colour in human output)."
ENV_NONE = "Environment: none read."


@click.group(cls=FlasksessGroup, context_settings=CONTEXT_SETTINGS, epilog=ENV_KEY)
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


# --- options shared by the cookie commands -------------------------------------------------------


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


# --- decode, verify, sign ---------------------------------------------------------------------------


@cli.command(epilog=ENV_COLOUR)
@cookie_argument
@click.option("--legacy-epoch", is_flag=True, help="Timestamps count from 2011-01-01 (itsdangerous <= 0.24).")
@max_size_option
@json_option
def decode(cookie: str, cookie_name: str | None, legacy_epoch: bool, max_json: int, as_json: bool) -> None:
    """Show what is inside a session cookie. No key needed, and nothing is verified.

    COOKIE is the value, name=value, a Cookie: or Set-Cookie: header (or several header
    lines), or - to read stdin.

    \b
    Examples:
      flasksess decode 'eyJ1c2VyX2lkIjo0Mn0.aT8ZWQ.0d2x...'
      curl -si http://127.0.0.1:5000/login | flasksess decode -
      flasksess decode --json "$COOKIE" | jq .session
    """
    from flasksess_cli import render
    from flasksess_cli.cookie_input import extract_cookie
    from flasksess_cli.cookies import decode_cookie

    value = extract_cookie(read_input(cookie, "cookie"), name=cookie_name or choices.DEFAULT_COOKIE_NAME)
    render.decoded(decode_cookie(value, legacy_epoch=legacy_epoch, max_json=max_json), as_json=as_json)


@cli.command(epilog=ENV_KEY)
@cookie_argument
@key_options
@scheme_options
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    metavar="SECONDS",
    help="Reject cookies older than this [default: 2678400, Flask's 31 days, or the app's lifetime].",
)
@click.option("--no-max-age", is_flag=True, help="Do not check the age.")
@max_size_option
@json_option
@click.pass_context
def verify(
    ctx: click.Context, /, cookie: str, max_age: int | None, no_max_age: bool, max_json: int, as_json: bool, **_: Any
) -> None:
    """Check that a session cookie was signed with your key (or a fallback), and is not expired.

    Exit 0 only when Flask would load the cookie as a session; 1 when not (bad signature,
    expired, future-dated, or signed but unloadable); 3 when the input is not a cookie.

    \b
    Examples:
      FLASK_SECRET_KEY=... flasksess verify "$COOKIE"
      flasksess verify --key-file instance/secret.key --fallback 'old-key' "$COOKIE"
      flasksess verify --app myapp:app --json "$COOKIE"
    """
    from flasksess_cli import render
    from flasksess_cli.cookie_input import extract_cookie
    from flasksess_cli.cookies import verify_cookie

    signing = Signing(ctx, need_key=True)
    value = extract_cookie(read_input(cookie, "cookie"), name=signing.cookie_name)
    limit = None if no_max_age else (max_age if max_age is not None else signing.max_age)
    result = verify_cookie(
        value, key=signing.required_key, fallbacks=signing.fallbacks, scheme=signing.scheme, max_age=limit,
        legacy_epoch=ctx.params["legacy_epoch"], max_json=max_json,
    )  # fmt: skip
    render.verification(result, as_json=as_json)
    ctx.exit(ExitCode.OK if result.valid else ExitCode.NO)


@cli.command(epilog=ENV_KEY)
@click.argument("session_text", metavar="[SESSION]", default="-", shell_complete=complete_at_file)
@click.option(
    "--tagged", is_flag=True, help="SESSION is Flask's tagged JSON (decode's \"payload\"), not the typed form."
)
@click.option(
    "--python",
    "python_literal",
    metavar="LITERAL",
    shell_complete=complete_at_file,
    help="The session as a Python literal with tuples and bytes (or @FILE, or -); read safely, never eval'd.",
)
@key_options
@scheme_options
@click.option(
    "--timestamp",
    type=click.IntRange(min=0, max=2**63),
    metavar="UNIX",
    help="Sign at this time (reproducible output).",
)
@click.option("--no-sort-keys", is_flag=True, help="Keep the session's key order, as Quart writes it.")
@json_option
@click.pass_context
def sign(
    ctx: click.Context,
    /, session_text: str, tagged: bool, python_literal: str | None, timestamp: int | None,
    no_sort_keys: bool, as_json: bool, **_: Any,
) -> None:  # fmt: skip
    """Sign a session into a cookie that Flask accepts.

    SESSION is JSON in the typed form that decode --json prints as "session" (so the two
    round-trip), @FILE, or - / nothing for stdin. The current key signs; fallbacks never do.

    \b
    Examples:
      flasksess sign -k "$KEY" '{"user_id": 42}'
      flasksess sign --python "{'cart': (1, 2), 'token': b'\\x00'}" --key-file secret.key
      flasksess decode --json "$C" | jq .session | flasksess sign --timestamp 1700000000 -
      curl -b "session=$(flasksess sign '{"user_id": 1}')" http://127.0.0.1:5000/
    """
    from flasksess_cli import render
    from flasksess_cli.cookies import sign_session
    from flasksess_cli.session_json import session_from_text

    if python_literal is not None and session_text != "-":
        raise click.UsageError("give the session either as SESSION or with --python, not both", ctx=ctx)
    if python_literal is None and session_text == "-" and sys.stdin.isatty():
        raise click.UsageError("give the SESSION to sign (JSON, @FILE, or pipe it in)", ctx=ctx)
    form = "python" if python_literal is not None else ("tagged" if tagged else "typed")
    session = session_from_text(read_input(python_literal or session_text, "session"), form)
    signing = Signing(ctx, need_key=True)
    app = signing.app
    signed = sign_session(
        session, key=signing.required_key, scheme=signing.scheme, timestamp=timestamp,
        legacy_epoch=ctx.params["legacy_epoch"], sort_keys=not no_sort_keys and (app.sort_keys if app else True),
        ensure_ascii=app.ensure_ascii if app else True,
    )  # fmt: skip
    render.signed(signed, as_json=as_json)


@cli.command("serve-demo", epilog=ENV_KEY)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on; other than loopback, a warning."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@key_options
@click.option("--allow-weak-key", is_flag=True, help="Accept a key under 16 bytes or a published example key.")
@click.option("--behind-proxy", is_flag=True, help="Trust X-Forwarded-* headers from one proxy (Werkzeug's ProxyFix).")
@click.option("--debug", is_flag=True, help="Flask debug mode and DEBUG logging (no interactive debugger).")
@click.pass_context
def serve_demo(
    ctx: click.Context, /, host: str, port: int, allow_weak_key: bool, behind_proxy: bool, debug: bool, **_: Any
) -> None:
    """Run Flask's classic login demo for real, with a live cookie inspector.

    Log in, log out, see the flash messages, and watch the session cookie on every page:
    decoded, dated and size-checked. "Grow the session" pushes the cookie past 4096 bytes
    so you can see the browser keep the old session. Ctrl-C stops the server.

    \b
    Examples:
      flasksess serve-demo                       # http://127.0.0.1:5000/, a fresh random key
      flasksess serve-demo --port 0              # any free port
      flasksess serve-demo --key-file secret.key --fallback old-key
    """
    from flasksess_cli import render
    from flasksess_cli.demo import server

    key = resolve_key(ctx)
    if key is None:
        key = keys.SecretKey(keys.generate_keys(fmt="hex")[0].key)
        render.note("No secret key given: using a fresh random one, so sessions end when the server stops.")
    elif not allow_weak_key:
        server.refuse_weak_key(key)
    fallbacks = tuple(keys.parse_key(spec).value for spec in ctx.params["fallback_specs"])
    if not server.is_loopback(host):
        render.note(f"Warning: listening on {host}, not loopback: other machines can reach this demo.")
    running = server.bind(server.demo_app(key.value, fallbacks, behind_proxy=behind_proxy, debug=debug), host, port)
    render.emit_value(server.url_of(running))
    server.serve(running)
    render.note("Stopped.")


@cli.command(epilog=ENV_NONE)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the TAB-completion script for SHELL (the same as completions/).

    \b
    Examples:
      flasksess completion bash > ~/.local/share/bash-completion/completions/flasksess
      flasksess completion zsh > "${fpath[1]}/_flasksess"
      flasksess completion fish > ~/.config/fish/completions/flasksess.fish
    """
    from flasksess_cli import render

    render.emit_value(completion_script(shell))


def completion_script(shell: str) -> str:
    """click's own completion script for this application."""
    from click.shell_completion import get_completion_class

    shell_class = get_completion_class(shell)
    if shell_class is None:
        raise BadInput(f"no completion for the shell {shell!r}")
    return shell_class(cli, {}, "flasksess", "_FLASKSESS_COMPLETE").source()


# --- sizecheck -------------------------------------------------------------------------------------

_SIZECHECK_INPUTS = ("cookie", "session_text", "python_literal", "url", "har_file")
_URL_ONLY = ("data_pairs", "header_lines", "cookie_pairs", "insecure")


def _pair(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
    separator = ":" if param.name == "header_lines" else "="
    pairs = []
    for value in values:
        key, sep, rest = value.partition(separator)
        if not sep or not key.strip():
            raise click.BadParameter(f"{value[:40]!r} is not {param.metavar}", ctx=ctx, param=param)
        pairs.append((key.strip(), rest.strip() if separator == ":" else rest))
    return pairs


@cli.command(epilog=ENV_COLOUR)
@click.argument("cookie", metavar="[COOKIE]", required=False)
@click.option(
    "--session",
    "session_text",
    metavar="SESSION",
    shell_complete=complete_at_file,
    help="Check the cookie Flask would write for this session: typed JSON as decode --json prints it, @FILE or -.",
)
@click.option("--tagged", is_flag=True, help="--session is Flask's tagged JSON (decode's \"payload\").")
@click.option(
    "--python",
    "python_literal",
    metavar="LITERAL",
    shell_complete=complete_at_file,
    help="The session as a Python literal (or @FILE, or -).",
)
@click.option(
    "--url", metavar="URL", help="Request this page and check every cookie set on the way (redirects followed)."
)
@click.option("--data", "data_pairs", multiple=True, callback=_pair, metavar="KEY=VALUE",
              help="With --url: a form field; makes the request a POST (repeatable).")  # fmt: skip
@click.option("--header", "header_lines", multiple=True, callback=_pair, metavar="'NAME: VALUE'",
              help="With --url: a request header (repeatable).")  # fmt: skip
@click.option("--cookie", "cookie_pairs", multiple=True, callback=_pair, metavar="NAME=VALUE",
              help="With --url: a cookie the browser already holds (repeatable).")  # fmt: skip
@click.option(
    "--insecure", is_flag=True, help="With --url: accept an untrusted TLS certificate (self-signed dev server)."
)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              metavar="SECONDS", help="With --url: give up on a response after this long.")  # fmt: skip
@click.option(
    "--har",
    "har_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="A browser's HAR export: check every Set-Cookie and Cookie header.",
)
@click.option("--app", "app_spec", metavar="MODULE:APP",
              help="Take the cookie name, attributes, MAX_COOKIE_SIZE, digest and JSON settings from this Flask app.")  # fmt: skip
@click.option("--cookie-name", metavar="NAME", help=f"SESSION_COOKIE_NAME [default: {choices.DEFAULT_COOKIE_NAME}].")
@click.option("--domain", metavar="DOMAIN", help="SESSION_COOKIE_DOMAIN [default: none].")
@click.option("--path", metavar="PATH", help="SESSION_COOKIE_PATH [default: /].")
@click.option("--secure/--no-secure", default=None, help="SESSION_COOKIE_SECURE [default: no].")
@click.option("--httponly/--no-httponly", default=None, help="SESSION_COOKIE_HTTPONLY [default: yes].")
@click.option(
    "--samesite", type=click.Choice(choices.SAMESITE_VALUES, case_sensitive=False), help="SESSION_COOKIE_SAMESITE."
)
@click.option("--partitioned/--no-partitioned", default=None, help="SESSION_COOKIE_PARTITIONED (forces Secure).")
@click.option(
    "--permanent",
    is_flag=True,
    help="As session.permanent = True: _permanent joins the session, Expires (39 bytes) the header.",
)
@click.option("--max-cookie-size", type=click.IntRange(min=0), metavar="BYTES",
              help="Flask's MAX_COOKIE_SIZE; 0 turns the warning off [default: 4093].")  # fmt: skip
@click.option(
    "--digest", type=click.Choice(tuple(choices.DIGEST_SIZES)), help="The session's HMAC digest [default: sha1]."
)
@click.option("--server", type=click.Choice(choices.SIZECHECK_SERVERS),
              help="The server in front of the app: exit 1 if it would reject the Cookie header [default: show all].")  # fmt: skip
@click.option("--limits", is_flag=True, help="Print the limits, with their sources, and exit.")
@json_option
@click.pass_context
def sizecheck(ctx: click.Context, /, limits: bool, as_json: bool, **p: Any) -> None:
    """Will this session cookie survive browsers and servers? Sizes against every limit, and a fix.

    COOKIE is a value, name=value, Set-Cookie: or Cookie: header lines (curl -si output
    will do), @FILE, or - for stdin. Or give --session, --url or --har instead. Exit 1 when a
    browser would drop a cookie (or the --server would reject the request), else 0.

    \b
    Examples:
      flasksess sizecheck "$COOKIE"
      flasksess sizecheck --session @session.json --app myapp:app
      flasksess sizecheck --url http://127.0.0.1:5000/login --data user=ann --data password=x
      flasksess sizecheck --har checkout.har --server nginx
      flasksess sizecheck --limits
    """
    from flasksess_cli import render

    if limits:
        render.limits(as_json=as_json)
        return
    given = [name for name in _SIZECHECK_INPUTS if p[name] is not None]
    if len(given) != 1:
        raise click.UsageError("give one of COOKIE, --session, --python, --url or --har", ctx=ctx)
    if p["url"] is None and any(p[name] for name in _URL_ONLY):
        raise click.UsageError("--data, --header, --cookie and --insecure go with --url", ctx=ctx)
    result = _sizecheck_source(p)
    render.sizecheck(result, as_json=as_json)
    ctx.exit(ExitCode.NO if result.answer_is_no else ExitCode.OK)


def _sizecheck_source(p: dict[str, Any]) -> Any:
    """The SizeCheck for whichever input was given, with the cookie settings of the options and --app."""
    from flasksess_cli import sources
    from flasksess_cli.session_size import cookie_settings

    app = None
    if p["app_spec"]:
        from flasksess_cli.flaskapp import load_app_settings

        app = load_app_settings(p["app_spec"])
    settings = cookie_settings(
        app, name=p["cookie_name"], domain=p["domain"], path=p["path"], secure=p["secure"], httponly=p["httponly"],
        samesite=p["samesite"], partitioned=p["partitioned"], permanent=p["permanent"],
        max_cookie_size=p["max_cookie_size"], digest=p["digest"],
    )  # fmt: skip
    server = p["server"]
    if p["url"] is not None:
        return sources.from_url(
            p["url"], settings, data=p["data_pairs"], headers=p["header_lines"], cookies=p["cookie_pairs"],
            insecure=p["insecure"], timeout=p["timeout"], server=server,
        )  # fmt: skip
    if p["har_file"] is not None:
        source = p["har_file"] if p["har_file"] == "-" else "@" + p["har_file"]
        return sources.from_har(read_input(source, "HAR file", limit=sources.MAX_HAR_BYTES), settings, server=server)
    if p["cookie"] is not None:
        return sources.from_text(read_input(p["cookie"], "cookie"), settings, server=server)
    from flasksess_cli.session_json import session_from_text

    form = "python" if p["python_literal"] is not None else ("tagged" if p["tagged"] else "typed")
    session = session_from_text(read_input(p["python_literal"] or p["session_text"], "session"), form)
    return sources.from_session(session, settings, server=server)


# --- audit ------------------------------------------------------------------------------------------


@cli.group(epilog=ENV_KEY)
def audit() -> None:
    """Check that nobody can guess your secret key: the key itself, or the key behind a cookie.

    \b
    Exit codes: 0 nothing guessable found; 1 the key is guessable (weak,
    published, or found in a list); 2 usage error; 3 input unreadable.
    """


@audit.command("key", epilog=ENV_KEY)
@click.argument("key_spec", metavar="[KEY | -]", required=False, envvar="FLASK_SECRET_KEY")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the key from this file (as genkey --out writes it).",
)
@click.option(
    "--app",
    "app_spec",
    metavar="MODULE:APP",
    help="Audit this Flask app's SECRET_KEY and each of its SECRET_KEY_FALLBACKS.",
)
@json_option
@click.pass_context
def audit_key(
    ctx: click.Context, key_spec: str | None, key_file: Path | None, app_spec: str | None, as_json: bool
) -> None:
    """Estimate how guessable a secret key is: weak (exit 1) or strong (exit 0).

    KEY is text, a b'...' bytes literal, hex:... or base64:...; - reads it from stdin;
    without it, FLASK_SECRET_KEY. Prefer - , the environment or --key-file: a key in
    argv shows in ps and shell history. The key is never printed, only masked.

    \b
    Weak: under 128 bits of estimated entropy (16 random bytes), or a published key.
    Examples:
      FLASK_SECRET_KEY=... flasksess audit key
      flasksess audit key --key-file instance/secret.key
      flasksess audit key --app myapp:app --json
    """
    from flasksess_cli import render
    from flasksess_cli.strength import audit_key as assess

    results = [assess(key.material, role=role) for role, key in _keys_to_audit(ctx, key_spec, key_file, app_spec)]
    render.key_audit(results, as_json=as_json)
    ctx.exit(ExitCode.NO if any(result.weak for result in results) else ExitCode.OK)


def _keys_to_audit(
    ctx: click.Context, key_spec: str | None, key_file: Path | None, app_spec: str | None
) -> list[tuple[str, keys.SecretKey]]:
    from_env = ctx.get_parameter_source("key_spec") is click.core.ParameterSource.ENVIRONMENT
    given = [
        name
        for name, present in (("KEY", key_spec and not from_env), ("--key-file", key_file), ("--app", app_spec))
        if present
    ]
    if len(given) > 1:
        raise click.UsageError(f"give one of KEY, --key-file or --app, not {' and '.join(given)}", ctx=ctx)
    if key_file is not None:
        return [("key", keys.read_key_file(key_file))]
    if app_spec:
        from flasksess_cli.flaskapp import load_app_settings

        app = load_app_settings(app_spec)
        if app.key is None:
            raise BadInput(f"--app {app_spec}: the app has no SECRET_KEY, so it has no sessions to protect")
        fallbacks = [(f"SECRET_KEY_FALLBACKS[{n}]", key) for n, key in enumerate(app.fallbacks)]
        return [("SECRET_KEY", app.key), *fallbacks]
    if key_spec is None:
        raise click.UsageError("give the KEY to audit: - for stdin, FLASK_SECRET_KEY, --key-file or --app", ctx=ctx)
    text = read_input(key_spec, "key") if key_spec == "-" else key_spec
    return [("FLASK_SECRET_KEY" if from_env else "key", keys.parse_key(text.removesuffix("\n").removesuffix("\r")))]


@audit.command("cookie", epilog=ENV_COLOUR)
@cookie_argument
@click.option(
    "--wordlist",
    "wordlists",
    multiple=True,
    metavar="FILE",
    type=click.Path(allow_dash=True),
    help="Also try each line of FILE (repeatable; - for stdin; flask-unsign for the flask-unsign-wordlist package's list).",
)
@click.option("--no-builtin", is_flag=True, help="Skip the built-in list of published keys.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes searching the wordlists [default: one per core].",
)
@click.option("--hashcat", is_flag=True, help="Print the cookie in hashcat mode 29100's format instead of searching.")
@scheme_options
@json_option
@click.pass_context
def audit_cookie(
    ctx: click.Context, /, cookie: str, wordlists: tuple[str, ...], no_builtin: bool, workers: int | None,
    hashcat: bool, as_json: bool, **_: Any,
) -> None:  # fmt: skip
    """Search for the key that signed a session cookie: published keys first, then your wordlists.

    Exit 1 when the key is found (anyone who finds it can forge any session),
    0 when no candidate signed it, 130 when interrupted. A line of a wordlist is tried
    as its bytes, and also as the value it spells when it is a quoted Python
    string or bytes literal, hex:... or base64:... The digest is guessed from the
    signature's length unless --digest or --app gives it.

    \b
    Examples:
      flasksess audit cookie "$COOKIE"
      flasksess audit cookie --wordlist rockyou.txt --wordlist flask-unsign "$COOKIE"
      flasksess audit cookie --app myapp:app --json "$COOKIE"
      flasksess audit cookie --hashcat "$COOKIE" > cookie.hash   # then: hashcat -m 29100
    """
    from flasksess_cli import audit as engine
    from flasksess_cli import render
    from flasksess_cli.cookie_input import extract_cookie

    signing = Signing(ctx, need_key=False)
    value = extract_cookie(read_input(cookie, "cookie"), name=signing.cookie_name)
    digest_given = bool(ctx.params["digest"]) or signing.app is not None
    target, kind = engine.cookie_target(value, scheme=signing.scheme, digest_given=digest_given)
    if hashcat:
        from flasksess_cli.hashcat import hashcat_hash

        render.hashcat(hashcat_hash(value, target=target, kind=kind), as_json=as_json)
        return
    opened = engine.open_wordlists(wordlists)
    try:
        with render.audit_progress(enabled=not as_json) as progress:
            result = engine.audit_cookie(
                target, kind=kind, scheme=signing.scheme, wordlists=opened, builtin=not no_builtin,
                workers=workers or engine.default_workers(), progress=progress,
            )  # fmt: skip
    finally:
        engine.close_wordlists(opened)
    render.cookie_audit(result, as_json=as_json)
    ctx.exit(130 if result.interrupted else ExitCode.NO if result.found else ExitCode.OK)


def main() -> None:
    cli(prog_name="flasksess")
