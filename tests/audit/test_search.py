"""audit cookie: the fast path against itsdangerous itself, real Flask cookies, hostile wordlists, the CLI."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import flask
import pytest
from itsdangerous.encoding import base64_decode
from itsdangerous.signer import Signer

from flasksess_cli.audit import search as audit
from flasksess_cli.audit import wordlists
from flasksess_cli.audit.known_keys import known_keys
from flasksess_cli.audit.scan import Target, mac_function
from flasksess_cli.audit.wordlists import MAX_LINE_BYTES
from flasksess_cli.codec.cookie import Scheme, sign_session
from flasksess_cli.defaults import DIGEST_SIZES, KEY_DERIVATIONS
from flasksess_cli.keys import SecretKey
from tests.conftest import INTERRUPTIBLE_FLASKSESS, Invoke

#: hashcat's own self-test pair for mode 29100 (src/modules/module_29100.c: ST_HASH, ST_PASS).
HASHCAT_ST_HASH = "eyJ1c2VybmFtZSI6ImFkbWluIn0.YjdgRQ.1OTlf1PD0H9wXsu_qS0aywAJVD8"
HASHCAT_ST_PASS = "hashcat"


def random_key(rng: random.Random) -> bytes:
    """Keys of every shape: text, unicode, raw bytes, longer than a hash block, with newlines inside."""
    shape = rng.randrange(5)
    if shape == 0:
        return "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_ ") for _ in range(rng.randrange(1, 40))
        ).encode()
    if shape == 1:
        return "".join(chr(rng.randrange(0xA0, 0x2FFF)) for _ in range(rng.randrange(1, 12))).encode()
    if shape == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))).replace(b"\n", b"")
    if shape == 3:
        return bytes(rng.randrange(33, 127) for _ in range(rng.randrange(129, 300)))
    return rng.randbytes(32).hex().encode()


FLASK_SCHEME = Scheme()


def search(cookie: str, lines: list[bytes], *, scheme: Scheme = FLASK_SCHEME, **kwargs: Any) -> audit.CookieAudit:
    target, kind = audit.cookie_target(cookie, scheme=scheme, digest_given=True)
    handle = io.BytesIO(b"\n".join(lines) + b"\n")
    return audit.audit_cookie(target, kind=kind, scheme=scheme, wordlists=[("list", handle, None)], **kwargs)


@pytest.mark.parametrize("derivation", KEY_DERIVATIONS)
@pytest.mark.parametrize("digest", sorted(DIGEST_SIZES))
def test_the_fast_path_computes_exactly_what_itsdangerous_computes(digest: str, derivation: str) -> None:
    rng = random.Random(f"{digest}-{derivation}")
    scheme = Scheme(
        salt=rng.choice(["cookie-session", "custom salt", "ü-salt"]), digest=digest, key_derivation=derivation
    )
    for _ in range(3):
        key = random_key(rng)
        cookie = sign_session({"n": rng.randrange(10**9)}, key=SecretKey(key), scheme=scheme).value
        signed, signature = cookie.rsplit(".", 1)
        candidates = [random_key(rng) for _ in range(150)]
        target = Target(signed.encode(), base64_decode(signature), scheme.salt.encode(), digest, derivation)
        expected = [base64_decode(scheme.signer(SecretKey(c)).get_signature(signed)) for c in [*candidates, key]]
        assert list(mac_function(target)([*candidates, key])) == expected
        # Nothing but the key makes the signature, and the key is found exactly at its line.
        assert not any(scheme.signer(SecretKey(c)).verify_signature(signed, signature) for c in candidates if c != key)
        position = rng.randrange(len(candidates) + 1)
        lines = [c for c in candidates if c != key]
        lines.insert(position, key)
        result = search(cookie, lines, scheme=scheme, builtin=False)
        assert result.found is not None
        assert (result.found.line, result.found.key, result.found.variant) == (position + 1, key, "line")
        assert search(cookie, [c for c in lines if c != key], scheme=scheme, builtin=False).found is None


@pytest.mark.parametrize("workers", [1, 2])
def test_the_key_is_found_at_its_line_with_every_worker_count(workers: int) -> None:
    rng = random.Random(workers)
    lines = [rng.randbytes(8).hex().encode() for _ in range(40_000)]
    position = 31_337
    lines[position - 1] = b"needle-key"
    cookie = sign_session({"user_id": 7}, key=SecretKey("needle-key")).value
    result = search(cookie, lines, workers=workers, block_bytes=16 * 1024)
    assert result.found is not None
    assert (result.found.line, result.found.key) == (position, b"needle-key")
    assert result.workers == workers
    missing = search(cookie, [line for line in lines if line != b"needle-key"], workers=workers, block_bytes=16 * 1024)
    assert missing.found is None
    assert missing.candidates == len(known_keys()) + len(lines) - 1
    assert missing.lines == len(lines) - 1


def flask_cookie(secret_key: str | bytes, session: dict[str, Any]) -> str:
    app = flask.Flask(__name__)
    app.secret_key = secret_key

    @app.post("/set")
    def set_session() -> str:
        flask.session.update(session)
        return "ok"

    response = app.test_client().post("/set")
    header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


@pytest.mark.parametrize("entry", [k for k in known_keys() if k.form == "bytes"], ids=lambda k: f"entry-{k.entry}")
def test_published_bytes_literal_keys_are_found_in_cookies_real_flask_signed(invoke: Invoke, entry: Any) -> None:
    cookie = flask_cookie(entry.material, {"user_id": 42, "role": "admin"})
    result = invoke(["audit", "cookie", cookie])
    assert result.exit_code == 1, result.output
    assert repr(entry.material) in result.stdout.splitlines()  # the bytes literal, alone on its line
    document = json.loads(invoke(["audit", "cookie", "--json", cookie]).stdout)
    assert document["key"] == repr(entry.material)
    assert (document["key_format"], document["origin"], document["line"]) == ("bytes", "built-in", entry.entry)
    assert document["published"] == entry.source


def test_the_quickstart_key_is_missed_as_text_and_found_as_bytes(invoke: Invoke, tmp_path: Path) -> None:
    """A tool trying only the literal's text misses the quickstart key; its bytes find it."""
    cookie = flask_cookie(b'_5#y2L"F4Q8z\n\xec]/', {"user": "admin"})
    wordlist = tmp_path / "words.txt"
    wordlist.write_text('_5#y2L"F4Q8z\\n\\xec]/\n_5#y2L"F4Q8z\n\xec]/\n', encoding="utf-8")
    assert invoke(["audit", "cookie", "--no-builtin", "--wordlist", str(wordlist), cookie]).exit_code == 0
    wordlist.write_text("something\nb'_5#y2L\"F4Q8z\\n\\xec]/'\n", encoding="utf-8")
    document = json.loads(
        invoke(["audit", "cookie", "--no-builtin", "--json", "--wordlist", str(wordlist), cookie]).stdout
    )
    assert (document["line"], document["variant"], document["key_format"]) == (2, "bytes-literal", "bytes")
    assert document["key"] == repr(b'_5#y2L"F4Q8z\n\xec]/')


def test_hostile_wordlists_never_stop_the_search(invoke: Invoke, tmp_path: Path) -> None:
    key = "the-real-key"
    cookie = flask_cookie(key, {"a": 1})
    junk = [
        b"",
        b"\x00\xff\xfe binary \x80\x81",
        "caf\u00e9".encode("latin-1"),
        "\u65e5\u672c".encode("utf-16"),
        b"12345",
        b"3.14",
        b"x" * (MAX_LINE_BYTES + 10),  # over-long: skipped, still counted as a line
        b"'unterminated",
        b"b'\\xzz'",
        b"hex:not hex",
        b"base64:!!!",
        b"'''",
        b"crlf-line\r",
        b"\t\t",
    ]
    wordlist = tmp_path / "junk.txt"
    wordlist.write_bytes(b"\n".join([*junk, key.encode(), b"after"]))
    result = invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), cookie])
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert (document["line"], document["key"], document["skipped_lines"]) == (len(junk) + 1, key, 1)


@pytest.mark.parametrize(
    ("line", "variant"),
    [
        (b"'the-real-key'", "literal"),
        (b'"the-real-key"', "literal"),
        (b"b'the-real-key'", "bytes-literal"),
        (b"hex:" + b"the-real-key".hex().encode(), "hex"),
        (b"base64:dGhlLXJlYWwta2V5", "base64"),
        (b"the-real-key\r", "line"),
    ],
)
def test_quoted_hex_and_base64_lines_are_tried_as_their_value(line: bytes, variant: str) -> None:
    cookie = flask_cookie("the-real-key", {"a": 1})
    result = search(cookie, [b"one", b"two", line, b"four"], builtin=False)
    assert result.found is not None
    assert (result.found.line, result.found.variant, result.found.key) == (3, variant, b"the-real-key")


def test_not_found_reports_the_candidates_and_exits_0(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie(os.urandom(32), {"a": 1})
    wordlist = tmp_path / "words.txt"
    wordlist.write_text("".join(f"word{n}\n" for n in range(1000)))
    result = invoke(["audit", "cookie", "--wordlist", str(wordlist), cookie])
    assert result.exit_code == 0
    assert f"no key among {1000 + len(known_keys()):,} candidates" in result.stdout
    document = json.loads(invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), cookie]).stdout)
    assert (document["found"], document["candidates"], document["lines"]) == (False, 1000 + len(known_keys()), 1000)
    assert document["rate"] >= 0 and document["seconds"] >= 0


def test_a_missing_wordlist_is_a_clear_error(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie("k", {"a": 1})
    for path in (tmp_path / "missing.txt", tmp_path):
        result = invoke(["audit", "cookie", "--wordlist", str(path), cookie])
        assert result.exit_code == 3
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: cannot read wordlist '{path}'")


def test_wordlist_from_stdin(invoke: Invoke) -> None:
    cookie = flask_cookie("piped-key", {"a": 1})
    result = invoke(["audit", "cookie", "--json", "--wordlist", "-", cookie], input="a\nb\npiped-key\n")
    assert json.loads(result.stdout)["line"] == 3


def test_the_digest_is_guessed_and_a_wrong_one_refused(invoke: Invoke) -> None:
    cookie = sign_session({"a": 1}, key=SecretKey("secret"), scheme=Scheme(digest="sha256")).value
    document = json.loads(invoke(["audit", "cookie", "--json", cookie]).stdout)
    assert (document["found"], document["digest"]) == (True, "sha256")
    result = invoke(["audit", "cookie", "--digest", "sha1", cookie])
    assert result.exit_code == 3 and "sha256" in result.stderr


def test_legacy_epoch_and_flask_session_id_cookies(invoke: Invoke) -> None:
    legacy = sign_session({"a": 1}, key=SecretKey("changeme"), timestamp=1_700_000_000, legacy_epoch=True).value
    assert json.loads(invoke(["audit", "cookie", "--json", legacy]).stdout)["key"] == "changeme"
    sid = "RwV9ei7XYD_DKfrIokmdoYaK82j1tssB4lfC5RqmoaQ"
    signed = Signer("dev", salt="flask-session", key_derivation="hmac", digest_method=hashlib.sha1).sign(sid).decode()
    document = json.loads(invoke(["audit", "cookie", "--json", signed]).stdout)
    assert (document["key"], document["kind"], document["salt"]) == ("dev", "session-id", "flask-session")


def test_app_scheme_is_used(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "customapp.py").write_text(
        "import hashlib\nfrom flask import Flask\nfrom flask.sessions import SecureCookieSessionInterface\n"
        "class Interface(SecureCookieSessionInterface):\n    salt = 'my-salt'\n    digest_method = staticmethod(hashlib.sha512)\n"
        "app = Flask(__name__)\napp.secret_key = 'unrelated'\napp.session_interface = Interface()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cookie = sign_session({"a": 1}, key=SecretKey("secret123"), scheme=Scheme(salt="my-salt", digest="sha512")).value
    document = json.loads(invoke(["audit", "cookie", "--json", "--app", "customapp:app", cookie]).stdout)
    assert (document["key"], document["salt"], document["digest"]) == ("secret123", "my-salt", "sha512")


def test_hashcat_format_is_the_cookie_mode_29100_takes(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["audit", "cookie", "--hashcat", HASHCAT_ST_HASH])
    assert result.exit_code == 0
    assert result.stdout == HASHCAT_ST_HASH + "\n"
    assert "-m 29100" in result.stderr
    # The same pair, searched here: hashcat's self-test key is the one that signed it.
    wordlist = tmp_path / "w.txt"
    wordlist.write_text(f"admin\n{HASHCAT_ST_PASS}\n")
    document = json.loads(invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), HASHCAT_ST_HASH]).stdout)
    assert (document["key"], document["line"]) == (HASHCAT_ST_PASS, 2)
    # A malleated signature ('+'/'/' for '-'/'_', as Flask accepts) is printed canonical.
    malleated = HASHCAT_ST_HASH.replace("_", "/")
    assert invoke(["audit", "cookie", "--hashcat", malleated]).stdout == HASHCAT_ST_HASH + "\n"


@pytest.mark.parametrize(
    ("session", "scheme", "why"),
    [
        ({"blob": "a" * 600}, Scheme(), "compressed"),
        ({"user": "Zq3-w_Kp9LmX2vB7nR4tY8sD1fG6hJ0kQ5eW3rT9yU2iO7pA4sD8fG1hJ6kL0zX5"}, Scheme(), "at most 56"),
        ({"a": 1}, Scheme(digest="sha256"), "HMAC-SHA256"),
        ({"a": 1}, Scheme(salt="other"), "salt"),
        ({"a": 1}, Scheme(key_derivation="concat"), "key derivation"),
    ],
)
def test_hashcat_refuses_what_mode_29100_cannot_take(
    invoke: Invoke, session: dict[str, Any], scheme: Scheme, why: str
) -> None:
    cookie = sign_session(session, key=SecretKey("k"), scheme=scheme).value
    options = ["--salt", scheme.salt, "--key-derivation", scheme.key_derivation]
    result = invoke(["audit", "cookie", "--hashcat", *options, cookie])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: hashcat mode 29100 cannot take this cookie") and why in result.stderr


def test_an_interrupted_search_stops_every_worker_and_reports(tmp_path: Path) -> None:
    import multiprocessing

    cookie = flask_cookie(os.urandom(32), {"a": 1})
    target, kind = audit.cookie_target(cookie, scheme=Scheme(), digest_given=False)
    wordlist = tmp_path / "big.txt"
    wordlist.write_bytes(b"".join(b"%d\n" % n for n in range(300_000)))
    calls = []

    def interrupt(done: int, total: int | None, tried: int) -> None:
        calls.append(tried)
        if tried > 0:
            raise KeyboardInterrupt

    for workers in (1, 2):
        calls.clear()
        opened = wordlists.open_wordlists([str(wordlist)])
        result = audit.audit_cookie(
            target, kind=kind, scheme=Scheme(), wordlists=opened, workers=workers, progress=interrupt, block_bytes=8192
        )
        wordlists.close_wordlists(opened)
        assert result.interrupted and result.found is None
        assert 0 < result.candidates < 300_000 + len(known_keys())
        assert multiprocessing.active_children() == []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_in_a_real_process_exits_130_with_a_report(tmp_path: Path) -> None:
    wordlist = tmp_path / "big.txt"
    wordlist.write_bytes(b"".join(b"%d\n" % n for n in range(2_000_000)))
    cookie = flask_cookie(os.urandom(32), {"a": 1})
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    proc = subprocess.Popen(
        [
            *INTERRUPTIBLE_FLASKSESS,
            "audit",
            "cookie",
            "--workers",
            "2",
            "--wordlist",
            str(wordlist),
            cookie,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env | {"PYTHONFAULTHANDLER": "1"},  # SIGABRT dumps every thread's stack, should it hang
        start_new_session=True,  # its own process group: nothing it started outlives the test
    )
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and len(children.read_text().split()) < 2:
            time.sleep(0.01)
        assert proc.poll() is None, "the search ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            stdout, stderr = proc.communicate(timeout=60)
            raise AssertionError(f"no exit 60 s after Ctrl-C; its stacks:\n{stderr.decode()[-6000:]}") from None
        survivors_deadline = time.monotonic() + 10
        while _group_alive(proc.pid) and time.monotonic() < survivors_deadline:
            time.sleep(0.05)
        assert not _group_alive(proc.pid), "a worker outlived the interrupted search"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == 130, stderr
    report = stdout.decode()
    assert report.startswith("INTERRUPTED: ") and "of the wordlists searched, no key among" in report, report


def test_wordlist_flask_unsign_uses_the_package_list(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    import ast
    import warnings

    import flask_unsign_wordlist  # a test dependency: the real package, its real list

    def value(line: bytes) -> Any:  # its lines are Python literals, some with invalid escapes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.literal_eval(line.decode())

    lines = Path(flask_unsign_wordlist.get("all")).read_bytes().split(b"\n")
    key = value(lines[1234])
    first = next(n for n, line in enumerate(lines, 1) if line.strip() and value(line) == key)
    cookie = flask_cookie(key, {"a": 1})
    result = invoke(["audit", "cookie", "--json", "--no-builtin", "--wordlist", "flask-unsign", cookie])
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert (document["line"], document["variant"], document["wordlist"]) == (first, "literal", "flask-unsign")
    assert result.stderr == ""  # no progress bar when not on a terminal
    monkeypatch.setitem(sys.modules, "flask_unsign_wordlist", None)  # as if not installed
    missing = invoke(["audit", "cookie", "--wordlist", "flask-unsign", cookie])
    assert missing.exit_code == 3 and "pip install flask-unsign-wordlist" in missing.stderr
