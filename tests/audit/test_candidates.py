"""What lines and published keys can mean: literals read as Python reads them, every form, the default list."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import flask_unsign_wordlist
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flasksess_cli.audit import candidates
from flasksess_cli.audit.candidates import entry_forms, line_readings, literal_value, quiet_literals, special_readings
from flasksess_cli.audit.known_keys import known_keys

LINE = re.compile(rb"[^\r\n]+")


def by_ast(line: bytes) -> list[bytes]:
    """The reference: the value Python itself reads from the line, as UTF-8 bytes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ast.literal_eval(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return []
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError:
            return []
    if not isinstance(value, bytes) or value == line:
        return []
    return [value]


QUOTED = st.tuples(st.sampled_from(["'", '"']), st.text(alphabet=st.characters(codec="utf-8"), max_size=20)).map(
    lambda qt: (qt[0] + qt[1] + qt[0]).encode("utf-8", "surrogatepass")
)


@settings(max_examples=3000, deadline=None)
@given(line=st.one_of(QUOTED, st.binary(max_size=20).map(lambda b: b"'" + b + b"'"), st.binary(max_size=12)))
def test_quoted_lines_read_as_python_reads_them(line: bytes) -> None:
    if b"\n" in line or b"\r" in line or line.startswith((b"hex:", b"base64:")):
        return  # lines never hold a line break; hex: and base64: lines are read as keys.parse_key reads them
    with quiet_literals():
        ours = line_readings(line)
    assert [value for _, value in ours] == by_ast(line)


@settings(max_examples=500, deadline=None)
@given(
    lines=st.lists(
        st.one_of(QUOTED, st.sampled_from([b"hex:6b6579", b"base64:a2V5", b"plain", b"b'k\\x00'", b"it's", b"a:b"])),
        max_size=12,
    ),
    terminators=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=12, max_size=12),
)
def test_special_readings_are_every_special_line_in_order(lines: list[bytes], terminators: list[bytes]) -> None:
    lines = [line for line in lines if not re.search(rb"[\r\n]", line)]
    data = b"".join(line + terminator for line, terminator in zip(lines, terminators, strict=False))
    expected = []
    with quiet_literals():
        for match in LINE.finditer(data):
            expected += [(match.start(), variant, key) for variant, key in line_readings(match.group())]
    assert [tuple(reading) for reading in special_readings(data, len(data))] == expected


def test_special_readings_stop_at_the_end_given() -> None:
    data = b"'a'\n'b'\n"
    assert [r.key for r in special_readings(data, 4)] == [b"a"]


@pytest.mark.parametrize(
    ("value", "forms"),
    [
        ("dev", {"entry": b"dev", "hex-text": b"646576"}),
        ("café", {"entry": "café".encode(), "latin-1": b"caf\xe9", "hex-text": "café".encode().hex().encode()}),
        ("5f352379", {"entry": b"5f352379", "hex": bytes.fromhex("5f352379"), "hex-text": b"3566333532333739"}),
        ("b'\\x00k'", {"entry": b"b'\\x00k'", "bytes-literal": b"\x00k", "hex-text": b"b'\\x00k'".hex().encode()}),
        (b"\xfa\xdd", {"entry": b"\xfa\xdd", "bytes-repr": b"b'\\xfa\\xdd'", "latin-1-text": "úÝ".encode(),
                       "hex-text": b"fadd"}),
    ],
)  # fmt: skip
def test_every_form_an_entry_can_mean(value: str | bytes, forms: dict[str, bytes]) -> None:
    with quiet_literals():
        assert dict(entry_forms(value)) == forms


def test_the_default_candidates_hold_every_published_key_and_the_whole_flask_unsign_list() -> None:
    defaults = candidates.default_candidates()
    keys = set(defaults.keys)
    for known in known_keys():
        assert known.material in keys
    path = Path(flask_unsign_wordlist.get("all"))
    with quiet_literals():
        for number, line in enumerate(path.read_bytes().split(b"\n"), 1):
            value = literal_value(line)
            if value is None:
                continue
            try:
                material = value if isinstance(value, bytes) else value.encode("utf-8")
            except UnicodeEncodeError:
                continue  # a lone surrogate: no key Flask could hold
            assert material in keys, number
    assert defaults.flask_unsign_version == flask_unsign_wordlist.__version__


@pytest.mark.parametrize(
    ("key", "source_list", "variant"),
    [
        (b'_5#y2L"F4Q8z\n\xec]/', "published", "entry"),
        (b"\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h", "published", "entry"),
        (b'_5#y2L"F4Q8z\n\xec]/'.hex().encode(), "published", "entry"),  # entry 2 is that hex
        (repr(b"\xfa\xdd\xb8z\xae\xe0}4\x8b\xea").encode(), "published", "bytes-repr"),
        (b"dev".hex().encode(), "published", "hex-text"),
    ],
)
def test_explain_names_the_first_source(key: bytes, source_list: str, variant: str) -> None:
    origin = candidates.default_candidates().explain(key)
    assert (origin.source_list, origin.variant) == (source_list, variant)


def test_a_flask_unsign_entry_is_explained_by_its_line() -> None:
    lines = Path(flask_unsign_wordlist.get("all")).read_bytes().split(b"\n")
    published = {known.material for known in known_keys()}
    with quiet_literals():
        number, value = next(
            (n, v) for n, line in enumerate(lines, 1)
            if isinstance(v := literal_value(line), str) and v.isascii() and v.encode() not in published and n > 1000
        )  # fmt: skip
    origin = candidates.default_candidates().explain(value.encode())
    assert (origin.source_list, origin.variant) == ("flask-unsign", "entry")
    with quiet_literals():
        first = next(n for n, line in enumerate(lines, 1) if literal_value(line) == value)
    assert origin.position == first <= number


def test_without_the_package_the_published_keys_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    candidates.flask_unsign_candidates.cache_clear()
    monkeypatch.setitem(sys.modules, "flask_unsign_wordlist", None)
    try:
        defaults = candidates.default_candidates()
        assert defaults.flask_unsign_version is None
        assert set(defaults.keys) == set(candidates.published_candidates().keys) >= {k.material for k in known_keys()}
    finally:
        candidates.flask_unsign_candidates.cache_clear()
