"""``sizecheck``: will a session cookie survive browsers and servers?"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from flasksess_cli import defaults
from flasksess_cli.cli.common import ENV_APP_COLOUR, Command, complete_at_file, json_option
from flasksess_cli.cli.options import (
    app_option,
    cookie_name_option,
    digest_option,
    pair_option,
    pass_given,
    read_input,
    request_options,
    resolve_settings,
    session_form,
    session_form_options,
)
from flasksess_cli.errors import ExitCode

if TYPE_CHECKING:
    from flasksess_cli.settings import Given


@click.command(cls=Command, epilog=ENV_APP_COLOUR, short_help="Will this session cookie survive browsers and servers?")
@click.argument("cookie", metavar="[COOKIE]", required=False)
@click.option(
    "--session",
    "session_text",
    metavar="SESSION",
    shell_complete=complete_at_file,
    help="Check the cookie Flask would write for this session: typed JSON as decode --json prints it, @FILE or -.",
)
@session_form_options
@click.option(
    "--url", metavar="URL", help="Request this page and check every cookie set on the way (redirects followed)."
)
@click.option("--data", "data_pairs", multiple=True, callback=pair_option, metavar="KEY=VALUE",
              help="With --url: a form field; makes the request a POST (repeatable).")  # fmt: skip
@request_options("with --url: ")
@click.option(
    "--har",
    "har_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="A browser's HAR export: check every Set-Cookie and Cookie header.",
)
@app_option("Take the cookie name, attributes, MAX_COOKIE_SIZE, digest and JSON settings from this Flask app.")
@cookie_name_option(f"SESSION_COOKIE_NAME [default: {defaults.DEFAULT_COOKIE_NAME}].")
@click.option("--domain", metavar="DOMAIN", help="SESSION_COOKIE_DOMAIN [default: none].")
@click.option("--path", metavar="PATH", help="SESSION_COOKIE_PATH [default: /].")
@click.option("--secure/--no-secure", default=None, help="SESSION_COOKIE_SECURE [default: no].")
@click.option("--httponly/--no-httponly", default=None, help="SESSION_COOKIE_HTTPONLY [default: yes].")
@click.option(
    "--samesite", type=click.Choice(defaults.SAMESITE_VALUES, case_sensitive=False), help="SESSION_COOKIE_SAMESITE."
)
@click.option("--partitioned/--no-partitioned", default=None, help="SESSION_COOKIE_PARTITIONED (forces Secure).")
@click.option(
    "--permanent",
    is_flag=True,
    help="As session.permanent = True: _permanent joins the session, Expires (39 bytes) the header.",
)
@click.option("--max-cookie-size", type=click.IntRange(min=0), metavar="BYTES",
              help="Flask's MAX_COOKIE_SIZE; 0 turns the warning off [default: 4093].")  # fmt: skip
@digest_option
@click.option("--server", type=click.Choice(defaults.SIZECHECK_SERVERS),
              help="The server in front of the app: exit 1 if it would reject the Cookie header [default: show all].")  # fmt: skip
@click.option("--limits", is_flag=True, help="Print the limits, with their sources, and exit.")
@json_option
@click.pass_context
@pass_given
def sizecheck(
    ctx: click.Context, /, cookie: str | None, session_text: str | None, tagged: bool, python_literal: str | None,
    url: str | None, data_pairs: list[tuple[str, str]], header_lines: list[tuple[str, str]],
    cookie_pairs: list[tuple[str, str]], insecure: bool, timeout: float, har_file: str | None, server: str | None,
    limits: bool, as_json: bool, given: Given,
) -> None:  # fmt: skip
    """Will this session cookie survive browsers and servers? Sizes against every limit, and a fix.

    COOKIE is a value, name=value, Set-Cookie: or Cookie: header lines (curl -si or curl -v
    output will do), a cookie-jar file, @FILE, or - (or nothing, when piped) for stdin. Or
    give --session, --url or --har instead. Exit 1 when a
    browser would drop a cookie (or the --server would reject the request), else 0.

    \b
    Examples:
      flasksess sizecheck "$COOKIE"
      flasksess sizecheck --session @session.json --app myapp:app
      flasksess sizecheck --url http://127.0.0.1:5000/login --data user=ann --data password=x
      flasksess sizecheck --har checkout.har --server nginx
      flasksess sizecheck --limits
    """
    from flasksess_cli.codec.session_json import session_from_text
    from flasksess_cli.render import sizecheck as render
    from flasksess_cli.sizecheck import sources

    if limits:
        render.limits(as_json=as_json)
        return
    inputs = (cookie, session_text, python_literal, url, har_file)
    if all(value is None for value in inputs) and not (sys.stdin is None or sys.stdin.isatty()):
        cookie = "-"  # echo "$COOKIE" | flasksess sizecheck
    elif sum(value is not None for value in inputs) != 1:
        raise click.UsageError("give one of COOKIE, --session, --python, --url or --har", ctx=ctx)
    if url is None and (data_pairs or header_lines or cookie_pairs or insecure):
        raise click.UsageError("--data, --header, --cookie and --insecure go with --url", ctx=ctx)
    settings = resolve_settings(given)
    if url is not None:
        result = sources.from_url(
            url, settings, data=data_pairs, headers=header_lines, cookies=cookie_pairs, insecure=insecure,
            timeout=timeout, server=server,
        )  # fmt: skip
    elif har_file is not None:
        har = read_input(har_file if har_file == "-" else "@" + har_file, "HAR file", limit=sources.MAX_HAR_BYTES)
        result = sources.from_har(har, settings, server=server)
    elif cookie is not None:
        result = sources.from_text(read_input(cookie, "cookie"), settings, server=server)
    else:
        form = session_form(tagged=tagged, python_literal=python_literal)
        session_arg = python_literal if python_literal is not None else session_text
        session = session_from_text(read_input(session_arg if session_arg is not None else "-", "session"), form)
        result = sources.from_session(session, settings, server=server)
    render.sizecheck(result, as_json=as_json, app=settings)
    ctx.exit(ExitCode.NO if result.answer_is_no else ExitCode.OK)
