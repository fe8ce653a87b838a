"""Session cookies for the app under test, made with the library API: the pytest fixture's factory."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import flasksess_cli as fs

#: The session key that ``size=`` pads: random text, so zlib cannot shrink it.
PADDING_KEY = "_flasksess_padding"


class SessionCookie(NamedTuple):
    """A signed session cookie, with the attributes the app would send it with."""

    name: str
    value: str
    path: str = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = True
    samesite: str | None = None

    @property
    def header(self) -> str:
        """``name=value``, for a ``Cookie:`` request header."""
        return f"{self.name}={self.value}"

    @property
    def name_value_bytes(self) -> int:
        """What browsers hold against their 4096-byte limit."""
        return len(self.name.encode()) + len(self.value.encode())

    def set_on(self, client: Any) -> None:
        """Put the cookie into Flask's test client, for the app's domain and path."""
        client.set_cookie(self.name, self.value, domain=(self.domain or "localhost").lstrip("."), path=self.path)

    def for_browser(self) -> dict[str, Any]:
        """The cookie as Selenium's ``driver.add_cookie`` takes it (load a page of the site first)."""
        cookie: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "path": self.path,
            "httpOnly": self.httponly,
            "secure": self.secure,
        }
        if self.domain:
            cookie["domain"] = self.domain
        if self.samesite:
            cookie["sameSite"] = self.samesite.capitalize()
        return cookie


class SessionCookieFactory:
    """``factory(session, key=..., age=..., at=..., compress=..., size=..., app=...)`` -> :class:`SessionCookie`."""

    def __init__(self, default_app: Callable[[], Any]) -> None:
        self._default_app = default_app

    def app(self, app: Any = None) -> Any:
        return self._default_app() if app is None else app

    def lifetime(self, app: Any = None) -> timedelta:
        """The app's ``PERMANENT_SESSION_LIFETIME``: Flask refuses cookies older than this."""
        return timedelta(seconds=fs.session_settings(self.app(app)).lifetime)

    def __call__(
        self,
        session: Mapping[str, Any] | None = None,
        *,
        app: Any = None,
        key: str | bytes | int = "current",
        age: timedelta | None = None,
        at: datetime | float | None = None,
        compress: bool | None = None,
        size: int | None = None,
    ) -> SessionCookie:
        if age is not None and at is not None:
            raise TypeError("give age or at, not both")
        target = self.app(app)
        settings = fs.session_settings(target)
        signing_key = _pick_key(settings, key)
        moment = at if at is not None else time.time() - (age.total_seconds() if age is not None else 0)
        data = dict(session or {})

        def make(content: Mapping[str, Any]) -> str:  # padding is random: zlib would only add bytes
            zlib = compress if compress is not None or size is None else False
            return fs.sign(content, signing_key, app=target, at=moment, compress=zlib)

        value = make(data) if size is None else _padded(make, data, size - len(settings.cookie_name.encode()))
        return SessionCookie(
            name=settings.cookie_name,
            value=value,
            path=settings.path,
            domain=settings.domain,
            secure=settings.secure,
            httponly=settings.httponly,
            samesite=settings.samesite,
        )


def _pick_key(settings: fs.SessionSettings, key: str | bytes | int) -> fs.Key:
    if key == "current":
        return settings.required_key
    if isinstance(key, bool):
        raise TypeError("key is 'current', an index into SECRET_KEY_FALLBACKS, or a str or bytes key")
    if isinstance(key, int):
        try:
            return settings.fallbacks[key]
        except IndexError:
            raise LookupError(
                f"SECRET_KEY_FALLBACKS has {len(settings.fallbacks)} keys: no index {key} (the app's config)"
            ) from None
    return key


def _padded(make: Callable[[Mapping[str, Any]], str], session: dict[str, Any], target: int) -> str:
    """The shortest cookie for ``session`` plus random padding that is at least ``target`` bytes long.

    Base64 makes 4 characters of 3 bytes, so it may pass ``target`` by a byte or two.
    """
    noise = os.urandom(target).hex()

    def padded(length: int) -> str:
        return make({**session, PADDING_KEY: noise[:length]}) if length else make(session)

    length, value = 0, make(session)
    while len(value) < target:
        length += max(1, (target - len(value)) * 3 // 4)
        value = padded(length)
    while length and len(shorter := padded(length - 1)) >= target:
        length, value = length - 1, shorter
    return value
