"""The built-in list: every entry parses, has a source, and the keys the issue names are in it."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from flasksess_cli.audit import known_keys


def test_every_entry_has_bytes_a_kind_and_a_source() -> None:
    entries = known_keys.known_keys()
    assert len(entries) >= 40
    for entry in entries:
        assert entry.material, entry
        assert entry.kind in {"docs", "tutorial", "product", "placeholder"}
        assert len(entry.source) > 20, entry.source
        assert known_keys.lookup(entry.material) is not None
    materials = [entry.material for entry in entries]
    assert len(materials) == len(set(materials)), "duplicate entries"


def test_the_data_file_keeps_bytes_literals_as_literals() -> None:
    document = json.loads(files("flasksess_cli.audit").joinpath("known_keys.json").read_text(encoding="utf-8"))
    for item in document["keys"]:
        assert ("bytes" in item) != ("text" in item)
        if "bytes" in item:
            assert item["bytes"].startswith("b'") or item["bytes"].startswith('b"')


@pytest.mark.parametrize(
    ("material", "form"),
    [
        (b'_5#y2L"F4Q8z\n\xec]/', "bytes"),
        (b"\xbc\xf6\x8aTP\xba\xe7\xf8*\xcc\xa7\xbe\xb2S\xd5\x83", "bytes"),
        (b"thisISaSECRET_1234", "text"),
        (b"dev", "text"),
        (b"secret", "text"),
        (b"changeme", "text"),
        (b"any random string", "text"),
        (b"\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h", "text"),
        (b"192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf", "text"),
    ],
)
def test_published_keys_are_known(material: bytes, form: str) -> None:
    entry = known_keys.lookup(material)
    assert entry is not None and entry.form == form
    assert known_keys.is_known(material)
    assert material in known_keys.known_key_materials()
    assert entry.display() == (repr(material) if form == "bytes" else material.decode())


def test_the_text_of_a_bytes_literal_is_not_the_key() -> None:
    """b'_5#y...' in a config means those bytes; its text is a different (unpublished) key."""
    assert not known_keys.is_known(b'_5#y2L"F4Q8z\\n\\xec]/')
    assert not known_keys.is_known(b"a-key-nobody-published")
