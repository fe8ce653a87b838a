"""Secret keys: generation, the forms users paste, parsing, and key files.

A key is what Flask's ``SECRET_KEY`` holds: text (``str``, signed as its UTF-8
bytes) or ``bytes``. Users write keys in four ways, all accepted wherever a key
is read: plain UTF-8 text; a Python bytes literal (``b'\\xbc\\xf6...'``, the
form Flask's quickstart prints; parsed with ``ast.literal_eval``, never
``eval``); ``hex:<hex digits>``; ``base64:<standard or urlsafe base64>``.

Nothing here prints, exits or puts a key into an exception message.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from flasksess_cli.errors import BadInput, OutputExists, UsageError

if TYPE_CHECKING:
    from pathlib import Path

MIN_KEY_BYTES = 16
MAX_KEY_BYTES = 1024
DEFAULT_KEY_BYTES = 32

#: The ``--format`` choices of ``genkey``, the first one the default.
KEY_FORMATS = ("hex", "urlsafe", "base64", "bytes", "env", "python")

#: Largest key file read; a key is at most a few KiB in any form.
MAX_KEY_FILE_BYTES = 64 * 1024


# Immutable records here are NamedTuples, not dataclasses: this module is imported at
# every start-up (for the option choices) and a dataclass costs a millisecond to create.


class SecretKey(NamedTuple):
    """A secret key as Flask holds it: ``str`` or ``bytes``. Its repr never shows it."""

    value: str | bytes

    @property
    def material(self) -> bytes:
        """The bytes HMAC is keyed with (itsdangerous encodes ``str`` as UTF-8)."""
        return self.value.encode("utf-8") if isinstance(self.value, str) else self.value

    def __repr__(self) -> str:
        return f"SecretKey(<{len(self.material)} bytes, redacted>)"

    def display(self) -> str:
        """The key in the form a user pastes: text as is, bytes as a Python literal."""
        return repr(self.value) if isinstance(self.value, bytes) else self.value


class GeneratedKey(NamedTuple):
    key: str
    format: str
    bytes: int
    #: The random bytes the key was made of.
    raw: builtins.bytes = b""

    @property
    def entropy_bits(self) -> int:
        return 8 * self.bytes


def check_key_length(n_bytes: int) -> None:
    """Refuse key lengths that are too weak to sign sessions, or absurd."""
    if n_bytes < MIN_KEY_BYTES:
        raise UsageError(
            f"{n_bytes} bytes is too short for a secret key: anything under "
            f"{MIN_KEY_BYTES} bytes ({8 * MIN_KEY_BYTES} bits) can be brute-forced "
            f"(use the default {DEFAULT_KEY_BYTES})"
        )
    if n_bytes > MAX_KEY_BYTES:
        raise UsageError(
            f"{n_bytes} bytes is more than the {MAX_KEY_BYTES}-byte maximum; HMAC "
            f"gains nothing past the digest's block size (use the default {DEFAULT_KEY_BYTES})"
        )


def format_key(raw: bytes, fmt: str) -> str:
    """Render random bytes in one of :data:`KEY_FORMATS`."""
    import base64

    if fmt == "hex":
        return raw.hex()
    if fmt == "urlsafe":
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    if fmt == "base64":
        return base64.b64encode(raw).decode("ascii")
    if fmt == "bytes":
        return repr(raw)
    if fmt == "env":
        return f"FLASK_SECRET_KEY={raw.hex()}"
    if fmt == "python":
        return f"SECRET_KEY = '{raw.hex()}'"
    raise ValueError(f"unknown key format {fmt!r}")


def generate_keys(*, n_bytes: int = DEFAULT_KEY_BYTES, fmt: str = "hex", count: int = 1) -> list[GeneratedKey]:
    """``count`` independent keys of ``n_bytes`` from the OS's CSPRNG (``os.urandom``, as ``secrets`` uses)."""
    check_key_length(n_bytes)
    raws = [os.urandom(n_bytes) for _ in range(count)]
    return [GeneratedKey(format_key(raw, fmt), fmt, n_bytes, raw) for raw in raws]


# Patterns are compiled on first use (re caches them): start-up pays for nothing it does not run.
_BYTES_LITERAL = r"""(?s)[bB][rR]?(['"]).*\1|[rR][bB](['"]).*\2"""

#: ``text:`` before a key means "these characters, as they are": for a text key that looks like b'...', hex: or base64:.
TEXT_PREFIX = "text:"


class KeyReading:
    """How a key written on the command line or in a file was read.

    (Plain classes here, not NamedTuples: this module loads at every start-up, and a
    NamedTuple costs a few hundred microseconds to define.)
    """

    __slots__ = ("ambiguous", "form", "key")

    def __init__(self, key: SecretKey, form: str, ambiguous: bool = False) -> None:
        self.key = key
        #: "text", "bytes literal", "hex", "base64", or "raw bytes" (argv bytes that are not UTF-8).
        self.form = form
        #: The same characters could have meant the text itself (write ``text:...`` for that).
        self.ambiguous = ambiguous

    def note(self, where: str) -> str | None:
        """What to tell the user on stderr about this reading, if anything."""
        if self.form == "raw bytes":
            return f"{where} is not UTF-8 text: using the {len(self.key.material)} bytes as given"
        if not self.ambiguous:
            return None
        return (
            f"{where} read as {self.form} ({len(self.key.material)} bytes); "
            f"if the key is that text itself, write it as {TEXT_PREFIX}..."
        )


def parse_key(spec: str) -> SecretKey:
    """Parse a key as written on the command line or in a file (see :func:`read_key`)."""
    return read_key(spec).key


def read_key(spec: str) -> KeyReading:
    """Read a key as written on the command line or in a file: ``text:...``, b'...', ``hex:...``, ``base64:...`` or text."""
    if spec.startswith(TEXT_PREFIX):
        key, form = _text_key(spec[len(TEXT_PREFIX) :])
        return KeyReading(key, form)
    if re.fullmatch(_BYTES_LITERAL, spec):
        return KeyReading(SecretKey(_literal_bytes(spec)), "bytes literal", ambiguous=True)
    prefix, sep, rest = spec.partition(":")
    if sep and prefix == "hex":
        try:
            return KeyReading(SecretKey(bytes.fromhex(rest)), "hex", ambiguous=True)
        except ValueError:
            raise BadInput(
                f"the hex: key is not valid hex (write it as hex:<pairs of hex digits>, or {TEXT_PREFIX}hex:... "
                "for a text key)"
            ) from None
    if sep and prefix == "base64":
        return KeyReading(SecretKey(decode_base64_key(rest)), "base64", ambiguous=True)
    key, form = _text_key(spec)
    return KeyReading(key, form)


def _text_key(text: str) -> tuple[SecretKey, str]:
    """A text key: its UTF-8 bytes; text that is not (argv bytes decoded with surrogateescape) is its raw bytes."""
    if not text:
        raise BadInput(
            "the secret key is empty (Flask takes an empty key for no key at all, and then has no sessions; "
            "generate one with 'flasksess genkey')"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return SecretKey(os.fsencode(text)), "raw bytes"
        except UnicodeEncodeError:
            raise BadInput("the secret key is not valid text (it holds a lone surrogate)") from None
    return SecretKey(text), "text"


# --- FLASK_SECRET_KEY, as Flask reads it ------------------------------------------------------------


class EnvKey:
    """FLASK_SECRET_KEY as ``app.config.from_prefixed_env()`` leaves it, made into keys."""

    __slots__ = ("key", "note", "older")

    def __init__(self, key: SecretKey, older: tuple[SecretKey, ...] = (), note: str | None = None) -> None:
        self.key = key
        #: Older keys of a list-valued SECRET_KEY (itsdangerous >= 2.0 rotates through a list), oldest first.
        self.older = older
        #: What to tell the user on stderr, if anything.
        self.note = note


def from_prefixed_env(raw: str) -> Any:
    """What Flask's ``app.config.from_prefixed_env()`` stores for a variable: ``json.loads(raw)``, else the raw text."""
    import json

    try:
        return json.loads(raw)
    except Exception:  # exactly Flask's: any failure keeps the text (flask/config.py from_prefixed_env)
        return raw


def flask_env_key(raw: str, *, key_lists: bool, release: str) -> EnvKey:
    """The keys a Flask app gets from ``FLASK_SECRET_KEY=raw`` via ``from_prefixed_env()``.

    ``key_lists``: the release passes a list SECRET_KEY to itsdangerous, which
    rotates through it (Flask before 3.1 with itsdangerous >= 2.0); ``release``
    names it in messages. Nothing here shows the key.
    """
    value = from_prefixed_env(raw)
    if isinstance(value, str):
        note = None
        if value != raw:
            note = "FLASK_SECRET_KEY holds a JSON string: Flask's from_prefixed_env() uses the text inside the quotes"
        elif read_key(raw).ambiguous:
            note = (
                "FLASK_SECRET_KEY looks like b'...', hex: or base64: syntax, but Flask's from_prefixed_env() "
                "reads it as text, and so does flasksess (for bytes, use -k or --key-file)"
            )
        if not value:
            raise BadInput("FLASK_SECRET_KEY holds an empty string as JSON: Flask treats that as no key (no sessions)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput(
                "FLASK_SECRET_KEY is not UTF-8 text (or holds a lone surrogate escape): Flask fails to sign or "
                "verify with it (UnicodeEncodeError, HTTP 500)"
            ) from None
        return EnvKey(SecretKey(value), note=note)
    kind = _json_kind(value)
    if not value:
        raise BadInput(
            f"FLASK_SECRET_KEY is JSON {kind} to Flask's from_prefixed_env(), a false value: the app has no "
            "secret key and no sessions (to mean the text, quote it: FLASK_SECRET_KEY='\"...\"')"
        )
    if isinstance(value, (list, dict)) and key_lists and all(isinstance(item, str) and item for item in value):
        keys = [SecretKey(item) for item in value]  # a dict iterates its keys, as itsdangerous does
        return EnvKey(
            keys[-1], tuple(keys[:-1]),
            f"FLASK_SECRET_KEY is JSON {kind}: {release} signs with its last entry and accepts the others",
        )  # fmt: skip
    raise BadInput(
        f"FLASK_SECRET_KEY is JSON {kind} to Flask's from_prefixed_env(), not a string: {release} fails every "
        "request that reads or writes the session (TypeError, HTTP 500) (to mean the text, quote it: "
        "FLASK_SECRET_KEY='\"...\"')"
    )


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a number"


def python_literal(text: str) -> Any:
    """``ast.literal_eval`` (never ``eval``), quiet, and failing only with ``ValueError``.

    Quiet because Python merely warns about an invalid escape such as ``"\\d"`` and still
    reads it; the warning would be a second line on stderr.
    """
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError("not a Python literal") from exc


def _literal_bytes(spec: str) -> bytes:
    try:
        value = python_literal(spec)
    except ValueError:
        value = None
    if not isinstance(value, bytes):
        raise BadInput("the key looks like a Python bytes literal but is not a valid one (write it as b'...')")
    return value


def decode_base64_key(text: str) -> bytes:
    """The bytes of a ``base64:`` key: standard or urlsafe alphabet, padding optional, whitespace ignored."""
    import base64
    import binascii

    compact = "".join(text.split())
    alphabet = compact.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(alphabet + "=" * (-len(alphabet) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(
            "the base64: key is not valid base64 (write it as base64:<standard or urlsafe base64>)"
        ) from None


_ENV_LINE = r"(?:export\s+)?FLASK_SECRET_KEY\s*=\s*(.*)"
_PYTHON_LINE = r"SECRET_KEY\s*=\s*(.*)"

#: How long a key file that is a pipe or FIFO may take to deliver its key (``--key-file <(pass show ...)``).
KEY_PIPE_TIMEOUT = 10.0


class KeyFileWarning(UserWarning):
    """A key file was used, but something about it is unsafe (the CLI shows it as a ``Warning:`` line)."""


def read_key_file(path: str | os.PathLike[str]) -> SecretKey:
    """Read a key file: the key alone, or a line that ``genkey --format env|python`` writes.

    A text file's one trailing newline (``\\n`` or ``\\r\\n``) is not part of the key, as
    ``$(cat FILE)`` and python-dotenv read it; ``genkey --out`` writes none, so that
    ``open(FILE).read()`` gives the same key. A file that is not UTF-8 text holds a raw
    binary key, used byte for byte. A regular file that others can read is used, with a
    :class:`KeyFileWarning` (as ssh warns); a pipe or FIFO is read for at most
    :data:`KEY_PIPE_TIMEOUT` seconds.
    """
    data = _read_key_bytes(str(path))
    if len(data) > MAX_KEY_FILE_BYTES:
        raise BadInput(f"key file {str(path)!r} is larger than {MAX_KEY_FILE_BYTES} bytes (is it the right file?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return SecretKey(data)
    text = text.removesuffix("\n").removesuffix("\r")
    if not text.strip():
        raise BadInput(f"key file {str(path)!r} is empty")
    for line_pattern in (_ENV_LINE, _PYTHON_LINE):
        line = re.fullmatch(line_pattern, text.strip())
        if line:
            return _assigned_key(line.group(1))
    return parse_key(text)


def _read_key_bytes(path: str) -> bytes:
    """At most MAX_KEY_FILE_BYTES + 1 bytes of ``path``; never blocks on a FIFO that has no writer."""
    import stat

    def unreadable(reason: str | None) -> BadInput:
        return BadInput(f"cannot read key file {path!r}: {reason or 'unreadable'}")

    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise unreadable(exc.strerror) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise unreadable("it is a directory")
        if stat.S_ISREG(mode):
            if os.name == "posix" and mode & 0o044:
                import warnings

                warnings.warn(
                    KeyFileWarning(
                        f"key file {path!r} is readable by {'others' if mode & 0o004 else 'its group'} "
                        f"(mode {stat.S_IMODE(mode):04o}); anyone who can read it can forge sessions "
                        f"(chmod 600 {path})"
                    ),
                    stacklevel=3,
                )
            os.set_blocking(fd, True)
            return _read_up_to(fd, MAX_KEY_FILE_BYTES + 1, deadline=None)
        import time

        return _read_up_to(fd, MAX_KEY_FILE_BYTES + 1, deadline=time.monotonic() + KEY_PIPE_TIMEOUT, path=path)
    except OSError as exc:
        raise unreadable(exc.strerror) from None
    finally:
        os.close(fd)


def _read_up_to(fd: int, limit: int, *, deadline: float | None, path: str = "") -> bytes:
    """Read until end of file or ``limit`` bytes; with a deadline, wait for a pipe's data at most until then."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        if deadline is not None:
            import select
            import time

            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise BadInput(
                    f"key file {path!r} is a pipe that gave no key within {KEY_PIPE_TIMEOUT:.0f} seconds "
                    "(is anything writing to it?)"
                )
            try:
                chunk = os.read(fd, limit - size)
            except BlockingIOError:
                continue
        else:
            chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _assigned_key(rhs: str) -> SecretKey:
    """The value of ``NAME=value`` or ``NAME = '...'``: a quoted literal, or the bare text."""
    rhs = rhs.strip()
    if rhs[:1] in {"'", '"'} or re.fullmatch(_BYTES_LITERAL, rhs):
        try:
            value = python_literal(rhs)
        except ValueError:
            value = None
        if isinstance(value, (str, bytes)) and value:
            return SecretKey(value)
        raise BadInput("the key file's assignment does not hold a valid string or bytes literal")
    return parse_key(rhs)


def key_file_content(key: GeneratedKey) -> bytes:
    """What ``genkey --out`` writes: read back by ``open(FILE).read()``, ``Path.read_text``, ``--key-file`` alike.

    The key alone, with no trailing newline (``read()`` would keep it, and the app
    would sign with a key one character longer than the one printed); a ``bytes`` key
    as its raw bytes (``Path.read_bytes()``); the ``env`` and ``python`` lines with
    their newline, as lines of a ``.env`` or ``config.py`` (python-dotenv and
    ``from_pyfile`` drop it).
    """
    if key.format == "bytes":
        return key.raw
    if key.format in {"env", "python"}:
        return (key.key + "\n").encode("ascii")
    return key.key.encode("ascii")


class WrittenFile(NamedTuple):
    path: str
    #: Folders created for it (owner-only, 0700), outermost first.
    created_folders: tuple[str, ...]


def write_private_file(target: str | os.PathLike[str], data: bytes, *, force: bool = False) -> WrittenFile:
    """Write ``data`` to ``target``, readable by its owner only (0600), all or nothing.

    Missing folders are created, owner-only (0700). The data goes to a private
    temporary file in the same folder first (``tempfile.mkstemp``: 0600 from the
    start, on every platform), then is linked into place (refusing an existing file
    unless ``force``), so no reader ever sees a partial file. An error, Ctrl-C,
    SIGTERM or SIGHUP during the write leaves no temporary file behind.
    """
    from pathlib import Path

    path = Path(target)
    try:
        if path.is_dir():
            raise BadInput(f"{str(path)!r} is a directory (give the name of the key file to write)")
        if not force and (path.exists() or path.is_symlink()):
            raise OutputExists(f"{str(path)!r} already exists (use --force to overwrite it)")
    except OSError as exc:  # a name too long, a loop of symbolic links, ...
        raise BadInput(f"cannot write {str(path)[:120]!r}: {exc.strerror or 'unusable name'}") from None
    with _cleanup_before_signals():
        created = _make_private_folders(path.parent)
        try:
            tmp = _private_tempfile(path.parent)
        except OSError as exc:
            raise BadInput(f"cannot write to {str(path.parent)!r}: {exc.strerror or 'not writable'}") from None
        fd, tmp_name = tmp
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if force:
                os.replace(tmp_name, path)
            else:
                os.link(tmp_name, path)
        except FileExistsError:
            raise OutputExists(f"{str(path)!r} already exists (use --force to overwrite it)") from None
        except OSError as exc:
            raise BadInput(f"cannot write {str(path)!r}: {exc.strerror or 'write failed'}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
    return WrittenFile(str(path), created)


def _make_private_folders(directory: Path) -> tuple[str, ...]:
    """Create ``directory`` and its missing parents, each 0700; the ones created, outermost first."""
    missing = []
    for folder in (directory, *directory.parents):
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    created = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: use it as it is
        except OSError as exc:
            raise BadInput(f"cannot create the folder {str(folder)!r}: {exc.strerror or 'failed'}") from None
        created.append(str(folder))
    return tuple(created)


def _private_tempfile(directory: Path) -> tuple[int, str]:
    """A new file only its owner can read (``tempfile.mkstemp``: O_EXCL, mode 0600, no symlink followed)."""
    import tempfile

    return tempfile.mkstemp(prefix=".flasksess-", suffix=".tmp", dir=directory)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived during a write (a BaseException: no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def _cleanup_before_signals() -> Iterator[None]:
    """Inside the block, SIGTERM and SIGHUP unwind the stack (its ``finally`` clauses run) before they kill.

    Only signals that would kill the process now (default handler, main thread) are
    caught; once the block has cleaned up, the signal is delivered again as it came,
    so the process still ends by it.
    """
    import signal
    import threading

    caught: list[int] = []

    def handler(signum: int, frame: object) -> None:
        caught.append(signum)
        raise _Terminated(signum)

    replaced: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
                replaced[signum] = signal.signal(signum, handler)
    try:
        yield
    except _Terminated:
        pass
    finally:
        for signum, previous in replaced.items():
            signal.signal(signum, previous)
        if caught:
            signal.raise_signal(caught[0])
    if caught:  # only if the default action did not end the process
        raise BadInput("interrupted by a signal while writing the key file; nothing was written")
