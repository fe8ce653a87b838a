"""How an application signs and writes its session cookie, merged once: options > ``--app`` > Flask's defaults.

:class:`SessionSettings` holds everything a command needs to know about the app
(keys, signing scheme, cookie name and attributes, lifetime, JSON options), Flask's
defaults unless told otherwise. :func:`resolve` is the one place where what the
user gave (:class:`Given`), what ``--app`` says and those defaults are merged.

``--app`` uses Flask's own loader (``flask --app`` syntax: ``module``,
``module:app``, ``module:create_app()``, ``path/to/app.py``) and the application's
own session interface, so custom salts, digests and key derivations come out as
the app uses them. Flask and the user's code are imported only when ``--app`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from flasksess_cli.defaults import (
    DEFAULT_COOKIE_NAME,
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_COOKIE_SIZE,
    DIGEST_SIZES,
    FLASK_SALT,
)
from flasksess_cli.errors import BadInput, UsageError
from flasksess_cli.keys import SecretKey, flask_env_key, parse_key, read_key, read_key_file

if TYPE_CHECKING:
    from flasksess_cli.codec.cookie import Scheme
    from flasksess_cli.codec.rules import Rules

NO_KEY = "no secret key: give --secret-key, FLASK_SECRET_KEY, --key-file or --app"


class SessionSettings(NamedTuple):
    """How an application signs and writes its session cookie (Flask's defaults unless told otherwise)."""

    key: SecretKey | None = None
    #: SECRET_KEY_FALLBACKS, oldest first.
    fallbacks: tuple[SecretKey, ...] = ()
    salt: str = FLASK_SALT
    digest: str = "sha1"
    key_derivation: str = "hmac"
    cookie_name: str = DEFAULT_COOKIE_NAME
    #: PERMANENT_SESSION_LIFETIME in seconds: the age past which a session is not loaded.
    lifetime: int = DEFAULT_MAX_AGE
    domain: str | None = None
    path: str = "/"
    secure: bool = False
    httponly: bool = True
    samesite: str | None = None
    partitioned: bool = False
    #: ``session.permanent = True``: ``_permanent`` joins the session and Expires the header.
    permanent: bool = False
    max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE
    sort_keys: bool = True
    ensure_ascii: bool = True
    #: The ``--app`` these settings were read from, if any.
    app: str | None = None
    #: The framework release whose rules apply (None: current Flask, :data:`flasksess_cli.codec.rules.CURRENT`).
    release: Rules | None = None
    #: ``fallbacks`` are older entries of a list-valued SECRET_KEY (itsdangerous rotates through them in
    #: any release), not SECRET_KEY_FALLBACKS (Flask >= 3.1 only).
    fallbacks_in_key: bool = False
    #: What the user should hear about how their input was read (stderr notes).
    notes: tuple[str, ...] = ()
    #: How an ambiguous key (b'...', hex:, base64: on the command line) was read: said where it matters.
    key_reading: str | None = None

    @property
    def rules(self) -> Rules:
        from flasksess_cli.codec.rules import CURRENT

        return self.release or CURRENT

    @property
    def scheme(self) -> Scheme:
        from flasksess_cli.codec.cookie import Scheme

        return Scheme(salt=self.salt, digest=self.digest, key_derivation=self.key_derivation)

    @property
    def required_key(self) -> SecretKey:
        if self.key is None:
            raise BadInput(NO_KEY)
        return self.key


#: Flask's defaults: what an app that configures nothing does.
FLASK_DEFAULTS = SessionSettings()


class Given(NamedTuple):
    """What the user gave on the command line or in the environment; None means not given."""

    app: str | None = None
    secret_key: str | None = None
    #: The secret key came from FLASK_SECRET_KEY, not the command line (the app's own key beats it).
    key_from_env: bool = False
    key_file: str | None = None
    fallbacks: tuple[str, ...] = ()
    #: ``--flask VERSION``, ``--quart VERSION``, ``--legacy-epoch``: whose rules apply.
    flask: str | None = None
    quart: str | None = None
    legacy_epoch: bool = False
    #: :class:`SessionSettings` fields set by options (salt, digest, cookie_name, ...).
    overrides: Mapping[str, Any] = {}


def resolve(given: Given) -> SessionSettings:
    """Options beat ``--app``, which beats Flask's defaults; a key file or the app's key beats FLASK_SECRET_KEY.

    FLASK_SECRET_KEY is read as Flask's ``app.config.from_prefixed_env()`` reads
    it (JSON, else the text); a key on the command line or in a file in
    flasksess's forms (``text:``, ``b'...'``, ``hex:``, ``base64:``).
    """
    from flasksess_cli.codec.rules import select

    base = load_app_settings(given.app) if given.app else FLASK_DEFAULTS
    rules = select(flask=given.flask, quart=given.quart, legacy_epoch=given.legacy_epoch, base=base.rules)
    if given.secret_key and given.key_file and not given.key_from_env:
        raise UsageError("give either --secret-key or --key-file, not both")
    key, fallbacks, in_key, notes, reading_note = (
        base.key,
        base.fallbacks,
        base.fallbacks_in_key,
        list(base.notes),
        None,
    )
    if rules.note:
        notes.append(rules.note)
    if given.key_file:
        from pathlib import Path

        key = read_key_file(Path(given.key_file))
    elif given.secret_key and given.key_from_env and not base.key:
        key_lists = rules.fallbacks == "none" and rules.itsdangerous in ("2.0", "2.1")
        env = flask_env_key(given.secret_key, key_lists=key_lists, release=rules.name)
        key, notes = env.key, notes + ([env.note] if env.note else [])
        if env.older:
            fallbacks, in_key = env.older, True
    elif given.secret_key is not None and not given.key_from_env:  # -k '' is a key given, and refused
        reading = read_key(given.secret_key)
        key, reading_note = reading.key, reading.note("--secret-key")
    if given.fallbacks:
        fallbacks, in_key = tuple(parse_key(spec) for spec in given.fallbacks), False
    unknown = set(given.overrides) - set(SessionSettings._fields)
    if unknown:
        raise TypeError(f"not session settings: {sorted(unknown)}")
    overrides = {name: value for name, value in given.overrides.items() if value is not None}
    return base._replace(
        key=key, fallbacks=fallbacks, fallbacks_in_key=in_key, release=rules, notes=tuple(notes),
        key_reading=reading_note, **overrides,
    )  # fmt: skip


# --- reading a real application ------------------------------------------------------------------


def load_app_settings(spec: str) -> SessionSettings:
    """The settings of the Flask app ``flask --app SPEC`` would load."""
    from flask.cli import NoAppException, ScriptInfo

    try:
        app = ScriptInfo(app_import_path=spec, set_debug_flag=False).load_app()
    except NoAppException as exc:
        raise BadInput(f"--app {spec}: {str(exc).strip().splitlines()[0]}") from None
    except Exception as exc:  # the user's own code failed while importing; say what, not a traceback
        raise BadInput(f"--app {spec}: importing the application failed: {type(exc).__name__}: {exc}") from None
    return settings_of(app)._replace(app=spec)


def settings_of(app: Any) -> SessionSettings:
    """The session settings of a Flask (or Quart) application object."""
    from flasksess_cli.codec.rules import installed_rules

    interface = app.session_interface
    scheme = scheme_of(interface)
    config = app.config
    with app.app_context():
        domain = interface.get_cookie_domain(app)
        path = interface.get_cookie_path(app)
    json_provider = getattr(app, "json", None)
    return SessionSettings(
        key=_key(app.secret_key),
        fallbacks=tuple(k for k in map(_key, config.get("SECRET_KEY_FALLBACKS") or ()) if k is not None),
        salt=scheme.salt,
        digest=scheme.digest,
        key_derivation=scheme.key_derivation,
        cookie_name=interface.get_cookie_name(app),
        lifetime=int(app.permanent_session_lifetime.total_seconds()),
        sort_keys=bool(getattr(json_provider, "sort_keys", config.get("JSON_SORT_KEYS", True))),
        ensure_ascii=bool(getattr(json_provider, "ensure_ascii", config.get("JSON_AS_ASCII", True))),
        domain=domain,
        path=path,
        secure=interface.get_cookie_secure(app),
        httponly=interface.get_cookie_httponly(app),
        samesite=interface.get_cookie_samesite(app),
        partitioned=bool(config.get("SESSION_COOKIE_PARTITIONED", False)),
        max_cookie_size=int(config.get("MAX_COOKIE_SIZE", DEFAULT_MAX_COOKIE_SIZE)),
        release=installed_rules("quart" if type(app).__module__.split(".")[0] == "quart" else "flask"),
    )


def scheme_of(interface: Any) -> Scheme:
    """How a session interface signs (its salt, digest and key derivation), as a :class:`Scheme`."""
    from flasksess_cli.codec.cookie import Scheme

    if not all(hasattr(interface, attr) for attr in ("salt", "key_derivation", "digest_method")):
        raise BadInput(
            f"the app's session interface {type(interface).__name__} does not keep the session in a signed cookie"
        )
    return Scheme(
        salt=interface.salt, digest=_digest_name(interface.digest_method), key_derivation=interface.key_derivation
    )


def _key(value: Any) -> SecretKey | None:
    if not value:
        return None
    if not isinstance(value, (str, bytes)):
        raise BadInput(f"the app's secret key is a {type(value).__name__}, not str or bytes")
    return SecretKey(value)


def _digest_name(digest_method: Any) -> str:
    name = str(getattr(digest_method(), "name", "")).lower().replace("-", "")
    if name not in DIGEST_SIZES:
        raise BadInput(
            f"the app's session interface signs with {name or 'an unknown digest'}, which flasksess does not support"
        )
    return name
