"""All output: ``--json`` documents, copyable values, and human output with rich.

The only module that imports rich, and it does so inside the functions that need
it, so that commands which print plain values never pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from flasksess_cli.keys import GeneratedKey


def emit_json(document: Any) -> None:
    """One JSON document on stdout: sorted keys, strict JSON (no NaN)."""
    import json

    click.echo(json.dumps(document, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False))


def emit_value(value: str) -> None:
    """A value the user copies (key, cookie): alone on its line, never wrapped."""
    click.echo(value)


def note(message: str) -> None:
    """A remark for the person at the terminal, on stderr."""
    click.echo(message, err=True)


def generated_keys(keys: Sequence[GeneratedKey], *, as_json: bool, as_list: bool, path: str | None) -> None:
    if as_json:
        docs = [
            {"format": k.format, "bytes": k.bytes, "entropy_bits": k.entropy_bits}
            | ({"path": path} if path else {"key": k.key})
            for k in keys
        ]
        emit_json(docs if as_list else docs[0])
    elif path:
        noun = "key" if len(keys) == 1 else f"{len(keys)} keys"
        note(f"Wrote {noun} to {path} (mode 0600).")
    else:
        for k in keys:
            emit_value(k.key)
