"""One sizecheck run's result (:class:`SizeCheck`), and the checks that make each :class:`CheckedCookie`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from flasksess_cli.codec.cookie import DecodedCookie, DecompressionBomb, decode_cookie
from flasksess_cli.cookie_text import parse_set_cookie
from flasksess_cli.defaults import DEFAULT_MAX_JSON_BYTES
from flasksess_cli.errors import BadInput
from flasksess_cli.settings import FLASK_DEFAULTS, SessionSettings
from flasksess_cli.sizecheck.advice import advice
from flasksess_cli.sizecheck.browsers import CookieReport, Verdict, check_cookie, check_set_cookie
from flasksess_cli.sizecheck.pricing import SessionSize, price_payload, price_session, session_cookie
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
    #: Why the Flask session in it was not priced; None when it was, or when it holds no Flask session.
    not_priced: str | None = None


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
    return _checked(report, Priced(size), header_source="built")


def check_value(
    name: str,
    value: str,
    settings: SessionSettings = FLASK_DEFAULTS,
    *,
    origin: str | None = None,
    pricer: Pricer | None = None,
) -> CheckedCookie:
    """A cookie value with the header Flask would send for it; priced when it decodes as a Flask session."""
    priced = (pricer or Pricer()).price(value)
    permanent = bool(priced.size and priced.size.permanent)
    report = check_cookie(name, value, attributes_of(settings, permanent=permanent), settings.max_cookie_size)
    return _checked(report, priced, header_source="built", origin=origin)


def check_received(
    header: str, *, max_cookie_size: int, origin: str | None = None, seen: int = 1, pricer: Pricer | None = None
) -> CheckedCookie:
    """A Set-Cookie value as a server sent it; priced when it holds a Flask session."""
    report = check_set_cookie(header, max_cookie_size=max_cookie_size)
    priced = (pricer or Pricer()).price(received_value(header))
    return _checked(report, priced, header_source="given", origin=origin, seen=seen)


def received_value(header: str) -> str:
    """The cookie value in a Set-Cookie value, DQUOTEs removed."""
    value = parse_set_cookie(header).value
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _checked(report: CookieReport, priced: Priced, **where: Any) -> CheckedCookie:
    return CheckedCookie(
        report, session=priced.size, not_priced=priced.not_priced, advice=advice(report, priced.size), **where
    )


#: The session JSON one run inflates and prices at most, all its cookies together. Pricing takes time
#: in proportion to the JSON, and a compressed payload can inflate a thousandfold: this bound keeps a
#: megabyte of hostile cookies to seconds.
PRICING_BUDGET = 2 << 20


class Priced(NamedTuple):
    size: SessionSize | None
    #: Why a Flask session was not priced (None when it was, or when the value is no Flask session).
    not_priced: str | None = None


class Pricer:
    """Prices the Flask sessions in one run's cookie values: each value once, PRICING_BUDGET bytes of JSON in all.

    A value that is no Flask session is size-checked only. A session that cannot be priced
    (over the budget, a decompression bomb, a payload Flask cannot load or store) says why.
    """

    def __init__(self, budget: int = PRICING_BUDGET, *, largest_first: Iterable[str] = ()) -> None:
        """``largest_first``: the run's cookie values, priced at once from the longest down, so that
        when the budget runs short it is the small cookies that go unpriced."""
        self.budget = self.left = budget
        self._priced: dict[str, Priced] = {}
        for value in sorted(set(largest_first), key=len, reverse=True):
            self.price(value)

    def price(self, value: str) -> Priced:
        if value not in self._priced:
            self._priced[value] = self._price(value)
        return self._priced[value]

    def _price(self, value: str) -> Priced:
        if value.count(".") < 2:
            return Priced(None)
        if self.left <= 0:
            return Priced(None, f"this run has priced {self.budget:,} bytes of session JSON, its budget")
        cap = min(DEFAULT_MAX_JSON_BYTES, self.left)
        try:
            decoded = decode_cookie(value, max_json=cap)
        except DecompressionBomb:
            self.left -= cap  # inflated that far before refusing
            if cap < DEFAULT_MAX_JSON_BYTES:
                return Priced(None, f"this run has priced {self.budget:,} bytes of session JSON, its budget")
            return Priced(None, f"its payload inflates past {cap:,} bytes of JSON (a decompression bomb?)")
        except BadInput:  # not a Flask session cookie: checked for size only
            return Priced(None)
        except Exception as exc:  # a flaw in flasksess's reading of this cookie: say so, and check the size
            return _flaw(exc)
        self.left -= decoded.json_bytes
        if decoded.session is None:  # a Flask-Session id: the data is on the server
            return Priced(None)
        if not isinstance(decoded.session, dict):
            return Priced(None, "Flask cannot load this payload as a session (HTTP 500)")
        try:
            return Priced(_price_decoded(decoded))
        except BadInput as exc:  # Flask could not have written it: a lone surrogate, keys it cannot sort
            return Priced(None, str(exc))
        except Exception as exc:
            return _flaw(exc)


def _flaw(exc: Exception) -> Priced:
    return Priced(None, f"flasksess could not price it ({type(exc).__name__}: a bug, please report it)")


def _price_decoded(decoded: DecodedCookie) -> SessionSize:
    """Price a decoded session from its payload as it was written, with the digest its signature's length implies."""
    digest = decoded.digest_guess if decoded.digest_guess != "unknown" else "sha1"
    return price_payload(decoded.payload or "", decoded.session or {}, digest=digest, timestamp=decoded.timestamp)
