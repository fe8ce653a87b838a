"""One sizecheck run's result (:class:`SizeCheck`), and the checks that make each :class:`CheckedCookie`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flasksess_cli.codec.cookie import DecodedCookie, decode_cookie
from flasksess_cli.codec.session_json import dumps_flask
from flasksess_cli.cookie_text import parse_set_cookie
from flasksess_cli.errors import BadInput
from flasksess_cli.settings import FLASK_DEFAULTS, SessionSettings
from flasksess_cli.sizecheck.advice import advice
from flasksess_cli.sizecheck.browsers import CookieReport, Verdict, check_cookie, check_set_cookie
from flasksess_cli.sizecheck.pricing import SessionSize, price_session, session_cookie
from flasksess_cli.sizecheck.servers import DomainCount, RequestReport
from flasksess_cli.sizecheck.set_cookie import attributes_of


@dataclass(frozen=True)
class CheckedCookie:
    report: CookieReport
    #: Which response set it ("POST http://host/login -> 302"), or None.
    origin: str | None = None
    #: The header as received ("given") or built from the attributes as Flask would ("built").
    header_source: Literal["given", "built"] = "built"
    session: SessionSize | None = None
    advice: tuple[str, ...] = ()
    seen: int = 1


@dataclass(frozen=True)
class SizeCheck:
    source: Literal["cookie", "session", "url", "har"]
    cookies: tuple[CheckedCookie, ...]
    requests: tuple[RequestReport, ...] = ()
    domains: tuple[DomainCount, ...] = ()
    #: The server picked with --server, or None (all shown, none decides the exit code).
    server: str | None = None

    @property
    def dropped(self) -> bool:
        return any(c.report.dropped for c in self.cookies)

    @property
    def verdict(self) -> Verdict:
        """The worst cookie verdict: ``dropped``, ``flask-warns`` or ``ok``."""
        verdicts = {c.report.verdict for c in self.cookies}
        return next((v for v in ("dropped", "flask-warns") if v in verdicts), "ok")

    @property
    def server_rejects(self) -> bool | None:
        """Whether the --server would reject a request; None when no server was picked."""
        if self.server is None:
            return None
        return any(r.server(self.server).verdict == "rejected" for r in self.requests)

    @property
    def answer_is_no(self) -> bool:
        return self.dropped or bool(self.server_rejects)


def check_session(session: dict[str, Any], settings: SessionSettings = FLASK_DEFAULTS) -> CheckedCookie:
    """The cookie Flask would send for this session with these settings, checked and priced.

    With ``settings.permanent`` the session is made permanent as ``session.permanent = True``
    does: a ``"_permanent": true`` key in the payload, and an Expires attribute.
    """
    if settings.permanent:
        session = {**session, "_permanent": True}
    size = price_session(session, settings)
    signed = session_cookie(session, settings)
    report = check_cookie(
        settings.cookie_name, signed.value, attributes_of(settings, permanent=size.permanent), settings.max_cookie_size
    )
    return _checked(report, size, header_source="built")


def check_value(
    name: str, value: str, settings: SessionSettings = FLASK_DEFAULTS, *, origin: str | None = None
) -> CheckedCookie:
    """A cookie value with the header Flask would send for it; priced when it decodes as a Flask session."""
    decoded = _decoded(value)
    permanent = bool(decoded and decoded.session and decoded.session.get("_permanent"))
    report = check_cookie(name, value, attributes_of(settings, permanent=permanent), settings.max_cookie_size)
    return _checked(report, _price_decoded(decoded), header_source="built", origin=origin)


def check_received(header: str, *, max_cookie_size: int, origin: str | None = None, seen: int = 1) -> CheckedCookie:
    """A Set-Cookie value as a server sent it; priced when it holds a Flask session."""
    report = check_set_cookie(header, max_cookie_size=max_cookie_size)
    value = parse_set_cookie(header).value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    size = _price_decoded(_decoded(value))
    return _checked(report, size, header_source="given", origin=origin, seen=seen)


def _checked(report: CookieReport, size: SessionSize | None, **where: Any) -> CheckedCookie:
    return CheckedCookie(report, session=size, advice=advice(report, size), **where)


def _decoded(value: str) -> DecodedCookie | None:
    if value.count(".") < 2:
        return None
    try:
        decoded = decode_cookie(value)
    except BadInput:  # not a Flask session cookie: checked for size only
        return None
    return decoded if decoded.session is not None else None


def _price_decoded(decoded: DecodedCookie | None) -> SessionSize | None:
    """Price a decoded session as it was written: same digest, timestamp, key order and escaping."""
    if decoded is None or decoded.session is None:
        return None
    digest = decoded.digest_guess if decoded.digest_guess != "unknown" else "sha1"
    written = SessionSettings(digest=digest)
    for sort_keys, ensure_ascii in ((True, True), (False, True), (True, False), (False, False)):
        candidate = SessionSettings(digest=digest, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
        try:
            if dumps_flask(decoded.session, sort_keys=sort_keys, ensure_ascii=ensure_ascii) == decoded.payload:
                written = candidate
                break
        except BadInput:
            return None
    try:
        return price_session(decoded.session, written, timestamp=decoded.timestamp)
    except BadInput:  # a timestamp Flask could not have written: size only
        return None
