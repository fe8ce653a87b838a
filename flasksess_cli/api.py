"""The library API: typed functions over the domain packages, re-exported lazily by ``flasksess_cli``.

Thin on purpose: each function turns friendly arguments (a ``str`` or ``bytes`` key, a
Flask app object, a ``datetime``) into the domain's own types and calls the one domain
function that does the work, so the command line, the Flask commands, the pytest plugin
and the mitmproxy add-on all reach the same code.

Settings come from, in order: the keyword arguments given; ``app`` (a Flask or Quart
application object: its keys, session interface, cookie settings and JSON options, and
what it configured for its other tokens: ``WTF_CSRF_*``, ``REMEMBER_COOKIE_NAME``,
``QUART_AUTH_*``, ``SECURITY_*_SALT``); Flask's defaults.

Every function takes ``format``: Flask's session cookie unless told otherwise, a name of
:data:`TOKEN_FORMATS` (``"flask-wtf-csrf"``, ``"flask-login-remember"``,
``"starlette-session"``, ``"quart-auth"``, ``"flask-security-reset"``, ``"itsdangerous"``,
...), or None: the format the value's shape suggests (:func:`recognise`), and for
:func:`verify` every format the shape admits, the MAC deciding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flasksess_cli.defaults import DEFAULT_MAX_JSON_BYTES
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey, generate_keys
from flasksess_cli.settings import FLASK_DEFAULTS, SessionSettings, settings_of

if TYPE_CHECKING:
    from flasksess_cli.audit.search import CookieAudit
    from flasksess_cli.audit.strength import KeyAudit
    from flasksess_cli.codec.cookie import DecodedCookie, Verification
    from flasksess_cli.codec.formats import Recognition
    from flasksess_cli.sizecheck.report import SizeCheck

#: A key as Flask's ``SECRET_KEY`` holds it (``str`` or ``bytes``), or a parsed :class:`SecretKey`.
Key = str | bytes | SecretKey
#: A moment: a timezone-aware ``datetime`` (naive counts as UTC) or Unix seconds.
Moment = datetime | int | float

_APP_DEFAULT: Any = object()


def as_key(key: Key) -> SecretKey:
    """A ``str`` or ``bytes`` key (or a :class:`SecretKey`) as a :class:`SecretKey`; taken as it is, never parsed.

    ``"hex:..."`` is the text ``hex:...`` here, as it is in ``app.secret_key``; use
    :func:`flasksess_cli.keys.parse_key` for the command line's key syntax.
    """
    if isinstance(key, SecretKey):
        return key
    if not isinstance(key, (str, bytes)):
        raise TypeError(f"a key is str or bytes, not {type(key).__name__}")
    if not key:
        raise BadInput("the secret key is empty")
    return SecretKey(key)


def session_settings(
    app: Any = None,
    *,
    key: Key | None = None,
    fallbacks: Sequence[Key] | None = None,
    salt: str | None = None,
    digest: str | None = None,
    key_derivation: str | None = None,
    cookie_name: str | None = None,
    format: str | None = "flask-session",
) -> SessionSettings:
    """The settings: the arguments given, then ``app``'s (for ``format``), then the format's and Flask's defaults.

    ``format=None`` gives the settings before a format is chosen (see :func:`verify`).
    """
    from flasksess_cli.settings import for_format

    base = FLASK_DEFAULTS if app is None else settings_of(app)
    chosen: dict[str, Any] = {
        "salt": salt,
        "digest": digest,
        "key_derivation": key_derivation,
        "cookie_name": cookie_name,
    }
    given = {name: value for name, value in chosen.items() if value is not None}
    if key is not None:
        given["key"] = as_key(key)
    if fallbacks is not None:
        given["fallbacks"] = tuple(as_key(k) for k in fallbacks)
    settings = base._replace(explicit=frozenset(set(given) & set(chosen)), **given)
    if format is None:
        return settings
    from flasksess_cli.codec import formats

    return for_format(settings, formats.get(format))._replace(format=format)


def recognise(value: str) -> Recognition:
    """Which token format ``value``'s shape suggests (``.format.name``), why (``.why``), and what else fits."""
    from flasksess_cli.codec import formats

    return formats.recognise(value)


def decode(
    cookie: str, *, name: str | None = None, legacy_epoch: bool = False, format: str | None = "flask-session"
) -> DecodedCookie:
    """What anyone can read from a session cookie or another token, without a key (nothing is verified).

    ``cookie`` is the value, ``name=value``, or ``Cookie:``/``Set-Cookie:`` header text;
    ``name`` picks the cookie from headers (default ``session``, or the format's cookie).
    ``.session`` is a session's content, ``.data`` a token's value. Raises
    :class:`~flasksess_cli.errors.BadInput` for anything that is not such a value.
    """
    from flasksess_cli.codec import formats
    from flasksess_cli.codec.cookie import decode_as
    from flasksess_cli.codec.rules import CURRENT

    wanted = name or (format and formats.get(format).cookie) or FLASK_DEFAULTS.cookie_name
    value = formats.take_cookie(cookie, name=wanted, exact=bool(name or format))
    rules = CURRENT.with_legacy_epoch(legacy_epoch)
    return decode_as(value, fmt=format, rules=rules, max_json=DEFAULT_MAX_JSON_BYTES)


def verify(
    cookie: str,
    key: Key | None = None,
    *,
    app: Any = None,
    fallbacks: Sequence[Key] | None = None,
    name: str | None = None,
    max_age: int | timedelta | None = _APP_DEFAULT,
    salt: str | None = None,
    digest: str | None = None,
    key_derivation: str | None = None,
    legacy_epoch: bool = False,
    now: Moment | None = None,
    format: str | None = "flask-session",
) -> Verification:
    """Check a cookie as Flask's ``open_session`` would: ``.valid`` is True exactly when Flask loads it.

    The key and its fallbacks (``SECRET_KEY_FALLBACKS``, oldest first) come from the
    arguments or ``app``. ``max_age`` defaults to the app's ``PERMANENT_SESSION_LIFETIME``
    (Flask's 31 days without an app; a token format's own limit); ``None`` skips the age check.
    ``name`` picks the cookie from pasted headers (default: the app's ``SESSION_COOKIE_NAME``,
    or ``session``). ``.reason`` says why a cookie is not valid; ``.matched_key`` which key
    signed it (``current``, ``fallback-N``). With ``format=None`` every format the shape admits
    is tried: ``.cookie.rules.format`` names the one whose MAC the key made.
    """
    from flasksess_cli.codec import formats
    from flasksess_cli.codec.cookie import verify_first
    from flasksess_cli.settings import attempts

    chosen = session_settings(
        app, key=key, fallbacks=fallbacks, salt=salt, digest=digest, key_derivation=key_derivation, cookie_name=name,
        format=format,
    )  # fmt: skip
    if legacy_epoch:
        chosen = chosen._replace(release=chosen.rules.with_legacy_epoch())
    limit = None if max_age is _APP_DEFAULT else max_age
    if isinstance(limit, timedelta):
        limit = int(limit.total_seconds())
    value = formats.take_cookie(cookie, name=chosen.cookie_name, exact=bool(name or format))
    tries = attempts(value, chosen, max_age=limit, no_max_age=max_age is None)
    return verify_first(value, tries, now=None if now is None else unix_time(now))


def sign(
    session: Mapping[str, Any] | Any,
    key: Key | None = None,
    *,
    app: Any = None,
    at: Moment | None = None,
    salt: str | None = None,
    digest: str | None = None,
    key_derivation: str | None = None,
    compress: bool | None = None,
    legacy_epoch: bool = False,
    format: str = "flask-session",
) -> str:
    """The cookie value Flask writes for ``session``, signed with ``key`` (or ``app``'s current key) at ``at``.

    ``session`` holds what a Flask session holds (tuples, bytes, ``Markup``, ``UUID``,
    ``datetime`` included). ``at`` defaults to now; a moment in the past makes a cookie
    that is that old. ``compress`` forces zlib on or off (default: as Flask, when shorter).
    The app's JSON options (``sort_keys``, ``ensure_ascii``) are honoured. For another
    ``format``, ``session`` is the value the token holds (a CSRF token's string, a remember
    cookie's user id, a Starlette session's dict), written as that library writes it.
    """
    from flasksess_cli.codec.cookie import sign_session, sign_value

    chosen = session_settings(app, key=key, salt=salt, digest=digest, key_derivation=key_derivation, format=format)
    if not chosen.rules.is_flask_session:
        rules = chosen.rules.with_legacy_epoch(legacy_epoch)
        timestamp = None if at is None else int(unix_time(at))
        return sign_value(
            session, key=chosen.required_key, scheme=chosen.scheme, rules=rules, fallbacks=chosen.fallbacks,
            timestamp=timestamp,
        ).value  # fmt: skip
    signed = sign_session(
        dict(session),
        key=chosen.required_key,
        scheme=chosen.scheme,
        timestamp=None if at is None else int(unix_time(at)),
        legacy_epoch=legacy_epoch,
        sort_keys=chosen.sort_keys,
        ensure_ascii=chosen.ensure_ascii,
        compress=compress,
    )
    return signed.value


def check_size(
    cookie: str | None = None, *, session: Mapping[str, Any] | None = None, app: Any = None, server: str | None = None
) -> SizeCheck:
    """Will this cookie survive browsers and servers? The same check as ``flasksess sizecheck``.

    Give ``cookie`` (a value, ``name=value``, ``Set-Cookie:``/``Cookie:`` header lines) or
    ``session`` (the cookie Flask would write for it is built and checked). ``app`` supplies
    the cookie name, attributes, ``MAX_COOKIE_SIZE`` and JSON options. ``.dropped`` is True
    when a browser would silently ignore a cookie; ``.cookies[i].report`` has the figures.
    """
    from flasksess_cli.sizecheck.sources import from_session, from_text

    if (cookie is None) == (session is None):
        raise TypeError("give either cookie or session")
    chosen = session_settings(app)
    if session is not None:
        return from_session(dict(session), chosen, server=server)
    return from_text(str(cookie), chosen, server=server)


def audit_key(key: Key, *, role: str = "key") -> KeyAudit:
    """How guessable a key is: ``.weak`` (under 128 bits of estimated entropy, or published) and ``.reasons``."""
    from flasksess_cli.audit.strength import audit_key as assess

    return assess(as_key(key).material, role=role)


def audit_app_keys(app: Any) -> list[KeyAudit]:
    """:func:`audit_key` for the app's ``SECRET_KEY`` and each of its ``SECRET_KEY_FALLBACKS``."""
    chosen = settings_of(app)
    roles = [("SECRET_KEY", chosen.required_key)]
    roles += [(f"SECRET_KEY_FALLBACKS[{n}]", k) for n, k in enumerate(chosen.fallbacks)]
    return [audit_key(k, role=role) for role, k in roles]


def find_key(
    cookie: str,
    *,
    wordlists: Sequence[str] = (),
    builtin: bool = True,
    app: Any = None,
    salt: str | None = None,
    digest: str | None = None,
    key_derivation: str | None = None,
    workers: int = 1,
    format: str | None = "flask-session",
) -> CookieAudit:
    """Search for the key that signed ``cookie``: the published keys, then each wordlist file.

    ``.found`` is None when no candidate signed it, else ``.found.key`` holds the key's bytes.
    The digest is guessed from the signature's length unless ``digest`` or ``app`` gives it.
    ``format=None`` searches the format the shape suggests (:func:`recognise`).
    """
    from flasksess_cli.audit import search
    from flasksess_cli.audit import wordlists as lists
    from flasksess_cli.codec import formats
    from flasksess_cli.settings import assume_format

    chosen = session_settings(app, salt=salt, digest=digest, key_derivation=key_derivation, format=format)
    value = formats.take_cookie(cookie, name=chosen.cookie_name, exact=format is not None)
    chosen, _ = assume_format(value, chosen)
    fixed = digest is not None or app is not None or not formats.of(chosen.rules).generic
    target, kind = search.cookie_target(value, scheme=chosen.scheme, digest_given=fixed, rules=chosen.rules)
    opened = lists.open_wordlists(wordlists)
    try:
        return search.audit_cookie(
            target, kind=kind, scheme=chosen.scheme, wordlists=opened, builtin=builtin, workers=workers
        )
    finally:
        lists.close_wordlists(opened)


def generate_key(n_bytes: int = 32, fmt: str = "hex") -> str:
    """A new secret key from the operating system's random source, in one of ``genkey``'s formats."""
    return generate_keys(n_bytes=n_bytes, fmt=fmt)[0].key


def unix_time(moment: Moment) -> float:
    """Unix seconds of a ``datetime`` (naive counts as UTC, as Werkzeug's ``http_date`` does) or a number."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            from datetime import timezone

            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return float(moment)
