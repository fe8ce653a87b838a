"""Why a key did not verify, when the reason is a whitespace slip: a key file read with its newline, or a pasted space.

The commonest "BAD SIGNATURE" with the right key: the app reads its key file with
``open(FILE).read()``, which keeps the file's trailing newline, while ``--key-file``
(like ``$(cat FILE)`` and python-dotenv) drops it; or a key was pasted with a space.
:func:`whitespace_hint` tries the key with its surrounding whitespace removed, and
with a newline added, and says which one would have matched.
"""

from __future__ import annotations

from collections.abc import Iterator

from flasksess_cli.codec.cookie import FLASK_SCHEME, Scheme, matching_key
from flasksess_cli.keys import SecretKey

_NEWLINES: tuple[tuple[bytes, str], ...] = ((b"\n", "a trailing newline"), (b"\r\n", "a trailing CRLF"))


def _variants(key: SecretKey) -> Iterator[tuple[SecretKey, str]]:
    """The key as a whitespace slip would have changed it, with what the slip was."""
    material = key.material
    stripped = material.strip()
    if stripped and stripped != material:
        yield _like(key, stripped), "without its surrounding whitespace"
    for ending, what in _NEWLINES:
        yield _like(key, stripped + ending), f"with {what}"


def _like(key: SecretKey, material: bytes) -> SecretKey:
    """``material`` as the same type as ``key`` (text keys sign their UTF-8; the MAC is the same)."""
    if isinstance(key.value, bytes):
        return SecretKey(material)
    return SecretKey(material.decode("utf-8", "surrogateescape"))


def whitespace_hint(
    value: str, *, key: SecretKey, fallbacks: tuple[SecretKey, ...] = (), scheme: Scheme = FLASK_SCHEME
) -> str | None:
    """One sentence when a key, changed only in surrounding whitespace, signed ``value``; else None."""
    roles = [("the key", key)] + [(f"fallback {n}", k) for n, k in enumerate(fallbacks, 1)]
    for role, candidate in roles:
        for variant, how in _variants(candidate):
            if matching_key(value, key=variant, scheme=scheme) is not None:
                if how.startswith("with"):
                    why = (
                        "the app likely reads its key file with the newline it ends with (open(FILE).read() keeps it); "
                        "write the file without one (flasksess genkey --out does) or read it with .strip()"
                    )
                else:
                    why = "the key given has whitespace around it that the app's key does not"
                return f"{role} {how} would match this cookie: {why}"
    return None
