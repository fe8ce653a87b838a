"""genkey and key parsing: the pure module and the command, proved against real Flask."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
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


def _read_as_an_app_would(path: Path, fmt: str) -> str | bytes:
    """The obvious way to load each format in a Flask app (the README shows these)."""
    if fmt == "bytes":
        return path.read_bytes()
    if fmt == "env":
        import dotenv

        return str(dotenv.dotenv_values(path)["FLASK_SECRET_KEY"])
    if fmt == "python":
        config = flask.Config(str(path.parent))
        config.from_pyfile(str(path))
        return str(config["SECRET_KEY"])
    with open(path) as handle:
        text = handle.read()
    assert text == path.read_text()
    return text


@pytest.mark.parametrize("fmt", keys.KEY_FORMATS)
def test_every_obvious_reading_of_a_genkey_out_file_gives_the_same_key(
    invoke: Invoke, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "secret.key"
    result = invoke(["genkey", "--format", fmt, "--out", str(out), "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    by_app = keys.SecretKey(_read_as_an_app_would(out, fmt))
    assert keys.read_key_file(out).material == by_app.material
    if fmt not in {"env", "python"}:
        assert not out.read_bytes().endswith(b"\n")


def test_the_readme_way_of_loading_the_key_in_flask_verifies(invoke: Invoke, tmp_path: Path) -> None:
    """genkey --out instance/secret.key, loaded as the README shows, signs cookies verify --key-file accepts."""
    key_file = tmp_path / "instance" / "secret.key"
    assert invoke(["genkey", "--out", str(key_file)]).exit_code == 0
    app = flask.Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["SECRET_KEY"] = Path(app.instance_path, "secret.key").read_text()

    @app.get("/")
    def index() -> str:
        flask.session["user_id"] = 42
        return "ok"

    client = app.test_client()
    client.get("/")
    cookie = client.get_cookie("session")
    assert cookie is not None
    result = invoke(["verify", "--key-file", str(key_file), cookie.value])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr == ""


def test_key_file_with_binary_content_is_a_raw_key(tmp_path: Path) -> None:
    path = tmp_path / "raw.key"
    path.write_bytes(b"\xff\xfe\x00binary\n")
    path.chmod(0o600)
    assert keys.read_key_file(path).value == b"\xff\xfe\x00binary\n"  # a raw key keeps every byte


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
    assert re.fullmatch(r"[0-9a-f]{64}", content)
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


def test_genkey_out_creates_missing_folders_owner_only(invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "instance" / "keys" / "secret.key"
    result = invoke(["genkey", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    for folder in (tmp_path / "instance", tmp_path / "instance" / "keys"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert f"created {tmp_path / 'instance'}/ (mode 0700)" in result.stderr


def test_genkey_out_writes_one_key(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["genkey", "--out", str(tmp_path / "key"), "--count", "2"])
    assert result.exit_code == 2 and "one key" in result.stderr and list(tmp_path.iterdir()) == []


def test_genkey_out_where_a_folder_cannot_be_made_is_bad_input(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = invoke(["genkey", "--out", str(tmp_path / "file" / "sub" / "key")])
    assert result.exit_code == 3 and result.stderr.startswith("Error: cannot create the folder")


def test_key_files_are_written_without_os_fchmod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows before Python 3.13 has no os.fchmod: the owner-only file comes from tempfile.mkstemp."""
    monkeypatch.delattr(os, "fchmod", raising=False)
    keys.write_private_file(tmp_path / "key", b"secret")
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600


#: The child starts with SIGTERM and SIGHUP at their defaults, as a shell at a terminal starts it, even when the
#: test run ignores them (started with nohup, or by a CI runner), which a child inherits.
SIGTERM_DURING_WRITE = """
import os, signal, sys
from flasksess_cli import keys
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGHUP, signal.SIG_DFL)

def fsync_then_terminated(fd):
    os.kill(os.getpid(), signal.SIGTERM)  # arrives while the temporary file holds the key

os.fsync = fsync_then_terminated
keys.write_private_file(sys.argv[1], b"the-key")
print("not reached")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_write_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    script = SIGTERM_DURING_WRITE.replace("SIGTERM)", f"{signum.name})")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "secret.key")], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert proc.returncode == -signum, proc.stderr  # still ended by the signal, as it would have been
    assert "not reached" not in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_key_file_others_can_read_is_used_with_a_warning(invoke: Invoke, tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text("a6f3e1c0b9d8e7f6a5b4c3d2e1f00918")
    key_file.chmod(0o644)
    cookie = invoke(["sign", "--key-file", str(key_file), "{}"])
    assert cookie.exit_code == 0 and cookie.stdout.count(".") == 2
    assert cookie.stderr == (
        f"Warning: key file {str(key_file)!r} is readable by others (mode 0644); anyone who can read it can "
        f"forge sessions (chmod 600 {key_file})\n"
    )
    key_file.chmod(0o640)
    assert "readable by its group" in invoke(["audit", "key", "--key-file", str(key_file)]).stderr
    key_file.chmod(0o600)
    assert invoke(["sign", "--key-file", str(key_file), "{}"]).stderr == ""


def test_a_fifo_key_file_with_no_writer_gives_up_with_a_clear_error(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(keys, "KEY_PIPE_TIMEOUT", 0.2)
    result = invoke(["sign", "--key-file", str(fifo), "{}"])
    assert result.exit_code == 3 and result.stdout == ""
    assert "is a pipe that gave no key" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_pipe_key_file_is_read(tmp_path: Path) -> None:
    """--key-file <(pass show flask-key): the shell hands over a pipe."""
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w") as handle:
            handle.write("from-a-pipe-0123456789abcdef\n")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert keys.read_key_file(fifo).value == "from-a-pipe-0123456789abcdef"
    finally:
        writer.join(timeout=30)


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


@pytest.mark.parametrize(
    ("app_key", "given", "says"),
    [
        ("k3y-from-a-file-0123456789\n", "k3y-from-a-file-0123456789", "with a trailing newline"),
        ("k3y-from-a-file-0123456789\r\n", "k3y-from-a-file-0123456789", "with a trailing CRLF"),
        ("k3y-pasted-0123456789", " k3y-pasted-0123456789 ", "without its surrounding whitespace"),
    ],
)
def test_verify_says_when_whitespace_is_all_that_differs(invoke: Invoke, app_key: str, given: str, says: str) -> None:
    app = flask.Flask(__name__)
    app.secret_key = app_key  # as open(FILE).read() gives it
    cookie = app.session_interface.get_signing_serializer(app).dumps({"user_id": 42})  # type: ignore[attr-defined]
    result = invoke(["verify", "-k", given, cookie])
    assert result.exit_code == 1 and result.stdout.startswith("BAD SIGNATURE")
    assert result.stderr.startswith(f"Hint: the key {says} would match this cookie")
    document = json.loads(invoke(["verify", "--json", "-k", given, cookie]).stdout)
    assert document["reason"] == "bad-signature" and says in document["hint"]
    assert given.strip() not in result.stderr  # the hint never shows the key
    unrelated = invoke(["verify", "--json", "-k", "another-key-entirely", cookie])
    assert json.loads(unrelated.stdout)["hint"] is None
