"""What the commands share: input reading, every shared option (declared once), and the settings they resolve.

Options that describe the app (keys, ``--app``, salt, digest, cookie name and
attributes) reach a command as one typed :class:`~flasksess_cli.settings.Given`
(:func:`pass_given`), which :func:`resolve_settings` merges with ``--app`` and
Flask's defaults in :func:`flasksess_cli.settings.resolve`.

Imported by the command modules, which load only when their command runs, shows its
help or completes; its top-level imports stay light: click, defaults and errors.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from flasksess_cli import defaults
from flasksess_cli.cli.common import LOADED_APP, complete_at_file, complete_path
from flasksess_cli.errors import BadInput
from flasksess_cli.untrusted import show

if TYPE_CHECKING:
    from flasksess_cli.audit.url import PageRequest
    from flasksess_cli.codec.rules import Rules
    from flasksess_cli.settings import Given, SessionSettings

Decorator = Callable[[Any], Any]


def read_input(source: str, what: str, *, limit: int = defaults.MAX_INPUT_BYTES) -> str:
    """An argument's text: itself, ``-`` for stdin, or ``@FILE``; at most ``limit`` bytes, UTF-8.

    The three are read alike: text given in argv that is not UTF-8 is refused as stdin's would be.
    """
    data: bytes
    if source == "-":
        data = sys.stdin.buffer.read(limit + 1)
    elif source.startswith("@"):
        import os
        import stat

        try:
            with open(source[1:], "rb") as handle:
                status = os.fstat(handle.fileno())
                if stat.S_ISREG(status.st_mode) and status.st_size > limit:  # refused before reading a byte
                    raise BadInput(f"the {what} is {status.st_size} bytes, larger than {limit} bytes")
                data = handle.read(limit + 1)
        except OSError as exc:
            raise BadInput(f"cannot read {show(source[1:], 120)}: {exc.strerror or 'unreadable'}") from None
    else:
        try:
            data = source.encode("utf-8", "surrogateescape")  # the bytes argv held
        except UnicodeEncodeError:
            raise BadInput(f"the {what} is not UTF-8 text") from None
    if len(data) > limit:
        raise BadInput(f"the {what} is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"the {what} is not UTF-8 text") from None


def _stack(*decorators: Decorator) -> Decorator:
    """Apply options in the order written (the first one listed shows first in --help)."""

    def decorate(f: Any) -> Any:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return decorate


# --- every shared option, declared once --------------------------------------------------------------

legacy_epoch_option = click.option(
    "--legacy-epoch", is_flag=True, help="Timestamps count from 2011-01-01 (cookies signed by itsdangerous <= 0.24)."
)

max_size_option = click.option(
    "--max-size",
    "max_json",
    type=click.IntRange(min=1, max=defaults.MAX_JSON_BYTES),
    default=defaults.DEFAULT_MAX_JSON_BYTES,
    show_default=True,
    metavar="BYTES",
    help=f"Refuse payloads that inflate to more JSON than this (zip-bomb guard; at most {defaults.MAX_JSON_BYTES}).",
)

digest_option = click.option(
    "--digest",
    type=click.Choice(tuple(defaults.DIGEST_SIZES)),
    metavar="NAME",
    help="The session's HMAC digest: sha1, sha256, sha512, md5, sha3_256, blake2b or another fixed-size "
    "hashlib digest [default: sha1].",
)

key_file_option = click.option(
    "--key-file",
    metavar="FILE",
    shell_complete=complete_path,
    help="Read the SECRET_KEY from this file (as genkey --out writes it).",
)


_APP_HELP = (
    " Alone (last): found as 'flask' finds it (FLASK_APP, wsgi.py or app.py; .flaskenv and .env loaded when"
    " python-dotenv is installed). Imports and runs the app's code."
)


def _app_spec(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A bare ``--app`` before COOKIE or SESSION takes it as its value: say so rather than import it."""
    import re

    if value and re.match(r"\s*(?:[{\[]|(?:set-)?cookie:|(?:[\w-]+=)?(?:eyJ|\.eJ))|.*\n", value, re.IGNORECASE):
        raise click.BadParameter(
            f"{value[:20]!r}... is a cookie or a session, not an app: put a bare --app after it, "
            "or write --app=MODULE:APP",
            ctx=ctx,
            param=param,
        )
    return value


def app_option(help: str) -> Decorator:
    """``--app SPEC`` in ``flask --app`` syntax; ``--app`` alone finds the app as a bare ``flask`` does."""
    return click.option(
        "--app",
        "app_spec",
        metavar="[MODULE:APP]",
        is_flag=False,
        flag_value="",
        envvar="FLASK_APP",
        show_envvar=True,
        callback=_app_spec,
        help=help + _APP_HELP,
    )


def loaded_cookie_name(ctx: click.Context) -> str | None:
    """Under ``flask session``, the app's SESSION_COOKIE_NAME; None elsewhere or when the app cannot load."""
    try:
        settings = loaded_app_settings(ctx)
    except BadInput:  # decode needs no app: read the cookie as flasksess would without one
        return None
    return None if settings is None else settings.cookie_name


def loaded_app_settings(ctx: click.Context) -> SessionSettings | None:
    """The settings of the app Flask loads when this runs as ``flask session ...`` (loaded now), else None."""
    found = ctx.meta.get(LOADED_APP)
    if found is None:
        return None
    from flasksess_cli.settings import app_settings, load_with

    load_app, import_path = found
    return app_settings(load_with(load_app, import_path), import_path)


def cookie_name_option(help: str) -> Decorator:
    return click.option("--cookie-name", metavar="NAME", help=help)


def stdin_unless_terminal(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An argument left out means stdin (``echo "$C" | flasksess decode``), unless stdin is a terminal or ``--url``
    says where the cookie comes from."""
    if value is not None or ctx.resilient_parsing or ctx.params.get("source_url") is not None:
        return value
    if sys.stdin is None or sys.stdin.isatty():
        raise click.MissingParameter(ctx=ctx, param=param)
    return "-"


def cookie_argument(*, with_app: bool) -> Decorator:
    """The COOKIE argument (or stdin when it is piped) and --cookie-name, for the commands that read one cookie."""
    default = defaults.DEFAULT_COOKIE_NAME + (", or the app's" if with_app else "")
    return _stack(
        click.argument("cookie", metavar="[COOKIE]", required=False, callback=stdin_unless_terminal),
        cookie_name_option(f"Which cookie to take from a Cookie: or Set-Cookie: header [default: {default}]."),
    )


#: The session given as text: --tagged and --python, beside the command's own SESSION.
session_form_options = _stack(
    click.option(
        "--tagged", is_flag=True, help="The session is Flask's tagged JSON (decode's \"payload\"), not the typed form."
    ),
    click.option(
        "--python",
        "python_literal",
        metavar="LITERAL",
        shell_complete=complete_at_file,
        help="The session as a Python literal with tuples and bytes (or @FILE, or -); read safely, never eval'd.",
    ),
)

#: How the app signs: --app, --salt, --digest, --key-derivation, --legacy-epoch.
scheme_options = _stack(
    app_option(
        "Take keys, cookie name, lifetime, salt, digest and key derivation from this Flask app (flask --app "
        "syntax), and the rules of the releases installed."
    ),
    click.option("--salt", help=f"The session interface's salt [default: {defaults.FLASK_SALT}]."),
    digest_option,
    click.option(
        "--key-derivation",
        type=click.Choice(defaults.KEY_DERIVATIONS),
        help="itsdangerous key derivation [default: hmac, Flask's].",
    ),
    legacy_epoch_option,
)

_FORMAT_NAMES = (
    "flask-session, flask-wtf-csrf, flask-login-remember, starlette-session, quart-auth, flask-security-<token> "
    "(token, confirm, reset, login, change-email, tf-validity, tf-setup, us-setup, wan, refresh), itsdangerous, "
    "itsdangerous-untimed, flask-session-id"
)


def _format_option(what: str, default: str) -> Decorator:
    return click.option(
        "--format",
        "token_format",
        type=click.Choice(defaults.TOKEN_FORMATS),
        metavar="NAME",
        help=f"{what}: {_FORMAT_NAMES} [default: {default}].",
    )


format_option = _format_option("What the value is", "what its shape suggests")
#: sign has no value to take a shape from: it writes Flask's session cookie unless told otherwise.
sign_format_option = _format_option("What to write", "flask-session, the session cookie")

#: Whose rules apply: --flask VERSION, --quart VERSION (current Flask unless given, or the installed release with --app).
rules_options = _stack(
    click.option(
        "--flask",
        "flask_version",
        metavar="VERSION",
        help="Apply this Flask release's rules (0.10 to 3.1; 2.2 means the newest 2.2.x) [default: current Flask, "
        "or the installed release with --app].",
    ),
    click.option(
        "--quart", "quart_version", metavar="VERSION", help="Apply this Quart release's rules (0.18 to 0.20)."
    ),
)

#: The keys: --secret-key/-k (or FLASK_SECRET_KEY), --key-file, --fallback.
key_options = _stack(
    click.option(
        "--secret-key",
        "-k",
        envvar="FLASK_SECRET_KEY",
        show_envvar=True,
        metavar="KEY",
        help="The SECRET_KEY: text, b'...' bytes literal, hex:..., base64:..., or text:... for text that looks like "
        "one of those. FLASK_SECRET_KEY is read as Flask's from_prefixed_env() reads it. Prefer FLASK_SECRET_KEY "
        "or --key-file: a key in argv shows in ps and shell history.",
    ),
    key_file_option,
    click.option(
        "--fallback",
        "fallback_specs",
        multiple=True,
        metavar="KEY",
        help="An older key that still verifies (repeatable, oldest first, as SECRET_KEY_FALLBACKS).",
    ),
)


#: What audit cookie and audit url search: --wordlist, --no-builtin, --workers.
search_options = _stack(
    click.option(
        "--wordlist",
        "wordlists",
        multiple=True,
        metavar="FILE",
        shell_complete=complete_path,
        help="Also try each line of FILE (repeatable; - for stdin, so <(generator) works; "
        "flask-unsign for the flask-unsign-wordlist package's list, numbered by its lines).",
    ),
    click.option(
        "--no-builtin", is_flag=True, help="Skip the default candidates (published keys and the flask-unsign list)."
    ),
    click.option(
        "--workers",
        type=click.IntRange(min=1, max=defaults.MAX_AUDIT_WORKERS),
        metavar="N",
        help="Threads (processes for the pure-Python engine) searching the wordlists [default and at most: one per "
        "core].",
    ),
)


# --- requesting a page: sizecheck --url, audit url, decode --url, audit cookie --url --------------------------


def pair_option(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[tuple[str, str]]:
    separator = ":" if param.name == "header_lines" else "="
    pairs = []
    for value in values:
        key, sep, rest = value.partition(separator)
        if not sep or not key.strip():
            raise click.BadParameter(f"{show(value)} is not {param.metavar}", ctx=ctx, param=param)
        if any(char in value for char in "\r\n\0"):  # header injection; the value may be a bearer token: not echoed
            raise click.BadParameter(f"{show(key)}'s value holds a line break or NUL", ctx=ctx, param=param)
        pairs.append((key.strip(), rest.strip() if separator == ":" else rest))
    return pairs


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if math.isnan(value):  # NaN passes every range check
        raise click.BadParameter("nan is not a number of seconds", ctx=ctx, param=param)
    return value


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def request_options(prefix: str = "", *, cookies: bool = True, agent: bool = False) -> Decorator:
    """How to request a page: --header, --cookie, --insecure, --timeout (and --user-agent, --proxy)."""

    def helped(text: str) -> str:
        return _sentence(prefix + text)

    options = [
        click.option("--header", "-H", "header_lines", multiple=True, callback=pair_option, metavar="'NAME: VALUE'",
                     help=helped("a request header (repeatable).")),
        click.option("--cookie", "cookie_pairs", multiple=True, callback=pair_option, metavar="NAME=VALUE",
                     help=helped("a cookie the browser already holds, for a logged-in view (repeatable).")),
        click.option("--insecure", is_flag=True, help=helped("accept an untrusted TLS certificate (self-signed dev server).")),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=defaults.MAX_TIMEOUT), default=10.0,
                     show_default=True, metavar="SECONDS", callback=_finite,
                     help=helped("give up when the whole exchange, redirects included, takes longer.")),
    ]  # fmt: skip
    if not cookies:
        options.pop(1)
    if agent:
        options += [
            click.option("--user-agent", metavar="TEXT", help=helped("the User-Agent to send.")),
            click.option("--proxy", metavar="URL", help=helped(
                "send the requests through this HTTP proxy (Burp, mitmproxy) [default: the environment's].")),
        ]  # fmt: skip
    return _stack(*options)


#: --url for a command that reads one cookie (decode, audit cookie): flask-unsign's --server workflow.
url_source_options = _stack(
    click.option(
        "--url",
        "source_url",
        metavar="URL",
        help="Take the cookie from the responses to this URL (redirects followed), instead of COOKIE.",
    ),
    request_options("with --url: ", cookies=False, agent=True),
)

_REQUEST = ("header_lines", "cookie_pairs", "insecure", "timeout", "user_agent", "proxy")


def pass_request(f: Any) -> Any:
    """Hand the request options to the command as one ``request: PageRequest | None`` argument (None without a URL)."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        taken = {name: kwargs.pop(name) for name in _REQUEST if name in kwargs}
        url = kwargs.pop("source_url", None) if "source_url" in kwargs else kwargs.get("url")
        request = None
        if url is not None:  # the page machinery loads only when a page is asked for
            from flasksess_cli.audit.url import PageRequest

            request = PageRequest(
                url, headers=tuple(taken.get("header_lines") or ()), cookies=tuple(taken.get("cookie_pairs") or ()),
                insecure=bool(taken.get("insecure")), timeout=float(taken.get("timeout") or 10.0),
                user_agent=taken.get("user_agent"), proxy=taken.get("proxy"),
            )  # fmt: skip
        return f(*args, request=request, **kwargs)

    return command


def cookie_source(cookie: str | None, request: PageRequest | None) -> str:
    """The cookie text to read: COOKIE (``-``, ``@FILE``, the value) or the Set-Cookie lines of ``--url``'s responses."""
    if cookie is None and request is None:
        raise click.UsageError("Missing argument 'COOKIE'", ctx=click.get_current_context())
    if cookie is not None and request is not None:
        raise click.UsageError("give either COOKIE or --url, not both", ctx=click.get_current_context())
    if request is None:
        return read_input(str(cookie), "cookie")
    from flasksess_cli.audit.url import fetch_page, set_cookie_text

    page, _, _ = fetch_page(request)
    return set_cookie_text(page)


def session_form(*, tagged: bool, python_literal: str | None) -> str:
    """Which form a session given as text is in: "python", "tagged" or "typed"."""
    return "python" if python_literal is not None else ("tagged" if tagged else "typed")


# --- the options that describe the app, handed over as one typed value ---------------------------------

_GIVEN = {
    "app_spec": "app", "secret_key": "secret_key", "key_file": "key_file", "fallback_specs": "fallbacks",
    "flask_version": "flask", "quart_version": "quart", "token_format": "format",
}  # fmt: skip
#: Options named after a SessionSettings field.
_OVERRIDES = frozenset(
    {"salt", "digest", "key_derivation", "cookie_name", "domain", "path", "secure", "httponly", "samesite",
     "partitioned", "permanent", "max_cookie_size"}
)  # fmt: skip


def pass_given(f: Any) -> Any:
    """Hand the app-describing options to the command as one ``given: Given`` argument."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        from flasksess_cli.settings import Given

        ctx = click.get_current_context()
        taken = {field: kwargs.pop(name) for name, field in _GIVEN.items() if name in kwargs}
        taken["fallbacks"] = tuple(taken.get("fallbacks") or ())
        from_env = ctx.get_parameter_source("secret_key") is click.core.ParameterSource.ENVIRONMENT
        overrides = {name: kwargs.pop(name) for name in list(kwargs) if name in _OVERRIDES}
        legacy = bool(kwargs.get("legacy_epoch"))  # left in place too: commands may read it
        return f(*args, given=Given(**taken, key_from_env=from_env, legacy_epoch=legacy, overrides=overrides), **kwargs)

    return command


def resolve_settings(given: Given, *, need_key: bool = False) -> SessionSettings:
    """:func:`flasksess_cli.settings.resolve`, with a missing key or clashing options as usage errors.

    What the user should know about how their input was read goes to stderr.
    """
    from flasksess_cli import errors
    from flasksess_cli.render import note
    from flasksess_cli.settings import NO_KEY, resolve

    ctx = click.get_current_context()
    try:
        settings = resolve(given, loaded=None if given.app is not None else loaded_app_settings(ctx))
    except errors.UsageError as exc:
        raise click.UsageError(str(exc), ctx=ctx) from None
    if need_key and settings.key is None:
        raise click.UsageError(NO_KEY, ctx=ctx)
    for remark in settings.notes:
        note(f"Note: {remark}")
    return settings


def select_rules(*, flask_version: str | None, quart_version: str | None, legacy_epoch: bool) -> Rules:
    """The rules ``--flask``, ``--quart`` and ``--legacy-epoch`` ask for, for a command without ``--app``."""
    from flasksess_cli import errors
    from flasksess_cli.codec.rules import select
    from flasksess_cli.render import note

    try:
        rules = select(flask=flask_version, quart=quart_version, legacy_epoch=legacy_epoch)
    except errors.UsageError as exc:
        raise click.UsageError(str(exc), ctx=click.get_current_context()) from None
    if rules.note:
        note(f"Note: {rules.note}")
    return rules
