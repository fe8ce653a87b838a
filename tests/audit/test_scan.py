"""The wordlist reader's literal shortcut gives exactly what ast.literal_eval gives."""

from __future__ import annotations

import ast
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from flasksess_cli.audit.scan import _literal_value


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
    if b"\n" in line:
        return  # lines never hold a newline
    ours = _literal_value(line)
    assert [value for _, value in ours] == by_ast(line)
