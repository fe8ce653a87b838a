"""``--app MODULE:APP``: read a real application's session settings.

Uses Flask's own loader (``flask --app`` syntax: ``module``, ``module:app``,
``module:create_app()``, ``path/to/app.py``) and the application's own session
interface, so custom salts, digests and key derivations come out as the app uses
them. Imported only when ``--app`` is given: it imports Flask and the user's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flasksess_cli.choices import DIGEST_SIZES
from flasksess_cli.cookies import Scheme
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey


@dataclass(frozen=True)
class AppSettings:
    """What an application's config and session interface say about its session cookie."""

    key: SecretKey | None
    fallbacks: tuple[SecretKey, ...]
    scheme: Scheme
    cookie_name: str
    max_age: int
    sort_keys: bool
    ensure_ascii: bool
    domain: str | None
    path: str
    secure: bool
    httponly: bool
    samesite: str | None
    partitioned: bool
    max_cookie_size: int


def load_app_settings(spec: str) -> AppSettings:
    from flask.cli import NoAppException, ScriptInfo

    try:
        app = ScriptInfo(app_import_path=spec, set_debug_flag=False).load_app()
    except NoAppException as exc:
        raise BadInput(f"--app {spec}: {str(exc).strip().splitlines()[0]}") from None
    except Exception as exc:  # the user's own code failed while importing; say what, not a traceback
        raise BadInput(f"--app {spec}: importing the application failed: {type(exc).__name__}: {exc}") from None
    return settings_of(app)


def settings_of(app: Any) -> AppSettings:
    """The session settings of a Flask (or Quart) application object."""
    interface = app.session_interface
    if not all(hasattr(interface, attr) for attr in ("salt", "key_derivation", "digest_method")):
        raise BadInput(
            f"the app's session interface {type(interface).__name__} does not keep the session in a signed cookie"
        )
    config = app.config
    with app.app_context():
        domain = interface.get_cookie_domain(app)
        path = interface.get_cookie_path(app)
    json_provider = getattr(app, "json", None)
    return AppSettings(
        key=_key(app.secret_key),
        fallbacks=tuple(k for k in map(_key, config.get("SECRET_KEY_FALLBACKS") or ()) if k is not None),
        scheme=Scheme(
            salt=interface.salt, digest=_digest_name(interface.digest_method), key_derivation=interface.key_derivation
        ),
        cookie_name=interface.get_cookie_name(app),
        max_age=int(app.permanent_session_lifetime.total_seconds()),
        sort_keys=bool(getattr(json_provider, "sort_keys", config.get("JSON_SORT_KEYS", True))),
        ensure_ascii=bool(getattr(json_provider, "ensure_ascii", config.get("JSON_AS_ASCII", True))),
        domain=domain,
        path=path,
        secure=interface.get_cookie_secure(app),
        httponly=interface.get_cookie_httponly(app),
        samesite=interface.get_cookie_samesite(app),
        partitioned=bool(config.get("SESSION_COOKIE_PARTITIONED", False)),
        max_cookie_size=int(config.get("MAX_COOKIE_SIZE", 4093)),
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
