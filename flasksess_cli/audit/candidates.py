"""What a line or a published key can mean, and the candidates ``audit cookie`` tries by default.

A wordlist line is tried as its own bytes by the kernel; a line that is a quoted Python
string or bytes literal, ``hex:...`` or ``base64:...`` is also tried as the value it spells
(:func:`special_readings`, found with byte searches, off the kernel's path).

The default candidates (:func:`default_candidates`) are the published keys of
:mod:`.known_keys` (documentation, tutorials, products' defaults, placeholders) and the
shared list of the flask-unsign-wordlist package (keys collected from public code), each
entry in every form it can mean (:func:`entry_forms`): its text as Flask encodes it
(UTF-8) and as Latin-1 (Flask-Login's remember cookie), a hex key's bytes, the key's hex,
and for a bytes key its Python literal written as text (``SECRET_KEY = str(os.urandom(16))``).

Imported by worker processes: the standard library and this package's domain only.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

#: How a candidate was read from a line or an entry.
#: line: the line's bytes; literal / bytes-literal: the value of a quoted str / bytes literal;
#: hex / base64: the bytes a hex:... / base64:... line (or a hex entry) spells; entry: a list entry as
#: published; latin-1: its text encoded Latin-1; latin-1-text: bytes read as Latin-1 text, encoded UTF-8;
#: hex-text: the key's hex digits as the key; bytes-repr: a bytes key's literal b'...' as the key.
Variant = Literal[
    "line", "literal", "bytes-literal", "hex", "base64", "entry", "latin-1", "latin-1-text", "hex-text", "bytes-repr"
]


class Reading(NamedTuple):
    """A candidate read from a chunk: where its line starts, how it was read, and the key bytes."""

    offset: int
    variant: Variant
    key: bytes


# --- wordlist lines that spell another value --------------------------------------------------------------

_QUOTED = re.compile(rb"""[bBrRuU]{0,2}(['"]).*\1""", re.DOTALL)


def special_readings(buffer: bytes, end: int) -> list[Reading]:
    """The values the lines of ``buffer[:end]`` spell besides their bytes, in line order.

    Found by single-byte and short searches (C speed): a candidate line ends with a quote,
    or starts with ``hex:`` or ``base64:``. Most chunks of most lists have none.
    """
    found: dict[int, bytes] = {}
    for quote in (b"'", b'"'):
        at = buffer.find(quote, 0, end)
        while at >= 0:
            after = at + 1
            if after == end or buffer[after] in b"\r\n":  # a quote that ends a line
                start = _line_start(buffer, at)
                if _QUOTED.fullmatch(buffer, start, after):
                    found[start] = buffer[start:after]
            at = buffer.find(quote, after, end)
    if buffer.find(b":", 0, end) >= 0:
        for prefix in (b"hex:", b"base64:"):
            at = buffer.find(prefix, 0, end)
            while at >= 0:
                if at == 0 or buffer[at - 1] in b"\r\n":
                    found[at] = buffer[at : line_end(buffer, at, end)]
                at = buffer.find(prefix, at + 1, end)
    if not found:
        return []
    with quiet_literals():
        return [Reading(start, variant, key) for start in sorted(found) for variant, key in line_readings(found[start])]


def _line_start(buffer: bytes, at: int) -> int:
    newline = buffer.rfind(b"\n", 0, at)  # then a \r only after it: each search stays inside the line
    return max(newline, buffer.rfind(b"\r", newline + 1, at)) + 1


def line_end(buffer: bytes, at: int, end: int) -> int:
    """Where the line that starts at ``at`` ends: its \n or \r, or ``end``."""
    newline = buffer.find(b"\n", at, end)
    stop = end if newline < 0 else newline
    cr = buffer.find(b"\r", at, stop)  # only up to the \n: each search stays inside the line
    return stop if cr < 0 else cr


@contextlib.contextmanager
def quiet_literals() -> Iterator[None]:
    """No SyntaxWarning ("invalid escape sequence") while lines are read as literals: it would reach stderr."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def line_readings(line: bytes) -> list[tuple[Variant, bytes]]:
    """The values a line spells besides its own bytes (none for most lines)."""
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
    value = literal_value(line)
    if value is None:
        return []
    if isinstance(value, bytes):
        return [] if value == line else [("bytes-literal", value)]
    try:
        return [("literal", value.encode("utf-8"))]
    except UnicodeEncodeError:  # lone surrogates: no str key Flask could sign with
        return []


def literal_value(line: bytes) -> str | bytes | None:
    """The str or bytes a line holding one Python literal spells, or None (read safely, never eval'd).

    Call it inside :func:`quiet_literals`.
    """
    quote = line[:1]
    if quote in (b"'", b'"') and len(line) >= 2 and line[-1:] == quote:
        inner = line[1:-1]
        # The common case (flask-unsign's list is all quoted): nothing to unescape, so the value is
        # the inner text, exactly what ast.literal_eval would give, without its cost.
        if quote not in inner and b"\\" not in inner and b"\x00" not in inner and b"\r" not in inner:
            try:
                return inner.decode("utf-8")
            except UnicodeDecodeError:
                return None
    import ast

    try:  # ast.literal_eval, never eval; Python merely warns about an invalid escape ("\\d"): callers silence it
        value = ast.literal_eval(line.decode("utf-8"))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return value if isinstance(value, (str, bytes)) else None


# --- published entries, in every form they can mean ---------------------------------------------------------

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def entry_forms(value: str | bytes) -> list[tuple[Variant, bytes]]:
    """The key bytes an app could hold, given a published key: the entry itself first, then the other forms."""
    forms: list[tuple[Variant, bytes]] = []
    if isinstance(value, str):
        try:
            material = value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: no key
            return []
        forms.append(("entry", material))
        if not value.isascii() and max(value) <= "\xff":
            forms.append(("latin-1", value.encode("latin-1")))
        if _HEX.fullmatch(value):
            forms.append(("hex", bytes.fromhex(value)))
        spelled = literal_value(material) if value[-1:] in ("'", '"') else None
        if isinstance(spelled, bytes):
            forms.append(("bytes-literal", spelled))
        elif isinstance(spelled, str) and spelled.isprintable():
            forms.append(("literal", spelled.encode("utf-8", "surrogatepass")))
    else:
        material = value
        forms.append(("entry", material))
        forms.append(("bytes-repr", repr(material).encode("ascii")))
        if not material.isascii():
            forms.append(("latin-1-text", material.decode("latin-1").encode("utf-8")))
    forms.append(("hex-text", material.hex().encode("ascii")))
    return forms


class Provenance(NamedTuple):
    """Where a default candidate comes from."""

    #: "published" (the built-in list, known_keys.json) or "flask-unsign" (the shared list).
    source_list: Literal["published", "flask-unsign"]
    #: Entry number in the built-in list, or line in the flask-unsign list (from 1).
    position: int
    variant: Variant


class _Group(NamedTuple):
    """Candidates read one way from one list, in list order, with where each comes from."""

    source_list: Literal["published", "flask-unsign"]
    keys: list[bytes]
    #: (entry or line number, variant) of each key
    origins: list[tuple[int, Variant]]


class DefaultCandidates(NamedTuple):
    """The default candidates in the order tried; ``explain`` says where one comes from."""

    keys: list[bytes]
    groups: tuple[_Group, ...]
    #: The flask-unsign-wordlist release read, or None when it is not installed.
    flask_unsign_version: str | None

    def explain(self, key: bytes) -> Provenance:
        """Where ``key`` (one of ``keys``) was first read: the most consequential source."""
        for group in self.groups:
            try:
                position, variant = group.origins[group.keys.index(key)]
            except ValueError:
                continue
            return Provenance(group.source_list, position, variant)
        raise ValueError("not a default candidate")


#: Where the flask-unsign-wordlist package's entries were collected (its README).
FLASK_UNSIGN_SOURCE = (
    "flask-unsign-wordlist {version} (secret keys found in public code on GitHub, GitLab, Stack Overflow, "
    "other Stack Exchange sites and searchcode)"
)


@functools.lru_cache(maxsize=1)
def published_candidates() -> DefaultCandidates:
    """The published keys (known_keys.json): every entry first, then their other forms."""
    from flasksess_cli.audit.known_keys import known_keys

    published, other_forms = _Group("published", [], []), _Group("published", [], [])
    with quiet_literals():
        for known in known_keys():
            value: str | bytes = known.material if known.form == "bytes" else known.material.decode("utf-8")
            for variant, material in entry_forms(value):
                group = published if variant == "entry" else other_forms  # every entry before any other form
                group.keys.append(material)
                group.origins.append((known.entry, variant))
    return _combined(None, [published, other_forms])


@functools.lru_cache(maxsize=1)
def flask_unsign_candidates() -> DefaultCandidates:
    """The flask-unsign-wordlist package's list: its entries, then their other forms (none if not installed)."""
    version, groups = _flask_unsign_groups()
    return _combined(version, groups)


def default_candidates() -> DefaultCandidates:
    """Every default candidate, in the order tried: the published keys, then the flask-unsign list."""
    published, shared = published_candidates(), flask_unsign_candidates()
    return DefaultCandidates(
        published.keys + shared.keys, published.groups + shared.groups, shared.flask_unsign_version
    )


def _combined(version: str | None, groups: list[_Group]) -> DefaultCandidates:
    keys: list[bytes] = []
    for group in groups:  # not deduplicated: hashing a repeat costs less than finding it, and the first one wins
        keys.extend(group.keys)
    return DefaultCandidates(keys, tuple(groups), version)


# A line of the flask-unsign list that is a quoted ASCII string with nothing to unescape: its value is its inside.
_PLAIN_QUOTED = re.compile(rb"'([^'\"\\\x00\r\n\x80-\xff]*)'|\"([^'\"\\\x00\r\n\x80-\xff]*)\"")


def _flask_unsign_groups() -> tuple[str | None, list[_Group]]:
    """The flask-unsign list's entries in every form, one group per form (entries first).

    Its lines are Python literals, nearly all a plain quoted ASCII string: those take a fast
    path here (what :func:`entry_forms` gives them, computed in bulk); the rest go through it.
    """
    from binascii import hexlify

    from flasksess_cli.audit.wordlists import flask_unsign_list_path
    from flasksess_cli.errors import BadInput

    try:
        path = flask_unsign_list_path()
    except BadInput:
        return None, []
    import flask_unsign_wordlist

    release = str(getattr(flask_unsign_wordlist, "__version__", "?"))
    with open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    plain = [(number, match) for number, match in enumerate(map(_PLAIN_QUOTED.fullmatch, lines), 1) if match]
    numbers = [number for number, _ in plain]
    entries = [match[1] if match[2] is None else match[2] for _, match in plain]
    groups: dict[Variant, _Group] = {variant: _Group("flask-unsign", [], []) for variant in ("entry", "hex")}
    groups["entry"].keys.extend(entries)
    groups["entry"].origins.extend((number, "entry") for number in numbers)
    for number, entry in zip(numbers, entries, strict=True):
        if _HEX_BYTES.fullmatch(entry):
            groups["hex"].keys.append(bytes.fromhex(entry.decode("ascii")))
            groups["hex"].origins.append((number, "hex"))
    done = set(numbers)
    with quiet_literals():
        for number, line in enumerate(lines, 1):
            if number in done or not line.strip(b"\r"):
                continue
            value = literal_value(line.rstrip(b"\r"))
            for variant, material in entry_forms(value) if value is not None else ():
                group = groups.setdefault(variant, _Group("flask-unsign", [], []))
                group.keys.append(material)
                group.origins.append((number, variant))
    texts = groups.setdefault("hex-text", _Group("flask-unsign", [], []))
    texts.keys.extend(map(hexlify, entries))
    texts.origins.extend((number, "hex-text") for number in numbers)
    return release, list(groups.values())


_HEX_BYTES = re.compile(rb"(?:[0-9a-fA-F]{2})+")
