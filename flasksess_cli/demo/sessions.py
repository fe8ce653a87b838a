"""Flask's cookie sessions, loaded through flasksess's codec.

The cookie format, the keys and the rules are Flask's own (this subclasses
``SecureCookieSessionInterface`` and writes cookies with it); only loading
differs: the MAC is checked before anything reads the payload, decompression is
capped, and a cookie Flask would answer with HTTP 500 (a zip bomb, a signed but
unloadable payload) is logged and treated as no session.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from flasksess_cli.codec.cookie import matching_key, verify_cookie
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey
from flasksess_cli.settings import scheme_of

#: A session cookie is at most 4 KiB; a few KiB of JSON is all a real one inflates to.
MAX_SESSION_JSON = 64 * 1024


#: The keys the demo reads, and the types it writes them with. A signed cookie may hold anything
#: (whoever has the key, `flasksess sign` included, can write one): a key of another type is dropped
#: on load, so that the app's code never meets a type it did not write.
DEMO_KEYS: dict[str, type | tuple[type, ...]] = {
    "username": str, "csrf_token": str, "blob": str, "generation": int, "_flashes": (list, tuple),
}  # fmt: skip


class GuardedSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        where = f"{request.method} {request.path} from {request.remote_addr}"
        try:
            return self.session_class(self._load(app, value, where))
        except Exception:  # a flaw in flasksess's reading of a cookie: logged with its traceback, never a 500
            app.logger.exception("Session cookie on %s could not be read: starting an empty session", where)
            return self.session_class()

    def _load(self, app: Flask, value: str, where: str) -> dict[str, Any]:
        """The session in the cookie, or ``{}`` for one Flask would not load (each case logged)."""
        key = SecretKey(app.secret_key)  # type: ignore[arg-type]  # open_session checked it is set
        fallbacks = tuple(SecretKey(k) for k in app.config.get("SECRET_KEY_FALLBACKS") or ())
        scheme = scheme_of(self)
        if matching_key(value, key=key, fallbacks=fallbacks, scheme=scheme) is None:
            app.logger.warning("Session cookie with a bad signature on %s (%d bytes): ignored", where, len(value))
            return {}
        try:
            result = verify_cookie(
                value, key=key, fallbacks=fallbacks, scheme=scheme,
                max_age=int(app.permanent_session_lifetime.total_seconds()), max_json=MAX_SESSION_JSON,
            )  # fmt: skip
        except BadInput as exc:  # a signed cookie flasksess refuses to load, e.g. a decompression bomb
            app.logger.warning("Session cookie refused on %s: %s", where, exc)
            return {}
        session = result.cookie.session
        if not (result.valid and isinstance(session, dict)):
            reason = result.reason.replace("-", " ") if not result.valid else "not a JSON object once loaded"
            level = app.logger.info if result.reason == "expired" else app.logger.warning
            level("Session cookie on %s is %s: starting an empty session", where, reason)
            return {}
        wrong = sorted(k for k, kind in DEMO_KEYS.items() if k in session and not _is(session[k], kind, k))
        if wrong:
            app.logger.warning("Session cookie on %s holds %s of a type the demo never writes: dropped", where, wrong)
        session = {k: v for k, v in session.items() if k not in wrong}
        try:  # Flask loads what it cannot write back (a date past 9999 in UTC): the next response would fail
            self.serializer.dumps(session)
        except Exception as exc:
            app.logger.warning(
                "Session cookie on %s holds what Flask cannot write back (%s): starting an empty session",
                where, type(exc).__name__,
            )  # fmt: skip
            return {}
        return session


def _is(value: Any, kind: type | tuple[type, ...], key: str) -> bool:
    if key == "_flashes":  # what get_flashed_messages(with_categories=True) unpacks: (category, message) pairs
        pairs: Any = value
        return isinstance(pairs, (list, tuple)) and all(
            isinstance(f, (list, tuple)) and len(f) == 2 and all(_is(p, str, "") for p in f) for f in pairs
        )
    if isinstance(value, str):  # text the page shows: a lone surrogate could not be sent as UTF-8
        return kind is str and (value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value))
    return isinstance(value, kind) and not isinstance(value, bool)


def signed_value(app: Flask, session: dict[str, Any]) -> str:
    """The cookie value this app's session interface writes for ``session`` now."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps(session))
