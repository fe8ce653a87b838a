"""``audit key`` and ``audit cookie``: could anyone guess the secret key?"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from flasksess_cli import keys
from flasksess_cli.cli.common import ENV_APP_COLOUR, ENV_AUDIT_KEY, Group, json_option
from flasksess_cli.cli.options import (
    app_option,
    cookie_argument,
    cookie_source,
    format_option,
    key_file_option,
    pass_given,
    pass_request,
    read_input,
    request_options,
    resolve_settings,
    scheme_options,
    search_options,
    url_source_options,
)
from flasksess_cli.errors import BadInput, ExitCode

if TYPE_CHECKING:
    from flasksess_cli.audit.url import PageRequest
    from flasksess_cli.settings import Given, SessionSettings


@click.group(cls=Group, epilog=ENV_AUDIT_KEY, short_help="Is my key, or the key behind a cookie or page, guessable?")
def audit() -> None:
    """Check that nobody can guess your secret key: the key itself, or the key behind a cookie, a token or a page.

    \b
    Exit codes: 0 nothing guessable found; 1 the key is guessable (weak,
    published, or found in a list); 2 usage error; 3 input unreadable (or
    the page cannot be fetched).
    """


@audit.command("key", epilog=ENV_AUDIT_KEY)
@click.argument("key_spec", metavar="[KEY | -]", required=False, envvar="FLASK_SECRET_KEY")
@key_file_option
@app_option("Audit this Flask app's SECRET_KEY and each of its SECRET_KEY_FALLBACKS.")
@json_option
@click.pass_context
def audit_key(
    ctx: click.Context, key_spec: str | None, key_file: str | None, as_json: bool, app_spec: str | None = None
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
    from flasksess_cli.audit.strength import audit_key as assess
    from flasksess_cli.render import audit as render

    to_audit, app = _keys_to_audit(ctx, key_spec, key_file, app_spec)
    results = [assess(key.material, role=role) for role, key in to_audit]
    render.key_audit(results, as_json=as_json, app=app)
    ctx.exit(ExitCode.NO if any(result.weak for result in results) else ExitCode.OK)


def _keys_to_audit(
    ctx: click.Context, key_spec: str | None, key_file: str | None, app_spec: str | None
) -> tuple[list[tuple[str, keys.SecretKey]], SessionSettings | None]:
    """KEY, --key-file or the app (--app, FLASK_APP or the app flask loaded); a key given beats the environment."""
    from_env = {
        name: ctx.get_parameter_source(name) is click.core.ParameterSource.ENVIRONMENT
        for name in ("key_spec", "app_spec")
    }
    chosen = {"KEY": key_spec is not None and not from_env["key_spec"], "--key-file": key_file is not None}
    chosen["--app"] = app_spec is not None and not (from_env["app_spec"] and any(chosen.values()))
    given = [name for name, present in chosen.items() if present]
    if len(given) > 1:
        raise click.UsageError(f"give one of KEY, --key-file or --app, not {' and '.join(given)}", ctx=ctx)
    if key_file is not None:
        return [("key", keys.read_key_file(key_file))], None
    app = _app_settings(ctx, app_spec if chosen["--app"] else None, fallback_to_loaded=not given)
    if app is not None:
        if app.key is None:
            raise BadInput(f"--app {app.app}: the app has no SECRET_KEY, so it has no sessions to protect")
        fallbacks = [(f"SECRET_KEY_FALLBACKS[{n}]", key) for n, key in enumerate(app.fallbacks)]
        return [("SECRET_KEY", app.key), *fallbacks], app
    if key_spec is None:
        raise click.UsageError("give the KEY to audit: - for stdin, FLASK_SECRET_KEY, --key-file or --app", ctx=ctx)
    text = read_input(key_spec, "key") if key_spec == "-" else key_spec
    key = keys.parse_key(text.removesuffix("\n").removesuffix("\r"))
    return [("FLASK_SECRET_KEY" if from_env["key_spec"] else "key", key)], None


def _app_settings(ctx: click.Context, app_spec: str | None, *, fallback_to_loaded: bool) -> SessionSettings | None:
    from flasksess_cli.cli.options import loaded_app_settings
    from flasksess_cli.settings import load_app_settings

    if app_spec is not None:
        return load_app_settings(app_spec)
    return loaded_app_settings(ctx) if fallback_to_loaded else None


#: audit cookie's environment: the app's, and the engine switch.
ENV_APP_COLOUR_ENGINE = ENV_APP_COLOUR.removesuffix(".") + (
    ", FLASKSESS_AUDIT_ENGINE=python (search with the pure-Python engine, to compare)."
)


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from flasksess_cli.audit.wordlists import Shard
    from flasksess_cli.errors import UsageError

    try:
        return None if value is None else Shard.parse(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@audit.command("cookie", epilog=ENV_APP_COLOUR_ENGINE)
@cookie_argument(with_app=True)
@url_source_options
@format_option
@search_options
@click.option(
    "--shard",
    metavar="K/N",
    callback=_shard,
    help="Search only the K-th of N parts of every wordlist: N runs (on any machines) try every line exactly once.",
)
@click.option(
    "--hashcat",
    is_flag=True,
    help="Print the cookie as hashcat takes it (mode 29100 for a Flask session, 1750 for a Flask-Login remember "
    "cookie) and the command for the installed hashcat, instead of searching.",
)
@scheme_options
@json_option
@click.pass_context
@pass_given
@pass_request
def audit_cookie(
    ctx: click.Context, /, cookie: str | None, wordlists: tuple[str, ...], no_builtin: bool, workers: int | None,
    shard: Any, hashcat: bool, legacy_epoch: bool, as_json: bool, given: Given, request: PageRequest | None,
) -> None:  # fmt: skip
    """Search for the key that signed a session cookie or token: published keys and the field's list, then your wordlists.

    COOKIE is a Flask session or any token the key signs (CSRF token, remember-me
    cookie, Starlette session, Quart-Auth, Flask-Security, itsdangerous): --format
    names it, else its shape suggests one (said on stderr).

    Exit 1 when the key is found (anyone who finds it can forge any session), 0 when
    no candidate signed it, 130/143/129 when stopped by Ctrl-C/SIGTERM/SIGHUP (with
    a report of how far it got). Without --no-builtin the published keys (with where
    each was published) and the flask-unsign-wordlist list are tried first, each
    entry in every form it can mean (text as UTF-8 and Latin-1, hex, a bytes literal).
    A line of a wordlist is tried as its bytes (lines end at \\n, \\r\\n or \\r), and
    also as the value it spells when it is a quoted Python string or bytes literal,
    hex:... or base64:... (for a remember cookie, non-ASCII text also as its Latin-1
    bytes, as Flask-Login keys it). The digest is guessed from the signature's length unless
    --digest or --app gives it.

    \b
    Examples:
      flasksess audit cookie "$COOKIE"
      flasksess audit cookie --wordlist rockyou.txt --wordlist more.txt "$COOKIE"
      flasksess audit cookie --wordlist <(hashcat --stdout -r best64.rule words.txt) "$COOKIE"
      flasksess audit cookie --shard 2/8 --wordlist huge.txt "$COOKIE"   # run 2 of 8
      flasksess audit cookie --app myapp:app --json "$COOKIE"
      flasksess audit cookie --hashcat "$COOKIE" > cookie.hash
      flasksess audit cookie --url https://staging.example/login --proxy http://127.0.0.1:8080
    """
    from flasksess_cli.audit import search
    from flasksess_cli.audit import wordlists as lists
    from flasksess_cli.codec import formats
    from flasksess_cli.render import audit as render
    from flasksess_cli.settings import assume_format

    if cookie == "-" and "-" in wordlists:
        raise click.UsageError("COOKIE and --wordlist cannot both be - (stdin is read once)", ctx=ctx)
    settings = resolve_settings(given)
    exact = "cookie_name" in settings.explicit or settings.format is not None
    text = cookie_source(cookie, request)
    value = formats.take_cookie(text, name=settings.cookie_name, exact=exact, also=settings.cookie_names)
    settings, recognition = assume_format(value, settings)
    digest_known = "digest" in settings.explicit or settings.app is not None or not formats.of(settings.rules).generic
    target, kind = search.cookie_target(value, scheme=settings.scheme, digest_given=digest_known, rules=settings.rules)
    if hashcat:
        handoff = _hashcat(value, target, kind, settings, wordlists)
        render.assumed_format(recognition)
        render.hashcat(handoff, as_json=as_json)
        return
    render.assumed_format(recognition)
    opened = lists.open_wordlists(wordlists, shard=shard)
    try:
        with render.audit_progress(enabled=not as_json) as progress:
            result = search.audit_cookie(
                target, kind=kind, scheme=settings.scheme, wordlists=opened, builtin=not no_builtin,
                workers=workers or search.default_workers(), progress=progress, shard=shard,
                engine=_engine(), stop_when=render.output_closed,
            )  # fmt: skip
    finally:
        lists.close_wordlists(opened)
    render.cookie_audit(result, as_json=as_json, app=settings)
    if result.found is None and not result.interrupted and not as_json:
        render.other_formats(recognition)
    ctx.exit(result.exit_code)


def _engine() -> Any:
    """FLASKSESS_AUDIT_ENGINE=python runs the pure-Python twin; else the C kernel where it was built."""
    return "python" if os.environ.get("FLASKSESS_AUDIT_ENGINE") == "python" else None


def _hashcat(value: str, target: Any, kind: Any, settings: SessionSettings, wordlists: tuple[str, ...]) -> Any:
    """The hashcat hand-off for the format: mode 29100 (a Flask session), 1750 (a remember cookie), or why none."""
    from flasksess_cli.audit import hashcat
    from flasksess_cli.codec import formats

    rules = settings.rules
    if rules.envelope == "remember":
        return hashcat.remember_hash(target, version=hashcat.installed_version(), wordlists=wordlists)
    if not rules.is_flask_session and rules.payload != "session-id":
        raise hashcat.no_mode(f"a {formats.of(rules).title}", target)
    return hashcat.hashcat_hash(
        value, target=target, kind=kind, version=hashcat.installed_version(), wordlists=wordlists
    )


@audit.command("url", epilog=ENV_APP_COLOUR_ENGINE, short_help="Is the key behind anything this page shows guessable?")
@click.argument("url", metavar="URL")
@request_options(agent=True)
@search_options
@app_option("Take the salts, ages and keys the app configured for its tokens (WTF_CSRF_*, QUART_AUTH_*, SECURITY_*).")
@json_option
@click.pass_context
@pass_given
@pass_request
def audit_url(
    ctx: click.Context, /, url: str, wordlists: tuple[str, ...], no_builtin: bool, workers: int | None,
    as_json: bool, given: Given, request: PageRequest,
) -> None:  # fmt: skip
    """Fetch a page as a browser would, and search for the key behind every signed artefact it shows.

    The page's cookies (session, remember-me, Quart-Auth, ...), the CSRF tokens in its
    forms, meta tags and headers, and tokens in its links: each is recognised, the one
    the engine searches fastest is searched (published keys and the field's shared list,
    then your wordlists), and with the key found every artefact is checked with it.
    Nothing is needed but the URL: a login page shows enough. Exit 1 when the key is
    found, 0 when not (or nothing signed is shown), 3 when the page cannot be fetched,
    130/143/129 when stopped.

    \b
    Examples:
      flasksess audit url https://staging.example/login
      flasksess audit url --cookie remember_token="$R" https://staging.example/account
      flasksess audit url --wordlist rockyou.txt --json http://127.0.0.1:5000/login
      flasksess audit url --proxy http://127.0.0.1:8080 --insecure https://staging.example/
    """
    from flasksess_cli.audit import search
    from flasksess_cli.audit import url as site
    from flasksess_cli.audit import wordlists as lists
    from flasksess_cli.render import audit as render

    settings = resolve_settings(given)
    engine = _engine()
    page, artefacts, dropped = site.fetch_page(request)
    found = site.prepare(artefacts, settings, engine=engine)
    opened = lists.open_wordlists(wordlists)
    try:
        with render.audit_progress(enabled=not as_json and any(f.target for f in found)) as progress:
            result = site.audit_url(
                page, found, dropped, settings=settings, wordlists=opened, builtin=not no_builtin,
                workers=workers or search.default_workers(), progress=progress, engine=engine,
                stop_when=render.output_closed,
            )  # fmt: skip
    finally:
        lists.close_wordlists(opened)
    render.url_audit(result, as_json=as_json, app=settings)
    ctx.exit(result.exit_code)
