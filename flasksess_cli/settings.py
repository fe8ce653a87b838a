"""How an application signs and writes its session cookie, merged once: options > ``--app`` > Flask's defaults.

:class:`SessionSettings` holds everything a command needs to know about the app
(keys, signing scheme, cookie name and attributes, lifetime, JSON options), Flask's
defaults unless told otherwise. :func:`resolve` is the one place where what the
user gave (:class:`Given`), what ``--app`` says and those defaults are merged.

``--app`` finds the app with Flask's own ``ScriptInfo`` (``flask --app`` syntax:
``module``, ``module:app``, ``module:create_app()``, ``path/to/app.py``; alone, FLASK_APP
or ``wsgi.py``/``app.py``; ``.flaskenv``/``.env`` loaded first as ``flask`` loads them)
and reads the application's own session interface, so custom salts, digests and key
derivations come out as the app uses them. Flask and the user's code are imported only
when ``--app`` (or FLASK_APP) is given, or under ``flask session ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    #: The ``--app`` these settings were read from (or the loaded app's import name), if any.
    app: str | None = None
    #: The app's session interface class, ``module.QualifiedName``, when read from an app.
    session_interface: str | None = None
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

    #: ``--app SPEC``; :data:`DISCOVER` for a bare ``--app`` (find it as ``flask`` does).
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


def resolve(given: Given, *, loaded: SessionSettings | None = None) -> SessionSettings:
    """Options beat ``--app``, which beats Flask's defaults; a key file or the app's key beats FLASK_SECRET_KEY.

    ``loaded`` holds the settings of an application already loaded (``flask session ...``:
    the one Flask loaded); they stand for ``--app`` when no ``--app`` is given.
    FLASK_SECRET_KEY is read as Flask's ``app.config.from_prefixed_env()`` reads
    it (JSON, else the text); a key on the command line or in a file in
    flasksess's forms (``text:``, ``b'...'``, ``hex:``, ``base64:``).
    """
    from flasksess_cli.codec.rules import select

    if given.app is not None:
        base = load_app_settings(given.app)
    elif loaded is not None:
        base = loaded
    else:
        base = FLASK_DEFAULTS
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

#: ``Given.app`` for a bare ``--app``: find the app as ``flask`` does with no ``--app``.
DISCOVER = ""


def load_app(spec: str | None) -> Any:
    """The Flask app ``flask --app SPEC`` would load, found by Flask's own ``ScriptInfo``.

    As ``flask`` does: ``.flaskenv`` then ``.env`` (the nearest, searched upwards) are
    loaded first when python-dotenv is installed (variables already set win;
    FLASK_SKIP_DOTENV=1 turns this off); ``FLASK_RUN_FROM_CLI`` keeps a bare ``app.run()``
    from starting a server. SPEC is ``module``, ``module:app``, ``module:create_app(...)``
    or ``path/to/app.py``; :data:`DISCOVER` (or None) means FLASK_APP, else ``wsgi.py`` or
    ``app.py`` in the current directory.
    """
    import os

    from flask.cli import ScriptInfo, load_dotenv
    from flask.helpers import get_load_dotenv

    if get_load_dotenv():
        load_dotenv()
    os.environ["FLASK_RUN_FROM_CLI"] = "true"
    import_path = spec or os.environ.get("FLASK_APP") or None
    return load_with(ScriptInfo(app_import_path=import_path, set_debug_flag=False).load_app, import_path)


def load_with(loader: Callable[[], Any], import_path: str | None) -> Any:
    """``loader()`` (a ``ScriptInfo.load_app``), any failure to load the app turned into one-line :class:`BadInput`.

    Whatever the app prints while it loads (Flask's own note about an unguarded
    ``app.run()`` included) goes to stderr: stdout carries the command's result only.
    """
    import contextlib
    import sys

    from flask.cli import NoAppException

    shown = import_path or "(wsgi.py or app.py)"
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return loader()
    except NoAppException as exc:
        context = exc.__context__
        inside = isinstance(context, ImportError) and context.__traceback__ and context.__traceback__.tb_next
        if isinstance(context, ImportError) and inside:  # raised inside the user's module: say what and where
            raise BadInput(f"--app {shown}: {import_failure(context)}") from None
        raise BadInput(f"--app {shown}: {str(exc).strip().splitlines()[0]}") from None
    except (Exception, SystemExit) as exc:  # the user's own code failed while importing
        raise BadInput(f"--app {shown}: {import_failure(exc)}") from None


def import_failure(exc: BaseException) -> str:
    """One line naming what failed while importing an app, and the line of the user's code that failed."""
    message = " ".join(str(exc).split()) or "(no message)"
    what = f"importing the application failed: {type(exc).__name__}: {message}"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        import sys

        what = f"importing the application failed: {message} (install it for {sys.executable}, the Python running this)"
    frame = _failing_frame(exc)
    return what if frame is None else f"{what}; at {frame}"


def _failing_frame(exc: BaseException) -> str | None:
    """``file:line: source`` of the innermost frame outside the standard library and installed packages."""
    import linecache
    import sysconfig
    import traceback

    installed = {
        os_path
        for name in ("stdlib", "platstdlib", "purelib", "platlib")
        if (os_path := sysconfig.get_paths().get(name))
    }
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.startswith("<") and not any(f.filename.startswith(p) for p in installed)]
    if not frames:
        return None
    chosen = (own or frames)[-1]
    source = (chosen.line or linecache.getline(chosen.filename, chosen.lineno or 0)).strip()
    return f"{chosen.filename}:{chosen.lineno}: {source}" if source else f"{chosen.filename}:{chosen.lineno}"


def load_app_settings(spec: str | None) -> SessionSettings:
    """The settings of the Flask app ``flask --app SPEC`` would load (see :func:`load_app`)."""
    return app_settings(load_app(spec), spec)


def app_settings(app: Any, import_path: str | None) -> SessionSettings:
    """:func:`settings_of` an app loaded from ``import_path`` (or FLASK_APP, or found as ``app.py``/``wsgi.py``)."""
    import os

    shown = import_path or os.environ.get("FLASK_APP") or str(getattr(app, "import_name", None) or "app")
    return settings_of(app)._replace(app=shown)


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
        session_interface=f"{type(interface).__module__}.{type(interface).__qualname__}",
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
