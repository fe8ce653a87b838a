"""``audit key`` and ``audit cookie``: could anyone guess the secret key?"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from flasksess_cli import keys
from flasksess_cli.cli.common import ENV_COLOUR, ENV_KEY, Group, json_option
from flasksess_cli.cli.options import (
    app_option,
    cookie_argument,
    key_file_option,
    pass_given,
    read_input,
    resolve_settings,
    scheme_options,
)
from flasksess_cli.errors import BadInput, ExitCode

if TYPE_CHECKING:
    from flasksess_cli.settings import Given


@click.group(cls=Group, epilog=ENV_KEY, short_help="Is my key, or the key behind a cookie, guessable?")
def audit() -> None:
    """Check that nobody can guess your secret key: the key itself, or the key behind a cookie.

    \b
    Exit codes: 0 nothing guessable found; 1 the key is guessable (weak,
    published, or found in a list); 2 usage error; 3 input unreadable.
    """


@audit.command("key", epilog=ENV_KEY)
@click.argument("key_spec", metavar="[KEY | -]", required=False, envvar="FLASK_SECRET_KEY")
@key_file_option
@app_option("Audit this Flask app's SECRET_KEY and each of its SECRET_KEY_FALLBACKS.")
@json_option
@click.pass_context
def audit_key(
    ctx: click.Context, key_spec: str | None, key_file: str | None, app_spec: str | None, as_json: bool
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

    results = [assess(key.material, role=role) for role, key in _keys_to_audit(ctx, key_spec, key_file, app_spec)]
    render.key_audit(results, as_json=as_json)
    ctx.exit(ExitCode.NO if any(result.weak for result in results) else ExitCode.OK)


def _keys_to_audit(
    ctx: click.Context, key_spec: str | None, key_file: str | None, app_spec: str | None
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
        from flasksess_cli.settings import load_app_settings

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
@cookie_argument(with_app=True)
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
@pass_given
def audit_cookie(
    ctx: click.Context, /, cookie: str, wordlists: tuple[str, ...], no_builtin: bool, workers: int | None,
    hashcat: bool, legacy_epoch: bool, as_json: bool, given: Given,
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
    from flasksess_cli.audit import search
    from flasksess_cli.audit import wordlists as lists
    from flasksess_cli.cookie_text import extract_cookie
    from flasksess_cli.render import audit as render

    settings = resolve_settings(given)
    value = extract_cookie(read_input(cookie, "cookie"), name=settings.cookie_name)
    digest_known = given.overrides.get("digest") is not None or settings.app is not None
    target, kind = search.cookie_target(value, scheme=settings.scheme, digest_given=digest_known)
    if hashcat:
        from flasksess_cli.audit.hashcat import hashcat_hash

        render.hashcat(hashcat_hash(value, target=target, kind=kind), as_json=as_json)
        return
    opened = lists.open_wordlists(wordlists)
    try:
        with render.audit_progress(enabled=not as_json) as progress:
            result = search.audit_cookie(
                target, kind=kind, scheme=settings.scheme, wordlists=opened, builtin=not no_builtin,
                workers=workers or search.default_workers(), progress=progress,
            )  # fmt: skip
    finally:
        lists.close_wordlists(opened)
    render.cookie_audit(result, as_json=as_json)
    ctx.exit(ExitCode.INTERRUPTED if result.interrupted else ExitCode.NO if result.found else ExitCode.OK)
