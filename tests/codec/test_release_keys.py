"""Keys as the app reads them: FLASK_SECRET_KEY through Flask's own from_prefixed_env(), and flasksess's key forms.

``tests/vectors/prefixed-env.jsonl`` records, for Flask 2.1.3 to 3.1.3, what
``app.config.from_prefixed_env()`` made of a FLASK_SECRET_KEY value and the cookie
the app then signed (or how it failed). flasksess, given the same environment,
must verify that cookie with the key the app used, and refuse (exit 3, naming what
Flask does) where the app had no usable key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

VECTORS = Path(__file__).parent.parent / "vectors"
PREFIXED = [
    r
    for r in map(json.loads, (VECTORS / "prefixed-env.jsonl").read_text().splitlines())
    if r["variable"] == "FLASK_SECRET_KEY"
]
SOME_COOKIE = sign_session({"a": 1}, key=SecretKey("rec-key")).value


def release(record: dict[str, Any]) -> str:
    return record["writer"].split(" / ")[0].split(" ")[1]


@pytest.mark.parametrize("record", PREFIXED, ids=lambda r: f"{release(r)}:{r['env_value']!r}")
def test_flask_secret_key_is_read_as_from_prefixed_env_reads_it(invoke: Invoke, record: dict[str, Any]) -> None:
    env = {"FLASK_SECRET_KEY": record["env_value"]}
    cookie = record["cookie"] or SOME_COOKIE
    result = invoke(["verify", "--json", "--no-max-age", "--flask", release(record), cookie], env=env)
    if record["write_status"] == 200:
        document = json.loads(result.stdout)
        assert result.exit_code == 0 and document["valid"], (result.stderr, document["detail"])
        assert document["matched_key"] == "current"
    elif record["env_value"] == "":  # click takes an empty variable for an unset one
        assert result.exit_code == 2 and "no secret key" in result.stderr
    else:  # the app had no usable key: every session request failed, or sessions were off
        assert result.exit_code == 3 and result.stdout == ""
        assert result.stderr.startswith("Error: FLASK_SECRET_KEY") and len(result.stderr.splitlines()) == 1
        assert ("HTTP 500" in result.stderr) or ("no sessions" in result.stderr)


def test_a_key_list_rotates_in_flask_2_and_fails_in_3_1(invoke: Invoke) -> None:
    older = sign_session({"a": 1}, key=SecretKey("k1")).value
    env = {"FLASK_SECRET_KEY": '["k1", "k2"]'}
    result = invoke(["verify", "--json", "--flask", "2.2", older], env=env)
    assert result.exit_code == 0 and json.loads(result.stdout)["matched_key"] == "fallback-1"
    assert "signs with its last entry" in result.stderr
    assert invoke(["verify", "--flask", "3.1", older], env=env).exit_code == 3


@pytest.mark.parametrize("text", ["hex:dead", "b'\\xbc\\xf6'", "base64:c2VjcmV0"])
def test_key_syntax_in_the_environment_is_text_and_said_so(invoke: Invoke, text: str) -> None:
    as_text = sign_session({"a": 1}, key=SecretKey(text)).value
    result = invoke(["verify", "--json", as_text], env={"FLASK_SECRET_KEY": text})
    assert result.exit_code == 0
    assert "reads it as text" in result.stderr and text not in result.stderr


@pytest.mark.parametrize(
    ("spec", "key", "form"),
    [
        ("hex:dead", b"\xde\xad", "hex"),
        ("text:hex:dead", "hex:dead", None),
        ("b'\\xbc'", b"\xbc", "bytes literal"),
        ("text:b'\\xbc'", "b'\\xbc'", None),
        ("base64:c2VjcmV0", b"secret", "base64"),
        ("text:base64:c2VjcmV0", "base64:c2VjcmV0", None),
        ("text:text:x", "text:x", None),
        ("plain", "plain", None),
    ],
)
def test_command_line_key_forms_and_the_explicit_text_form(invoke: Invoke, spec: str, key: Any, form: Any) -> None:
    cookie = sign_session({"a": 1}, key=SecretKey(key)).value
    assert invoke(["verify", "-k", spec, cookie]).exit_code == 0
    other = sign_session({"a": 1}, key=SecretKey("something else")).value
    refused = invoke(["verify", "-k", spec, other])
    assert refused.exit_code == 1
    if form:  # an ambiguous reading is said where it matters: the key did not verify
        assert f"read as {form}" in refused.stderr and "text:..." in refused.stderr
        assert spec not in refused.stderr
    else:
        assert refused.stderr == ""
    signed = invoke(["sign", "-k", spec, '{"a": 1}'])
    assert (f"read as {form}" in signed.stderr) is bool(form)


def test_key_bytes_that_are_not_utf8_are_used_as_given(invoke: Invoke) -> None:
    raw = b"\xff\xfekey-bytes"
    cookie = sign_session({"a": 1}, key=SecretKey(raw)).value
    as_argv = raw.decode("utf-8", "surrogateescape")  # what Python makes of such argv bytes
    result = invoke(["verify", "-k", as_argv, cookie])
    assert result.exit_code == 0
    assert invoke(["sign", "-k", as_argv, "--timestamp", "1", '{"a": 1}']).exit_code == 0


def test_environment_and_salt_bytes_that_are_not_utf8(invoke: Invoke) -> None:
    cookie = sign_session({"a": 1}, key=SecretKey("k")).value
    env = invoke(["verify", cookie], env={"FLASK_SECRET_KEY": "\udcff\udcfe"})
    assert env.exit_code == 3 and "HTTP 500" in env.stderr and len(env.stderr.splitlines()) == 1
    salt = invoke(["verify", "-k", "k", "--salt", "\udcff", cookie])
    assert salt.exit_code == 3 and salt.stderr.startswith("Error: the salt is not UTF-8")
    sign = invoke(["sign", "-k", "k", "--salt", "\udcff", '{"a": 1}'])
    assert sign.exit_code == 3 and sign.stderr.startswith("Error: the salt is not UTF-8")


def test_an_empty_salt_is_a_salt(invoke: Invoke) -> None:
    from flasksess_cli.codec.cookie import Scheme

    empty = sign_session({"a": 1}, key=SecretKey("k"), scheme=Scheme(salt="")).value
    assert invoke(["verify", "-k", "k", "--salt", "", empty]).exit_code == 0
    assert invoke(["verify", "-k", "k", empty]).exit_code == 1
    signed = invoke(["sign", "-k", "k", "--salt", "", "--timestamp", "1700000000", '{"a": 1}'])
    again = sign_session({"a": 1}, key=SecretKey("k"), scheme=Scheme(salt=""), timestamp=1700000000).value
    assert signed.stdout.strip() == again
