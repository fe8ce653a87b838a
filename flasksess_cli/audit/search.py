"""``audit cookie``: is the key behind this cookie published, in the field's shared list, or in a wordlist?

The default candidates (:mod:`.candidates`: the published keys of :mod:`.known_keys` and the
flask-unsign-wordlist package's list, each in every form it can mean) are tried first, in
one call into the kernel; then each wordlist, read in chunks of whole lines
(:mod:`.wordlists`) and scanned by the engine (:mod:`.workers`: the C kernel over threads,
or its pure-Python twin over processes). The search target is generic over salt, digest,
key derivation and signed text (:class:`~.scan.Target`). (:mod:`.hashcat` hands searches
too large for one machine to hashcat.)

Pure: returns frozen dataclasses, raises domain errors; never prints.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flasksess_cli.audit.candidates import (
    FLASK_UNSIGN_SOURCE,
    DefaultCandidates,
    Provenance,
    Variant,
    flask_unsign_candidates,
    published_candidates,
)
from flasksess_cli.audit.known_keys import KnownKey, known_keys, lookup
from flasksess_cli.audit.scan import NATIVE_DIGESTS, Target
from flasksess_cli.audit.wordlists import CHUNK_BYTES, ChunkReader, Shard, Wordlist
from flasksess_cli.audit.workers import (
    Engine,
    EngineName,
    SearchStopped,
    engine_name,
    load_kernel,
    stop_on_signals,
)
from flasksess_cli.defaults import DIGEST_SIZES, FLASK_SALT, FLASK_SESSION_SALT, MAX_AUDIT_WORKERS
from flasksess_cli.errors import BadInput, ExitCode

if TYPE_CHECKING:
    from flasksess_cli.codec.cookie import CookieKind, Scheme

#: progress(bytes of wordlists read, total bytes or None when unknown, candidates tried)
Progress = Callable[[int, "int | None", int], None]
#: Asked while the search runs: a reason to stop (e.g. "closed-output"), or None to go on.
StopWhen = Callable[[], "str | None"]

#: Chunk size of the pure-Python engine (it scans ~0.4M candidates/s per core: a chunk stays under a second).
PYTHON_CHUNK_BYTES = 256 * 1024
#: Below this many chunks of wordlist, starting workers costs more than it saves.
PARALLEL_MIN_CHUNKS = {"native": 2, "python": 8}


@dataclass(frozen=True)
class Found:
    """The key that signed the cookie, and where it came from."""

    key: bytes
    #: "built-in": the default candidates (published keys, the flask-unsign list); "wordlist": a --wordlist.
    origin: Literal["built-in", "wordlist"]
    #: How the line or entry was read (see :data:`~flasksess_cli.audit.candidates.Variant`).
    variant: Variant
    #: The wordlist as given (a path, "-", "flask-unsign"); "flask-unsign" for that default list; None for
    #: the published keys.
    wordlist: str | None = None
    #: Line in the wordlist, or entry number in the built-in list, counting from 1.
    line: int | None = None
    #: The published key these bytes are, if they are one.
    known: KnownKey | None = None
    #: Where the key was published (the built-in list's source, or the flask-unsign list's line).
    published: str | None = None

    @property
    def as_bytes(self) -> bool:
        """Show it as a bytes literal: published or written that way, or not printable UTF-8 text."""
        if self.variant in {"bytes-literal", "hex", "base64", "latin-1"} or (
            self.known is not None and self.known.form == "bytes" and self.known.material == self.key
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
    #: Bytes of the wordlists searched, and their total (None when one is stdin or a pipe).
    searched_bytes: int = 0
    total_bytes: int | None = None
    #: "native" (the C kernel) or "python" (its pure-Python twin), and the path it took (avx512, ...).
    engine: EngineName = "python"
    simd: str = "python"
    #: Why the search stopped early: SIGINT, SIGTERM, SIGHUP, closed-output; None when it did not.
    stopped_by: str | None = None
    shard: Shard | None = None
    #: Worker processes that died or stopped and were replaced (pure-Python engine).
    restarts: int = 0
    #: Default candidates tried (the published keys, then the flask-unsign list; every form).
    builtin_candidates: int = 0
    flask_unsign_version: str | None = None
    #: Digests that make signatures as long as this one's but were not tried (--digest picks one).
    other_digests: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.candidates / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> ExitCode:
        """1 found; 0 not found; 128 + the signal when stopped (141, SIGPIPE's, when the output was closed)."""
        if self.found is not None:
            return ExitCode.NO
        return _STOPPED_CODES.get(self.stopped_by or "", ExitCode.OK)


_STOPPED_CODES = {
    "SIGINT": ExitCode.INTERRUPTED,
    "SIGTERM": ExitCode.TERMINATED,
    "SIGHUP": ExitCode.HANGUP,
    "closed-output": ExitCode.BROKEN_PIPE,
}


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
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def effective_workers(requested: int) -> int:
    """Workers actually started: at most one per core (the search is CPU-bound)."""
    return max(1, min(requested, default_workers(), MAX_AUDIT_WORKERS))


# --- the search --------------------------------------------------------------------------------------


def audit_cookie(
    target: Target,
    *,
    kind: CookieKind,
    scheme: Scheme,
    wordlists: Sequence[Wordlist] = (),
    builtin: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
    chunk_bytes: int | None = None,
    engine: EngineName | None = None,
    stop_when: StopWhen | None = None,
    shard: Shard | None = None,
) -> CookieAudit:
    """Try the default candidates, then each wordlist, until a key makes ``target``'s signature.

    Ctrl-C, SIGTERM, SIGHUP and ``stop_when`` end the search at once; the result says how far it got.
    """
    started = time.perf_counter()
    # The C kernel runs SHA-1 and SHA-2; any other digest (md5, sha3_*, blake2*) runs on the twin, and --json says so.
    kernel = load_kernel(engine if target.digest in NATIVE_DIGESTS else "python")
    name = engine_name(kernel)
    chunk = chunk_bytes or (CHUNK_BYTES if name == "native" else PYTHON_CHUNK_BYTES)
    total = None if any(w.size is None for w in wordlists) else sum(w.size or 0 for w in wordlists)
    parallel = total is None or total >= PARALLEL_MIN_CHUNKS[name] * chunk
    search = _Search(Engine(kernel, target, effective_workers(workers) if parallel else 1), progress, stop_when)
    run_builtin = builtin and (shard is None or shard.index == 1)  # one shard tries them, not every one
    with stop_on_signals():
        try:
            found = search.builtin() if run_builtin else None
            if found is None and wordlists:
                found = search.wordlists(wordlists, total, chunk)
        except KeyboardInterrupt:
            search.stopped_by, found = "SIGINT", None
        except SearchStopped as stop:
            search.stopped_by, found = stop.reason, None
    return CookieAudit(
        found=found,
        candidates=search.tried,
        lines=search.lines,
        skipped_lines=search.skipped,
        seconds=time.perf_counter() - started,
        workers=search.engine.workers,
        interrupted=search.stopped_by is not None,
        builtin=run_builtin,
        wordlists=tuple(w.name for w in wordlists),
        kind=kind,
        digest=target.digest,
        key_derivation=target.key_derivation,
        salt=scheme.salt if target.salt == scheme.salt.encode() else target.salt.decode(),
        searched_bytes=search.searched_bytes,
        total_bytes=total if wordlists else 0,
        engine=search.engine.name,
        simd=search.engine.simd,
        stopped_by=search.stopped_by,
        shard=shard,
        restarts=search.engine.restarts,
        builtin_candidates=search.builtin_tried,
        flask_unsign_version=flask_unsign_candidates().flask_unsign_version if run_builtin else None,
        other_digests=tuple(
            name for name, size in DIGEST_SIZES.items() if size == len(target.signature) and name != target.digest
        ),
    )


class _Search:
    def __init__(self, engine: Engine, progress: Progress | None, stop_when: StopWhen | None) -> None:
        self.engine = engine
        self.progress = progress
        self.stop_when = stop_when
        self.tried = self.lines = self.skipped = self.searched_bytes = self.builtin_tried = 0
        self.stopped_by: str | None = None
        self.total: int | None = None
        self.last_report = self.last_check = 0.0

    def builtin(self) -> Found | None:
        """The published keys, then (only if none signed) the flask-unsign list."""
        for stage in (published_candidates, flask_unsign_candidates):
            defaults = stage()
            index = self.engine.match(defaults.keys)
            tried = len(defaults.keys) if index < 0 else index + 1
            self.tried += tried
            self.builtin_tried += tried
            if index >= 0:
                return self._found(defaults.keys[index], defaults.explain(defaults.keys[index]), defaults)
        return None

    @staticmethod
    def _found(key: bytes, origin: Provenance, defaults: DefaultCandidates) -> Found:
        if origin.source_list == "published":
            known = known_keys()[origin.position - 1]
            return Found(key, "built-in", origin.variant, None, origin.position, lookup(key) or known, known.source)
        where = FLASK_UNSIGN_SOURCE.format(version=defaults.flask_unsign_version)
        return Found(key, "built-in", origin.variant, "flask-unsign", origin.position, lookup(key), where)

    def wordlists(self, wordlists: Sequence[Wordlist], total: int | None, chunk_bytes: int) -> Found | None:
        self.total = total
        readers = [ChunkReader(w.handle, chunk_bytes=chunk_bytes, length=w.size if w.end else None) for w in wordlists]
        jobs = (((number, chunk), chunk.data, chunk.end) for number, reader in enumerate(readers) for chunk in reader)
        base = self.tried
        lines = [0] * len(wordlists)
        open_line = [False] * len(wordlists)
        results = self.engine.results(jobs, self._tick)
        try:
            for (number, chunk), result in results:
                lines[number] += chunk.skipped
                self.skipped += chunk.skipped
                self.searched_bytes += chunk.consumed
                self.tried += result.tried
                if result.hit is not None:
                    _, variant, key, before = result.hit
                    line = wordlists[number].lines_before_start() + lines[number] + before + 1
                    self.lines = sum(lines) + before + 1
                    return Found(key, "wordlist", variant, wordlists[number].name, line, lookup(key), _source(key))
                lines[number] += result.breaks
                open_line[number] = chunk.end > 0 and chunk.data[chunk.end - 1] not in b"\r\n"
                self.lines = sum(lines) + sum(open_line)
                self._report(base)
        finally:
            results.close()
        return None

    def _tick(self) -> None:
        now = time.monotonic()
        if self.stop_when is not None and now - self.last_check >= 0.1:
            self.last_check = now
            reason = self.stop_when()
            if reason is not None:
                raise SearchStopped(reason)

    def _report(self, base: int) -> None:
        now = time.monotonic()
        if self.progress is not None and now - self.last_report >= 0.1:
            self.last_report = now
            self.progress(self.searched_bytes, self.total, self.tried - base)
        self._tick()


def _source(key: bytes) -> str | None:
    known = lookup(key)
    return known.source if known else None
