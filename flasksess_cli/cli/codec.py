"""``decode``, ``verify`` and ``sign``: a session cookie read, checked, or written."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from flasksess_cli import defaults
from flasksess_cli.cli.common import ENV_APP_KEY, ENV_COLOUR, Command, complete_at_file, json_option
from flasksess_cli.cli.options import (
    cookie_argument,
    cookie_source,
    format_option,
    key_options,
    legacy_epoch_option,
    loaded_cookie_name,
    max_size_option,
    pass_given,
    pass_request,
    read_input,
    resolve_settings,
    rules_options,
    scheme_options,
    select_rules,
    session_form,
    session_form_options,
    sign_format_option,
    url_source_options,
)
from flasksess_cli.errors import ExitCode

if TYPE_CHECKING:
    from flasksess_cli.audit.url import PageRequest
    from flasksess_cli.settings import Given


@click.command(cls=Command, epilog=ENV_COLOUR)
@cookie_argument(with_app=False)
@url_source_options
@format_option
@rules_options
@legacy_epoch_option
@max_size_option
@json_option
@pass_request
def decode(
    cookie: str | None, cookie_name: str | None, token_format: str | None, flask_version: str | None,
    quart_version: str | None, legacy_epoch: bool, max_json: int, as_json: bool, request: PageRequest | None,
) -> None:  # fmt: skip
    """Show what is inside a session cookie or another signed token. No key needed, nothing verified.

    COOKIE is the value, name=value, a Cookie: or Set-Cookie: header (or several header
    lines: curl -si or curl -v output), a curl cookie jar, a row copied from DevTools, @FILE, or -
    (or nothing, when piped) to read stdin. A Flask session is read by current Flask's rules
    unless --flask or --quart names another release; a CSRF token, a remember cookie, a
    Starlette session or another token is recognised by its shape (or named with --format).

    \b
    Examples:
      flasksess decode 'eyJ1c2VyX2lkIjo0Mn0.aT8ZWQ.0d2x...'
      curl -si http://127.0.0.1:5000/login | flasksess decode
      flasksess decode --json "$COOKIE" | jq .session
      flasksess decode --flask 0.12 "$OLD_COOKIE"
      flasksess decode --format flask-wtf-csrf "$CSRF_TOKEN"
      flasksess decode --url https://staging.example/login --cookie-name session
    """
    from flasksess_cli.codec import formats
    from flasksess_cli.codec.cookie import decode_as
    from flasksess_cli.render import codec as render

    rules = select_rules(flask_version=flask_version, quart_version=quart_version, legacy_epoch=legacy_epoch)
    fmt = token_format or ("flask-session" if flask_version or quart_version else None)
    cookie_name = cookie_name or loaded_cookie_name(click.get_current_context())
    name = cookie_name or (fmt and formats.get(fmt).cookie) or defaults.DEFAULT_COOKIE_NAME
    text = cookie_source(cookie, request)
    value = formats.take_cookie(text, name=name, exact=bool(cookie_name or fmt), last=rules.last_cookie_wins)
    render.decoded(decode_as(value, fmt=fmt, rules=rules, max_json=max_json), as_json=as_json)


@click.command(
    cls=Command, epilog=ENV_APP_KEY, short_help="Would the app load this cookie? Which key signed it? Expired?"
)
@cookie_argument(with_app=True)
@format_option
@key_options
@scheme_options
@rules_options
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
@pass_given
def verify(
    ctx: click.Context, /, cookie: str, legacy_epoch: bool, max_age: int | None, no_max_age: bool, max_json: int,
    as_json: bool, given: Given,
) -> None:  # fmt: skip
    """Check what the app would do with a session cookie or another signed token: take it, refuse it, or fail.

    Exit 0 only when the app would load the cookie as its session (and show that session),
    or take the token; 1 when not (bad signature, expired, future-dated: an empty session or
    a refused token; signed but unloadable: HTTP 500); 3 when the input is not a cookie.
    Without --format every format the value's shape admits is tried, and the one whose
    signature the key made is reported. Current Flask's rules apply to a session unless
    --flask, --quart or --app (the installed release) say otherwise.

    \b
    Examples:
      FLASK_SECRET_KEY=... flasksess verify "$COOKIE"
      flasksess verify --key-file instance/secret.key --fallback 'old-key' "$COOKIE"
      flasksess verify --app myapp:app --json "$COOKIE"
      flasksess verify --flask 1.1 -k "$KEY" "$COOKIE"
      flasksess verify --app myapp:app "$CSRF_TOKEN"
    """
    from flasksess_cli.codec import formats
    from flasksess_cli.codec.cookie import verify_first
    from flasksess_cli.render import codec as render
    from flasksess_cli.settings import attempts

    settings = resolve_settings(given, need_key=True)
    exact = "cookie_name" in settings.explicit or settings.format is not None
    text = read_input(cookie, "cookie")
    value = formats.take_cookie(
        text, name=settings.cookie_name, exact=exact, last=settings.rules.last_cookie_wins, also=settings.cookie_names
    )
    tries = attempts(value, settings, max_age=max_age, no_max_age=no_max_age)
    result = verify_first(value, tries, max_json=max_json)
    if settings.key_reading and not result.verified:
        render.note(f"Note: {settings.key_reading}")
    hint = None
    if result.reason == "bad-signature":
        from flasksess_cli.codec.key_hints import whitespace_hint

        hints = (
            whitespace_hint(value, key=t.key, fallbacks=t.fallbacks, scheme=t.scheme, rules=t.rules) for t in tries
        )
        hint = next((h for h in hints if h), None)
    render.verification(result, as_json=as_json, app=settings, hint=hint)
    ctx.exit(ExitCode.OK if result.valid else ExitCode.NO)


@click.command(cls=Command, epilog=ENV_APP_KEY)
@click.argument("session_text", metavar="[SESSION]", default="-", shell_complete=complete_at_file)
@sign_format_option
@session_form_options
@key_options
@scheme_options
@rules_options
@click.option(
    "--timestamp",
    type=click.IntRange(min=0, max=2**63),
    metavar="UNIX",
    help="Sign at this time (reproducible output).",
)
@click.option("--no-sort-keys", is_flag=True, help="Keep the session's key order, as Quart writes it.")
@json_option
@click.pass_context
@pass_given
def sign(
    ctx: click.Context,
    /, session_text: str, tagged: bool, python_literal: str | None, legacy_epoch: bool, timestamp: int | None,
    no_sort_keys: bool, as_json: bool, given: Given,
) -> None:  # fmt: skip
    """Sign a session into a cookie that Flask accepts, or a value into another token (--format).

    SESSION is JSON in the typed form that decode --json prints as "session" (or, for a
    token, as "data"), so the two round-trip; @FILE, or - / nothing for stdin. The current
    key signs; fallbacks never do (except under --flask 3.1.0 and for Flask-Security 5.6+,
    which sign with the last). The cookie is the one current Flask writes, or the release
    --flask, --quart or --app names; --format writes another library's token.

    \b
    Examples:
      flasksess sign -k "$KEY" '{"user_id": 42}'
      flasksess sign --python "{'cart': (1, 2), 'token': b'\\x00'}" --key-file secret.key
      flasksess decode --json "$C" | jq .session | flasksess sign --timestamp 1700000000 -
      curl -b "session=$(flasksess sign '{"user_id": 1}')" http://127.0.0.1:5000/
      flasksess sign --format flask-login-remember '"1"'    # remember_token for user 1
    """
    from flasksess_cli.codec.cookie import sign_value
    from flasksess_cli.codec.session_json import value_from_text
    from flasksess_cli.render import codec as render

    if python_literal is not None and session_text != "-":
        raise click.UsageError("give the session either as SESSION or with --python, not both", ctx=ctx)
    if python_literal is None and session_text == "-" and sys.stdin.isatty():
        raise click.UsageError("give the SESSION to sign (JSON, @FILE, or pipe it in)", ctx=ctx)
    form = session_form(tagged=tagged, python_literal=python_literal)
    settings = resolve_settings(given, need_key=True)
    rules = settings.rules
    session_arg = python_literal if python_literal is not None else session_text
    data = value_from_text(read_input(session_arg, "session"), form, rules=rules)
    signed = sign_value(
        data, key=settings.required_key, scheme=settings.scheme, rules=rules, fallbacks=settings.fallbacks,
        timestamp=timestamp, sort_keys=settings.sort_keys and rules.sort_keys and not no_sort_keys,
        ensure_ascii=settings.ensure_ascii,
    )  # fmt: skip
    if settings.key_reading:
        render.note(f"Note: {settings.key_reading}")
    render.signed(signed, rules=rules, as_json=as_json, app=settings)
