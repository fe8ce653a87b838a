"""The library API: typed functions over the domain packages, re-exported lazily by ``flasksess_cli``.

Thin on purpose: each function turns friendly arguments (a ``str`` or ``bytes`` key, a
Flask app object, a ``datetime``) into the domain's own types and calls the one domain
function that does the work, so the command line, the Flask commands, the pytest plugin
and the mitmproxy add-on all reach the same code.

Settings come from, in order: the keyword arguments given; ``app`` (a Flask or Quart
application object: its keys, session interface, cookie settings and JSON options);
Flask's defaults.
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
) -> SessionSettings:
    """The session settings: the arguments given, then ``app``'s, then Flask's defaults."""
    base = FLASK_DEFAULTS if app is None else settings_of(app)
    chosen: dict[str, Any] = {
        "salt": salt,
        "digest": digest,
        "key_derivation": key_derivation,
        "cookie_name": cookie_name,
    }
    if key is not None:
        chosen["key"] = as_key(key)
    if fallbacks is not None:
        chosen["fallbacks"] = tuple(as_key(k) for k in fallbacks)
    return base._replace(**{name: value for name, value in chosen.items() if value is not None})


def decode(cookie: str, *, name: str | None = None, legacy_epoch: bool = False) -> DecodedCookie:
    """What anyone can read from a session cookie, without a key (nothing is verified).

    ``cookie`` is the value, ``name=value``, or ``Cookie:``/``Set-Cookie:`` header text;
    ``name`` picks the cookie from headers (default ``session``). Raises
    :class:`~flasksess_cli.errors.BadInput` for anything that is not a Flask session cookie.
    """
    from flasksess_cli.codec.cookie import decode_cookie
    from flasksess_cli.cookie_text import extract_cookie

    value = extract_cookie(cookie, name=name or FLASK_DEFAULTS.cookie_name)
    return decode_cookie(value, legacy_epoch=legacy_epoch, max_json=DEFAULT_MAX_JSON_BYTES)


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
) -> Verification:
    """Check a cookie as Flask's ``open_session`` would: ``.valid`` is True exactly when Flask loads it.

    The key and its fallbacks (``SECRET_KEY_FALLBACKS``, oldest first) come from the
    arguments or ``app``. ``max_age`` defaults to the app's ``PERMANENT_SESSION_LIFETIME``
    (Flask's 31 days without an app); ``None`` skips the age check. ``name`` picks the cookie
    from pasted headers (default: the app's ``SESSION_COOKIE_NAME``, or ``session``). ``.reason`` says why a
    cookie is not valid; ``.matched_key`` which key signed it (``current``, ``fallback-N``).
    """
    from flasksess_cli.codec.cookie import verify_cookie
    from flasksess_cli.cookie_text import extract_cookie

    chosen = session_settings(
        app, key=key, fallbacks=fallbacks, salt=salt, digest=digest, key_derivation=key_derivation, cookie_name=name
    )
    limit = chosen.lifetime if max_age is _APP_DEFAULT else max_age
    if isinstance(limit, timedelta):
        limit = int(limit.total_seconds())
    return verify_cookie(
        extract_cookie(cookie, name=chosen.cookie_name),
        key=chosen.required_key,
        fallbacks=chosen.fallbacks,
        scheme=chosen.scheme,
        max_age=limit,
        legacy_epoch=legacy_epoch,
        now=None if now is None else unix_time(now),
    )


def sign(
    session: Mapping[str, Any],
    key: Key | None = None,
    *,
    app: Any = None,
    at: Moment | None = None,
    salt: str | None = None,
    digest: str | None = None,
    key_derivation: str | None = None,
    compress: bool | None = None,
    legacy_epoch: bool = False,
) -> str:
    """The cookie value Flask writes for ``session``, signed with ``key`` (or ``app``'s current key) at ``at``.

    ``session`` holds what a Flask session holds (tuples, bytes, ``Markup``, ``UUID``,
    ``datetime`` included). ``at`` defaults to now; a moment in the past makes a cookie
    that is that old. ``compress`` forces zlib on or off (default: as Flask, when shorter).
    The app's JSON options (``sort_keys``, ``ensure_ascii``) are honoured.
    """
    from flasksess_cli.codec.cookie import sign_session

    chosen = session_settings(app, key=key, salt=salt, digest=digest, key_derivation=key_derivation)
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
) -> CookieAudit:
    """Search for the key that signed ``cookie``: the published keys, then each wordlist file.

    ``.found`` is None when no candidate signed it, else ``.found.key`` holds the key's bytes.
    The digest is guessed from the signature's length unless ``digest`` or ``app`` gives it.
    """
    from flasksess_cli.audit import search
    from flasksess_cli.audit import wordlists as lists
    from flasksess_cli.cookie_text import extract_cookie

    chosen = session_settings(app, salt=salt, digest=digest, key_derivation=key_derivation)
    value = extract_cookie(cookie, name=chosen.cookie_name)
    target, kind = search.cookie_target(value, scheme=chosen.scheme, digest_given=digest is not None or app is not None)
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
