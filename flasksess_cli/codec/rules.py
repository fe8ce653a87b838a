"""What a framework release does with a session cookie: the rules ``decode``, ``verify`` and ``sign`` apply.

A :class:`Rules` is a small, explicit record of the choices that differ between
releases, each one a fact recorded from the real release (``tests/vectors/``,
written by ``tests/vectors/record_outcomes.py``):

* **itsdangerous** decides the timestamps: 0.24 counts from 2011 and reads any
  number of timestamp bytes; 1.1 tries a SHA-512 fallback signer; 2.0 adds the
  future-date check (and answers HTTP 500 for a bad signature on a timestamp past
  year 9999, fixed in 2.1.1).
* **Werkzeug** decides how the session is built from the loaded value
  (``CallbackDict``: ``dict(value or ())`` before 3.1, ``dict(value)`` unless
  ``None`` from 3.1) and how a ``" d"`` date is read (naive before 2.0).
* **Flask** decides the tags (no ``" di"`` before 1.0; Quart 0.18 has its own),
  how deep a session can be (recursion: see :data:`NESTING`), whether
  ``SECRET_KEY_FALLBACKS`` exists (3.1), and which key signs.

``--flask VERSION`` and ``--quart VERSION`` pick a release (``3.1`` means the
newest 3.1.x, ``3.1.0`` that one); ``--app`` reads the installed releases.

Every other token that shares the app's key (a Flask-WTF CSRF token, a Flask-Login
remember cookie, a Starlette session, a Quart-Auth or Flask-Security token, any
itsdangerous token) is another ``Rules``: its **envelope** (``payload.timestamp.signature``,
``payload.signature``, or ``user id|hex``), its **payload** (Flask's tagged session JSON,
a URL-safe JSON value, Starlette's standard base64 of ``json.dumps``, the user id text),
its signing scheme (salt, digest, key derivation), how a text key becomes bytes, the
default max age and which keys sign and verify. :mod:`.formats` names them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple

from flasksess_cli.defaults import DEFAULT_MAX_AGE, FLASK_SALT
from flasksess_cli.errors import UsageError

if TYPE_CHECKING:  # annotations only: building Literal types costs start-up time
    from typing import Literal

    #: "flask-session": a Flask-Session server-side session id, recognised by its shape; the others
    #: are the libraries whose tokens share the app's key (:mod:`.formats`).
    Framework = Literal[
        "flask",
        "quart",
        "flask-session",
        "flask-wtf",
        "flask-login",
        "starlette",
        "quart-auth",
        "flask-security",
        "itsdangerous",
    ]
    #: itsdangerous generations: "2.1" stands for 2.1.1 and later.
    Itsdangerous = Literal["0.24", "1.1", "2.0", "2.1"]
    #: Werkzeug generations that change a session: before 1.0 (the last of two cookies wins), before 2.0
    #: (naive dates), 2.0 to 3.0, 3.1 and later (``dict(False)`` is a TypeError).
    Werkzeug = Literal["0.16", "1.0", "2.0", "3.1"]
    #: Tag dialects: Flask 0.10 to 0.12 (no " di"), Flask >= 1.0 (and Quart >= 0.19), Quart 0.18's own.
    Tags = Literal["flask-0.10", "flask", "quart-0.18"]
    #: Which keys sign and verify: only the current key ("none": no SECRET_KEY_FALLBACKS, as before
    #: Flask 3.1); every key verifies and the current one signs (Flask >= 3.1.1); every key verifies and
    #: the last fallback signs (Flask 3.1.0, Flask-Security >= 5.6).
    Fallbacks = Literal["none", "last-signs", "current-signs"]
    #: How the value is laid out: payload.timestamp.signature; payload.signature; ``user id|hex HMAC``.
    Envelope = Literal["timed", "untimed", "remember"]
    #: What the payload is: Flask's tagged session JSON; a Flask-Session id; a URL-safe JSON value
    #: (itsdangerous' URLSafeSerializer); Starlette's standard base64 of json.dumps; Flask-Login's user id.
    PayloadCodec = Literal["flask-session", "session-id", "json", "starlette-session", "user-id"]
    #: How a text key becomes bytes: UTF-8 (itsdangerous), Latin-1 (Flask-Login), UTF-8 of ``str(key)``
    #: (Starlette: a bytes key becomes the text of its repr).
    KeyEncoding = Literal["utf-8", "latin-1", "str"]
    #: What the app does with a token whose signature and age pass but whose payload it cannot load.
    BadPayload = Literal["http-500", "rejected"]
    #: "session": a Flask or Starlette session; "session-id": Flask-Session's signed server-side id;
    #: "token": any other signed value (a CSRF token, a user id, an itsdangerous token's JSON value).
    CookieKind = Literal["session", "session-id", "token"]


class Rules(NamedTuple):
    """The rules of one framework release for one token format (Flask's session unless ``format`` says otherwise)."""

    framework: Framework = "flask"
    #: The release as selected: "3.1" (its newest), "2.2.5", "0.18".
    version: str = "3.1"
    #: Where the choice came from: "default", "--flask", "--quart", "--app".
    source: str = "default"
    itsdangerous: Itsdangerous = "2.1"
    werkzeug: Werkzeug = "3.1"
    tags: Tags = "flask"
    #: The session is built with ``session_class(**data)`` (Quart 0.18), not ``session_class(data)``.
    session_kwargs: bool = False
    fallbacks: Fallbacks = "current-signs"
    #: JSON keys sorted when written (Flask); Quart keeps insertion order.
    sort_keys: bool = True
    #: Flask 0.10 writes the session back on every request (no ``should_set_cookie``).
    saves_every_request: bool = False
    #: The Python line the nesting limits are for (the interpreter running flasksess).
    python: tuple[int, int] = (3, 11)
    #: Why these rules are an approximation, when they are (a release newer than flasksess knows).
    note: str | None = None
    #: The token format (a name in :data:`flasksess_cli.codec.formats.FORMATS`).
    format: str = "flask-session"
    envelope: Envelope = "timed"
    payload: PayloadCodec = "flask-session"
    #: The signing scheme, for the formats other than Flask's session (whose scheme is the session
    #: interface's: :class:`~flasksess_cli.codec.cookie.Scheme`); the app's settings or options replace it.
    salt: str = FLASK_SALT
    digest: str = "sha1"
    key_derivation: str = "hmac"
    #: The age past which the app refuses a token (seconds), or None: no limit.
    max_age: int | None = DEFAULT_MAX_AGE
    key_encoding: KeyEncoding = "utf-8"
    bad_payload: BadPayload = "http-500"

    @property
    def legacy_epoch(self) -> bool:
        """Timestamps count from 2011-01-01 (itsdangerous <= 0.24)."""
        return self.itsdangerous == "0.24"

    def with_legacy_epoch(self, legacy_epoch: bool = True) -> Rules:
        """These rules with itsdangerous 0.24's timestamps (``--legacy-epoch``), when asked."""
        return self._replace(itsdangerous="0.24") if legacy_epoch and not self.legacy_epoch else self

    @property
    def future_check(self) -> bool:
        """A timestamp in the future is refused (itsdangerous >= 2.0)."""
        return self.itsdangerous in ("2.0", "2.1")

    @property
    def last_cookie_wins(self) -> bool:
        """Of two cookies with the session's name, the app reads the last (Werkzeug < 1.0), not the first."""
        return self.werkzeug == "0.16"

    @property
    def naive_dates(self) -> bool:
        """A ``" d"`` tag loads as a naive UTC datetime (Werkzeug < 2.0)."""
        return self.werkzeug in ("0.16", "1.0")

    @property
    def sha512_fallback(self) -> bool:
        """itsdangerous 1.1 also accepts SHA-512, django-concat signatures (its default fallback signer)."""
        return self.itsdangerous == "1.1"

    @property
    def name(self) -> str:
        """``Flask 3.1``, ``Quart 0.18``, ``Flask-WTF 0.14+``."""
        return f"{_NAMES[self.framework]} {self.version}"

    @property
    def library(self) -> str:
        """``Flask``, ``Flask-WTF``: the framework or library, without its version."""
        return _NAMES[self.framework]

    @property
    def is_flask_session(self) -> bool:
        """A Flask (or Quart) session cookie, read by the release's rules."""
        return self.payload == "flask-session"

    @property
    def kind(self) -> CookieKind:
        """ "session" (a Flask or Starlette session), "session-id" (Flask-Session), or "token" (any other value)."""
        if self.payload in ("flask-session", "starlette-session"):
            return "session"
        return "session-id" if self.payload == "session-id" else "token"

    def signing(self) -> str:
        """``HMAC-SHA1, salt 'wtf-csrf-token', django-concat key derivation``: the scheme, said once."""
        if self.envelope == "remember":
            return f"HMAC-{self.digest.upper()} of the user id, keyed with SECRET_KEY as Latin-1: no salt, no timestamp"
        return f"HMAC-{self.digest.upper()}, salt {self.salt!r}, {self.key_derivation} key derivation"

    def describe(self) -> str:
        """``Flask 3.1 (itsdangerous 2.1.1+, Werkzeug 3.1+, Python 3.11)``: what the report says it applied."""
        if self.framework == "flask-session":
            return f"{self.name} (a signed server-side session id: SECRET_KEY only, salt 'flask-session')"
        if self.envelope == "remember":
            return f"{self.name} ({self.signing()})"
        if not self.is_flask_session:
            signer = "URLSafeTimedSerializer" if self.envelope == "timed" else "URLSafeSerializer"
            if self.payload == "starlette-session":
                signer = "TimestampSigner over base64 of json.dumps"
            return f"{self.name} ({signer}; {self.signing()})"
        its = {"0.24": "0.24", "1.1": "1.1", "2.0": "2.0-2.1.0", "2.1": "2.1.1+"}[self.itsdangerous]
        wz = {"0.16": "< 1.0", "1.0": "1.0", "2.0": "2.0-3.0", "3.1": "3.1+"}[self.werkzeug]
        return f"{self.name} (itsdangerous {its}, Werkzeug {wz}, Python {self.python[0]}.{self.python[1]})"

    def document(self) -> dict[str, object]:
        """The rules in ``--json`` output."""
        return {
            "format": self.format,
            "framework": self.framework,
            "version": self.version,
            "source": self.source,
            "itsdangerous": self.itsdangerous,
            "werkzeug": self.werkzeug,
            "python": f"{self.python[0]}.{self.python[1]}",
            "description": self.describe(),
        }


_NAMES = {
    "flask": "Flask", "quart": "Quart", "flask-session": "Flask-Session", "flask-wtf": "Flask-WTF",
    "flask-login": "Flask-Login", "starlette": "Starlette", "quart-auth": "Quart-Auth", "flask-security": "Flask-Security",
    "itsdangerous": "itsdangerous",
}  # fmt: skip


def _python() -> tuple[int, int]:
    return (sys.version_info[0], sys.version_info[1])


#: Current Flask: what decode, verify and sign apply unless told otherwise.
CURRENT = Rules(python=_python())

Version = tuple[int, ...]

# Each row: the first release with these values, and what changed from the row before.
_FLASK: list[tuple[Version, dict[str, object]]] = [
    ((0, 10), {"itsdangerous": "0.24", "werkzeug": "0.16", "tags": "flask-0.10", "fallbacks": "none",
               "saves_every_request": True}),
    ((0, 11), {"saves_every_request": False}),
    ((1, 0), {"itsdangerous": "1.1", "tags": "flask"}),
    ((1, 1), {"werkzeug": "1.0"}),
    ((2, 0), {"itsdangerous": "2.0", "werkzeug": "2.0"}),
    ((2, 1), {"itsdangerous": "2.1"}),
    ((3, 1), {"werkzeug": "3.1", "fallbacks": "last-signs"}),
    ((3, 1, 1), {"fallbacks": "current-signs"}),
]  # fmt: skip
_QUART: list[tuple[Version, dict[str, object]]] = [
    ((0, 18), {"itsdangerous": "2.1", "werkzeug": "2.0", "tags": "quart-0.18", "session_kwargs": True,
               "fallbacks": "none", "sort_keys": False}),
    ((0, 19), {"tags": "flask", "session_kwargs": False, "werkzeug": "2.0"}),
    ((0, 20), {"werkzeug": "3.1"}),
]  # fmt: skip
_LINES: dict[str, list[tuple[Version, dict[str, object]]]] = {"flask": _FLASK, "quart": _QUART}
#: The newest release whose rules are recorded, per framework.
NEWEST = {"flask": "3.1", "quart": "0.20"}


def parse_version(text: str) -> Version:
    """``"3.1.2"`` -> (3, 1, 2); pre-release and local suffixes are dropped (``3.1.0rc1`` -> (3, 1, 0))."""
    parts = []
    for piece in text.strip().split(".")[:3]:
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) < len(piece):
            break
    return tuple(parts)


def _version_text(text: str) -> bool:
    """Whether ``text`` reads as a release's version (PEP 440's characters, at most 40): it is shown as typed."""
    return 0 < len(text) <= 40 and all(char.isascii() and (char.isalnum() or char in ".+!-_") for char in text)


def rules_for(framework: Framework, version: str, *, source: str = "default") -> Rules:
    """The rules of a release: ``"3.1"`` is the newest 3.1.x, ``"3.1.0"`` that release."""
    wanted = parse_version(version)
    if not wanted or not _version_text(version.strip()):
        raise UsageError(f"{version[:40]!r} is not a {_NAMES[framework]} version (write it as 3.1 or 2.2.5)")
    line = _LINES[framework]
    # "3.1" means every 3.1.x: compare as (3, 1, infinity).
    padded = wanted + (10**9,) * (3 - len(wanted))
    first = line[0][0]
    if padded < first:
        oldest = ".".join(map(str, first))
        raise UsageError(f"flasksess knows the rules of {_NAMES[framework]} {oldest} and later, not {version.strip()}")
    fields: dict[str, object] = {}
    for start, changes in line:
        if start <= padded:
            fields.update(changes)
    newest = parse_version(NEWEST[framework])
    note = None
    if wanted[:2] > newest:
        note = (
            f"{_NAMES[framework]} {version.strip()} is newer than the releases flasksess has recorded: "
            f"applying the rules of {_NAMES[framework]} {NEWEST[framework]}"
        )
    return Rules(framework=framework, version=version.strip(), source=source, python=_python(), note=note, **fields)  # type: ignore[arg-type]


def itsdangerous_generation(version: str) -> Itsdangerous:
    parsed = parse_version(version)
    if parsed < (1,):
        return "0.24"
    if parsed < (2,):
        return "1.1"
    return "2.0" if parsed < (2, 1, 1) else "2.1"


def werkzeug_generation(version: str) -> Werkzeug:
    parsed = parse_version(version)
    if parsed >= (3, 1):
        return "3.1"
    return "2.0" if parsed >= (2,) else ("1.0" if parsed >= (1,) else "0.16")


def installed_rules(framework: Framework) -> Rules:
    """The rules of the releases installed beside flasksess (what ``--app`` loads the app with)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        rules = rules_for(framework, version(framework), source="--app")
        its, wz = version("itsdangerous"), version("werkzeug")
    except PackageNotFoundError as exc:
        raise UsageError(f"cannot tell which release is installed: {exc}") from None
    return rules._replace(itsdangerous=itsdangerous_generation(its), werkzeug=werkzeug_generation(wz))


def select(
    *, flask: str | None = None, quart: str | None = None, legacy_epoch: bool = False, base: Rules = CURRENT
) -> Rules:
    """The rules the options ask for: ``--flask``/``--quart`` beat ``base``; ``--legacy-epoch`` means itsdangerous 0.24."""
    if flask is not None and quart is not None:
        raise UsageError("give either --flask or --quart, not both")
    rules = base
    if flask is not None:
        rules = rules_for("flask", flask, source="--flask")
    elif quart is not None:
        rules = rules_for("quart", quart, source="--quart")
    return rules.with_legacy_epoch(legacy_epoch)


# --- how deep a session can be ------------------------------------------------------------------


class NestingLimits:
    """Levels of one container kind below a session key that a release handles before a RecursionError.

    Measured with the release's test client and the default recursion limit (1000)
    (``tests/vectors/nesting-limits.jsonl``); Werkzeug's development server gives
    the same or one level less, servers with deeper stacks a few less. (A plain
    class: a NamedTuple costs start-up time, and nothing here needs to be a tuple.)
    """

    __slots__ = ("load", "measured", "save")

    def __init__(self, load: tuple[int, int, int], save: tuple[int, int, int], measured: str) -> None:
        #: (lists, dicts, tuples) that load, for a session that is not written back.
        self.load = load
        #: (lists, dicts, tuples) that can be written back (a permanent or modified session).
        self.save = save
        #: The release and Python line these were measured on.
        self.measured = measured

    def __repr__(self) -> str:
        return f"NestingLimits(load={self.load}, save={self.save}, measured={self.measured!r})"


# The first release with these limits; Python <= 3.11 and, where measured, Python >= 3.12 (PEP 709
# inlined comprehensions halve what Flask >= 3.0.1's untagging costs per level; json's C recursion
# counts against its own limit of 1500, which lifts the releases that untag in json's object_hook).
_NESTING: list[tuple[Framework, Version, NestingLimits, NestingLimits | None]] = [
    ("flask", (0, 10), NestingLimits((971, 969, 484), (487, 486, 484), "Flask 0.10.1, Python 3.11"), None),
    ("flask", (0, 11), NestingLimits((971, 969, 484), (487, 486, 484), "Flask 0.11.1, Python 3.11"), None),
    ("flask", (0, 12), NestingLimits((971, 969, 484), (486, 486, 484), "Flask 0.12.5, Python 3.11"), None),
    (
        "flask", (1, 0),
        NestingLimits((972, 971, 485), (324, 324, 243), "Flask 1.0.4 to 2.1.3, Python 3.11"),
        NestingLimits((1489, 1487, 744), (487, 324, 324), "Flask 1.1.4, Python 3.12"),
    ),
    (
        "flask", (2, 2),
        NestingLimits((971, 970, 485), (324, 324, 243), "Flask 2.2.5 and 2.3.3, Python 3.11"),
        NestingLimits((1487, 1485, 743), (487, 487, 325), "Flask 2.3.3, Python 3.12"),
    ),
    (
        "flask", (3, 0, 1),
        NestingLimits((488, 488, 244), (324, 324, 243), "Flask 3.0.3 to 3.1.3, Python 3.11"),
        NestingLimits((978, 977, 488), (487, 487, 325), "Flask 3.0.3 and 3.1.1, Python 3.12; 3.1.1, Python 3.13"),
    ),
    ("quart", (0, 18), NestingLimits((968, 967, 483), (323, 323, 242), "Quart 0.18.4, Python 3.11"), None),
    (
        "quart", (0, 19),
        NestingLimits((486, 486, 243), (323, 323, 242), "Quart 0.19.9 and 0.20.0, Python 3.11"),
        NestingLimits((975, 974, 487), (487, 487, 324), "Quart 0.20.0, Python 3.12"),
    ),
]  # fmt: skip


def nesting_limits(rules: Rules) -> NestingLimits:
    """The measured limits for these rules (the closest measured line when the exact one was not measured)."""
    wanted = parse_version(rules.version) + (10**9,) * 3
    chosen = next(row for row in _NESTING if row[0] == rules.framework)
    for row in _NESTING:
        if row[0] == rules.framework and row[1] <= wanted[:3]:
            chosen = row
    _, _, older, newer = chosen
    if rules.python >= (3, 12):
        if newer is not None:
            return newer
        return NestingLimits(older.load, older.save, older.measured + " (not measured on Python 3.12 and later)")
    return older
