"""``audit cookie``: is the key behind this cookie in the built-in list or a wordlist?

The built-in list (:mod:`.known_keys`) is tried first, in process; then each
wordlist, read in whole-line blocks (:mod:`.wordlists`), scanned by the hot loop
(:mod:`.scan`) in process for small lists or over worker processes
(:mod:`.workers`). (:mod:`.hashcat` hands searches too large for one machine to hashcat.)

Pure: returns frozen dataclasses, raises ``BadInput``; never prints.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flasksess_cli.audit.known_keys import KnownKey, known_keys, lookup
from flasksess_cli.audit.scan import Target, Variant, mac_function, scan_block
from flasksess_cli.audit.wordlists import BLOCK_BYTES, BlockReader, OpenWordlist
from flasksess_cli.defaults import DIGEST_SIZES, FLASK_SALT, FLASK_SESSION_SALT
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.audit.workers import WorkerHit
    from flasksess_cli.codec.cookie import CookieKind, Scheme

#: Below this many bytes of wordlist, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 8 * BLOCK_BYTES

#: progress(bytes of wordlists read, total bytes or None when unknown, candidates tried)
Progress = Callable[[int, "int | None", int], None]


@dataclass(frozen=True)
class Found:
    """The key that signed the cookie, and where it came from."""

    key: bytes
    origin: Literal["built-in", "wordlist"]
    #: How the line was read (see :data:`~flasksess_cli.audit.scan.Variant`); "entry" for the built-in list.
    variant: Variant | Literal["entry"]
    #: The wordlist as given (a path, "-" or "flask-unsign"); None for the built-in list.
    wordlist: str | None = None
    #: Line in the wordlist, or entry number in the built-in list, counting from 1.
    line: int | None = None
    #: The published key these bytes are, if they are one.
    known: KnownKey | None = None

    @property
    def as_bytes(self) -> bool:
        """Show it as a bytes literal: published or written that way, or not printable UTF-8 text."""
        if self.variant in {"bytes-literal", "hex", "base64"} or (
            self.known is not None and self.known.form == "bytes"
        ):
            return True
        try:
            return not self.key.decode("utf-8").isprintable()
        except UnicodeDecodeError:
            return True

    def display(self) -> str:
        """``genkey --format bytes`` form for bytes keys, the text itself otherwise."""
        return repr(self.key) if self.as_bytes else self.key.decode("utf-8")


@dataclass(frozen=True)
class CookieAudit:
    found: Found | None
    candidates: int
    lines: int
    skipped_lines: int
    seconds: float
    workers: int
    interrupted: bool
    builtin: bool
    wordlists: tuple[str, ...]
    kind: CookieKind
    digest: str
    key_derivation: str
    salt: str
    #: Bytes of the wordlists searched, and their total (None when one is stdin).
    searched_bytes: int = 0
    total_bytes: int | None = None

    @property
    def rate(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0


# --- the target --------------------------------------------------------------------------------------


def cookie_target(value: str, *, scheme: Scheme, digest_given: bool) -> tuple[Target, CookieKind]:
    """What the signature commits to; and the cookie kind ("session" or "session-id").

    The digest is guessed from the signature's length unless ``digest_given``; a
    given digest of the wrong size is refused rather than searched in vain.
    """
    from itsdangerous.encoding import base64_decode

    from flasksess_cli.codec.cookie import digest_guess, split_signed

    signed, signature_text, kind = split_signed(value)
    try:
        signature = base64_decode(signature_text)
    except Exception:  # itsdangerous raises BadData
        raise BadInput("the cookie's signature is not base64 (is the cookie complete?)") from None
    digest = scheme.digest
    if not digest_given:
        digest = digest_guess(signature_text)
        if digest == "unknown":
            raise BadInput(
                f"the signature is {len(signature)} bytes, which no digest produces (is the cookie complete?)"
            )
    elif DIGEST_SIZES[digest] != len(signature):
        raise BadInput(
            f"the signature is {len(signature)} bytes but {digest} makes {DIGEST_SIZES[digest]} "
            f"(the cookie was signed with {digest_guess(signature_text)}; drop --digest to guess it)"
        )
    salt = FLASK_SESSION_SALT if kind == "session-id" and scheme.salt == FLASK_SALT else scheme.salt
    try:
        signed_bytes = signed.encode("ascii")
    except UnicodeEncodeError:
        raise BadInput("the cookie has non-ASCII characters, so no Flask app signed it") from None
    target = Target(signed_bytes, signature, salt.encode("utf-8"), digest, scheme.key_derivation)
    return target, kind


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- the search --------------------------------------------------------------------------------------


def audit_cookie(
    target: Target,
    *,
    kind: CookieKind,
    scheme: Scheme,
    wordlists: Sequence[OpenWordlist] = (),
    builtin: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
    block_bytes: int = BLOCK_BYTES,
) -> CookieAudit:
    """Try the built-in list, then each wordlist, until a key makes ``target``'s signature."""
    started = time.perf_counter()
    search = _Search(target, progress, block_bytes)
    found: Found | None = None
    if builtin:
        found = search.builtin()
    total = None if any(size is None for *_, size in wordlists) else sum(size or 0 for *_, size in wordlists)
    parallel = workers > 1 and (total is None or total >= min(PARALLEL_MIN_BYTES, 8 * block_bytes))
    if found is None and wordlists:
        found = search.wordlists(wordlists, total, workers if parallel else 1)
    return CookieAudit(
        found=found,
        candidates=search.tried,
        lines=search.lines,
        skipped_lines=search.skipped,
        seconds=time.perf_counter() - started,
        workers=workers if parallel else 1,
        interrupted=search.interrupted,
        builtin=builtin,
        wordlists=tuple(name for name, *_ in wordlists),
        kind=kind,
        digest=target.digest,
        key_derivation=target.key_derivation,
        salt=scheme.salt if target.salt == scheme.salt.encode() else target.salt.decode(),
        searched_bytes=search.searched_bytes,
        total_bytes=total if wordlists else 0,
    )


class _Search:
    def __init__(self, target: Target, progress: Progress | None, block_bytes: int) -> None:
        self.target = target
        self.block_bytes = block_bytes
        self.macs = mac_function(target)
        self.progress = progress
        self.tried = 0
        self.lines = 0
        self.skipped = 0
        self.searched_bytes = 0
        self.interrupted = False

    def builtin(self) -> Found | None:
        entries = known_keys()
        self.tried += len(entries)
        for entry, mac in zip(entries, self.macs(entry.material for entry in entries), strict=True):
            if mac == self.target.signature:
                return Found(entry.material, "built-in", "entry", None, entry.entry, entry)
        return None

    def wordlists(self, wordlists: Sequence[OpenWordlist], total: int | None, workers: int) -> Found | None:
        readers = [BlockReader(handle, block_bytes=self.block_bytes) for _, handle, _ in wordlists]
        blocks = ((number, block) for number, reader in enumerate(readers) for block in reader)
        try:
            hit = self._parallel(blocks, total, workers) if workers > 1 else self._serial(blocks, total)
        finally:
            self.lines = sum(reader.lines for reader in readers)
            self.skipped = sum(reader.skipped_lines for reader in readers)
        if hit is None:
            return None
        source, line, variant, key = hit
        return Found(key, "wordlist", variant, wordlists[source][0], line, lookup(key))

    def _report(self, done: int, total: int | None, tried: int) -> None:
        if self.progress is not None:
            self.progress(done, total, tried)

    def _serial(self, blocks: Any, total: int | None) -> WorkerHit | None:
        done, base = 0, self.tried
        try:
            for source, block in blocks:
                if block.lines:
                    hit, count = scan_block(block.data, self.target, self.macs)
                    self.tried += count
                    if hit is not None:
                        self.searched_bytes = done + block.consumed
                        return source, block.first_line + hit.position, hit.variant, hit.key
                done += block.consumed
                self.searched_bytes = done
                self._report(done, total, self.tried - base)
        except KeyboardInterrupt:
            self.interrupted = True
        return None

    def _parallel(self, blocks: Any, total: int | None, workers: int) -> WorkerHit | None:
        from flasksess_cli.audit.workers import scan_in_parallel

        base = self.tried
        outcome = scan_in_parallel(blocks, self.target, workers=workers, total=total, report=self._report)
        self.tried = base + outcome.tried
        self.searched_bytes = outcome.searched_bytes
        self.interrupted = outcome.interrupted
        return outcome.hit
