"""Real Flask project folders, written to disk, and the real executables run inside them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

BIN = Path(sys.executable).parent
NEW_KEY = "4f1f2ab5c3d84e0f9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"
OLD_KEY = "retired-key-2024-7c1d9e"

#: A factory app in a package, named by .flaskenv, its keys in .env (read by from_prefixed_env).
FACTORY_PROJECT = {
    "shop/__init__.py": """
        from flask import Flask, session


        def create_app():
            app = Flask(__name__)
            app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_SECRET_KEY_FALLBACKS from .env
            app.config["SESSION_COOKIE_NAME"] = "shop_session"

            @app.get("/me")
            def me():
                return {"user_id": session.get("user_id")}

            return app
        """,
    ".flaskenv": "FLASK_APP=shop:create_app()\n",
    ".env": f"FLASK_SECRET_KEY={NEW_KEY}\nFLASK_SECRET_KEY_FALLBACKS='[\"{OLD_KEY}\"]'\n",
}

#: A plain app.py, found as flask finds it when nothing is named, with a custom session interface.
PLAIN_PROJECT = {
    "app.py": """
        from flask import Flask, session
        from flask.sessions import SecureCookieSessionInterface


        class Sessions(SecureCookieSessionInterface):
            salt = "plain-salt"
            digest_method = staticmethod(__import__("hashlib").sha256)


        app = Flask(__name__)
        app.secret_key = "dev"  # guessable on purpose: audit must say so
        app.session_interface = Sessions()


        @app.get("/me")
        def me():
            return {"user_id": session.get("user_id")}


        app.run()  # not under __main__: flask (and flasksess) must not start a server on import
        """,
}

#: An app whose import fails on a module that is not installed, three lines down.
BROKEN_PROJECT = {
    "app.py": """
        from flask import Flask

        import flask_not_installed_anywhere

        app = Flask(__name__)
        """,
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """The environment with nothing of Flask's or flasksess's set, and no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "FORCE_COLOR", "NO_COLOR", "COLUMNS"))}
    env.pop("PYTHONPATH", None)
    return env | extra


def run(
    program: str, *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run an executable of this environment (``flask``, ``flasksess``, ``python``) in a project folder."""
    return subprocess.run(
        [str(BIN / program), *args],
        cwd=cwd,
        env=env or clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def session_seen_by_app(project: Path, cookie_name: str, cookie: str, *, app_spec: str) -> object:
    """The session the project's own app loads from ``cookie`` (its test client, in a fresh process)."""
    module, _, name = app_spec.partition(":")
    script = textwrap.dedent(f"""
        import json, os
        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        from flask.cli import load_dotenv
        load_dotenv()
        import {module} as module
        from flask.cli import find_app_by_string, find_best_app
        app = find_app_by_string(module, {name!r}) if {name!r} else find_best_app(module)
        client = app.test_client()
        client.set_cookie({cookie_name!r}, {cookie!r})
        print(json.dumps(client.get("/me").get_json()))
        """)
    result = run("python", "-c", script, cwd=project)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.splitlines()[-1])  # the app may print (Flask does, for app.run())
