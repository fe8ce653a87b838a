"""Every token that shares an app's SECRET_KEY: what each format is, where an app configures it, how to tell them apart.

Each :class:`TokenFormat` names a :class:`~flasksess_cli.codec.rules.Rules` (what the codec
applies: envelope, payload, signing scheme, key encoding, max age, which keys sign) and
says where the format lives in an app: the settings that replace its salt, max age,
cookie name or key, and the cookie it travels in. The facts, from each library's source:

* **Flask-WTF CSRF token** (0.14 to 1.3): ``URLSafeTimedSerializer(WTF_CSRF_SECRET_KEY or
  SECRET_KEY, salt="wtf-csrf-token").dumps(session["csrf_token"])`` (``flask_wtf/csrf.py``):
  itsdangerous' defaults (HMAC-SHA1, django-concat), a JSON string of 40 hex digits,
  91 characters; ``WTF_CSRF_TIME_LIMIT`` (3600 s); no SECRET_KEY_FALLBACKS; a bad or
  expired token is HTTP 400. Flask-Security's ``XSRF-TOKEN`` cookie holds the same token.
* **Flask-Login remember cookie** (0.3 to 0.6): ``f"{user_id}|{hmac(key, user_id, sha512).hexdigest()}"``
  keyed with ``SECRET_KEY`` encoded **Latin-1** (``flask_login/utils.py``: ``_cookie_digest``,
  ``_secret_key``): no salt, no key derivation, no timestamp; 0.1 and 0.2 used SHA-1.
* **Starlette / FastAPI SessionMiddleware** (1.x): ``TimestampSigner(str(secret_key))``
  (salt ``itsdangerous.Signer``, django-concat, SHA-1) over standard base64 (with padding)
  of ``json.dumps(session)``; 14 days; cookie ``session``, like Flask's.
* **Quart-Auth** (0.8+): ``URLSafeTimedSerializer(key, "quart auth salt")`` with SHA-512 for the
  derivation and the HMAC (an 86-character signature); ``QUART_AUTH_DURATION`` (365 days);
  cookie ``QUART_AUTH``; SECRET_KEY_FALLBACKS verify since 0.11.
* **Flask-Security** (pallets-eco, 4.x to 5.9): ten ``URLSafeTimedSerializer``\\ s (the refresh
  token's is a ``URLSafeSerializer``) over ``[SECRET_KEY, *SECRET_KEY_FALLBACKS]``, salt
  ``SECURITY_<NAME>_SALT``; since 5.6 itsdangerous signs with the **last** key of that list.
* **itsdangerous** itself: ``URLSafe(Timed)Serializer(key, salt)``, salt ``"itsdangerous"``
  unless the app chose one (password-reset links, e-mail confirmations).

Without a key the shape only suggests a format (:func:`recognise`); with a key the MAC
decides, because the salt, digest and derivation are inside it (:func:`allowed` lists
every format a shape admits, the likeliest first, for ``verify`` to try).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from flasksess_cli.codec.rules import CURRENT, Rules
from flasksess_cli.defaults import DIGEST_SIZES
from flasksess_cli.errors import UsageError

if TYPE_CHECKING:
    from flasksess_cli.codec.rules import Envelope


class TokenFormat(NamedTuple):
    """A token format: the rules the codec applies, and where an app configures it."""

    #: The ``--format`` name.
    name: str
    #: What it is, for people: "Flask-WTF CSRF token".
    title: str
    rules: Rules
    #: The cookie it travels in by default (None: a form field, a header or a link).
    cookie: str | None = None
    #: App settings that replace the salt, the max age, the cookie name, the key (None: fixed).
    salt_setting: str | None = None
    age_setting: str | None = None
    cookie_setting: str | None = None
    key_setting: str | None = None
    #: What the app does with a valid one, and with one it refuses: sentences for the verdict.
    accepts: str = ""
    refuses: str = ""
    #: The salt, digest and derivation are the app's own choice (Flask's session interface, itsdangerous).
    generic: bool = False

    @property
    def family(self) -> str:
        """The library: "Flask-Security" for its ten tokens, else the title."""
        return "Flask-Security" if self.name.startswith("flask-security-") else self.title


def _rules(name: str, framework: str, version: str, **fields: Any) -> Rules:
    return Rules(format=name, framework=framework, version=version, source="--format", **fields)  # type: ignore[arg-type]


FLASK_SESSION = TokenFormat(
    "flask-session", "Flask session cookie", CURRENT, cookie="session", cookie_setting="SESSION_COOKIE_NAME",
    accepts="the app loads it as its session", refuses="the app starts an empty session", generic=True,
)  # fmt: skip
#: Flask-Session (0.4 to 0.8) signs a server-side session id with ``Signer(app.secret_key, salt="flask-session",
#: key_derivation="hmac")``.
FLASK_SESSION_ID = TokenFormat(
    "flask-session-id", "Flask-Session server-side session id",
    _rules("flask-session-id", "flask-session", "0.4-0.8", envelope="untimed", payload="session-id",
           salt="flask-session", fallbacks="none", max_age=None),
    cookie="session", cookie_setting="SESSION_COOKIE_NAME",
    accepts="Flask-Session loads the session stored under this id",
    refuses="Flask-Session starts a new session",
)  # fmt: skip
FLASK_WTF_CSRF = TokenFormat(
    "flask-wtf-csrf", "Flask-WTF CSRF token",
    _rules("flask-wtf-csrf", "flask-wtf", "0.14+", payload="json", salt="wtf-csrf-token",
           key_derivation="django-concat", max_age=3600, fallbacks="none", bad_payload="rejected"),
    age_setting="WTF_CSRF_TIME_LIMIT", key_setting="WTF_CSRF_SECRET_KEY",
    accepts="Flask-WTF accepts a form or request carrying it while the session's csrf_token holds the same value",
    refuses="Flask-WTF refuses the request with HTTP 400 (\"The CSRF token is invalid.\" or \"has expired.\")",
)  # fmt: skip
FLASK_LOGIN_REMEMBER = TokenFormat(
    "flask-login-remember", "Flask-Login remember cookie",
    _rules("flask-login-remember", "flask-login", "0.3+", envelope="remember", payload="user-id", salt="",
           digest="sha512", key_derivation="none", max_age=None, key_encoding="latin-1", fallbacks="none"),
    cookie="remember_token", cookie_setting="REMEMBER_COOKIE_NAME",
    accepts="Flask-Login logs the request in as this user id (the session is marked not fresh), for as long "
    "as the key stays the same: the cookie carries no time",
    refuses="Flask-Login ignores it: the request stays anonymous",
)  # fmt: skip
STARLETTE_SESSION = TokenFormat(
    "starlette-session", "Starlette session cookie",
    _rules("starlette-session", "starlette", "1.x", payload="starlette-session", salt="itsdangerous.Signer",
           key_derivation="django-concat", max_age=14 * 24 * 3600, key_encoding="str", fallbacks="none"),
    cookie="session",
    accepts="Starlette's SessionMiddleware loads it as request.session",
    refuses="Starlette starts an empty session",
)  # fmt: skip
QUART_AUTH = TokenFormat(
    "quart-auth", "Quart-Auth token",
    _rules("quart-auth", "quart-auth", "0.11+", payload="json", salt="quart auth salt", digest="sha512",
           key_derivation="django-concat", max_age=365 * 24 * 3600, fallbacks="current-signs"),
    cookie="QUART_AUTH", salt_setting="QUART_AUTH_SALT", age_setting="QUART_AUTH_DURATION",
    cookie_setting="QUART_AUTH_COOKIE_NAME",
    accepts="Quart-Auth authenticates the request as this auth id",
    refuses="Quart-Auth treats the request as anonymous",
)  # fmt: skip
ITSDANGEROUS = TokenFormat(
    "itsdangerous", "itsdangerous URLSafeTimedSerializer token",
    _rules("itsdangerous", "itsdangerous", "2.x", payload="json", salt="itsdangerous",
           key_derivation="django-concat", max_age=None, bad_payload="rejected"),
    accepts="loads() returns this value", refuses="loads() raises BadSignature", generic=True,
)  # fmt: skip
ITSDANGEROUS_UNTIMED = TokenFormat(
    "itsdangerous-untimed", "itsdangerous URLSafeSerializer token",
    _rules("itsdangerous-untimed", "itsdangerous", "2.x", envelope="untimed", payload="json", salt="itsdangerous",
           key_derivation="django-concat", max_age=None, bad_payload="rejected"),
    accepts="loads() returns this value", refuses="loads() raises BadSignature", generic=True,
)  # fmt: skip

# Flask-Security's own serializers (flask_security/core.py ``_get_serializer``; defaults as of 5.9):
# (name, what it is, SECURITY_<X>_SALT, default salt, max-age setting, default seconds, cookie, timed).
_SECURITY = (
    ("token", "authentication token", "REMEMBER", "remember-salt", "TOKEN_MAX_AGE", 15 * 60, None, True),
    ("confirm", "e-mail confirmation token", "CONFIRM", "confirm-salt", "CONFIRM_EMAIL_WITHIN", 2 * 86400, None, True),
    ("reset", "password reset token", "RESET", "reset-salt", "RESET_PASSWORD_WITHIN", 86400, None, True),
    ("login", "passwordless login token", "LOGIN", "login-salt", "LOGIN_WITHIN", 86400, None, True),
    ("change-email", "change-of-e-mail token", "CHANGE_EMAIL", "change-email-salt", "CHANGE_EMAIL_WITHIN", 7200,
     None, True),
    ("tf-validity", "two-factor validity cookie", "TWO_FACTOR_VALIDITY", "tf-validity-salt",
     "TWO_FACTOR_LOGIN_VALIDITY", 30 * 86400, "tf_validity", True),
    ("tf-setup", "two-factor setup state", "TWO_FACTOR_SETUP", "tf-setup-salt", "TWO_FACTOR_SETUP_WITHIN", 1800,
     None, True),
    ("us-setup", "unified sign-in setup state", "US_SETUP", "us-setup-salt", "US_SETUP_WITHIN", 1800, None, True),
    ("wan", "WebAuthn state", "WAN", "wan-salt", "WAN_REGISTER_WITHIN", 1800, None, True),
    ("refresh", "refresh token", "REFRESH_TOKEN", "refresh-token-salt", None, None, "fs_refresh", False),
)  # fmt: skip
FLASK_SECURITY = tuple(
    TokenFormat(
        f"flask-security-{name}", f"Flask-Security {what}",
        _rules(f"flask-security-{name}", "flask-security", "5.6+", envelope="timed" if timed else "untimed",
               payload="json", salt=salt, key_derivation="django-concat", max_age=age, fallbacks="last-signs"),
        cookie=cookie, salt_setting=f"SECURITY_{setting}_SALT",
        age_setting=f"SECURITY_{age_setting}" if age_setting else None,
        cookie_setting="SECURITY_REFRESH_TOKEN_COOKIE_NAME" if name == "refresh" else (
            "SECURITY_TWO_FACTOR_VALIDITY_COOKIE_NAME" if cookie else None),
        accepts=f"Flask-Security accepts it as a {what}",
        refuses=f"Flask-Security refuses it as an invalid or expired {what}",
    )
    for name, what, setting, salt, age_setting, age, cookie, timed in _SECURITY
)  # fmt: skip

#: Every format, by ``--format`` name, in the order ``verify`` tries them when the payload says nothing.
FORMATS: dict[str, TokenFormat] = {
    f.name: f
    for f in (
        FLASK_SESSION, FLASK_WTF_CSRF, FLASK_LOGIN_REMEMBER, STARLETTE_SESSION, QUART_AUTH, *FLASK_SECURITY,
        ITSDANGEROUS, ITSDANGEROUS_UNTIMED, FLASK_SESSION_ID,
    )
}  # fmt: skip

#: Every app setting a format reads (``--app`` and the Flask commands take them from the app's config).
APP_SETTINGS = tuple(
    dict.fromkeys(
        setting
        for f in FORMATS.values()
        for setting in (f.salt_setting, f.age_setting, f.cookie_setting, f.key_setting)
        if setting and setting != "SESSION_COOKIE_NAME"
    )
)


def get(name: str) -> TokenFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"{name!r} is not a token format flasksess knows ({', '.join(FORMATS)})") from None


def of(rules: Rules) -> TokenFormat:
    """The format whose rules these are (a Flask or Quart release's rules are Flask's session format)."""
    return FORMATS.get(rules.format, FLASK_SESSION)


# --- telling them apart --------------------------------------------------------------------------


class Shape(NamedTuple):
    """What the text alone says: how it is laid out, how long its MAC is, and what its payload holds."""

    envelope: Envelope
    #: Bytes of MAC the signature holds (None: not base64 or hex).
    mac_bytes: int | None
    #: The payload is standard base64 (``+``, ``/`` or ``=``): Starlette's, never a URL-safe serializer's.
    standard_base64: bool = False
    #: The payload read as URL-safe (or standard) base64 JSON (the user id of a remember cookie), when ``readable``.
    value: Any = None
    readable: bool = False
    #: The JSON text had the standard library's default spacing (", " and ": "): json.dumps, not a compact writer.
    spaced: bool = False
    compressed: bool = False
    #: The payload can only be URL-safe base64 (``-``, ``_``, or a length no padded base64 has): never Starlette's.
    urlsafe: bool = False


class Recognition(NamedTuple):
    """The format assumed from the shape, why, and what else the shape allows."""

    format: TokenFormat
    why: str
    #: Other formats the payload fits (Flask-Security's ten tokens counted once).
    alternatives: tuple[TokenFormat, ...] = ()

    @property
    def certain(self) -> bool:
        return not self.alternatives

    def document(self) -> dict[str, Any]:
        return {
            "format": self.format.name,
            "why": self.why,
            "alternatives": [f.name for f in self.alternatives],
            "certain": self.certain,
        }


_HEX = re.compile(r"[0-9a-f]+")
_REMEMBER = re.compile(r"(.*)\|([0-9a-f]{40}|[0-9a-f]{128})", re.DOTALL)
_STANDARD_ONLY = re.compile(r"[+/=]")
_URLSAFE_ONLY = re.compile(r"[-_]")
#: Flask-Session's ids: ``secrets.token_urlsafe(n)`` (>= 0.6) or ``str(uuid4())`` (<= 0.5).
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,}")
#: Enough JSON to recognise a payload by; a bigger compressed one is recognised by its start.
_PEEK_BYTES = 64 * 1024


def shape(value: str, *, read: bool = True) -> Shape | None:
    """The layout of ``value``, or None when it is no signed token at all; without ``read``, its payload is not
    decoded (a compressed one inflates up to 64 KiB: a page of them costs that much per token)."""
    remember = _REMEMBER.fullmatch(value)
    if remember:
        return Shape("remember", len(remember.group(2)) // 2, value=remember.group(1), readable=True)
    if "." not in value:
        return None
    signed, signature = value.rsplit(".", 1)
    mac = _decoded_size(signature)
    timed = "." in signed[1:]
    payload = signed.rsplit(".", 1)[0] if timed else signed
    compressed = payload.startswith(".")
    envelope: Envelope = "timed" if timed else "untimed"
    standard = bool(_STANDARD_ONLY.search(payload)) and not compressed
    found = None
    if read:
        found = _read_payload(payload[1:] if compressed else payload, compressed=compressed, standard=standard)
    if found is None:
        return Shape(envelope, mac, standard, compressed=compressed)
    data, spaced = found
    urlsafe = not compressed and (bool(_URLSAFE_ONLY.search(payload)) or len(payload) % 4 != 0)
    return Shape(envelope, mac, standard, data, True, spaced, compressed, urlsafe)


def _decoded_size(text: str) -> int | None:
    from itsdangerous.encoding import base64_decode
    from itsdangerous.exc import BadData

    try:
        return len(base64_decode(text))
    except BadData:
        return None


def read_json_payload(text: str) -> tuple[Any, bool] | None:
    """A payload's JSON value (and whether json.dumps' default spacing wrote it), or None when it is not base64 JSON."""
    compressed = text.startswith(".")
    standard = bool(_STANDARD_ONLY.search(text)) and not compressed
    return _read_payload(text[1:] if compressed else text, compressed=compressed, standard=standard)


def _read_payload(text: str, *, compressed: bool, standard: bool) -> tuple[Any, bool] | None:
    """(the JSON value, whether it was written with json.dumps' default spacing), or None when it is not JSON."""
    import base64
    import binascii
    import json
    import zlib

    from itsdangerous.encoding import base64_decode
    from itsdangerous.exc import BadData

    from flasksess_cli.codec.session_json import MAX_DEPTH, json_depth

    try:
        raw = base64.b64decode(text, validate=True) if standard else base64_decode(text)
        if compressed:
            raw = zlib.decompressobj().decompress(raw, _PEEK_BYTES)
        decoded = raw.decode("utf-8")
        if json_depth(decoded) > MAX_DEPTH // 4:  # nesting this deep says nothing about the format
            return None
        data = json.loads(decoded)
    except (BadData, binascii.Error, ValueError, zlib.error):
        return None
    return data, _spaced(decoded)


def _spaced(text: str) -> bool:
    """json.dumps' default separators (", " and ": ") outside strings: Starlette's writer, not a compact one."""
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    return ": " in outside or ", " in outside


def recognise(value: str) -> Recognition:
    """The format ``value``'s shape suggests (Flask's session when nothing else fits), and the alternatives."""
    ranked = ranked_formats(value)
    if not ranked:
        return Recognition(FLASK_SESSION, "it is not laid out as any signed token")
    (chosen, why), rest = ranked[0], ranked[1:]
    seen = {chosen.family}
    alternatives = []
    for fmt, _ in rest:
        if fmt.family not in seen:
            seen.add(fmt.family)
            alternatives.append(fmt)
    return Recognition(chosen, why, tuple(alternatives))


def allowed(value: str) -> tuple[TokenFormat, ...]:
    """Every format whose layout admits ``value``, the likeliest first: what ``verify`` tries."""
    ranked = [fmt for fmt, _ in ranked_formats(value)]
    seen = set(ranked)
    found = shape(value)
    rest = [fmt for fmt in FORMATS.values() if fmt not in seen and found is not None and fits(fmt, found)]
    return (*ranked, *rest)


def fits(fmt: TokenFormat, found: Shape) -> bool:
    """The layout alone admits this format: its envelope, and its MAC size unless the app chooses the digest."""
    if fmt.rules.envelope != found.envelope:
        return False
    if fmt.generic or found.mac_bytes is None:
        return True
    return DIGEST_SIZES.get(fmt.rules.digest) == found.mac_bytes


def ranked_formats(value: str) -> list[tuple[TokenFormat, str]]:
    """The formats the shape and payload suggest, the likeliest first, each with why."""
    found = shape(value)
    if found is None or (found.envelope != "remember" and found.mac_bytes not in DIGEST_SIZES.values()):
        return []  # no MAC any digest makes: not a token (cut short?); Flask's session reading says why
    if found.envelope == "remember":
        digest = "HMAC-SHA512" if found.mac_bytes == 64 else "HMAC-SHA1 (Flask-Login 0.1 and 0.2)"
        return [(FLASK_LOGIN_REMEMBER, f"user id|hex {digest}: only Flask-Login's remember cookie is laid out so")]
    suggested = _timed(found) if found.envelope == "timed" else _untimed(value, found)
    fitting = [(fmt, why) for fmt, why in suggested if fits(fmt, found)]
    # Nothing the payload suggests has a MAC this long: the likeliest reading stays (its check will fail).
    return fitting or suggested[:1]


def _suggest(first: TokenFormat, why: str, *others: TokenFormat) -> list[tuple[TokenFormat, str]]:
    """``first`` (and why), then ``others``, each format once."""
    return [(first, why), *((fmt, "") for fmt in dict.fromkeys(others) if fmt != first)]


def _timed(found: Shape) -> list[tuple[TokenFormat, str]]:
    data, mac = found.value, found.mac_bytes
    if found.standard_base64:
        return _suggest(
            STARLETTE_SESSION,
            "the payload is standard base64 ('+', '/' or '='): Starlette's, not a URL-safe serializer's",
        )
    if not found.readable:
        return _suggest(FLASK_SESSION, "the payload is not base64 JSON", ITSDANGEROUS)
    if mac == 64 and isinstance(data, str):
        return _suggest(
            QUART_AUTH, "an 86-character signature (HMAC-SHA512) over a JSON string: Quart-Auth's", ITSDANGEROUS
        )
    hex_id = isinstance(data, str) and _HEX.fullmatch(data) is not None
    if hex_id and len(data) == 40:
        return _suggest(
            FLASK_WTF_CSRF, "a JSON string of 40 hex digits: what Flask-WTF signs", ITSDANGEROUS, *FLASK_SECURITY
        )
    if hex_id and len(data) == 32:
        why = "a JSON string of 32 hex digits: a Flask-Security user's fs_uniquifier"
        return _suggest(FORMATS["flask-security-tf-validity"], why, ITSDANGEROUS, *FLASK_SECURITY)
    if isinstance(data, str):
        why = "the payload is a JSON string, which no session holds"
        return _suggest(ITSDANGEROUS, why, *FLASK_SECURITY, FLASK_WTF_CSRF, QUART_AUTH)
    if isinstance(data, dict) and found.spaced and not found.compressed and found.urlsafe:
        why = "a JSON object written by json.dumps with its default spacing, in URL-safe base64: an itsdangerous "
        why += "serializer given json (Flask writes compact JSON, Starlette standard base64)"
        return _suggest(ITSDANGEROUS, why, FLASK_SESSION)
    if isinstance(data, dict) and found.spaced and not found.compressed:
        why = "a JSON object written by json.dumps with its default spacing: Starlette's"
        return _suggest(STARLETTE_SESSION, why, ITSDANGEROUS)
    if isinstance(data, dict) and "ver" in data and "uid" in data:
        why = "a JSON object with 'ver' and 'uid': Flask-Security's authentication token"
        return _suggest(FORMATS["flask-security-token"], why, ITSDANGEROUS, *FLASK_SECURITY)
    if isinstance(data, dict):  # not Starlette's: its json.dumps spaces the JSON, and "{}" is "e30=", standard base64
        return _suggest(FLASK_SESSION, "a compact JSON object: what Flask writes", ITSDANGEROUS, *FLASK_SECURITY)
    led = (
        isinstance(data, list) and data and isinstance(data[0], str) and _HEX.fullmatch(data[0]) and len(data[0]) == 32
    )
    if led and len(data) <= 3:
        name, what = {1: ("login", "passwordless login"), 2: ("reset", "password reset or e-mail confirmation"),
                      3: ("change-email", "change-of-e-mail")}[len(data)]  # fmt: skip
        why = f"a JSON array led by a 32-hex fs_uniquifier: a Flask-Security {what} token"
        return _suggest(FORMATS[f"flask-security-{name}"], why, *FLASK_SECURITY, ITSDANGEROUS)
    what = "a JSON array" if isinstance(data, list) else f"JSON {type(data).__name__}"
    return _suggest(
        ITSDANGEROUS, f"the payload is {what}, which Flask never writes as a session", *FLASK_SECURITY, FLASK_SESSION
    )


def _untimed(value: str, found: Shape) -> list[tuple[TokenFormat, str]]:
    signed = value.rsplit(".", 1)[0]
    data = found.value
    if not found.readable:
        if SESSION_ID.fullmatch(signed):
            return [(FLASK_SESSION_ID, "an id and a signature, no timestamp: Flask-Session's signed session id")]
        return []
    refresh = FORMATS["flask-security-refresh"]
    if isinstance(data, dict) and "uid" in data and "family" in data:
        why = "a JSON object with 'uid' and 'family' and no timestamp: Flask-Security's refresh token"
        return _suggest(refresh, why, ITSDANGEROUS_UNTIMED)
    why = "a JSON payload and a signature, no timestamp: itsdangerous' URLSafeSerializer"
    return _suggest(ITSDANGEROUS_UNTIMED, why, refresh)


# --- which cookie to read ------------------------------------------------------------------------


def take_cookie(text: str, *, name: str, exact: bool, last: bool = False, also: Iterable[str] = ()) -> str:
    """The value to read from pasted cookie text: the cookie ``name``; unless ``exact``, when ``name`` holds nothing
    signed, the first signed-looking cookie whose name one of these formats uses (``remember_token``, ``QUART_AUTH``,
    and the names in ``also``: the app's own, ``REMEMBER_COOKIE_NAME``, ...).
    """
    from flasksess_cli.cookie_text import extract_cookie, read_cookies

    if not exact:
        cookies = read_cookies(text).cookies
        signed = [c.name for c in cookies if c.name is not None and shape(c.value.strip('"')) is not None]
        known = {f.cookie for f in FORMATS.values() if f.cookie} | set(also)
        if name not in signed:
            name = next((n for n in signed if n in known), name)
    return extract_cookie(text, name=name, last=last)
