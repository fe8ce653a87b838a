"""How fast the search engine tries candidates against each token format's target, in one run, as ratios.

Every format's target is made from a token its real library signs (itsdangerous, Flask-Login's
construction), and measured as ``audit url`` measures it (:func:`flasksess_cli.audit.url.measure`:
one thread, the best of three runs of 65,536 candidates), on the C kernel and on the
pure-Python twin, twice each. Ratios are against Flask's session cookie in the same round.

    python benchmarks/token_targets.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from flasksess_cli.audit.search import cookie_target
from flasksess_cli.audit.url import measure
from flasksess_cli.codec import formats
from flasksess_cli.settings import FLASK_DEFAULTS, for_format

KEY = "not-in-any-list-0123456789"
TOKENS = {
    "flask-session": URLSafeTimedSerializer(KEY, salt="cookie-session", signer_kwargs={"key_derivation": "hmac"}).dumps(
        {"_fresh": False, "csrf_token": "a" * 40}
    ),
    "flask-wtf-csrf": URLSafeTimedSerializer(KEY, salt="wtf-csrf-token").dumps("b" * 40),
    "flask-login-remember": "42|" + hmac.new(KEY.encode("latin-1"), b"42", hashlib.sha512).hexdigest(),
    "starlette-session": TimestampSigner(KEY).sign(base64.b64encode(json.dumps({"user": "alice"}).encode())).decode(),
    "quart-auth": URLSafeTimedSerializer(KEY, "quart auth salt", signer_kwargs={"digest_method": hashlib.sha512}).dumps(
        "user-42"
    ),
}


def main() -> None:
    targets = {}
    for name, value in TOKENS.items():
        settings = for_format(FLASK_DEFAULTS, formats.get(name))
        targets[name], _ = cookie_target(value, scheme=settings.scheme, digest_given=True, rules=settings.rules)
    for engine in ("native", "python"):
        for round_ in (1, 2):
            rates = {name: measure(target, engine=engine) for name, target in targets.items()}
            base = rates["flask-session"]
            cells = "  ".join(f"{name} {rate / 1e6:.2f}M/s ({rate / base:.2f}x)" for name, rate in rates.items())
            print(f"{engine} round {round_}: {cells}")


if __name__ == "__main__":
    main()
