"""audit cookie --hashcat: the mode 29100 line, the limits of each hashcat release, the exact command.

The limits are hashcat's own (``src/modules/module_29100.c``): payload at most 27 characters in
6.2.6, 120 in 7.x. The installed version is what ``hashcat --version`` prints; these tests put
a stand-in on PATH for each release, and run the real hashcat when one is installed.
"""

from __future__ import annotations

import json
import random
import shutil
import stat
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flasksess_cli.codec.cookie import Scheme, sign_session
from flasksess_cli.keys import SecretKey
from tests.audit.conftest import flask_cookie
from tests.conftest import Invoke

#: hashcat's own self-test pair for mode 29100 (src/modules/module_29100.c: ST_HASH, ST_PASS).
HASHCAT_ST_HASH = "eyJ1c2VybmFtZSI6ImFkbWluIn0.YjdgRQ.1OTlf1PD0H9wXsu_qS0aywAJVD8"
HASHCAT_ST_PASS = "hashcat"


@pytest.fixture
def hashcat_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``hashcat_version("6.2.6")`` puts a hashcat that prints that version first on PATH; None: no hashcat."""

    def install(version: str | None) -> None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        monkeypatch.setenv("PATH", str(bin_dir))
        if version is not None:
            program = bin_dir / "hashcat"
            program.write_text(f"#!/bin/sh\necho v{version}\n")
            program.chmod(program.stat().st_mode | stat.S_IXUSR)

    return install


def payload_cookie(length: int) -> str:
    """A cookie whose payload has exactly ``length`` characters (any length but 4k + 1, which base64 never makes)."""
    text = "".join(random.Random(length).choices(string.ascii_letters, k=200))  # incompressible: never zlib'd
    for size in range(200):
        cookie = sign_session({"u": text[:size]}, key=SecretKey("k")).value
        if len(cookie.split(".")[0]) == length:
            return cookie
    raise AssertionError(length)


def test_the_line_is_the_cookie_with_a_canonical_signature(invoke: Invoke, hashcat_version: Any) -> None:
    hashcat_version("6.2.6")
    result = invoke(["audit", "cookie", "--hashcat", HASHCAT_ST_HASH])
    assert result.exit_code == 0
    assert result.stdout == HASHCAT_ST_HASH + "\n"
    assert "hashcat 6.2.6 takes it" in result.stderr
    assert "hashcat -m 29100 -a 0 cookie.hash WORDLIST" in result.stderr
    # A malleated signature ('+'/'/' for '-'/'_', as Flask accepts) is printed canonical.
    malleated = HASHCAT_ST_HASH.replace("_", "/")
    assert invoke(["audit", "cookie", "--hashcat", malleated]).stdout == HASHCAT_ST_HASH + "\n"


@pytest.mark.parametrize(
    ("version", "length", "accepted"),
    [
        ("6.2.6", 27, True),
        ("6.2.6", 28, False),
        ("7.0.0", 28, True),
        ("7.1.2", 120, True),
        ("7.1.2", 56, True),
        ("6.2.5", 16, False),  # no mode 29100 before 6.2.6
        (None, 28, None),
    ],
)
def test_the_installed_release_decides(
    invoke: Invoke, hashcat_version: Any, version: str | None, length: int, accepted: bool | None
) -> None:
    hashcat_version(version)
    cookie = payload_cookie(length)
    document = json.loads(invoke(["audit", "cookie", "--hashcat", "--json", cookie]).stdout)
    assert (document["hashcat_version"], document["accepted"], document["payload_length"]) == (
        version,
        accepted,
        length,
    )
    assert document["hash"].split(".")[0] == cookie.split(".")[0]
    assert (document["refusal"] is None) == (accepted is True or (accepted is None and length <= 27))


def test_a_refusing_release_still_gets_the_line_and_a_warning(invoke: Invoke, hashcat_version: Any) -> None:
    hashcat_version("6.2.6")
    cookie = payload_cookie(40)
    result = invoke(["audit", "cookie", "--hashcat", cookie])
    assert result.exit_code == 0
    assert result.stdout.strip().split(".")[0] == cookie.split(".")[0]
    assert "Warning: hashcat 6.2.6 takes payloads of at most 27 characters" in result.stderr
    assert "hashcat 7.0 or later" in result.stderr


def test_the_command_names_the_wordlists(invoke: Invoke, hashcat_version: Any, tmp_path: Path) -> None:
    hashcat_version(None)
    words = tmp_path / "my words.txt"
    words.write_text("a\n")
    result = invoke(
        ["audit", "cookie", "--hashcat", "--wordlist", str(words), "--wordlist", "flask-unsign", HASHCAT_ST_HASH]
    )
    import flask_unsign_wordlist

    assert f"cookie.hash '{words}' {flask_unsign_wordlist.get('all')}" in result.stderr
    assert "apt install hashcat" in result.stderr
    piped = json.loads(invoke(["audit", "cookie", "--hashcat", "--json", "--wordlist", "-", HASHCAT_ST_HASH]).stdout)
    assert piped["command"] == ["hashcat", "-m", "29100", "-a", "0", "cookie.hash"]  # candidates from stdin


@pytest.mark.parametrize(
    ("session", "scheme", "why"),
    [
        ({"blob": "a" * 600}, Scheme(), "compressed"),
        ({"u": "".join(random.Random(1).choices(string.ascii_letters, k=100))}, Scheme(), "at most 120"),
        ({"a": 1}, Scheme(digest="sha256"), "HMAC-SHA256"),
        ({"a": 1}, Scheme(salt="other"), "salt"),
        ({"a": 1}, Scheme(key_derivation="concat"), "key derivation"),
    ],
)
def test_cookies_no_release_takes_are_refused(
    invoke: Invoke, hashcat_version: Any, session: dict[str, Any], scheme: Scheme, why: str
) -> None:
    hashcat_version("7.1.2")
    cookie = sign_session(session, key=SecretKey("k"), scheme=scheme).value
    options = ["--salt", scheme.salt, "--key-derivation", scheme.key_derivation]
    result = invoke(["audit", "cookie", "--hashcat", *options, cookie])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: hashcat mode 29100 cannot take this cookie") and why in result.stderr


@pytest.mark.skipif(
    shutil.which("hashcat") is None, reason="hashcat is not installed (apt install hashcat pocl-opencl-icd)"
)
def test_the_real_hashcat_finds_the_key_with_the_command_printed(invoke: Invoke, tmp_path: Path) -> None:
    cookie = flask_cookie("the-hashcat-key", {"user_id": 42})
    words = tmp_path / "words.txt"
    words.write_text("one\ntwo\nthe-hashcat-key\n")
    document = json.loads(invoke(["audit", "cookie", "--hashcat", "--json", "--wordlist", str(words), cookie]).stdout)
    assert document["accepted"] is True
    (tmp_path / "cookie.hash").write_text(document["hash"] + "\n")
    command = [*document["command"], "--potfile-disable", "--quiet", "--outfile-format", "2"]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        timeout=600,
        check=False,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert b"the-hashcat-key" in done.stdout, done.stderr.decode(errors="replace")
