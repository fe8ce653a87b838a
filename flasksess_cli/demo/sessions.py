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


class GuardedSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        key = SecretKey(app.secret_key)
        fallbacks = tuple(SecretKey(k) for k in app.config.get("SECRET_KEY_FALLBACKS") or ())
        scheme = scheme_of(self)
        where = f"{request.method} {request.path} from {request.remote_addr}"
        if matching_key(value, key=key, fallbacks=fallbacks, scheme=scheme) is None:
            app.logger.warning("Session cookie with a bad signature on %s (%d bytes): ignored", where, len(value))
            return self.session_class()
        try:
            result = verify_cookie(
                value, key=key, fallbacks=fallbacks, scheme=scheme,
                max_age=int(app.permanent_session_lifetime.total_seconds()), max_json=MAX_SESSION_JSON,
            )  # fmt: skip
        except BadInput as exc:  # a signed cookie flasksess refuses to load, e.g. a decompression bomb
            app.logger.warning("Session cookie refused on %s: %s", where, exc)
            return self.session_class()
        if result.valid and result.cookie.session is not None:
            return self.session_class(result.cookie.session)
        level = app.logger.info if result.reason == "expired" else app.logger.warning
        level("Session cookie on %s is %s: starting an empty session", where, result.reason.replace("-", " "))
        return self.session_class()


def signed_value(app: Flask, session: dict[str, Any]) -> str:
    """The cookie value this app's session interface writes for ``session`` now."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps(session))
