"""The wordlist engine's hot path: wordlist bytes in, the one line whose key signed the cookie out.

A cookie's signature is ``HMAC(derive(key, salt), payload.timestamp)`` (itsdangerous'
``Signer``). For each block of wordlist lines both HMACs run inside C loops: ``map``
over OpenSSL's HMAC with ``itertools.repeat`` for the fixed arguments, so no Python
frame runs per candidate; the resulting digests are compared with the decoded
signature by ``in`` (C again). Lines are the raw bytes between newlines, which is
what a ``str`` key encodes to, and what a ``bytes`` key is.

Lines written as Python string or bytes literals, ``hex:...`` or ``base64:...`` are
also tried as the value they denote. They are found with one regular-expression scan
per block and handled in Python, off the hot path.

Nothing here prints or exits; it is imported by worker processes, so it imports only
the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from operator import methodcaller
from typing import Any, Literal, NamedTuple

_hmac_new: Callable[..., Any]
try:  # OpenSSL's HMAC constructor: called from map() it runs without a Python frame
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover - Python built without OpenSSL
    _hmac_new = hmac.new

_digest = methodcaller("digest")


class Target(NamedTuple):
    """What one cookie's signature commits to: everything a worker needs (picklable)."""

    #: The signed text: ``payload.timestamp`` (or a Flask-Session id), as sent.
    signed: bytes
    #: The decoded signature: the HMAC the right key produces.
    signature: bytes
    salt: bytes
    #: A hashlib name: sha1, sha224, sha256, sha384, sha512.
    digest: str
    #: itsdangerous' key derivation: hmac, concat, django-concat, none.
    key_derivation: str


#: How a line was read: its own bytes ("line"), a quoted Python str or bytes literal, hex:..., base64:...
Variant = Literal["line", "literal", "bytes-literal", "hex", "base64"]


class Hit(NamedTuple):
    """The candidate that made the signature: its line in the block, and how it was read."""

    position: int
    variant: Variant
    key: bytes


MacFunction = Callable[[Iterable[bytes]], Iterator[bytes]]


def mac_function(target: Target) -> MacFunction:
    """keys -> the signature each would produce for ``target``, lazily and in C.

    Exactly itsdangerous' ``Signer.derive_key`` then ``HMACAlgorithm.get_signature``.
    """
    name, salt, signed = target.digest, target.salt, target.signed
    if target.key_derivation in {"concat", "django-concat"}:
        constructor = getattr(hashlib, name)
        prefix = salt if target.key_derivation == "concat" else salt + b"signer"

        def derive(keys: Iterable[bytes]) -> Iterator[bytes]:
            return map(_digest, map(constructor, map(prefix.__add__, keys)))

    elif target.key_derivation == "hmac":

        def derive(keys: Iterable[bytes]) -> Iterator[bytes]:
            return map(_digest, map(_hmac_new, keys, repeat(salt), repeat(name)))

    elif target.key_derivation == "none":

        def derive(keys: Iterable[bytes]) -> Iterator[bytes]:
            return iter(keys)

    else:
        raise ValueError(f"unknown key derivation {target.key_derivation!r}")

    def macs(keys: Iterable[bytes]) -> Iterator[bytes]:
        return map(_digest, map(_hmac_new, derive(keys), repeat(signed), repeat(name)))

    return macs


# A line that denotes another value: a whole Python string/bytes literal, hex:..., base64:...
_SPECIAL_LINE = re.compile(rb"""^(?:[bBrRuU]{0,2}(['"]).*\1|hex:.*|base64:.*)$""", re.MULTILINE)
_SPECIAL_HINTS = (b"'", b'"', b"hex:", b"base64:")


def scan_block(block: bytes, target: Target, macs: MacFunction) -> tuple[Hit | None, int]:
    """Try every line of ``block`` (lines joined by ``\\n``). Returns the hit, if any, and the candidates tried."""
    if b"\r" in block:  # CRLF wordlists: the \r is not part of the key
        block = block.replace(b"\r\n", b"\n")
        if block.endswith(b"\r"):
            block = block[:-1]
    lines = block.split(b"\n")
    tried = len(lines) - lines.count(b"")  # blank lines are tried (harmlessly) but are no candidates
    if target.signature in macs(lines):
        index = next(i for i, mac in enumerate(macs(lines)) if mac == target.signature)
        return Hit(index, "line", lines[index]), tried
    if not any(hint in block for hint in _SPECIAL_HINTS):
        return None, tried
    index, position, specials = 0, 0, []
    for match in _SPECIAL_LINE.finditer(block):
        index += block.count(b"\n", position, match.start())
        position = match.start()
        specials += [(index, variant, key) for variant, key in special_variants(match.group())]
    tried += len(specials)
    if specials and target.signature in macs(key for _, _, key in specials):  # one C-level pass, as above
        index, variant, key = next(
            s for s, mac in zip(specials, macs(k for _, _, k in specials), strict=True) if mac == target.signature
        )
        return Hit(index, variant, key), tried
    return None, tried


def special_variants(line: bytes) -> list[tuple[Variant, bytes]]:
    """The values a line denotes besides its own bytes (none for most lines)."""
    if line.startswith(b"hex:"):
        try:
            return [("hex", bytes.fromhex(line[4:].decode("ascii")))]
        except (UnicodeDecodeError, ValueError):
            return []
    if line.startswith(b"base64:"):
        from flasksess_cli.errors import BadInput
        from flasksess_cli.keys import decode_base64_key

        try:
            return [("base64", decode_base64_key(line[7:].decode("ascii")))]
        except (UnicodeDecodeError, BadInput):
            return []
    return _literal_value(line)


def _literal_value(line: bytes) -> list[tuple[Variant, bytes]]:
    quote = line[:1]
    if quote in (b"'", b'"') and len(line) >= 2 and line[-1:] == quote:
        inner = line[1:-1]
        # The common case (flask-unsign's lists are all quoted): nothing to unescape, so the
        # value is the inner bytes, exactly what ast.literal_eval would give, without its cost.
        if quote not in inner and b"\\" not in inner and b"\x00" not in inner and b"\r" not in inner:
            try:
                inner.decode("utf-8")
            except UnicodeDecodeError:
                return []
            return [("literal", inner)]
    from flasksess_cli.keys import python_literal

    try:
        literal = value = python_literal(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one too
        return []
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no str key Flask could sign with
            return []
    if not isinstance(value, bytes) or value == line:
        return []
    return [("bytes-literal" if isinstance(literal, bytes) else "literal", value)]
