"""Secret keys that are published: in documentation, tutorials, product defaults, placeholders.

The list is a data file shipped in the package (``known_keys.json`` beside this module), curated
by this project, each entry with where it was published. Keys published as Python
bytes literals are kept as those bytes, since that is what an application copying
them signs with. ``audit`` tries them first, ``audit key`` flags them, and any
command that must refuse a well-known key asks :func:`is_known`.

Imports only the standard library and is cheap: the file is read on first use.
"""

from __future__ import annotations

import functools
from typing import NamedTuple


class KnownKey(NamedTuple):
    """One published key: the bytes HMAC is keyed with, how it was written, and where."""

    material: bytes
    #: "text" or "bytes" (published as a Python bytes literal).
    form: str
    #: "docs", "tutorial", "product" or "placeholder".
    kind: str
    source: str
    #: Its position in the built-in list, counting from 1.
    entry: int

    def display(self) -> str:
        """The key as published: the text itself, or the bytes literal."""
        return repr(self.material) if self.form == "bytes" else self.material.decode("utf-8")


@functools.lru_cache(maxsize=1)
def known_keys() -> tuple[KnownKey, ...]:
    """Every entry of the built-in list, in its order (most consequential first)."""
    import ast
    import json
    from importlib.resources import files

    document = json.loads(files("flasksess_cli.audit").joinpath("known_keys.json").read_text(encoding="utf-8"))
    entries = []
    for number, item in enumerate(document["keys"], 1):
        if "bytes" in item:
            material = ast.literal_eval(item["bytes"])
            if not isinstance(material, bytes):
                raise ValueError(f"known_keys.json entry {number}: 'bytes' is not a bytes literal")
            form = "bytes"
        else:
            material, form = item["text"].encode("utf-8"), "text"
        entries.append(KnownKey(material, form, item["kind"], item["source"], number))
    return tuple(entries)


@functools.lru_cache(maxsize=1)
def _by_material() -> dict[bytes, KnownKey]:
    table: dict[bytes, KnownKey] = {}
    for key in known_keys():
        table.setdefault(key.material, key)
    return table


def known_key_materials() -> frozenset[bytes]:
    """The published keys as the bytes HMAC is keyed with (a ``str`` key is its UTF-8)."""
    return frozenset(_by_material())


def lookup(material: bytes) -> KnownKey | None:
    """The published key with exactly these bytes, if any."""
    return _by_material().get(material)


def is_known(material: bytes) -> bool:
    """Whether these key bytes are a published key (for commands that must refuse them)."""
    return material in _by_material()
