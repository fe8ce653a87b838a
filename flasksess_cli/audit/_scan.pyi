"""Type stub of the C extension (_scan.c): the key search behind `flasksess audit cookie`."""

from collections.abc import Sequence

Buffer = bytes | bytearray | memoryview

class Scanner:
    """The key search for one signature: itsdangerous' HMAC(derive(key, salt), signed)."""

    def __init__(
        self,
        signed: Buffer,
        signature: Buffer,
        salt: Buffer,
        digest: str,
        key_derivation: str,
        engine: str | None = None,
    ) -> None: ...
    @property
    def engine(self) -> str:
        """The path that runs: avx512, avx2, sha-ni or scalar."""
    @property
    def lanes(self) -> int:
        """Candidates hashed together."""
    def scan(self, data: Buffer) -> tuple[int, int]:
        """(offset of the first line whose key makes the signature, or -1; candidates tried)."""
    def match(self, keys: Sequence[Buffer]) -> int:
        """The index of the first key that makes the signature, or -1."""

def engines() -> tuple[str, ...]:
    """The engines this CPU runs, fastest first."""

def line_breaks(data: Buffer) -> int:
    """Line terminators in data: each \\n, each \\r, a \\r\\n once."""
