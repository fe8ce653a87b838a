"""flasksess: Flask secret keys and session cookies, as a command-line tool and a library.

The library API::

    import flasksess_cli as fs

    cookie = fs.sign({"user_id": 42}, "change-me")           # str or bytes key, or app=your_flask_app
    fs.decode(cookie).session                               # {'user_id': 42}: anyone can read it
    fs.verify(cookie, "change-me").valid                    # True: Flask would load it
    fs.verify(cookie, app=app).matched_key                  # "current", "fallback-N" or None
    fs.check_size(session={"cart": [...]}, app=app).dropped  # would browsers ignore the Set-Cookie?
    fs.audit_key(app.secret_key).weak                       # guessable, or a published key?
    fs.find_key(cookie, wordlists=["words.txt"]).found      # which key signed it, if any

Every name here is imported on first use (PEP 562), so ``import flasksess_cli`` costs
nothing: the command line imports this package at every start-up, TAB press included.
Errors a user can cause are :class:`FlasksessError` subclasses (:class:`BadInput` for
input that is not what a function takes); a missing key raises :class:`BadInput` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flasksess_cli.api import (
        Key,
        Moment,
        audit_app_keys,
        audit_key,
        check_size,
        decode,
        find_key,
        generate_key,
        session_settings,
        sign,
        verify,
    )
    from flasksess_cli.audit.search import CookieAudit
    from flasksess_cli.audit.strength import KeyAudit
    from flasksess_cli.codec.cookie import DecodedCookie, Scheme, Verification
    from flasksess_cli.codec.session_json import to_typed
    from flasksess_cli.errors import BadInput, ExitCode, FlasksessError
    from flasksess_cli.keys import SecretKey, parse_key
    from flasksess_cli.settings import SessionSettings
    from flasksess_cli.sizecheck.report import SizeCheck

    __version__: str

__all__ = [
    "BadInput",
    "CookieAudit",
    "DecodedCookie",
    "ExitCode",
    "FlasksessError",
    "Key",
    "KeyAudit",
    "Moment",
    "Scheme",
    "SecretKey",
    "SessionSettings",
    "SizeCheck",
    "Verification",
    "__version__",
    "audit_app_keys",
    "audit_key",
    "check_size",
    "decode",
    "find_key",
    "generate_key",
    "parse_key",
    "session_settings",
    "sign",
    "to_typed",
    "verify",
]

#: Where each public name lives; imported when first asked for.
_HOMES = {
    "flasksess_cli.api": (
        "Key Moment audit_app_keys audit_key check_size decode find_key generate_key session_settings sign verify"
    ),
    "flasksess_cli.audit.search": "CookieAudit",
    "flasksess_cli.audit.strength": "KeyAudit",
    "flasksess_cli.codec.cookie": "DecodedCookie Scheme Verification",
    "flasksess_cli.errors": "BadInput ExitCode FlasksessError",
    "flasksess_cli.keys": "SecretKey parse_key",
    "flasksess_cli.codec.session_json": "to_typed",
    "flasksess_cli.settings": "SessionSettings",
    "flasksess_cli.sizecheck.report": "SizeCheck",
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("flasksess")
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'flasksess_cli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
