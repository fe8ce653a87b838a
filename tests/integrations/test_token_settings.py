"""``--app`` and ``flask session ...`` read what an app configured for its other tokens: Flask-WTF's own key and time
limit, Flask-Login's cookie name; real project folders, the real ``flasksess`` and ``flask`` executables."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.integrations.projects import run, write_project

PROJECT = {
    "app.py": """
        from flask import Flask, redirect, render_template_string
        from flask_login import LoginManager, UserMixin, current_user, login_user
        from flask_wtf import FlaskForm
        from flask_wtf.csrf import CSRFProtect
        from wtforms import BooleanField, StringField

        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="the-session-key-2c9e51",
            WTF_CSRF_SECRET_KEY="the-csrf-key-7d0a3b",
            WTF_CSRF_TIME_LIMIT=120,
            REMEMBER_COOKIE_NAME="keep_me",
        )
        CSRFProtect(app)
        manager = LoginManager(app)


        class User(UserMixin):
            def __init__(self, uid):
                self.id = uid


        manager.user_loader(User)


        class LoginForm(FlaskForm):
            username = StringField("username")
            remember = BooleanField("remember")


        @app.route("/login", methods=["GET", "POST"])
        def login():
            form = LoginForm()
            if form.validate_on_submit():
                login_user(User(form.username.data), remember=True)
                return redirect("/me")
            return render_template_string("<form method=post>{{ form.csrf_token }}</form>", form=form)


        @app.get("/me")
        def me():
            return str(current_user.get_id() or "anonymous")
        """,
}

#: Run inside the project: log in through the real app and print its CSRF token and remember cookie.
TOKENS = textwrap.dedent("""
    import json, re
    from app import app
    client = app.test_client()
    token = re.search(r'value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"csrf_token": token, "username": "42"})
    remember = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("keep_me="))
    print(json.dumps({"csrf": token, "remember": remember.split(";")[0]}))
    """)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = write_project(tmp_path / "tokens-project", PROJECT)
    made = run("python", "-c", TOKENS, cwd=folder)
    assert made.returncode == 0, made.stderr
    return folder, json.loads(made.stdout.splitlines()[-1])


def test_app_reads_the_csrf_key_the_time_limit_and_the_remember_cookie_name(
    project: tuple[Path, dict[str, str]],
) -> None:
    folder, tokens = project
    csrf = run("flasksess", "verify", "--app", "--json", tokens["csrf"], cwd=folder)
    document = json.loads(csrf.stdout)
    assert csrf.returncode == 0 and document["format"] == "flask-wtf-csrf" and document["max_age"] == 120
    settings = document["app"]["token_settings"]
    assert settings["WTF_CSRF_SECRET_KEY"] == {"type": "str", "bytes": len("the-csrf-key-7d0a3b")}
    assert settings["WTF_CSRF_TIME_LIMIT"] == 120 and settings["REMEMBER_COOKIE_NAME"] == "keep_me"
    assert "the-csrf-key" not in csrf.stdout  # keys are described, never shown
    header = f"Cookie: session=x; {tokens['remember']}"
    remember = run("flasksess", "verify", "--app", "--json", header, cwd=folder)
    document = json.loads(remember.stdout)
    assert remember.returncode == 0 and document["format"] == "flask-login-remember" and document["data"] == "42"


def test_the_flask_door_checks_every_token_of_the_app(project: tuple[Path, dict[str, str]]) -> None:
    folder, tokens = project
    for value, name in ((tokens["csrf"], "flask-wtf-csrf"), (tokens["remember"], "flask-login-remember")):
        result = run("flask", "session", "verify", "--json", value, cwd=folder)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["format"] == name
    forged = run("flask", "session", "sign", "--format", "flask-login-remember", '"admin"', cwd=folder)
    assert forged.returncode == 0, forged.stderr
    check = textwrap.dedent(f"""
        from app import app
        client = app.test_client()
        client.set_cookie("keep_me", {forged.stdout.strip()!r})
        print(client.get("/me").get_data(as_text=True))
        """)
    assert run("python", "-c", check, cwd=folder).stdout.strip() == "admin"
