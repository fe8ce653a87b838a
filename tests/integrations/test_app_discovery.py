"""``flasksess --app`` finds apps exactly as ``flask`` does: the real ``flasksess`` executable in project folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integrations.projects import (
    BROKEN_PROJECT,
    NEW_KEY,
    clean_env,
    run,
    session_seen_by_app,
    write_project,
)


def signed_app(project: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = run("flasksess", "sign", "--json", '{"user_id": 3}', *args, cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert isinstance(document["app"], dict)
    return document


def test_bare_app_reads_flaskenv_and_env_as_flask_does(shop: Path) -> None:
    document = signed_app(shop, "--app")
    assert document["app"]["import"] == "shop:create_app()"  # FLASK_APP from .flaskenv
    assert document["app"]["secret_key"] == {"type": "str", "bytes": len(NEW_KEY)}  # from .env
    assert document["app"]["cookie_name"] == "shop_session"
    assert session_seen_by_app(shop, "shop_session", str(document["cookie"]), app_spec="shop:create_app()") == {
        "user_id": 3
    }


def test_the_environment_beats_dotenv_files(shop: Path) -> None:
    env = clean_env(FLASK_SECRET_KEY="from-the-real-environment-0123456789")
    document = signed_app(shop, "--app", env=env)
    assert document["app"]["secret_key"]["bytes"] == len("from-the-real-environment-0123456789")


def test_flask_skip_dotenv_is_honoured(shop: Path) -> None:
    result = run("flasksess", "sign", "{}", "--app", cwd=shop, env=clean_env(FLASK_SKIP_DOTENV="1"))
    assert result.returncode == 3
    assert "Could not locate a Flask application" in result.stderr


def test_bare_app_finds_app_py_and_an_unguarded_run_does_not_start_a_server(plain: Path) -> None:
    document = signed_app(plain, "--app")
    assert document["app"]["salt"] == "plain-salt"
    assert session_seen_by_app(plain, "session", str(document["cookie"]), app_spec="app") == {"user_id": 3}


@pytest.mark.parametrize("spec", ["app", "app:app", "app.py", "app.py:app"])
def test_flask_syntax(plain: Path, spec: str) -> None:
    assert signed_app(plain, "--app", spec)["app"]["digest"] == "sha256"


def test_a_factory_with_arguments(shop: Path) -> None:
    assert signed_app(shop, "--app", "shop:create_app()")["app"]["cookie_name"] == "shop_session"


def test_flask_app_in_the_environment_counts_as_app(shop: Path, plain: Path) -> None:
    env = clean_env(FLASK_APP=str(plain / "app.py"))
    assert signed_app(shop, env=env)["app"]["salt"] == "plain-salt"


def test_without_app_or_flask_app_no_code_is_imported(plain: Path) -> None:
    """flasksess run in a folder you do not trust imports nothing from it."""
    (plain / "app.py").write_text("raise SystemExit('imported!')\n")
    result = run("flasksess", "sign", "--json", "-k", "k" * 32, "{}", cwd=plain)
    assert result.returncode == 0 and json.loads(result.stdout)["app"] is None


def test_an_import_error_names_the_missing_module_and_the_failing_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, BROKEN_PROJECT)
    result = run("flasksess", "verify", "--app", "app.py", "x.y.z", cwd=project)
    assert result.returncode == 3 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: --app app.py: importing the application failed: No module named")
    assert "'flask_not_installed_anywhere'" in line
    assert f"{project / 'app.py'}:3: import flask_not_installed_anywhere" in line


def test_an_error_raised_by_the_apps_own_code_names_its_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\n"
                                                  "app.secret_key = os.environ['SECRET']\n"})  # fmt: skip
    result = run("flasksess", "audit", "key", "--app", cwd=project)
    assert result.returncode == 3
    [line] = result.stderr.splitlines()
    assert "KeyError: 'SECRET'" in line and f"{project / 'app.py'}:4: app.secret_key = os.environ['SECRET']" in line


def test_json_shows_everything_read_from_the_app(shop: Path) -> None:
    document = signed_app(shop, "--app")
    assert set(document["app"]) == {
        "import", "session_interface", "secret_key", "fallbacks", "salt", "digest", "key_derivation", "cookie_name",
        "domain", "path", "secure", "httponly", "samesite", "partitioned", "lifetime", "max_cookie_size", "sort_keys",
        "ensure_ascii",
    }  # fmt: skip
    assert document["app"]["session_interface"] == "flask.sessions.SecureCookieSessionInterface"


@pytest.mark.parametrize(
    "args",
    [
        ["sign", "--app", '{"user_id": 3}'],
        ["verify", "--app", "eyJ1c2VyX2lkIjo0Mn0.awGkZQ.RYJXZOfflXYGBDFuiDqStZ3iNGk"],
        ["verify", "--app", "session=.eJyrVkpUsjKsBQAIKgIJ.aw9BGQ.VA1BrKlEYtYT0K5FYYruwXczdlw"],
    ],
)
def test_a_bare_app_before_the_cookie_is_caught_before_anything_is_imported(plain: Path, args: list[str]) -> None:
    result = run("flasksess", *args, cwd=plain)
    assert result.returncode == 2 and result.stdout == ""
    assert "is a cookie or a session, not an app: put a bare --app after it" in result.stderr


@pytest.mark.parametrize("spec", ["shop:create_app(name='x y', debug=False)", "my project/app.py"])
def test_app_specs_with_quotes_spaces_and_keywords_are_apps(tmp_path: Path, spec: str) -> None:
    result = run("flasksess", "sign", "{}", "--app", spec, cwd=tmp_path)
    assert result.returncode == 3 and "is a cookie or a session" not in result.stderr  # tried, as flask would
