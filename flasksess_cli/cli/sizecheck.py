"""``sizecheck``: will a session cookie survive browsers and servers?"""

from __future__ import annotations

from typing import Any

import click

from flasksess_cli import choices
from flasksess_cli.cli.options import ENV_COLOUR, complete_at_file, json_option, read_input
from flasksess_cli.errors import ExitCode

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


@click.command(epilog=ENV_COLOUR, short_help="Will this session cookie survive browsers and servers?")
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
    from flasksess_cli.render import sizecheck as render

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
