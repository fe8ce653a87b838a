"""genkey and key parsing: the pure module and the command, proved against real Flask."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import stat
from pathlib import Path

import flask
import pytest

from flasksess_cli import keys
from flasksess_cli.errors import BadInput, OutputExists, UsageError
from tests.conftest import Invoke

FORMAT_SHAPES = {
    "hex": re.compile(r"[0-9a-f]{64}"),
    "urlsafe": re.compile(r"[A-Za-z0-9_-]{43}"),
    "base64": re.compile(r"[A-Za-z0-9+/]{43}="),
    "bytes": re.compile(r"b(['\"]).*\1"),
    "env": re.compile(r"FLASK_SECRET_KEY=[0-9a-f]{64}"),
    "python": re.compile(r"SECRET_KEY = '[0-9a-f]{64}'"),
}


def decoded(key: str, fmt: str) -> bytes:
    """The random bytes behind a generated key, for each format."""
    if fmt == "hex":
        return bytes.fromhex(key)
    if fmt == "urlsafe":
        return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    if fmt == "base64":
        return base64.b64decode(key, validate=True)
    if fmt == "bytes":
        value = ast.literal_eval(key)
        assert isinstance(value, bytes)
        return value
    if fmt == "env":
        return bytes.fromhex(key.split("=", 1)[1])
    return bytes.fromhex(ast.literal_eval(key.split(" = ", 1)[1]))


@pytest.mark.parametrize("fmt", keys.KEY_FORMATS)
@pytest.mark.parametrize("n_bytes", [16, 32, 64, 1024])
def test_each_format_has_its_alphabet_and_exactly_n_bytes(fmt: str, n_bytes: int) -> None:
    [generated] = keys.generate_keys(n_bytes=n_bytes, fmt=fmt)
    if n_bytes == 32:
        assert FORMAT_SHAPES[fmt].fullmatch(generated.key), generated.key
    assert "\n" not in generated.key
    assert len(decoded(generated.key, fmt)) == n_bytes
    assert generated.entropy_bits == 8 * n_bytes


def test_hex_is_2n_lowercase_characters() -> None:
    [generated] = keys.generate_keys(n_bytes=48, fmt="hex")
    assert re.fullmatch(r"[0-9a-f]{96}", generated.key)


def test_bytes_literal_round_trips_through_literal_eval_many_times() -> None:
    # Random bytes hit every escape: quotes, backslashes, \x.., \n, \t.
    for generated in keys.generate_keys(n_bytes=16, fmt="bytes", count=2000):
        value = ast.literal_eval(generated.key)
        assert isinstance(value, bytes) and len(value) == 16
        assert keys.parse_key(generated.key).value == value


def test_keys_differ_between_calls() -> None:
    batch = [k.key for k in keys.generate_keys(n_bytes=16, count=500)]
    assert len(set(batch)) == 500


@pytest.mark.parametrize("n_bytes", [0, 8, 15, 1025])
def test_lengths_out_of_range_are_refused(n_bytes: int) -> None:
    with pytest.raises(UsageError):
        keys.generate_keys(n_bytes=n_bytes)


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("any random string", "any random string"),
        ("clé secrète", "clé secrète"),
        (
            "b'\\xbc\\xf6\\x8aTP\\xba\\xe7\\xf8*\\xcc\\xa7\\xbe\\xb2S\\xd5\\x83'",
            b"\xbc\xf6\x8aTP\xba\xe7\xf8*\xcc\xa7\xbe\xb2S\xd5\x83",
        ),
        ('b"it\'s"', b"it's"),
        ("hex:00ff10", b"\x00\xff\x10"),
        ("base64:AP8Q", b"\x00\xff\x10"),
        ("base64:-_8", b"\xfb\xff"),
        ("hexagon", "hexagon"),
        ("b'unterminated", "b'unterminated"),
    ],
)
def test_parse_key_forms(spec: str, value: str | bytes) -> None:
    assert keys.parse_key(spec).value == value


@pytest.mark.parametrize("spec", ["", "hex:SECRETzz", "base64:SECRET!!!", "b'SECRET\\x'", "b'SECRET\u00e9'"])
def test_bad_key_specs_are_bad_input_and_never_echo_the_key(spec: str) -> None:
    with pytest.raises(BadInput) as info:
        keys.parse_key(spec)
    assert "SECRET" not in str(info.value)


def test_secret_key_repr_is_redacted() -> None:
    key = keys.parse_key("hunter2-very-secret")
    assert "hunter2" not in repr(key)
    assert "hunter2" not in repr([key])


@pytest.mark.parametrize("fmt", keys.KEY_FORMATS)
def test_key_file_accepts_what_genkey_out_wrote(invoke: Invoke, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "secret.key"
    assert invoke(["genkey", "--format", fmt, "--out", str(out)]).exit_code == 0
    raw = decoded(out.read_text().rstrip("\n"), fmt)
    key = keys.read_key_file(out)
    expected: str | bytes = raw if fmt == "bytes" else raw.hex()
    if fmt in {"urlsafe", "base64"}:
        expected = out.read_text().rstrip("\n")
    assert key.value == expected


def test_key_file_with_binary_content_is_a_raw_key(tmp_path: Path) -> None:
    path = tmp_path / "raw.key"
    path.write_bytes(b"\xff\xfe\x00binary")
    assert keys.read_key_file(path).value == b"\xff\xfe\x00binary"


def test_missing_key_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read key file"):
        keys.read_key_file(tmp_path / "nope")


# --- the genkey command -------------------------------------------------------------------


def test_genkey_prints_only_the_key(invoke: Invoke) -> None:
    result = invoke(["genkey"])
    assert result.exit_code == 0
    assert re.fullmatch(r"[0-9a-f]{64}\n", result.stdout)
    assert result.stderr == ""


def test_genkey_count_prints_independent_keys_one_per_line(invoke: Invoke) -> None:
    result = invoke(["genkey", "--count", "5", "--format", "urlsafe"])
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and len(set(lines)) == 5


def test_genkey_json(invoke: Invoke) -> None:
    doc = json.loads(invoke(["genkey", "--json", "--bytes", "24", "--format", "base64"]).stdout)
    assert set(doc) == {"key", "format", "bytes", "entropy_bits"}
    assert doc["format"] == "base64" and doc["bytes"] == 24 and doc["entropy_bits"] == 192
    assert len(base64.b64decode(doc["key"])) == 24
    docs = json.loads(invoke(["genkey", "--json", "--count", "3"]).stdout)
    assert isinstance(docs, list) and len({d["key"] for d in docs}) == 3
    assert isinstance(json.loads(invoke(["genkey", "--json", "--count", "1"]).stdout), list)


@pytest.mark.parametrize(("n", "why"), [("15", "too short"), ("1025", "maximum")])
def test_genkey_refuses_bad_lengths_with_a_reason(invoke: Invoke, n: str, why: str) -> None:
    result = invoke(["genkey", "--bytes", n])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error:") and why in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_genkey_out_writes_0600_and_prints_nothing(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "key"
    result = invoke(["genkey", "--out", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    content = out.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", content)
    assert content.strip() not in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_genkey_out_refuses_to_overwrite_without_force(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "key"
    out.write_text("precious\n")
    result = invoke(["genkey", "--out", str(out)])
    assert result.exit_code == 3
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "precious\n"
    assert invoke(["genkey", "--out", str(out), "--force"]).exit_code == 0
    assert out.read_text() != "precious\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]


def test_genkey_out_into_a_missing_directory_is_bad_input(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["genkey", "--out", str(tmp_path / "no" / "such" / "key")])
    assert result.exit_code == 3 and result.stderr.startswith("Error: cannot write")


def test_write_private_file_leaves_nothing_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(BadInput, match="No space left"):
        keys.write_private_file(tmp_path / "key", b"secret\n")
    assert list(tmp_path.iterdir()) == []


def test_write_private_file_does_not_follow_an_existing_symlink(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(OutputExists):
        keys.write_private_file(tmp_path / "link", b"x")
    assert not target.exists()


def _flask_app_with_key_in(fmt: str, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> flask.Flask:
    """Configure a real Flask app the way a user pastes each format."""
    app = flask.Flask(__name__)
    if fmt == "env":
        name, value = key.split("=", 1)
        monkeypatch.setenv(name, value)
        app.config.from_prefixed_env()
    elif fmt == "python":
        config = tmp_path / "config.py"
        config.write_text(key + "\n")
        app.config.from_pyfile(str(config))
    elif fmt == "bytes":
        app.secret_key = ast.literal_eval(key)
    else:
        app.secret_key = key
    return app


@pytest.mark.parametrize("fmt", keys.KEY_FORMATS)
def test_real_flask_accepts_every_format_and_signs_a_session(
    invoke: Invoke, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = invoke(["genkey", "--format", fmt]).stdout.rstrip("\n")
    app = _flask_app_with_key_in(fmt, key, tmp_path, monkeypatch)
    assert app.secret_key

    @app.post("/set")
    def set_value() -> str:
        flask.session["user"] = "alice"
        return "ok"

    @app.get("/get")
    def get_value() -> str:
        return str(flask.session.get("user"))

    client = app.test_client()
    client.post("/set")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.value.count(".") >= 2
    assert client.get("/get").text == "alice"
