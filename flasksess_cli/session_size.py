"""What a Flask session costs in its cookie: the exact cookie, each key's marginal bytes, and advice.

The cookie is signed with a throwaway key: a signature's length depends only on
the digest (SHA-1: 27 characters), so the sizes are those of the real cookie.
Each key's cost is its marginal size in the compressed, encoded cookie (the
cookie's length with the key minus without it), so it accounts for zlib: costs
need not add up to the whole, and a repetitive key can cost almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flasksess_cli import sizes
from flasksess_cli.choices import DEFAULT_COOKIE_NAME, DEFAULT_MAX_AGE
from flasksess_cli.cookies import DecodedCookie, Scheme, SignedCookie, decode_cookie, sign_session
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey
from flasksess_cli.limits import DEFAULT_MAX_COOKIE_SIZE
from flasksess_cli.session_json import dumps_flask

if TYPE_CHECKING:
    from flasksess_cli.flaskapp import AppSettings

_THROWAWAY_KEY = SecretKey("flasksess sizecheck: a signature's length depends only on the digest")
#: Keys priced one by one at most (the largest by JSON size); each costs one compression of the session.
MAX_PRICED_KEYS = 64
#: Advice is given when a cookie is this close to the browsers' limit, or past a limit.
ADVICE_MARGIN = 1024


@dataclass(frozen=True)
class CookieSettings:
    """How an application writes its session cookie (Flask's defaults unless told otherwise)."""

    name: str = DEFAULT_COOKIE_NAME
    domain: str | None = None
    path: str = "/"
    secure: bool = False
    httponly: bool = True
    samesite: str | None = None
    partitioned: bool = False
    #: ``session.permanent = True``: ``_permanent`` joins the session and Expires the header. A session
    #: that already holds ``_permanent`` is permanent anyway.
    permanent: bool = False
    lifetime: int = DEFAULT_MAX_AGE
    max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE
    digest: str = "sha1"
    sort_keys: bool = True
    ensure_ascii: bool = True

    def attributes(self, *, permanent: bool) -> sizes.CookieAttributes:
        return sizes.CookieAttributes(
            domain=self.domain,
            path=self.path,
            secure=self.secure,
            httponly=self.httponly,
            samesite=self.samesite,
            partitioned=self.partitioned,
            expires=sizes.permanent_expires(self.lifetime) if permanent or self.permanent else None,
        )


def cookie_settings(app: AppSettings | None = None, *, permanent: bool = False, **given: Any) -> CookieSettings:
    """Flask's defaults, overridden by the app's settings (``--app``), overridden by the options given (not None)."""
    base = CookieSettings()
    if app is not None:
        base = CookieSettings(
            name=app.cookie_name,
            domain=app.domain,
            path=app.path,
            secure=app.secure,
            httponly=app.httponly,
            samesite=app.samesite,
            partitioned=app.partitioned,
            lifetime=app.max_age,
            max_cookie_size=app.max_cookie_size,
            digest=app.scheme.digest,
            sort_keys=app.sort_keys,
            ensure_ascii=app.ensure_ascii,
        )
    return replace(base, permanent=permanent, **{k: v for k, v in given.items() if v is not None})


@dataclass(frozen=True)
class KeyCost:
    key: str
    #: Marginal bytes in the cookie: its length with this key minus without it.
    cookie_bytes: int
    #: Bytes of ``"key":value`` in the session's JSON, before compression.
    json_bytes: int
    #: What the value is: "text, 3000 characters", "list of 40 objects", ...
    holds: str


@dataclass(frozen=True)
class SessionSize:
    compressed: bool
    json_bytes: int
    cookie_bytes: int
    permanent: bool
    #: Costliest first.
    keys: tuple[KeyCost, ...]
    #: Keys not priced one by one (a session with more than MAX_PRICED_KEYS keys).
    keys_not_measured: int = 0
    #: Flashed messages waiting in ``_flashes``.
    flashes: int = 0


def session_cookie(
    session: dict[str, Any], settings: CookieSettings = CookieSettings(), *, timestamp: int | None = None
) -> SignedCookie:
    """The cookie value Flask writes for this session (signed with a throwaway key of the same digest)."""
    return sign_session(
        session,
        key=_THROWAWAY_KEY,
        scheme=Scheme(digest=settings.digest),
        timestamp=timestamp,
        sort_keys=settings.sort_keys,
        ensure_ascii=settings.ensure_ascii,
    )


def price_session(
    session: dict[str, Any], settings: CookieSettings = CookieSettings(), *, timestamp: int | None = None
) -> SessionSize:
    """Each top-level key's marginal cost in the compressed, encoded cookie, costliest first."""
    whole = session_cookie(session, settings, timestamp=timestamp)
    json_sizes = {key: _json_bytes({key: value}, settings) - 2 for key, value in session.items()}
    priced = sorted(session, key=lambda k: -json_sizes[k])[:MAX_PRICED_KEYS]
    costs = []
    for key in priced:
        if len(session) == 1:
            marginal = len(whole.value)  # without it the session is empty and Flask sends no cookie
        else:
            rest = {k: v for k, v in session.items() if k != key}
            marginal = len(whole.value) - len(session_cookie(rest, settings, timestamp=timestamp).value)
        costs.append(KeyCost(key, marginal, json_sizes[key], _holds(session[key])))
    costs.sort(key=lambda c: (-c.cookie_bytes, -c.json_bytes, c.key))
    flashes = session.get("_flashes")
    return SessionSize(
        compressed=whole.compressed,
        json_bytes=whole.json_bytes,
        cookie_bytes=len(whole.value),
        permanent=bool(session.get("_permanent")),
        keys=tuple(costs),
        keys_not_measured=len(session) - len(priced),
        flashes=len(flashes) if isinstance(flashes, (list, tuple)) else 0,
    )


def _json_bytes(session: dict[str, Any], settings: CookieSettings) -> int:
    text = dumps_flask(session, sort_keys=settings.sort_keys, ensure_ascii=settings.ensure_ascii)
    return len(text.encode("utf-8", "surrogatepass"))


def _holds(value: Any) -> str:
    if isinstance(value, str):
        return f"text, {len(value)} character{'' if len(value) == 1 else 's'}"
    if isinstance(value, bytes):
        return f"bytes, {len(value)}"
    if isinstance(value, (list, tuple)):
        objects = sum(isinstance(item, (dict, list, tuple)) for item in value)
        noun = "objects" if objects and objects * 2 >= len(value) else "items"
        noun = noun if len(value) != 1 else noun[:-1]
        return f"list of {len(value)} {noun}" + (" (a tuple)" if isinstance(value, tuple) else "")
    if isinstance(value, dict):
        return f"object with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


# --- checking a cookie, priced when it holds a Flask session ----------------------------------------


def check_session(session: dict[str, Any], settings: CookieSettings = CookieSettings()) -> sizes.CheckedCookie:
    """The cookie Flask would send for this session with these settings, checked and priced.

    With ``settings.permanent`` the session is made permanent as ``session.permanent = True``
    does: a ``"_permanent": true`` key in the payload, and an Expires attribute.
    """
    if settings.permanent:
        session = {**session, "_permanent": True}
    size = price_session(session, settings)
    signed = session_cookie(session, settings)
    report = sizes.check_cookie(
        settings.name, signed.value, settings.attributes(permanent=size.permanent), settings.max_cookie_size
    )
    return _checked(report, size, header_source="built")


def check_value(
    name: str, value: str, settings: CookieSettings = CookieSettings(), *, origin: str | None = None
) -> sizes.CheckedCookie:
    """A cookie value with the header Flask would send for it; priced when it decodes as a Flask session."""
    decoded = _decoded(value)
    permanent = bool(decoded and decoded.session and decoded.session.get("_permanent"))
    report = sizes.check_cookie(name, value, settings.attributes(permanent=permanent), settings.max_cookie_size)
    return _checked(report, _price_decoded(decoded), header_source="built", origin=origin)


def check_received(
    header: str, *, max_cookie_size: int, origin: str | None = None, seen: int = 1
) -> sizes.CheckedCookie:
    """A Set-Cookie value as a server sent it; priced when it holds a Flask session."""
    report = sizes.check_set_cookie(header, max_cookie_size=max_cookie_size)
    value = sizes.parse_set_cookie(header).value
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    size = _price_decoded(_decoded(value))
    return _checked(report, size, header_source="given", origin=origin, seen=seen)


def _checked(report: sizes.CookieReport, size: SessionSize | None, **where: Any) -> sizes.CheckedCookie:
    return sizes.CheckedCookie(report, session=size, advice=advice(report, size), **where)


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
    written = CookieSettings(digest=digest)
    for sort_keys, ensure_ascii in ((True, True), (False, True), (True, False), (False, False)):
        candidate = CookieSettings(digest=digest, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
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


# --- advice ---------------------------------------------------------------------------------------


def advice(report: sizes.CookieReport, session: SessionSize | None) -> tuple[str, ...]:
    """Concrete steps, costliest first, when the cookie is past a limit or within ADVICE_MARGIN of the browsers'."""
    if not (report.too_large or report.flask_warns or report.browser_headroom < ADVICE_MARGIN):
        return ()
    if session is None:
        return ("Keep large values out of cookies: store them server-side and put only an id in the cookie.",)
    steps: list[str] = []
    total = max(session.cookie_bytes, 1)
    for cost in session.keys:
        if cost.cookie_bytes < max(64, total // 10):
            continue
        where = f"'{cost.key}' costs {cost.cookie_bytes} bytes of the cookie"
        if cost.key == "_flashes":
            steps.append(
                f"{where}: {session.flashes} flashed message(s) no page has shown yet stay in the cookie until "
                "get_flashed_messages() runs. Show them in the base template on every page, and flash short texts."
            )
        elif "objects" in cost.holds or cost.holds.startswith("object"):
            steps.append(
                f"{where} ({cost.holds}): keep ids in the session, not objects, and load the rows per request."
            )
        elif cost.holds.startswith(("text", "bytes")):
            steps.append(f"{where} ({cost.holds}): recompute it per request, or store it server-side.")
        elif cost.holds.startswith("list"):
            steps.append(f"{where} ({cost.holds}): cap the list, or store it server-side.")
        else:
            steps.append(f"{where}: drop it if it can be recomputed from the database or the request.")
    steps.append(
        "Move large state server-side: Flask-Session with Redis or a database keeps only a session id "
        "(under 100 bytes) in the cookie."
    )
    return tuple(steps)
