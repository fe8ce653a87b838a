"""Secret keys: generation, the forms users paste, parsing, and key files.

A key is what Flask's ``SECRET_KEY`` holds: text (``str``, signed as its UTF-8
bytes) or ``bytes``. Users write keys in four ways, all accepted wherever a key
is read: plain UTF-8 text; a Python bytes literal (``b'\\xbc\\xf6...'``, the
form Flask's quickstart prints; parsed with ``ast.literal_eval``, never
``eval``); ``hex:<hex digits>``; ``base64:<standard or urlsafe base64>``.

Nothing here prints, exits or puts a key into an exception message.
"""

from __future__ import annotations

import os
import re
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
    return [GeneratedKey(format_key(os.urandom(n_bytes), fmt), fmt, n_bytes) for _ in range(count)]


# Patterns are compiled on first use (re caches them): start-up pays for nothing it does not run.
_BYTES_LITERAL = r"""(?s)[bB][rR]?(['"]).*\1|[rR][bB](['"]).*\2"""


def parse_key(spec: str) -> SecretKey:
    """Parse a key as written on the command line, in the environment or in a file."""
    if re.fullmatch(_BYTES_LITERAL, spec):
        return SecretKey(_literal_bytes(spec))
    prefix, sep, rest = spec.partition(":")
    if sep and prefix == "hex":
        try:
            return SecretKey(bytes.fromhex(rest))
        except ValueError:
            raise BadInput("the hex: key is not valid hex (write it as hex:<pairs of hex digits>)") from None
    if sep and prefix == "base64":
        return SecretKey(decode_base64_key(rest))
    if not spec:
        raise BadInput("the secret key is empty (give a key, or generate one with 'flasksess genkey')")
    return SecretKey(spec)


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


def read_key_file(path: str | os.PathLike[str]) -> SecretKey:
    """Read a key file: the key alone, or a line that ``genkey --format env|python`` writes.

    One trailing newline is not part of the key. A file that is not UTF-8 text
    holds a raw binary key, used byte for byte.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInput(f"cannot read key file {str(path)!r}: {exc.strerror or 'unreadable'}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise BadInput(f"key file {str(path)!r} is larger than {MAX_KEY_FILE_BYTES} bytes (is it the right file?)")
    data = data.removesuffix(b"\n").removesuffix(b"\r")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return SecretKey(data)
    if not text.strip():
        raise BadInput(f"key file {str(path)!r} is empty")
    for line_pattern in (_ENV_LINE, _PYTHON_LINE):
        line = re.fullmatch(line_pattern, text.strip())
        if line:
            return _assigned_key(line.group(1))
    return parse_key(text)


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


def write_private_file(target: str | os.PathLike[str], data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, all or nothing.

    The data goes to a private temporary file in the same directory first, then
    is linked into place (refusing an existing file unless ``force``) so that no
    reader ever sees a partial file and an interrupted write leaves nothing behind.
    """
    from pathlib import Path

    path = Path(target)
    directory = path.parent
    try:
        if path.is_dir():
            raise BadInput(f"{str(path)!r} is a directory (give the name of the key file to write)")
        if not force and (path.exists() or path.is_symlink()):
            raise OutputExists(f"{str(path)!r} already exists (use --force to overwrite it)")
    except OSError as exc:  # a name too long, a loop of symbolic links, ...
        raise BadInput(f"cannot write {str(path)[:120]!r}: {exc.strerror or 'unusable name'}") from None
    try:
        fd, tmp = _private_tempfile(directory)
    except OSError as exc:
        raise BadInput(f"cannot write to {str(directory)!r}: {exc.strerror or 'not writable'}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    except FileExistsError:
        raise OutputExists(f"{str(path)!r} already exists (use --force to overwrite it)") from None
    except OSError as exc:
        raise BadInput(f"cannot write {str(path)!r}: {exc.strerror or 'write failed'}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _private_tempfile(directory: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        candidate = directory / f".flasksess-{os.urandom(8).hex()}.tmp"
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)
        return fd, candidate
    raise FileExistsError("no free temporary name")
