"""Record session cookies written by real Flask and Quart releases, as test vectors.

Run with the interpreter of a virtual environment holding one release, e.g.::

    python -m venv /tmp/v/flask-0.12 && /tmp/v/flask-0.12/bin/pip install flask==0.12.5 \
        werkzeug==0.16.1 jinja2==2.11.3 markupsafe==2.0.1 itsdangerous==0.24
    /tmp/v/flask-0.12/bin/python tests/vectors/generate.py >> tests/vectors/cookies.jsonl

Each line records the cookie that release's real request cycle set, the key and
scheme, and the session that release itself loads back from it (through its own
session interface, without an age check) in flasksess's typed JSON form, converted
here by code independent of flasksess. The vectors in cookies.jsonl came from:
Flask 0.12.5 + itsdangerous 0.24, Flask 1.1.4 + itsdangerous 0.24, Flask 1.1.4 +
itsdangerous 1.1.0, Flask 2.0.3, Flask 2.3.3, Flask 3.1.0 and Quart 0.22.0.
"""

import datetime
import hashlib
import json
import sys
import uuid

import itsdangerous
from markupsafe import Markup
from recorder_common import typed  # the typed JSON form, shared with the outcome recorder

try:
    from importlib.metadata import version
except ImportError:  # pragma: no cover
    version = None

UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")
BYTES_KEY = b"\xbc\xf6\x8aTP\xba\xe7\xf8*\xcc\xa7\xbe\xb2S\xd5\x83"

SESSIONS = {
    "plain": lambda: {
        "user_id": 42,
        "name": "Zo\u00eb \u2713 \U0001f600",
        "flags": [True, False, None],
        "n": 1.5,
        "one": 1.0,
        "big": 2**70,
    },
    "tagged": lambda: {
        "t": (1, "a", (2, 3)),
        "b": b"\x00\xff binary\n\x80",
        "m": Markup("<b>x</b>"),
        "u": UUID,
        "d": datetime.datetime(2023, 12, 31, 23, 30, 5),
        "empty": (),
    },
    "escape": lambda: {"x": {" t": [1, 2]}, "y": {" t": 1, "other": 2}, "z": {" t__": 1}},
    "compressed": lambda: {"items": list(range(300)), "pad": "a" * 500},
    "nonfinite": lambda: {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf")},
    "unsorted": lambda: {"b": 1, "a": 2, "C": 3, "\u00e9": 4, "_": 5},
}


def cookie_from(headers, name="session"):
    for header in headers:
        pair = header.split(";", 1)[0]
        if pair.startswith(name + "="):
            return pair[len(name) + 1 :]
    raise SystemExit(f"no {name} cookie in {headers!r}")


def writer_name(package):
    v = version(package) if version else __import__(package).__version__
    return f"{package} {v} / itsdangerous {version('itsdangerous') if version else itsdangerous.__version__}"


def flask_vectors():
    import flask
    from flask.sessions import SecureCookieSessionInterface

    class Sha256Concat(SecureCookieSessionInterface):
        salt = "custom-salt"
        digest_method = staticmethod(hashlib.sha256)
        key_derivation = "concat"

    configs = [
        ("str-key", {"SECRET_KEY": "cl\u00e9 secr\u00e8te"}, None),
        ("bytes-key", {"SECRET_KEY": BYTES_KEY}, None),
        ("sha256-concat", {"SECRET_KEY": "custom-interface-key"}, Sha256Concat),
    ]
    if hasattr(flask.Flask, "default_config") and "SECRET_KEY_FALLBACKS" in flask.Flask.default_config:
        configs.append(
            (
                "fallbacks",
                {"SECRET_KEY": "new-key-2025", "SECRET_KEY_FALLBACKS": ["older-key-2023", "old-key-2024"]},
                None,
            )
        )
    for config_name, config, interface in configs:
        for session_name, make in SESSIONS.items():
            app = flask.Flask(__name__)
            app.config.update(config)
            if interface is not None:
                app.session_interface = interface()

            @app.route("/set")
            def set_session():
                flask.session.update(make())
                if session_name == "plain":
                    flask.session.permanent = True
                    flask.flash("Hello", "info")
                    flask.flash("World")
                return "ok"

            client = app.test_client()
            response = client.get("/set")
            cookie = cookie_from(response.headers.getlist("Set-Cookie"))
            with app.test_request_context():
                loaded = app.session_interface.get_signing_serializer(app).loads(cookie)
            yield {
                "writer": writer_name("flask"),
                "case": f"{config_name}/{session_name}",
                "secret_key": _key(config["SECRET_KEY"]),
                "fallbacks": [_key(k) for k in config.get("SECRET_KEY_FALLBACKS", [])],
                "salt": app.session_interface.salt,
                "digest": app.session_interface.digest_method().name,
                "key_derivation": app.session_interface.key_derivation,
                "legacy_epoch": _legacy(),
                "cookie": cookie,
                "session": typed(dict(loaded)),
            }


def _legacy():
    return getattr(itsdangerous, "EPOCH", 0) == 1293840000


def _key(key):
    return repr(key) if isinstance(key, bytes) else key


def quart_vectors():
    import asyncio

    import quart

    async def run():
        out = []
        for session_name, make in SESSIONS.items():
            app = quart.Quart(__name__)
            app.secret_key = "quart-key"

            @app.route("/set")
            async def set_session():
                quart.session.update(make())
                return "ok"

            client = app.test_client()
            response = await client.get("/set")
            cookie = cookie_from(response.headers.getlist("Set-Cookie"))
            loaded = app.session_interface.get_signing_serializer(app).loads(cookie)
            out.append(
                {
                    "writer": writer_name("quart"),
                    "case": f"quart/{session_name}",
                    "secret_key": "quart-key",
                    "fallbacks": [],
                    "salt": "cookie-session",
                    "digest": "sha1",
                    "key_derivation": "hmac",
                    "legacy_epoch": False,
                    "cookie": cookie,
                    "session": typed(dict(loaded)),
                }
            )
        return out

    return asyncio.run(run())


if __name__ == "__main__":
    try:
        import quart  # noqa: F401

        vectors = quart_vectors()
    except ImportError:
        vectors = list(flask_vectors())
    for vector in vectors:
        sys.stdout.write(json.dumps(vector, sort_keys=True) + "\n")
