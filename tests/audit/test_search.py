"""audit cookie: the search on both engines against itsdangerous and real Flask, hostile wordlists, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from itsdangerous.signer import Signer

from flasksess_cli.audit import search as audit
from flasksess_cli.audit.candidates import default_candidates
from flasksess_cli.audit.known_keys import known_keys
from flasksess_cli.audit.wordlists import MAX_LINE_BYTES, Wordlist
from flasksess_cli.codec.cookie import Scheme, sign_session
from flasksess_cli.defaults import DIGEST_SIZES, KEY_DERIVATIONS
from flasksess_cli.keys import SecretKey
from tests.audit.conftest import flask_cookie
from tests.conftest import Invoke

#: hashcat's own self-test pair for mode 29100 (src/modules/module_29100.c: ST_HASH, ST_PASS).
HASHCAT_ST_HASH = "eyJ1c2VybmFtZSI6ImFkbWluIn0.YjdgRQ.1OTlf1PD0H9wXsu_qS0aywAJVD8"
HASHCAT_ST_PASS = "hashcat"

FLASK_SCHEME = Scheme()


def random_key(rng: random.Random) -> bytes:
    """Keys of every shape: text, unicode, raw bytes, longer than a hash block (no line breaks: they end lines)."""
    shape = rng.randrange(5)
    if shape == 0:
        return "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_ ") for _ in range(rng.randrange(1, 40))
        ).encode()
    if shape == 1:
        return "".join(chr(rng.randrange(0xA0, 0x2FFF)) for _ in range(rng.randrange(1, 12))).encode()
    if shape == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))).translate(None, b"\r\n") or b"k"
    if shape == 3:
        return bytes(rng.randrange(33, 127) for _ in range(rng.randrange(129, 300)))
    return rng.randbytes(32).hex().encode()


def search(
    cookie: str, lines: list[bytes], *, engine: str, scheme: Scheme = FLASK_SCHEME, **kwargs: Any
) -> audit.CookieAudit:
    target, kind = audit.cookie_target(cookie, scheme=scheme, digest_given=True)
    wordlist = Wordlist("list", io.BytesIO(b"\n".join(lines) + b"\n"), None)
    kwargs.setdefault("builtin", False)
    return audit.audit_cookie(target, kind=kind, scheme=scheme, wordlists=[wordlist], engine=engine, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("derivation", KEY_DERIVATIONS)
@pytest.mark.parametrize("digest", sorted(DIGEST_SIZES))
def test_the_key_itsdangerous_accepts_is_found_at_its_line(engine: str, digest: str, derivation: str) -> None:
    rng = random.Random(f"{digest}-{derivation}")
    scheme = Scheme(
        salt=rng.choice(["cookie-session", "custom salt", "ü-salt"]), digest=digest, key_derivation=derivation
    )
    for _ in range(2):
        key = random_key(rng)
        cookie = sign_session({"n": rng.randrange(10**9)}, key=SecretKey(key), scheme=scheme).value
        signed, signature = cookie.rsplit(".", 1)
        lines = [c for c in (random_key(rng) for _ in range(150)) if c != key]
        # Nothing but the key makes the signature (itsdangerous says so), and the search finds it at its line.
        assert not any(scheme.signer(SecretKey(c)).verify_signature(signed, signature) for c in lines)
        position = rng.randrange(len(lines) + 1)
        lines.insert(position, key)
        result = search(cookie, lines, engine=engine, scheme=scheme)
        assert result.found is not None
        assert (result.found.line, result.found.key, result.found.variant) == (position + 1, key, "line")
        assert search(cookie, [c for c in lines if c != key], engine=engine, scheme=scheme).found is None


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_line_that_signs_is_reported_whatever_the_worker_count(engine: str, workers: int) -> None:
    rng = random.Random(workers)
    lines = [rng.randbytes(8).hex().encode() for _ in range(40_000)]
    lines[31_336] = lines[39_000] = b"needle-key"  # twice: the first one is the answer
    cookie = sign_session({"user_id": 7}, key=SecretKey("needle-key")).value
    result = search(cookie, lines, engine=engine, workers=workers, chunk_bytes=16 * 1024)
    assert result.found is not None
    assert (result.found.line, result.found.key) == (31_337, b"needle-key")
    assert result.workers == min(workers, audit.default_workers())
    assert result.engine == engine
    missing = search(
        cookie, [line for line in lines if line != b"needle-key"], engine=engine, workers=workers, chunk_bytes=16 * 1024
    )
    assert missing.found is None
    assert missing.candidates == missing.lines == len(lines) - 2


def test_line_numbers_count_every_line_ending_and_blank_line(engine: str) -> None:
    cookie = flask_cookie("the-real-key", {"a": 1})
    data = b"one\r\ntwo\r\r\nthree\n\n\rthe-real-key\rafter\n"
    target, kind = audit.cookie_target(cookie, scheme=FLASK_SCHEME, digest_given=False)
    for chunk in (4, 7, 64):
        result = audit.audit_cookie(
            target, kind=kind, scheme=FLASK_SCHEME, wordlists=[Wordlist("w", io.BytesIO(data), len(data))],
            builtin=False, engine=engine, chunk_bytes=chunk,  # type: ignore[arg-type]
        )  # fmt: skip
        assert result.found is not None and result.found.line == 7, chunk


@pytest.mark.parametrize("entry", [k for k in known_keys() if k.form == "bytes"], ids=lambda k: f"entry-{k.entry}")
def test_published_bytes_literal_keys_are_found_in_cookies_real_flask_signed(invoke: Invoke, entry: Any) -> None:
    cookie = flask_cookie(entry.material, {"user_id": 42, "role": "admin"})
    result = invoke(["audit", "cookie", cookie])
    assert result.exit_code == 1, result.output
    assert repr(entry.material) in result.stdout.splitlines()  # the bytes literal, alone on its line
    document = json.loads(invoke(["audit", "cookie", "--json", cookie]).stdout)
    assert document["key"] == repr(entry.material)
    assert (document["key_format"], document["origin"], document["line"]) == ("bytes", "built-in", entry.entry)
    assert (document["published"], document["wordlist"]) == (entry.source, None)


@pytest.mark.parametrize(
    ("secret_key", "variant", "shown"),
    [
        ("CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "entry", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET"),
        (repr(b"\xfa\xdd\xb8z\xae\xe0}4\x8b\xea"), "bytes-repr", repr(b"\xfa\xdd\xb8z\xae\xe0}4\x8b\xea")),
        ("e951e5a1f4b94151b360f47edf596dd2", "entry", "e951e5a1f4b94151b360f47edf596dd2"),
        (bytes.fromhex("e951e5a1f4b94151b360f47edf596dd2"), "hex", repr(bytes.fromhex("e951e5a1f4b94151b360f47edf596dd2"))),
    ],
)  # fmt: skip
def test_published_keys_are_found_in_every_form_with_where_they_were_published(
    invoke: Invoke, secret_key: str | bytes, variant: str, shown: str
) -> None:
    document = json.loads(invoke(["audit", "cookie", "--json", flask_cookie(secret_key, {"user_id": 1})]).stdout)
    assert (document["found"], document["origin"], document["variant"], document["key"]) == (
        True, "built-in", variant, shown,
    )  # fmt: skip
    assert document["published"]


def test_a_key_only_flask_unsign_knows_is_found_by_default_with_its_line(invoke: Invoke) -> None:
    import flask_unsign_wordlist

    from flasksess_cli.audit.candidates import literal_value, quiet_literals

    published = {known.material for known in known_keys()}
    lines = Path(flask_unsign_wordlist.get("all")).read_bytes().split(b"\n")
    with quiet_literals():
        number, key = next(
            (n, v) for n, line in enumerate(lines, 1)
            if isinstance(v := literal_value(line), str) and v.isprintable() and v.encode() not in published and n > 20000
        )  # fmt: skip
    cookie = flask_cookie(key, {"user_id": 1})
    result = invoke(["audit", "cookie", "--json", cookie])
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert (document["key"], document["origin"], document["wordlist"], document["line"]) == (
        key, "built-in", "flask-unsign", number
    )  # fmt: skip
    assert document["published"].startswith(f"flask-unsign-wordlist {flask_unsign_wordlist.__version__} (")
    human = invoke(["audit", "cookie", cookie]).stdout
    assert f"the flask-unsign list, line {number}" in " ".join(human.split())


def test_the_default_candidates_take_well_under_a_second(invoke: Invoke) -> None:
    cookie = flask_cookie(os.urandom(32), {"a": 1})
    document = json.loads(invoke(["audit", "cookie", "--json", cookie]).stdout)
    assert document["found"] is False
    assert document["candidates"] == document["builtin_candidates"] == len(default_candidates().keys)
    assert document["builtin_candidates"] > 100_000  # the published keys and the whole flask-unsign list


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


@pytest.mark.parametrize("engine_env", ["native", "python"])
def test_hostile_wordlists_never_stop_the_search(
    invoke: Invoke, tmp_path: Path, engine_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASKSESS_AUDIT_ENGINE", engine_env)
    key = "the-real-key"
    cookie = flask_cookie(key, {"a": 1})
    junk = [
        b"",
        b"\x00\xff\xfe binary \x80\x81",
        "caf\u00e9".encode("latin-1"),
        "\u65e5\u672c".encode("utf-16"),
        "\u65e5\u672c".encode("utf-8"),
        b"12345",
        b"\x00" * 100,
        b"x" * (MAX_LINE_BYTES + 10),  # over-long: skipped, still counted as a line
        b"'unterminated",
        b"b'\\xzz'",
        b"hex:not hex",
        b"base64:!!!",
        b"'''",
        b"'" + b"(" * 5000 + b"'",
        b"cr-only-one\rcr-only-two",  # two lines
        b"\t\t",
    ]
    wordlist = tmp_path / "junk.txt"
    wordlist.write_bytes(b"\n".join([*junk, key.encode(), b"after"]))
    result = invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), cookie])
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert (document["line"], document["key"], document["skipped_lines"]) == (len(junk) + 2, key, 1)


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
def test_quoted_hex_and_base64_lines_are_tried_as_their_value(engine: str, line: bytes, variant: str) -> None:
    cookie = flask_cookie("the-real-key", {"a": 1})
    result = search(cookie, [b"one", b"two", line, b"four"], engine=engine)
    assert result.found is not None
    assert (result.found.line, result.found.variant, result.found.key) == (3, variant, b"the-real-key")


def test_not_found_reports_the_candidates_and_exits_0(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie(os.urandom(32), {"a": 1})
    wordlist = tmp_path / "words.txt"
    wordlist.write_text("".join(f"word{n}\n" for n in range(1000)))
    builtin = len(default_candidates().keys)
    result = invoke(["audit", "cookie", "--wordlist", str(wordlist), cookie])
    assert result.exit_code == 0
    assert f"no key among {1000 + builtin:,} candidates" in " ".join(result.stdout.split())
    document = json.loads(invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), cookie]).stdout)
    assert (document["found"], document["candidates"], document["lines"]) == (False, 1000 + builtin, 1000)
    assert document["rate"] >= 0 and document["seconds"] >= 0
    assert document["engine"] in ("native", "python") and document["stopped_by"] is None


def test_several_wordlists_and_stdin_in_one_run(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie("piped-key", {"a": 1})
    first = tmp_path / "first.txt"
    first.write_text("a\nb\n")
    result = invoke(
        ["audit", "cookie", "--json", "--no-builtin", "--wordlist", str(first), "--wordlist", "-", cookie],
        input="c\npiped-key\n",
    )
    document = json.loads(result.stdout)
    assert (document["wordlist"], document["line"], document["candidates"]) == ("-", 2, 4)
    assert document["wordlists"] == [str(first), "-"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wordlist", "-", "--wordlist", "-", "C"], "stdin can be read once"),
        (["--wordlist", "-", "-"], "both be -"),
        (["--workers", "0", "C"], "0"),
        (["--workers", "100000000", "C"], "100000000"),
        (["--shard", "3/2", "C"], "between 1 and N"),
        (["--shard", "half", "C"], "K/N"),
    ],
)
def test_usage_errors(invoke: Invoke, args: list[str], message: str) -> None:
    cookie = flask_cookie("k", {"a": 1})
    result = invoke(["audit", "cookie", *(cookie if arg == "C" else arg for arg in args)], input="")
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.startswith("Error:") and message in result.stderr


def test_shards_split_the_search_and_number_lines_like_the_whole_file(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie("needle", {"a": 1})
    wordlist = tmp_path / "words.txt"
    lines = [f"word{n}" for n in range(5000)]
    lines[4321] = "needle"
    wordlist.write_text("\n".join(lines) + "\n")
    documents = [
        json.loads(
            invoke(["audit", "cookie", "--json", "--shard", f"{k}/3", "--wordlist", str(wordlist), cookie]).stdout
        )
        for k in (1, 2, 3)
    ]
    assert [d["found"] for d in documents] == [False, False, True]
    assert documents[2]["line"] == 4322
    assert [d["builtin"] for d in documents] == [True, False, False]  # the default candidates: in shard 1 only
    assert sum(d["lines"] for d in documents[:2]) + documents[2]["lines"] >= 4322
    assert sum(d["total_bytes"] for d in documents) == wordlist.stat().st_size


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


def test_wordlist_flask_unsign_numbers_its_own_lines(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    import flask_unsign_wordlist

    from flasksess_cli.audit.candidates import literal_value, quiet_literals

    lines = Path(flask_unsign_wordlist.get("all")).read_bytes().split(b"\n")
    with quiet_literals():
        key = literal_value(lines[1234])
        first = next(n for n, line in enumerate(lines, 1) if line.strip() and literal_value(line) == key)
    assert isinstance(key, str)
    cookie = flask_cookie(key, {"a": 1})
    result = invoke(["audit", "cookie", "--json", "--no-builtin", "--wordlist", "flask-unsign", cookie])
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert (document["line"], document["variant"], document["wordlist"]) == (first, "literal", "flask-unsign")
    assert result.stderr == ""  # no progress bar when not on a terminal
    monkeypatch.setitem(sys.modules, "flask_unsign_wordlist", None)  # as if not installed
    missing = invoke(["audit", "cookie", "--wordlist", "flask-unsign", cookie])
    assert missing.exit_code == 3 and "pip install flask-unsign-wordlist" in missing.stderr


def test_the_search_target_is_generic_over_salt_digest_derivation_and_signed_text(engine: str) -> None:
    """What token formats beyond Flask's session need: a Flask-Login remember cookie (HMAC-SHA512 of the id)."""
    import hmac

    from flasksess_cli.audit.scan import Target

    key = "flask-login-key-café".encode("latin-1")  # Flask-Login encodes a str key as Latin-1
    signature = hmac.new(key, b"42", hashlib.sha512).digest()
    target = Target(b"42", signature, b"", "sha512", "none")
    words = [b"a", b"b", key, b"c"]
    wordlist = Wordlist("w", io.BytesIO(b"\n".join(words)), None)
    result = audit.audit_cookie(
        target, kind="session", scheme=FLASK_SCHEME, wordlists=[wordlist], builtin=False, engine=engine,  # type: ignore[arg-type]
    )  # fmt: skip
    assert result.found is not None and (result.found.key, result.found.line) == (key, 3)


def test_hashcat_self_test_pair_is_searched_here(invoke: Invoke, tmp_path: Path) -> None:
    wordlist = tmp_path / "w.txt"
    wordlist.write_text(f"admin\n{HASHCAT_ST_PASS}\n")
    document = json.loads(invoke(["audit", "cookie", "--json", "--wordlist", str(wordlist), HASHCAT_ST_HASH]).stdout)
    assert (document["key"], document["line"]) == (HASHCAT_ST_PASS, 2)


def test_digests_beyond_sha2_run_on_the_twin_and_a_guess_names_the_others(invoke: Invoke) -> None:
    cookie = sign_session({"a": 1}, key=SecretKey("dev"), scheme=Scheme(digest="blake2s")).value
    guessed = json.loads(invoke(["audit", "cookie", "--json", cookie]).stdout)
    assert (guessed["found"], guessed["digest"], guessed["other_digests"]) == (False, "sha256", ["sha3_256", "blake2s"])
    assert "--digest searches with one of them" in " ".join(
        invoke(["audit", "cookie", cookie]).stderr.split()
    )  # a note
    given = json.loads(invoke(["audit", "cookie", "--json", "--digest", "blake2s", cookie]).stdout)
    assert (given["found"], given["key"], given["engine"]) == (True, "dev", "python")
