"""``flask session ...`` and ``flask secret ...``: the real ``flask`` executable, in real project folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integrations.projects import (
    BROKEN_PROJECT,
    NEW_KEY,
    OLD_KEY,
    clean_env,
    run,
    session_seen_by_app,
    write_project,
)


def test_flask_lists_the_commands_with_the_others(shop: Path) -> None:
    result = run("flask", "--help", cwd=shop)
    assert result.returncode == 0
    assert "session  This app's session cookies (flasksess)" in result.stdout
    assert "secret   This app's SECRET_KEY (flasksess)" in result.stdout


def test_sign_makes_a_cookie_the_real_app_loads(shop: Path) -> None:
    signed = run("flask", "session", "sign", '{"user_id": 42}', cwd=shop)
    assert signed.returncode == 0, signed.stderr
    cookie = signed.stdout.strip()
    assert session_seen_by_app(shop, "shop_session", cookie, app_spec="shop:create_app()") == {"user_id": 42}


def test_verify_uses_the_apps_fallbacks_and_says_which_key_signed(shop: Path) -> None:
    old = run("flasksess", "sign", "-k", OLD_KEY, '{"user_id": 7}', cwd=shop).stdout.strip()
    result = run("flask", "session", "verify", "--json", f"shop_session={old}", cwd=shop)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["valid"], document["matched_key"]) == (True, "fallback-1")
    assert document["app"]["cookie_name"] == "shop_session"
    assert document["app"]["secret_key"] == {"type": "str", "bytes": len(NEW_KEY)}
    assert document["app"]["fallbacks"] == [{"type": "str", "bytes": len(OLD_KEY)}]
    assert NEW_KEY not in result.stdout and OLD_KEY not in result.stdout
    assert session_seen_by_app(shop, "shop_session", old, app_spec="shop:create_app()") == {"user_id": 7}


def test_one_implementation_two_doors_same_document_and_exit_codes(shop: Path) -> None:
    cookie = run("flask", "session", "sign", "--timestamp", "1795269733", '{"user_id": 1}', cwd=shop).stdout.strip()
    for args in (["--json", "--no-max-age", cookie], ["--json", cookie], ["--json", cookie + "x"]):
        via_flask = run("flask", "session", "verify", *args, cwd=shop)
        via_flasksess = run("flasksess", "verify", "--app", *args, cwd=shop)
        assert via_flask.returncode == via_flasksess.returncode
        documents = [json.loads(door.stdout) for door in (via_flask, via_flasksess)]
        for document in documents:  # the two runs may fall in different seconds
            document.pop("age_seconds", None)
            document.pop("detail", None)
        assert documents[0] == documents[1]
    assert [run("flask", "session", "verify", c, cwd=shop).returncode for c in (cookie + "x", "not a cookie")] == [1, 3]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["session", "verify", "--bogus", "x"], 2, "Error: No such option '--bogus'"),
        (["session", "verify", "eyJhIjoxfQ"], 3, "Error: not a Flask session cookie"),
        (["session", "decode"], 3, "Error: the input is empty"),  # no COOKIE, stdin not a terminal: stdin is read
    ],
)
def test_errors_are_one_line_with_the_documented_code(shop: Path, args: list[str], code: int, message: str) -> None:
    result = run("flask", *args, cwd=shop)
    assert result.returncode == code
    assert result.stdout == ""
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1, result.stderr


def test_plain_app_py_is_found_with_nothing_named_and_its_session_interface_is_used(plain: Path) -> None:
    result = run("flask", "session", "sign", "--json", '{"user_id": 5}', cwd=plain)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["app"]["salt"] == "plain-salt" and document["app"]["digest"] == "sha256"
    assert document["app"]["session_interface"] == "app.Sessions"
    assert session_seen_by_app(plain, "session", document["cookie"], app_spec="app") == {"user_id": 5}
    # the cookie Flask's default interface would write is refused by this app
    default = run("flasksess", "sign", "-k", "dev", '{"user_id": 5}', cwd=plain).stdout.strip()
    assert run("flask", "session", "verify", default, cwd=plain).returncode == 1


def test_secret_audit_audits_the_apps_keys(shop: Path, plain: Path) -> None:
    strong = run("flask", "secret", "audit", "--json", cwd=shop)
    document = json.loads(strong.stdout)
    assert [k["role"] for k in document["keys"]] == ["SECRET_KEY", "SECRET_KEY_FALLBACKS[0]"]
    assert [k["verdict"] for k in document["keys"]] == ["strong", "weak"]
    assert strong.returncode == 1  # a weak fallback still verifies forged cookies
    weak = run("flask", "secret", "audit", cwd=plain)
    assert weak.returncode == 1 and "WEAK: SECRET_KEY" in weak.stdout and "Flask" in weak.stdout


def test_secret_genkey_needs_no_app(tmp_path: Path) -> None:
    result = run("flask", "secret", "genkey", "--bytes", "16", cwd=tmp_path)
    assert result.returncode == 0 and len(result.stdout.strip()) == 32


def test_decode_takes_the_apps_cookie_name_from_headers(shop: Path) -> None:
    cookie = run("flask", "session", "sign", '{"user_id": 9}', cwd=shop).stdout.strip()
    headers = f"Set-Cookie: theme=dark; Path=/\nSet-Cookie: shop_session={cookie}; HttpOnly; Path=/\n"
    result = run("flask", "session", "decode", "--json", "-", cwd=shop, stdin=headers)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["session"] == {"user_id": 9}


def test_decode_works_even_where_the_app_cannot_load(tmp_path: Path) -> None:
    project = write_project(tmp_path, BROKEN_PROJECT)
    result = run(
        "flask", "session", "decode", "--json", "eyJ1c2VyX2lkIjo0Mn0.awGkZQ.RYJXZOfflXYGBDFuiDqStZ3iNGk", cwd=project
    )
    assert result.returncode == 0 and json.loads(result.stdout)["session"] == {"user_id": 42}


def test_an_app_that_fails_to_import_names_the_module_and_the_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, BROKEN_PROJECT)
    result = run("flask", "session", "sign", "{}", cwd=project)
    assert result.returncode == 3 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "No module named 'flask_not_installed_anywhere'" in line
    assert f"{project / 'app.py'}:3: import flask_not_installed_anywhere" in line


def test_flask_app_option_picks_another_app(shop: Path, plain: Path) -> None:
    result = run("flask", "--app", str(plain / "app.py"), "session", "sign", "--json", "{}", cwd=shop)
    assert json.loads(result.stdout)["app"]["salt"] == "plain-salt"
    env = clean_env(FLASK_APP=str(plain / "app.py"))
    result = run("flask", "session", "sign", "--json", "{}", cwd=shop, env=env)
    assert json.loads(result.stdout)["app"]["salt"] == "plain-salt"
