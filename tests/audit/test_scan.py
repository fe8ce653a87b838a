"""The search kernel against itsdangerous (and hmac/hashlib), on every engine this CPU runs and on its twin.

Every test runs on each engine of the C extension ``_scan`` (forced with ``engine=``: avx512,
avx2, sha-ni, scalar, whichever this CPU has) and on the pure-Python twin ``scan``, the way
MarkupSafe tests its speedups and its fallback: the answers must be the same, byte for byte.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import mmap
import random
import re
import shutil
import sys
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import Signer
from itsdangerous.encoding import base64_decode

from flasksess_cli.audit import scan

_scan: Any
try:
    from flasksess_cli.audit import _scan
except ImportError:  # no compiler where this was installed: the twin alone is tested
    _scan = None

DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")
DERIVATIONS = ("hmac", "concat", "django-concat", "none")
ENGINES = (*(_scan.engines() if _scan else ()), "python")
SALT = b"cookie-session"
LINE = re.compile(rb"[^\r\n]+")  # what a candidate is: the twin's definition, checked against both

native_only = pytest.mark.skipif(_scan is None, reason="the C kernel is not built here")


def test_the_native_kernel_is_built_where_a_compiler_is() -> None:
    """The optional build must not fail quietly where it can succeed (a stale build/ can hide that)."""
    if sys.platform.startswith("linux") and shutil.which("cc") and sys.implementation.name == "cpython":
        assert _scan is not None, "a C compiler is here but flasksess_cli.audit._scan was not built"


def signature(key: bytes, signed: bytes, digest: str = "sha1", derivation: str = "hmac", salt: bytes = SALT) -> bytes:
    """The raw signature itsdangerous' Signer makes (Flask's session: sha1, hmac, cookie-session)."""
    signer = Signer(key, salt=salt, key_derivation=derivation, digest_method=getattr(hashlib, digest))
    return base64_decode(signer.get_signature(signed))


def scanner(
    engine: str, key: bytes, signed: bytes, *, digest: str = "sha1", derivation: str = "hmac", salt: bytes = SALT
) -> Any:
    sig = signature(key, signed, digest=digest, derivation=derivation, salt=salt)
    return make(engine, signed, sig, salt, digest, derivation)


def cookie(size: int, seed: int = 0) -> bytes:
    """A signed text (payload.timestamp) of `size` bytes, base64-url characters as Flask makes."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    rnd = random.Random(seed)
    body = bytes(rnd.choice(alphabet) for _ in range(size - 7))
    return body + b".ZxYz4A"


def words(n: int, seed: int = 1, lo: int = 8, hi: int = 16) -> list[bytes]:
    rnd = random.Random(seed)
    return [bytes(rnd.randrange(33, 127) for _ in range(rnd.randint(lo, hi))) for _ in range(n)]


def expected(data: bytes, key: bytes, signed: bytes = b"", **options: str) -> tuple[int, int]:
    """What scan must return: the first line whose key itsdangerous accepts as `key`'s, and the count.

    Not simply the line equal to `key`: HMAC zero-pads its key, so b"k" and b"k\x00" sign alike.
    """
    signed = signed or SIGNED
    want = signature(key, signed, **options)
    lines = list(LINE.finditer(data))
    for index, match in enumerate(lines):
        if signature(match.group(), signed, **options) == want:
            return match.start(), index + 1
    return -1, len(lines)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- the signature: every digest x derivation x engine, cookies of 60 B, 1 KB, 4 KB ---------------


@pytest.mark.parametrize("size", [60, 1024, 4096])
@pytest.mark.parametrize("derivation", DERIVATIONS)
@pytest.mark.parametrize("digest", DIGESTS)
def test_every_digest_and_derivation(engine: str, digest: str, derivation: str, size: int) -> None:
    signed = cookie(size)
    lines = words(37, seed=size)
    key = lines[29]
    s = scanner(engine, key, signed, digest=digest, derivation=derivation)
    data = b"\n".join(lines) + b"\n"
    assert (
        s.scan(data)
        == expected(data, key, signed, digest=digest, derivation=derivation)
        == (data.index(b"\n" + key + b"\n") + 1, 30)
    )
    assert s.match(lines) == 29
    assert s.match(lines[:29] + lines[30:]) == -1


@pytest.mark.parametrize("digest", DIGESTS)
def test_independent_reference(engine: str, digest: str) -> None:
    """The same formula from hmac/hashlib alone, not through itsdangerous."""
    key, signed, salt = b"s3cr3t", cookie(200), b"my-salt"
    derived = {
        "hmac": hmac.new(key, salt, digest).digest(),
        "concat": hashlib.new(digest, salt + key).digest(),
        "django-concat": hashlib.new(digest, salt + b"signer" + key).digest(),
        "none": key,
    }
    for derivation, derived_key in derived.items():
        sig = hmac.new(derived_key, signed, digest).digest()
        assert sig == signature(key, signed, digest=digest, derivation=derivation, salt=salt)
        s = make(engine, signed, sig, salt, digest, derivation)
        assert s.match([b"other", key]) == 1


def make(engine: str, signed: bytes, sig: bytes, salt: bytes, digest: str, derivation: str) -> Any:
    if engine == "python":
        return scan.Scanner(signed, sig, salt, digest, derivation)
    return _scan.Scanner(signed, sig, salt, digest, derivation, engine=engine)


def test_flask_login_remember_cookie(engine: str) -> None:
    """Flask-Login's remember cookie: user_id|hex(HMAC-SHA512(SECRET_KEY, user_id))."""
    key, user_id = b"flask-login-secret", b"42"
    remember = user_id + b"|" + hmac.new(key, user_id, hashlib.sha512).hexdigest().encode()
    payload, hexdigest = remember.split(b"|")
    s = make(engine, payload, bytes.fromhex(hexdigest.decode()), b"", "sha512", "none")
    data = b"\n".join([*words(20), key, b"zz"])
    assert s.scan(data) == (len(b"\n".join(words(20))) + 1, 21)
    assert s.match([b"x", key]) == 1


@pytest.mark.parametrize("length", [0, 1, 3, 4, 5, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 200, 1000, 10_000])
@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("derivation", DERIVATIONS)
def test_key_lengths(engine: str, digest: str, derivation: str, length: int) -> None:
    """Keys around and past the block size (hashed first, as HMAC does), and the empty key."""
    rnd = random.Random(length)
    key = bytes(rnd.randrange(256) for _ in range(length))
    signed = cookie(60)
    s = scanner(engine, key, signed, digest=digest, derivation=derivation)
    # the neighbours share the key's length, so a batch mixes nothing but that length
    keys = [bytes(rnd.randrange(256) for _ in range(length)) + b"x" for _ in range(40)]
    keys[33] = key
    assert s.match(keys) == 33
    line_key = key.replace(b"\n", b"-").replace(b"\r", b"-")
    if line_key:
        s = scanner(engine, line_key, signed, digest=digest, derivation=derivation)
        lines = [k.replace(b"\n", b"-").replace(b"\r", b"-") for k in keys]
        data = b"\n".join(lines)
        assert (
            s.scan(data)
            == expected(data, line_key, signed, digest=digest, derivation=derivation)
            == (len(b"\n".join(lines[:33])) + 1, 34)
        )


@pytest.mark.parametrize("derivation", ["concat", "django-concat", "hmac"])
@pytest.mark.parametrize("digest", ["sha1", "sha384"])
def test_mixed_key_lengths_in_a_batch(engine: str, digest: str, derivation: str) -> None:
    """One batch holding keys of one, two and many blocks ("concat" hashes long ones apart)."""
    rnd = random.Random(7)
    lengths = [rnd.choice([1, 8, 40, 41, 50, 105, 106, 120, 130, 300]) for _ in range(80)]
    keys = [bytes(rnd.randrange(256) for _ in range(n)) for n in lengths]
    signed = cookie(100)
    for index in (0, 5, 17, 31, 32, 47, 63, 79):
        s = scanner(engine, keys[index], signed, digest=digest, derivation=derivation)
        assert s.match(keys) == index


@pytest.mark.parametrize("salt", [b"", b"x" * 55, b"x" * 56, b"y" * 64, b"z" * 119, b"w" * 128, b"v" * 200])
@pytest.mark.parametrize("derivation", DERIVATIONS)
@pytest.mark.parametrize("digest", ["sha1", "sha512"])
def test_salts(engine: str, digest: str, derivation: str, salt: bytes) -> None:
    key = b"the-key"
    s = scanner(engine, key, cookie(60), digest=digest, derivation=derivation, salt=salt)
    assert s.match([b"a", b"b", key]) == 2


@pytest.mark.parametrize("size", [0, 1, 55, 56, 64, 111, 112, 128, 4000, 100_000])
def test_signed_text_lengths(engine: str, size: int) -> None:
    signed = bytes(random.Random(size).randrange(256) for _ in range(size))
    for digest in ("sha1", "sha256", "sha512"):
        s = scanner(engine, b"key", signed, digest=digest)
        assert s.match([b"nope", b"key"]) == 1


# --- lines -------------------------------------------------------------------------------------------

KEY = b"the-right-key"
SIGNED = cookie(60)

LINE_CASES = {
    "lf": b"a\nb\n" + KEY + b"\nc\n",
    "crlf": b"a\r\nb\r\n" + KEY + b"\r\nc\r\n",
    "lone-cr": b"a\rb\r" + KEY + b"\rc",
    "mixed": b"a\r\n\rb\n\r" + KEY + b"\r\r\nc",
    "first-line": KEY + b"\nb\nc\n",
    "first-line-after-blanks": b"\n\r\n\r" + KEY + b"\nb",
    "last-line-no-newline": b"a\nb\n" + KEY,
    "last-line-newline": b"a\nb\n" + KEY + b"\n",
    "last-line-cr": b"a\nb\n" + KEY + b"\r",
    "blank-runs": b"\n\n\n\r\n\r\r\na\n\n\n\n\n" + KEY + b"\n\n\n\n",
    "nul-bytes": b"a\x00\nb\x00\x00\n\x00\n" + KEY + b"\n\x00",
    "non-utf8": b"\xff\xfe\n\xc3\x28\n\x80\x80\x80\n" + KEY + b"\n\xe2\x82",
    "spaces-and-tabs-are-key-bytes": b" " + KEY + b"\n" + KEY + b" \n\t" + KEY + b"\n" + KEY,
    "long-lines": b"x" * 100_000 + b"\n" + b"y" * 100_001 + b"\r\n" + KEY + b"\n" + b"z" * 100_000,
    "long-line-last": b"a\n" + KEY + b"\n" + b"z" * 100_000,
    "absent": b"a\nb\r\nc\rd\n\n\ne",
    "empty": b"",
    "only-newlines": b"\n\r\n\r\r\n\n",
    "near-miss": KEY[:-1] + b"\n" + KEY + b"x\n" + b"x" + KEY + b"\n" + KEY.upper(),
    "duplicates": b"a\n" + KEY + b"\n" + KEY + b"\n",
}


@pytest.mark.parametrize("case", LINE_CASES)
def test_lines(engine: str, case: str) -> None:
    data = LINE_CASES[case]
    s = scanner(engine, KEY, SIGNED)
    assert s.scan(data) == expected(data, KEY)
    assert s.scan(bytearray(data)) == expected(data, KEY)


@pytest.mark.parametrize("separator", [b"\n", b"\r\n", b"\r"])
def test_nul_and_long_lines_in_keys(engine: str, separator: bytes) -> None:
    for key in (b"a\x00b", b"\x00\x01", b"k" * 100_000, bytes(range(14, 256))):
        s = scanner(engine, key, SIGNED)
        data = separator.join([b"x", b"\x00\x00", key, b"y"])
        assert s.scan(data) == expected(data, key) == (len(separator.join([b"x", b"\x00\x00"])) + len(separator), 3)


def test_every_lane_position(engine: str) -> None:
    """The hit in every lane of a full batch, and in a partial final batch, for each digest family."""
    for digest, derivation in [("sha1", "hmac"), ("sha256", "concat"), ("sha512", "none"), ("sha384", "hmac")]:
        lines = words(2 * 32 + 7, seed=3)
        for index in range(len(lines)):
            s = scanner(engine, lines[index], SIGNED, digest=digest, derivation=derivation)
            data = b"\r\n".join(lines)
            assert s.scan(data) == (len(b"\r\n".join(lines[:index])) + 2 * (index > 0), index + 1)
            assert s.match(lines) == index


@pytest.mark.parametrize("count", [0, 1, 2, 15, 16, 17, 31, 32, 33, 1000, 4099])
def test_no_hit_counts_every_candidate(engine: str, count: int) -> None:
    lines = words(count, seed=count)
    data = b"\n\n".join(lines) + b"\r\n"
    s = scanner(engine, b"absent-key", SIGNED)
    assert s.scan(data) == (-1, count)
    assert s.match(lines) == -1


def test_buffers_and_views(engine: str) -> None:
    data = b"zz\n" + b"a\n" + KEY + b"\nb\n"
    s = scanner(engine, KEY, SIGNED)
    view = memoryview(data)[3:]
    assert s.scan(view) == (2, 2)
    assert s.scan(memoryview(bytearray(data))) == (5, 3)
    assert s.scan(view[:2]) == (-1, 1)
    with pytest.raises((TypeError, BufferError, ValueError)):
        s.scan(memoryview(data)[::2])  # not contiguous
    with pytest.raises(TypeError):
        s.scan("text")  # type: ignore[arg-type]


def test_match_takes_any_bytes(engine: str) -> None:
    for key in (b"", b"\n", b"a\r\nb", b"\x00" * 70, bytes(range(256))):
        s = scanner(engine, key, SIGNED)
        keys = [b"x", bytearray(b"y"), memoryview(b"z"), key]
        assert s.match(keys) == 3
        assert s.match(keys[:3]) == -1
    assert scanner(engine, b"k", SIGNED).match([]) == -1
    with pytest.raises(TypeError):
        scanner(engine, b"k", SIGNED).match([b"a", "str"])  # type: ignore[list-item]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.binary(max_size=150), max_size=60),
    separators=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b"\r\r\n", b"\n\r"]), min_size=1),
    key=st.binary(min_size=1, max_size=140).filter(lambda k: b"\n" not in k and b"\r" not in k),
    position=st.integers(min_value=0, max_value=60),
    digest=st.sampled_from(DIGESTS),
    derivation=st.sampled_from(DERIVATIONS),
    trailing=st.sampled_from([b"", b"\n", b"\r\n", b"\r"]),
)
def test_property_first_matching_line(
    engine: str,
    lines: list[bytes],
    separators: list[bytes],
    key: bytes,
    position: int,
    digest: str,
    derivation: str,
    trailing: bytes,
) -> None:
    lines = lines[:]
    lines.insert(min(position, len(lines)), key)
    parts = []
    for index, line in enumerate(lines):
        parts.append(line)
        if index < len(lines) - 1:
            parts.append(separators[index % len(separators)])
    data = b"".join(parts) + trailing
    s = scanner(engine, key, SIGNED, digest=digest, derivation=derivation)
    offset, count = expected(data, key, digest=digest, derivation=derivation)
    assert s.scan(data) == (offset, count)
    assert s.match([m.group() for m in LINE.finditer(data)]) == count - 1


@native_only
def test_c_engines_agree_with_the_twin_on_line_splitting() -> None:
    """Counts of candidates on awkward data, C (every engine) against the twin."""
    rnd = random.Random(5)
    data = bytes(rnd.choice(b"ab\r\n\x00\xff") for _ in range(50_000))
    sig = signature(b"absent", SIGNED)
    want = scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac").scan(data)
    assert want == (-1, len(LINE.findall(data)))
    for name in _scan.engines():
        assert _scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac", engine=name).scan(data) == want


# --- memory: nothing outside the buffer is read ------------------------------------------------------


def guarded_page() -> tuple[mmap.mmap, memoryview]:
    """A page followed by an inaccessible one: reading past the first page's end faults."""
    page = mmap.PAGESIZE
    mem = mmap.mmap(-1, 2 * page)
    address = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    assert libc.mprotect(ctypes.c_void_p(address + page), page, 0) == 0  # PROT_NONE
    return mem, memoryview(mem)[:page]


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_reads_stay_inside_the_buffer(engine: str, digest: str) -> None:
    _mem, page = guarded_page()  # the mapping stays alive while the page is used
    size = len(page)
    for key in (b"k", b"kk" * 3, b"K" * 63, b"L" * 64, b"M" * 65, b"N" * 127, b"O" * 129):
        s = scanner(engine, key, SIGNED, digest=digest)
        for tail in range(0, 70):  # the key ends at the page's last byte, then lines of 1..69 bytes after it
            data = b"a\n" * 20 + key + (b"\n" + b"z" * tail if tail else b"")
            page[size - len(data) :] = data
            view = page[size - len(data) :]
            assert s.scan(view) == expected(data, key, digest=digest)
        page[size - len(key) :] = key
        assert s.match([b"q", page[size - len(key) :]]) == 1
    page.release()
    del page
    # mem is unmapped when collected; the protection goes with it


# --- the API around the search -----------------------------------------------------------------------


@native_only
def test_engine_choice() -> None:
    available = _scan.engines()
    assert available[-1] == "scalar"
    assert set(available) <= {"avx512", "avx2", "sha-ni", "scalar"}
    sig = signature(b"k", SIGNED)
    assert _scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac").engine == available[0]
    for name in ("avx512", "avx2", "sha-ni", "scalar"):
        if name in available:
            assert _scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac", engine=name).engine == name
        else:
            with pytest.raises(ValueError, match="not supported"):
                _scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac", engine=name)
    with pytest.raises(ValueError, match="unknown engine"):
        _scan.Scanner(SIGNED, sig, SALT, "sha1", "hmac", engine="gpu")


@native_only
def test_sha512_family_without_simd_runs_scalar() -> None:
    sig = signature(b"k", SIGNED, digest="sha512")
    if "sha-ni" in _scan.engines():
        assert _scan.Scanner(SIGNED, sig, SALT, "sha512", "hmac", engine="sha-ni").engine == "scalar"
    auto = _scan.Scanner(SIGNED, sig, SALT, "sha512", "hmac").engine
    assert auto != "sha-ni"


@pytest.mark.parametrize("module", ["native", "python"])
def test_bad_arguments(module: str) -> None:
    if module == "native" and _scan is None:
        pytest.skip("the C kernel is not built here")
    kernel = scan if module == "python" else _scan
    sig = signature(b"k", SIGNED)
    with pytest.raises(ValueError, match="unknown digest"):
        kernel.Scanner(SIGNED, sig, SALT, "whirlpool", "hmac")
    if module == "native":  # SHA-1 and SHA-2 only; search.audit_cookie runs the others on the twin
        with pytest.raises(ValueError, match="unknown digest"):
            kernel.Scanner(SIGNED, sig[:16], SALT, "md5", "hmac")
    with pytest.raises(ValueError, match="unknown key derivation"):
        kernel.Scanner(SIGNED, sig, SALT, "sha1", "pbkdf2")
    with pytest.raises(ValueError, match="signature is 20 bytes but sha256 makes 32"):
        kernel.Scanner(SIGNED, sig, SALT, "sha256", "hmac")
    with pytest.raises(ValueError, match="longer than 1 MiB"):
        kernel.Scanner(b"x" * (1 << 20 | 1), sig, SALT, "sha1", "hmac")
    with pytest.raises(TypeError):
        kernel.Scanner("text", sig, SALT, "sha1", "hmac")


@native_only
def test_threads_share_a_scanner() -> None:
    lines = words(20_000, seed=9)
    data = b"\n".join(lines)
    s = _scan.Scanner(SIGNED, signature(lines[-1], SIGNED), SALT, "sha1", "hmac")
    results: list[tuple[int, int]] = []
    threads = [threading.Thread(target=lambda: results.extend(s.scan(data) for _ in range(20))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(len(data) - len(lines[-1]), len(lines))] * 80


@native_only
def test_scan_releases_the_gil() -> None:
    """While one thread scans, this one keeps running (a kernel holding the GIL would freeze it)."""
    blob = random.Random(4).randbytes(12 * 1_500_000).translate(bytes(65 + i % 26 for i in range(256)))
    data = b"\n".join(blob[i : i + 12] for i in range(0, len(blob), 12))
    s = _scan.Scanner(SIGNED, signature(b"absent", SIGNED), SALT, "sha1", "hmac")
    scanning = threading.Thread(target=s.scan, args=(data,))
    turns = 0
    scanning.start()
    while scanning.is_alive():
        turns += 1
    assert turns > 1000


# --- line_breaks: what numbers a hit's line ----------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"\n", b"\r", b"\r\n", b"\x00", b"xyz" * 7]), max_size=80).map(b"".join))
def test_line_breaks_count_terminators_the_same_way(data: bytes) -> None:
    reference = len(re.findall(rb"\r\n|\r|\n", data))
    assert scan.line_breaks(data) == reference
    if _scan is not None:
        assert _scan.line_breaks(data) == reference
        assert _scan.line_breaks(memoryview(data)[1:]) == scan.line_breaks(data[1:])
