"""``audit key``: how guessable is a secret key?

An estimate, not a proof: a key's entropy is a property of how it was made, which
the key alone does not show. The estimate is the smaller of two readings:

* the alphabet reading: the key's length times the bits per character of the
  alphabet it appears to be drawn from (hex 4, base64 6, decimal 3.3, otherwise the
  classes of characters present; raw bytes 8);
* the pattern reading: the key cut into runs of letters, digits and symbols, where
  a word costs what picking it from a list of common words costs, a keyboard walk
  or a sequence a few bits, a date or a year what picking a day or a year costs,
  and a key made of one unit repeated costs the unit.

Under 128 bits is weak, and so is any published key (``known_keys``), whatever
its length. Pure: returns a frozen dataclass, never prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from flasksess_cli.audit.known_keys import KnownKey, lookup

#: Below this the key is weak: what 16 random bytes give; genkey's 32 bytes give 256.
STRONG_BITS = 128

#: Words people put in secret keys: a word found here costs log2(len) bits, not a letter's worth each.
COMMON_WORDS = frozenset(
    [
        "a",
        "about",
        "admin",
        "any",
        "api",
        "app",
        "application",
        "auth",
        "bad",
        "bar",
        "baz",
        "be",
        "change",
        "cookie",
        "config",
        "crypto",
        "csrf",
        "default",
        "demo",
        "dev",
        "development",
        "django",
        "do",
        "dont",
        "encrypt",
        "encryption",
        "example",
        "flask",
        "foo",
        "for",
        "good",
        "guess",
        "hard",
        "hash",
        "hello",
        "here",
        "hidden",
        "insecure",
        "is",
        "it",
        "jwt",
        "keep",
        "key",
        "key",
        "login",
        "lorem",
        "love",
        "master",
        "me",
        "my",
        "never",
        "not",
        "password",
        "pass",
        "private",
        "prod",
        "production",
        "put",
        "random",
        "really",
        "replace",
        "safe",
        "salt",
        "sample",
        "secret",
        "secure",
        "security",
        "server",
        "session",
        "set",
        "sign",
        "signing",
        "site",
        "some",
        "string",
        "strong",
        "super",
        "temp",
        "temporary",
        "test",
        "testing",
        "the",
        "this",
        "to",
        "token",
        "top",
        "unique",
        "use",
        "user",
        "very",
        "weak",
        "web",
        "welcome",
        "will",
        "world",
        "you",
        "your",
        "letmein",
        "qwerty",
        "monkey",
        "dragon",
        "shadow",
        "sunshine",
        "iloveyou",
        "changeme",
        "changethis",
        "secretkey",
        "mysecret",
    ]
)
_WORD_BITS = math.log2(len(COMMON_WORDS))
#: A pronounceable run that is not a common word: as if drawn from a 20,000-word dictionary.
_UNCOMMON_WORD_BITS = math.log2(20000)

_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qazwsxedcrfvtgbyhnujmikolp")
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789")
_SHORTEST_WALK = 4


@dataclass(frozen=True)
class KeyAudit:
    #: Which key: "SECRET_KEY", "SECRET_KEY_FALLBACKS[0]", ... or "key".
    role: str
    length: int
    #: Characters, when the key is UTF-8 text; None for raw bytes.
    characters: int | None
    alphabet: str
    entropy_bits: float
    known: KnownKey | None
    patterns: tuple[str, ...]
    reasons: tuple[str, ...]
    masked: str

    @property
    def weak(self) -> bool:
        return bool(self.reasons)

    @property
    def verdict(self) -> Literal["weak", "strong"]:
        return "weak" if self.weak else "strong"


def audit_key(material: bytes, *, role: str = "key") -> KeyAudit:
    """Estimate a key's strength from its bytes (a ``str`` key is its UTF-8)."""
    text = _as_text(material)
    if text is None:
        alphabet, bits = "raw bytes", 8.0 * len(material)
        patterns: list[str] = []
        unit = _repeated_unit(material)
        if unit is not None:
            patterns.append(f"one {len(unit)}-byte unit repeated {len(material) // len(unit)} times")
            bits = min(bits, 8.0 * len(unit) + math.log2(len(material) // len(unit)))
    else:
        alphabet, alphabet_bits = _alphabet(text)
        pattern_bits, patterns = _pattern_bits(text, alphabet_bits / len(text), alphabet)
        bits = min(alphabet_bits, pattern_bits, 8.0 * len(material))
    known = lookup(material)
    reasons = []
    if known is not None:
        reasons.append("it is a published key: anyone can sign sessions with it, whatever its length")
    if bits < STRONG_BITS:
        why = f"; {', '.join(patterns)}" if patterns else ""
        reasons.append(
            f"about {bits:.0f} bits of entropy, under {STRONG_BITS} ({len(material)} bytes, {alphabet}{why})"
        )
    return KeyAudit(
        role=role,
        length=len(material),
        characters=None if text is None else len(text),
        alphabet=alphabet,
        entropy_bits=round(bits, 1),
        known=known,
        patterns=tuple(patterns),
        reasons=tuple(reasons),
        masked=mask(material),
    )


def _as_text(material: bytes) -> str | None:
    try:
        text = material.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text and text.isprintable() else None


def mask(material: bytes) -> str:
    """Enough to recognise one's own key, not enough to use it: at most 4 characters of a long key."""
    shown = _as_text(material)
    if shown is None:
        shown = repr(material)
    if len(shown) < 16:
        return "•" * min(len(shown), 8) + ("…" if len(shown) > 8 else "")
    return f"{shown[:2]}…{shown[-2:]}"


# --- the alphabet reading ------------------------------------------------------------------------------


def _alphabet(text: str) -> tuple[str, float]:
    n = len(text)
    if re.fullmatch(r"[0-9]+", text):
        return "decimal digits", n * math.log2(10)
    if re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", text) and n >= 8:
        return "hex", 4.0 * n
    classes = _classes(text)
    if n >= 16 and {"lower", "upper"} <= classes:
        if re.fullmatch(r"[A-Za-z0-9_-]+", text):
            return "base64url", 6.0 * n
        if re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", text):
            return "base64", 6.0 * len(text.rstrip("="))
    pool = sum({"lower": 26, "upper": 26, "digit": 10, "symbol": 33, "other": 100}[c] for c in classes)
    names = {"lower": "lowercase", "upper": "uppercase", "digit": "digits", "symbol": "symbols", "other": "non-ASCII"}
    return "text: " + ", ".join(
        names[c] for c in ("lower", "upper", "digit", "symbol", "other") if c in classes
    ), n * math.log2(pool)


def _classes(text: str) -> set[str]:
    classes = set()
    for char in text:
        if "a" <= char <= "z":
            classes.add("lower")
        elif "A" <= char <= "Z":
            classes.add("upper")
        elif "0" <= char <= "9":
            classes.add("digit")
        elif char.isascii():
            classes.add("symbol")
        else:
            classes.add("other")
    return classes


# --- the pattern reading -------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|[0-9]+|[^A-Za-z0-9]+")
_DATE = re.compile(
    r"(?:19|20)\d\d[-/.]?(?:0[1-9]|1[0-2])[-/.]?(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[1-9]|[12]\d|3[01])[-/.]?(?:0[1-9]|1[0-2])[-/.]?(?:19|20)\d\d"
    r"|(?:0[1-9]|1[0-2])[-/.]?(?:0[1-9]|[12]\d|3[01])[-/.]?(?:19|20)\d\d"
)
_YEAR = re.compile(r"(?:19|20)\d\d")


_MACHINE_ALPHABETS = frozenset({"hex", "base64", "base64url", "decimal digits"})


def _pattern_bits(text: str, rate: float, alphabet: str) -> tuple[float, list[str]]:
    """The pattern reading: found patterns at their cost, every other character at ``rate`` bits.

    In a long key that looks machine-made (hex, base64), only patterns covering a
    quarter of it count: random data holds a short "1234" or "bad" by chance.
    """
    unit = _repeated_unit(text)
    if unit is not None:
        repeats = len(text) // len(unit)
        unit_bits, _ = _pattern_bits(str(unit), rate, alphabet)
        return unit_bits + math.log2(repeats), [f"one {len(unit)}-character unit repeated {repeats} times"]
    machine = alphabet in _MACHINE_ALPHABETS and len(text) >= 20
    spans: list[tuple[int, int, float, str]] = []
    covered = [False] * len(text)

    def claim(start: int, end: int, cost: float, what: str) -> None:
        if not any(covered[start:end]) and cost < rate * (end - start):
            covered[start:end] = [True] * (end - start)
            spans.append((start, end, cost, what))

    if not machine and len(text) <= _HUMAN_LENGTH:
        for start, end, unit, repeats in _repeats(text):
            unit_bits, _ = _pattern_bits(unit, rate, alphabet)
            claim(start, end, unit_bits + math.log2(repeats), f"{repeats} repeats of '{_hint(unit)}'")
        for start, end, word, swaps in _dictionary_words(text):
            case_bits = 0.0 if word.islower() or word.isupper() else 1.0
            what = f"l33t '{_hint(word)}'" if swaps else f"'{_hint(word)}'"
            claim(start, end, _WORD_BITS + case_bits + swaps, what)

    for start, end, kind in _walks(text if machine else text.lower(), 6 if machine else _SHORTEST_WALK):
        claim(start, end, math.log2(len(_KEYBOARD_ROWS) * 2 * 10), f"{kind} '{_hint(text[start:end])}'")
    if not machine:
        for match in _DATE.finditer(text):
            claim(match.start(), match.end(), math.log2(366 * 200 * 3), "a date")
        for match in _YEAR.finditer(text):
            claim(match.start(), match.end(), math.log2(200), "a year")
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not (token.isalpha() and token.isascii() and len(token) >= 2):
            continue
        case_bits = 0.0 if token.islower() or token.isupper() else 1.0
        if token.lower() in COMMON_WORDS and (len(token) >= 3 or not machine):
            claim(match.start(), match.end(), _WORD_BITS + case_bits, f"'{_hint(token)}'")
        elif not machine and 5 <= len(token) <= 12 and _pronounceable(token.lower()):
            claim(match.start(), match.end(), _UNCOMMON_WORD_BITS + case_bits, f"'{_hint(token)}'")
    if machine and sum(covered) * 4 < len(text):
        return rate * len(text), []
    bits = sum(span[2] for span in spans) + rate * covered.count(False)
    words = [span[3] for span in sorted(spans) if span[3].startswith("'")]
    others = [span[3] for span in sorted(spans) if not span[3].startswith("'")]
    patterns = others + ([("words " if len(words) > 1 else "the word ") + ", ".join(words)] if words else [])
    return bits, patterns


#: Keys up to this long are read for human habits (repeats, words inside words, l33t): people type short keys.
_HUMAN_LENGTH = 256

#: l33t spellings (zxcvbn's table, the common part): what each character may stand for.
_LEET = {"4": "a", "@": "a", "8": "b", "(": "c", "3": "e", "6": "g", "9": "g", "1": "il", "!": "i", "|": "il",
         "0": "o", "$": "s", "5": "s", "7": "t", "+": "t", "2": "z", "%": "x"}  # fmt: skip


def _repeats(text: str) -> list[tuple[int, int, str, int]]:
    """Runs of one unit typed again and again (``abcabc``, ``p4ss-p4ss-``): (start, end, unit, times).

    As zxcvbn's repeat matcher: at each point the longer of the greedy and the lazy
    match of ``(.+)\\1+``, reduced to its shortest unit.
    """
    found = []
    start = 0
    while start < len(text):
        greedy = re.compile(r"(.+)\1+").search(text, start)
        if greedy is None:
            break
        lazy = re.compile(r"(.+?)\1+").search(text, start)
        match = greedy if lazy is None or len(greedy.group(0)) >= len(lazy.group(0)) else lazy
        run = match.group(0)
        unit = _repeated_unit(run) or match.group(1)
        if (isinstance(unit, str) and len(run) >= 3 * len(unit)) or len(unit) >= 3:
            found.append((match.start(), match.end(), str(unit), len(run) // len(unit)))
        start = match.end()
    return found


def _dictionary_words(text: str) -> list[tuple[int, int, str, int]]:
    """Common words anywhere in the text, l33t spellings too, longest first: (start, end, word as typed, swaps)."""
    lowered = text.lower()
    matches = []
    for word in COMMON_WORDS:
        if len(word) < 4:
            continue
        for start in range(len(text) - len(word) + 1):
            swaps = 0
            for typed, letter in zip(lowered[start : start + len(word)], word, strict=True):
                if typed == letter:
                    continue
                if letter not in _LEET.get(typed, ""):
                    break
                swaps += 1
            else:
                matches.append((start, start + len(word), text[start : start + len(word)], swaps))
    return sorted(matches, key=lambda m: (m[0] - m[1], m[3]))


def _pronounceable(word: str) -> bool:
    """Letters that read like a word: vowels in it, no long consonant or vowel runs."""
    return bool(re.search(r"[aeiouy]", word)) and not re.search(r"[^aeiouy]{4}|[aeiou]{3}", word)


def _walks(lowered: str, shortest: int) -> list[tuple[int, int, str]]:
    """Keyboard walks and alphabet/digit sequences of at least ``shortest`` characters, either way."""
    found = []
    i = 0
    while i < len(lowered) - shortest + 1:
        best = 0
        kind = ""
        for rows, name in ((_KEYBOARD_ROWS, "keyboard walk"), (_SEQUENCES, "sequence")):
            for row in rows:
                for line in (row, row[::-1]):
                    length = shortest
                    while i + length <= len(lowered) and lowered[i : i + length] in line:
                        length += 1
                    if length - 1 >= shortest and length - 1 > best:
                        best, kind = length - 1, name
        if best:
            found.append((i, i + best, kind))
            i += best
        else:
            i += 1
    return found


def _repeated_unit(value: str | bytes) -> str | bytes | None:
    """The shortest unit that repeated (at least 3 times, or twice for a unit under 4) makes ``value``."""
    n = len(value)
    for size in range(1, n // 2 + 1):
        if n % size == 0 and value[:size] * (n // size) == value and (n // size >= 3 or size < 4):
            return value[:size]
    return None


def _hint(fragment: str) -> str:
    """A found pattern, shown: only its first and last character when longer than 3 (the key stays masked)."""
    return fragment if len(fragment) <= 3 else f"{fragment[0]}…{fragment[-1]}"
