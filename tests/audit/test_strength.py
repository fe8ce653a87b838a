"""audit key: verdicts, exit codes, the key never shown, every way of giving the key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flasksess_cli import keys
from flasksess_cli.audit import strength
from tests.conftest import Invoke


@pytest.mark.parametrize(
    ("key", "verdict"),
    [
        ("dev", "weak"),
        ("changeme", "weak"),
        ("thisISaSECRET_1234", "weak"),
        ("correct horse battery staple", "weak"),
        ("qwertyuiopasdfghjkl1234567890", "weak"),
        ("abcabcabcabcabcabcabcabcabcabcabcabc", "weak"),
        ("MySuperSecretFlaskKey2024!", "weak"),
        ("2024-01-31-my-flask-app-key", "weak"),
        ("x7Kp9mQ2vL4nR8sT", "weak"),  # 16 characters of base64: 96 bits
        ("p4ssw0rd-p4ssw0rd-p4ssw0rd-p4ssw0rd-", "weak"),  # l33t and repeated: was STRONG, 214 bits
        ("p4ssw0rd-p4ssw0rd-p4ssw0rd-p4ssw0rd", "weak"),  # the same, not a whole number of repeats
        ("mysecretkeymysecretkeymysecretkey!!", "weak"),  # a repeat inside the key
        ("P@ssw0rd!P@ssw0rd!P@ssw0rd!", "weak"),
        ("s3cr3t-k3y-f0r-my-fl4sk-4pp-2024", "weak"),  # l33t words, a year
        ("passwordpasswordpassword1234567890abcdefgh", "weak"),
        ("b'_5#y2L\"F4Q8z\\n\\xec]/'", "weak"),  # 128 bits, but published in Flask's docs
        ("hex:" + "00" * 32, "weak"),
        ("hex:" + "a1" * 32, "weak"),
        ("0f6a2b4c8d1e3f5a7b9c0d2e4f6a8b1c", "strong"),  # 32 random hex digits: 128 bits
        ("7f3c9a12e4b6d8f0a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7", "strong"),
        ("Xq8_vN2-kT5rL9wZ4yB7mC1pF6hJ3sD0gQeR8uI", "strong"),
    ],
)
def test_verdicts_and_exit_codes(invoke: Invoke, key: str, verdict: str) -> None:
    result = invoke(["audit", "key", "--json", "-"], input=key + "\n")
    document = json.loads(result.stdout)
    assert document["verdict"] == verdict, document
    assert result.exit_code == (1 if verdict == "weak" else 0)
    [audited] = document["keys"]
    assert audited["verdict"] == verdict
    assert (audited["reasons"] != []) == (verdict == "weak")
    assert (document["fix"] is not None) == (verdict == "weak")


@pytest.mark.parametrize("fmt", ["hex", "urlsafe", "base64", "bytes"])
@pytest.mark.parametrize("n_bytes", [16, 32])
def test_every_key_genkey_makes_is_strong(fmt: str, n_bytes: int) -> None:
    for generated in keys.generate_keys(n_bytes=n_bytes, fmt=fmt, count=300):
        audited = strength.audit_key(keys.parse_key(generated.key).material)
        assert not audited.weak, (generated.key, audited)


def test_the_key_is_never_printed_in_full(invoke: Invoke) -> None:
    for key in ("correct horse battery staple", "MySuperSecretFlaskKey2024!", os.urandom(32).hex()):
        for args in (["audit", "key", "-"], ["audit", "key", "--json", "-"]):
            result = invoke(args, input=key)
            assert key not in result.stdout and key not in result.stderr
            assert key[:6] not in result.stdout


def test_human_output_names_the_problem_and_the_fix(invoke: Invoke) -> None:
    result = invoke(["audit", "key", "-"], input="thisISaSECRET_1234")
    assert result.exit_code == 1
    assert result.stdout.startswith("WEAK: key (18 bytes)")
    assert "Apache Superset" in result.stdout
    assert "flasksess genkey" in result.stdout
    strong = invoke(["audit", "key", "-"], input=os.urandom(32).hex())
    assert strong.exit_code == 0 and strong.stdout.startswith("STRONG: key (64 bytes)")


def test_environment_key_file_and_stdin(invoke: Invoke, tmp_path: Path) -> None:
    env = invoke(["audit", "key", "--json"], env={"FLASK_SECRET_KEY": "dev"})
    assert env.exit_code == 1 and json.loads(env.stdout)["keys"][0]["role"] == "FLASK_SECRET_KEY"
    key_file = tmp_path / "secret.key"
    keys.write_private_file(key_file, os.urandom(32))  # raw binary key file
    from_file = invoke(["audit", "key", "--json", "--key-file", str(key_file)])
    assert from_file.exit_code == 0
    assert json.loads(from_file.stdout)["keys"][0]["alphabet"] == "raw bytes"
    missing = invoke(["audit", "key"])
    assert missing.exit_code == 2 and missing.stdout == ""
    both = invoke(["audit", "key", "--key-file", str(key_file), "dev"])
    assert both.exit_code == 2


def test_app_keys_and_fallbacks_are_all_audited(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strong = os.urandom(32).hex()
    (tmp_path / "rotatedapp.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n"
        f"app.config.update(SECRET_KEY={strong!r}, SECRET_KEY_FALLBACKS=['dev'])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    result = invoke(["audit", "key", "--json", "--app", "rotatedapp:app"], env={"FLASK_SECRET_KEY": "ignored"})
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(k["role"], k["verdict"]) for k in document["keys"]] == [
        ("SECRET_KEY", "strong"),
        ("SECRET_KEY_FALLBACKS[0]", "weak"),
    ]


@pytest.mark.parametrize(
    ("key", "pattern"),
    [
        ("p4ssw0rd-p4ssw0rd-p4ssw0rd-p4ssw0rd", "l33t 'p…d'"),
        ("mysecretkeymysecretkeymysecretkey!!", "3 repeats of 'm…y'"),
    ],
)
def test_human_habits_are_named_without_showing_the_key(key: str, pattern: str) -> None:
    audited = strength.audit_key(key.encode())
    assert any(pattern in p for p in audited.patterns), audited.patterns
    assert key not in " ".join(audited.patterns)
