"""The search kernel's pure-Python twin: the same ``Scanner``, the same answers as the C extension ``_scan``.

A cookie's signature is ``HMAC(derive(key, salt), signed)`` (itsdangerous' ``Signer``).
``Scanner`` holds one such target and tries candidate keys: ``scan`` every line of a
buffer, ``match`` a list of keys. The C extension (``_scan.c`` beside this file, built
when a compiler is available) does it with hand-written SHA-1/SHA-2 over SIMD lanes and
releases the GIL, so threads run it in parallel; this twin is used where it could not be
built. Here both HMACs run inside C loops: ``map`` over OpenSSL's HMAC with
``itertools.repeat`` for the fixed arguments, so no Python frame runs per candidate; it
holds the GIL, so the fallback engine runs it in worker processes.

What both must do exactly (every kernel test runs against both):

- a line is a maximal run of bytes other than ``\\r`` and ``\\n``: lines end at ``\\n``,
  ``\\r\\n`` or a lone ``\\r``; empty lines are skipped and not counted; every other byte
  (NUL, tabs, non-UTF-8, trailing spaces) is part of the key;
- ``scan`` returns the offset of the first matching line's first byte, or -1, and the
  candidates tried up to and including the match (all of them when none matches);
- ``match`` tries every key as given (empty ones too);
- ``line_breaks`` counts line terminators (``\\r\\n`` once).

Imported by worker processes: the standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice, repeat
from operator import methodcaller
from typing import Any, NamedTuple

_hmac_new: Callable[..., Any]
try:  # OpenSSL's HMAC constructor: called from map() it runs without a Python frame
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # pragma: no cover - Python built without OpenSSL
    _hmac_new = hmac.new

Buffer = bytes | bytearray | memoryview

_LINE = re.compile(rb"[^\r\n]+")
#: The digests the C kernel runs (SHA-1 and SHA-2); the twin runs every digest itsdangerous may be given.
NATIVE_DIGESTS = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512"})
_DIGEST_SIZES = {
    "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64, "md5": 16,
    "sha3_224": 28, "sha3_256": 32, "sha3_384": 48, "sha3_512": 64, "blake2b": 64, "blake2s": 32,
}  # fmt: skip
_DERIVATIONS = ("hmac", "concat", "django-concat", "none")
_ENGINES = ("avx512", "avx2", "sha-ni", "scalar")
_digest = methodcaller("digest")

#: Longest signed text or salt taken, as in the C extension.
MAX_SIGNED = 1 << 20


class Target(NamedTuple):
    """What one signature commits to: everything a search needs (picklable, generic over token formats)."""

    #: The signed text: ``payload.timestamp`` (or a Flask-Session id), as sent.
    signed: bytes
    #: The decoded signature: the MAC the right key produces.
    signature: bytes
    salt: bytes
    #: A hashlib name: sha1, sha224, sha256, sha384, sha512.
    digest: str
    #: itsdangerous' key derivation: hmac, concat, django-concat, none (the key itself).
    key_derivation: str


def engines() -> tuple[str, ...]:
    """The engines this module runs: only its own."""
    return ("python",)


def line_breaks(data: Buffer) -> int:
    """Line terminators in ``data``: each \\n, each \\r, a \\r\\n once."""
    data = bytes(data) if isinstance(data, memoryview) else data
    if b"\r" not in data:
        return data.count(b"\n")
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


class Scanner:
    """The key search for one signature: itsdangerous' ``HMAC(derive(key, salt), signed)``."""

    engine = "python"
    lanes = 1

    def __init__(
        self,
        signed: Buffer,
        signature: Buffer,
        salt: Buffer,
        digest: str,
        key_derivation: str,
        engine: str | None = None,
    ) -> None:
        if digest not in _DIGEST_SIZES:
            raise ValueError(f"unknown digest {digest} ({', '.join(_DIGEST_SIZES)})")
        if key_derivation not in _DERIVATIONS:
            raise ValueError(f"unknown key derivation {key_derivation} (hmac, concat, django-concat or none)")
        signed, signature, salt = bytes(signed), bytes(signature), bytes(salt)
        if len(signed) > MAX_SIGNED or len(salt) > MAX_SIGNED:
            raise ValueError("the signed text or the salt is longer than 1 MiB: no cookie is")
        if len(signature) != _DIGEST_SIZES[digest]:
            raise ValueError(f"the signature is {len(signature)} bytes but {digest} makes {_DIGEST_SIZES[digest]}")
        if engine is not None and engine != "python":
            if engine in _ENGINES:
                raise ValueError(f"engine {engine} is not supported by the pure-Python scanner")
            raise ValueError(f"unknown engine {engine} (avx512, avx2, sha-ni or scalar)")
        self._signature = signature
        self._macs = _mac_function(signed, salt, digest, key_derivation)

    def scan(self, data: Buffer) -> tuple[int, int]:
        """(offset of the first line whose key makes the signature, or -1; candidates tried)."""
        if not isinstance(data, bytes):
            view = memoryview(data)  # TypeError for what is no buffer, as the C kernel
            if not view.contiguous:
                raise BufferError("scan() takes a contiguous buffer")
            data = view.tobytes()
        # split and filter run in C; the regex is needed only where a \r can end a line
        lines = _LINE.findall(data) if b"\r" in data else list(filter(None, data.split(b"\n")))
        index = self._first(lines)
        if index < 0:
            return -1, len(lines)
        match = next(islice(_LINE.finditer(data), index, None))
        return match.start(), index + 1

    def match(self, keys: Sequence[Buffer]) -> int:
        """The index of the first key that makes the signature, or -1."""
        return self._first([bytes(key) for key in keys])

    def _first(self, keys: list[bytes]) -> int:
        if self._signature not in self._macs(keys):  # one C-level pass; the index only on a hit
            return -1
        return next(i for i, mac in enumerate(self._macs(keys)) if mac == self._signature)


def _mac_function(
    signed: bytes, salt: bytes, digest: str, key_derivation: str
) -> Callable[[Iterable[bytes]], Iterator[bytes]]:
    """keys -> the signature each makes, lazily and in C (itsdangerous' derive_key, then its HMAC)."""
    derive: Callable[[Iterable[bytes]], Iterator[bytes]]
    if key_derivation == "hmac":

        def derive(keys: Iterable[bytes]) -> Iterator[bytes]:
            return map(_digest, map(_hmac_new, keys, repeat(salt), repeat(digest)))

    elif key_derivation == "none":
        derive = iter
    else:
        constructor: Any = getattr(hashlib, digest)
        prefix = salt if key_derivation == "concat" else salt + b"signer"

        def derive(keys: Iterable[bytes]) -> Iterator[bytes]:
            return map(_digest, map(constructor, map(prefix.__add__, keys)))

    def macs(keys: Iterable[bytes]) -> Iterator[bytes]:
        return map(_digest, map(_hmac_new, derive(keys), repeat(signed), repeat(digest)))

    return macs
