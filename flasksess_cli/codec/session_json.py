"""The JSON forms of a session flasksess reads and prints, and exact conversions between them.

* **Python**: what the app's ``session`` holds after loading: dict, list, tuple,
  bytes, ``markupsafe.Markup``, ``uuid.UUID``, ``datetime`` (aware UTC in Flask;
  naive before Werkzeug 2.0; any offset, microseconds kept, in Quart 0.18), str,
  int, float, bool, None.
* **Tagged**: the release's wire form (:mod:`flasksess_cli.codec.tagged`).
* **Typed** (flasksess's documented ``--json`` contract): ``{"__type__": ...}``
  objects for every value JSON cannot hold.

Every walk over a session here is recursive; a session is at most
:data:`MAX_DEPTH` levels deep (more than any release loads), and
:func:`recursion_room` gives the walks the stack they need, so no depth of input
ends in a ``RecursionError``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from flasksess_cli.codec.tagged import UntagError, http_date, tag, untag
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.codec.rules import Rules, Tags

__all__ = ["dumps_flask", "from_typed", "http_date", "python_text", "session_from_text", "to_typed"]

T = TypeVar("T")

#: Deepest nesting flasksess reads: past the most any release loads (1489 levels of lists, Flask 1.1 on Python 3.12).
MAX_DEPTH = 2000


# --- nesting ---------------------------------------------------------------------------------------


_BRACKETS_OR_STRINGS = r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]'


def json_depth(text: str) -> int:
    """How deeply containers nest in JSON text, at most (without parsing it, so without recursion).

    Cheap when there are few brackets (their count bounds the depth); otherwise exact.
    """
    opened = text.count("[") + text.count("{")
    if opened <= MAX_DEPTH:
        return opened
    depth = deepest = 0
    for match in re.finditer(_BRACKETS_OR_STRINGS, text, re.DOTALL):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def value_depth(value: Any) -> int:
    """How deeply containers nest in a Python value (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_depth(depth: int, what: str = "the session") -> None:
    if depth > MAX_DEPTH:
        raise BadInput(
            f"{what} nests more than {MAX_DEPTH} levels deep: no Flask release loads more than "
            "about 1500 levels, and flasksess reads no deeper"
        )


@contextmanager
def recursion_room(depth: int) -> Iterator[None]:
    """Enough recursion limit for a walk over ``depth`` levels (a few frames per level), then the old limit back."""
    before = sys.getrecursionlimit()
    wanted = 8 * min(depth, MAX_DEPTH + 1) + 2000
    if depth <= 50 or wanted <= before:
        yield
        return
    sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        if sys.getrecursionlimit() == wanted:  # unless someone else changed it meanwhile
            sys.setrecursionlimit(before)


def walked(walk: Callable[[Any], T], value: Any) -> T:
    """``walk(value)``; when the stack runs out, again with room for the value's depth (up to :data:`MAX_DEPTH`)."""
    try:
        return walk(value)
    except RecursionError:
        depth = value_depth(value)
        check_depth(depth)
        with recursion_room(depth):
            return walk(value)


def loads(text: str) -> Any:
    """``json.loads`` with room for any depth up to :data:`MAX_DEPTH` (checked first)."""
    depth = json_depth(text)
    check_depth(depth)
    with recursion_room(depth):
        return json.loads(text)


# --- Python -> JSON text (what the release writes) ----------------------------------------------


def dumps_flask(
    session: dict[str, Any], *, sort_keys: bool = True, ensure_ascii: bool = True, tags: Tags = "flask"
) -> str:
    """The JSON text the release's session serializer writes inside an app context.

    ``sort_keys=False`` gives Quart's bytes (insertion order). Values the tagger
    leaves alone and JSON cannot hold (a set, say) fail as they fail in Flask.
    """
    try:
        return walked(
            lambda value: json.dumps(
                tag(value, tags), separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=ensure_ascii
            ),
            session,
        )
    except (TypeError, ValueError, OverflowError) as exc:  # Flask's own json.dumps and http_date raise these
        raise BadInput(f"Flask cannot store this session: {exc}") from None


# --- Python <-> typed (flasksess's --json contract) --------------------------------------------


def to_typed(value: Any) -> Any:
    """A loaded session value in the documented typed JSON form."""
    return walked(_to_typed, value)


def _to_typed(value: Any) -> Any:
    if isinstance(value, dict):
        if "__type__" in value or not all(isinstance(k, str) for k in value):
            return {"__type__": "dict", "items": [[_to_typed(k), _to_typed(v)] for k, v in value.items()]}
        return {k: _to_typed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__type__": "tuple", "items": [_to_typed(x) for x in value]}
    if isinstance(value, list):
        return [_to_typed(x) for x in value]
    if isinstance(value, bytes):
        return {"__type__": "bytes", "hex": value.hex()}
    if callable(getattr(value, "__html__", None)):
        return {"__type__": "markup", "value": str(value)}
    if isinstance(value, uuid.UUID):
        return {"__type__": "uuid", "value": str(value)}
    if isinstance(value, datetime):
        return {"__type__": "datetime", "value": value.isoformat()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__type__": "float", "value": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    return value


def iso_utc(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS+00:00``, a moment in UTC to the second (naive means UTC)."""
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return aware.replace(microsecond=0).isoformat()


def from_typed(value: Any, where: str = "session") -> Any:
    """The Python value a typed JSON document stands for (``sign``'s default input)."""
    return walked(lambda v: _from_typed(v, where), value)


def _from_typed(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_from_typed(x, f"{where}[{i}]") for i, x in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "__type__" not in value:
        return {k: _from_typed(v, f"{where}[{k!r}]") for k, v in value.items()}
    kind = value["__type__"]
    fields = {k: v for k, v in value.items() if k != "__type__"}
    try:
        return _TYPED_READERS[kind](fields, where)
    except (KeyError, TypeError, ValueError, AttributeError):
        known = ", ".join(sorted(_TYPED_READERS))
        raise BadInput(
            f'{_shown(where)} is not a valid typed value {{"__type__": {json.dumps(kind)}, ...}} (types: {known})'
        ) from None


def _shown(where: str) -> str:
    return where if len(where) <= 80 else where[:77] + "..."


def _only(fields: dict[str, Any], name: str, kind: type) -> Any:
    """The one field a typed value has, of the expected JSON type."""
    if set(fields) != {name} or not isinstance(fields[name], kind):
        raise ValueError(name)
    return fields[name]


def _typed_datetime(fields: dict[str, Any], where: str) -> datetime:
    """ISO 8601: naive stays naive, an offset is kept, microseconds too (Quart 0.18 loads all three)."""
    return datetime.fromisoformat(_only(fields, "value", str))


def _typed_float(fields: dict[str, Any], where: str) -> float:
    text = _only(fields, "value", str)
    if text not in {"inf", "-inf", "nan"}:
        raise ValueError(text)
    return float(text)


def _typed_markup(fields: dict[str, Any], where: str) -> Any:
    from markupsafe import Markup

    return Markup(_only(fields, "value", str))  # noqa: S704 - data only, never rendered


def _typed_dict(fields: dict[str, Any], where: str) -> dict[Any, Any]:
    result = {}
    for item in _only(fields, "items", list):
        if not (isinstance(item, list) and len(item) == 2):
            raise ValueError(item)
        key = _from_typed(item[0], where)
        result[key] = _from_typed(item[1], f"{where}[{key!r}]")
    return result


def _typed_tuple(fields: dict[str, Any], where: str) -> tuple[Any, ...]:
    return tuple(_from_typed(x, f"{where}[{i}]") for i, x in enumerate(_only(fields, "items", list)))


_TYPED_READERS: dict[str, Any] = {
    "tuple": _typed_tuple,
    "bytes": lambda f, w: bytes.fromhex(_only(f, "hex", str)),
    "markup": _typed_markup,
    "uuid": lambda f, w: uuid.UUID(_only(f, "value", str)),
    "datetime": _typed_datetime,
    "float": _typed_float,
    "dict": _typed_dict,
}


# --- reading a session a user typed --------------------------------------------------------------

#: ``{user_id: 42}``: JSON whose double quotes a shell took away (cmd and PowerShell do, with '...' quoting).
_QUOTES_EATEN = r"[{,]\s*[A-Za-z_][\w-]*\s*:"


def value_from_text(text: str, form: str = "typed", *, rules: Rules) -> Any:
    """What to sign in ``rules``' format: a session (:func:`session_from_text`), or a token's value (any JSON)."""
    if rules.is_flask_session:
        return session_from_text(text, form, tags=rules.tags, other_kinds=" (a token of another kind: --format NAME)")
    if form == "tagged":
        raise BadInput("--tagged is Flask's session JSON; a token's value is plain (typed) JSON")
    value = _parsed(text, form, "the value")
    if rules.payload == "starlette-session" and not isinstance(value, dict):
        raise BadInput(f"a Starlette session is a JSON object (a dict), not {type(value).__name__}")
    return value


def session_from_text(text: str, form: str = "typed", *, tags: Tags = "flask", other_kinds: str = "") -> dict[Any, Any]:
    """A session written as typed JSON (``decode --json``'s "session"), the release's tagged JSON, or a Python literal.

    ``other_kinds`` ends the message for a value that is no session (sign says how to sign a token).
    """
    value = _parsed(text, form, "the session", tags=tags)
    if not isinstance(value, dict):
        raise BadInput(f"a session is a JSON object (a dict), not {type(value).__name__}{other_kinds}")
    return value


def _parsed(text: str, form: str, what: str, *, tags: Tags = "flask") -> Any:
    if form == "python":
        from flasksess_cli.keys import python_literal

        with recursion_room(MAX_DEPTH):  # Python's parser stops at 200 nested brackets by itself
            try:
                value = python_literal(text.strip())
            except ValueError:
                raise BadInput(f"{what} is not a Python literal (a dict of str, int, tuple, bytes, ...)") from None
        check_depth(value_depth(value))
    else:
        try:
            data = loads(text)
        except ValueError:
            raise BadInput(f"{what} is not JSON{_not_json_hint(text)}") from None
        if form == "tagged":
            try:
                with recursion_room(json_depth(text)):
                    value = untag(data, tags)[0]
            except UntagError as exc:
                raise BadInput(f"Flask cannot load this tagged JSON: {exc}") from None
        else:
            value = from_typed(data)
    return value


def _not_json_hint(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{'"):
        return " (for a Python literal use --python)"
    if stripped.startswith("{") and re.search(_QUOTES_EATEN, stripped):
        return (
            ": its keys have no double quotes, which is what Windows cmd and PowerShell leave of "
            "'{\"key\": ...}' (put the JSON in a file and pass @FILE, or pipe it in: ... | flasksess sign -)"
        )
    return ""


# --- a session as Python literals, for people ---------------------------------------------------


class _Shown:
    """Stands in a pretty-printed tree for a value whose repr would be noisy."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _displayable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_displayable(k): _displayable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_displayable(v) for v in value)
    if isinstance(value, list):
        return [_displayable(v) for v in value]
    if isinstance(value, datetime):
        return _Shown(f"datetime('{value.isoformat()}')")
    if isinstance(value, uuid.UUID):
        return _Shown(f"UUID('{value}')")
    if isinstance(value, float) and not math.isfinite(value):
        return _Shown(f"float('{value}')")
    return value


def python_text(session: Any, width: int = 88) -> str:
    """The session as Python literals: tuple, bytes, Markup, UUID and datetime shown as such.

    Every string goes through repr, so control characters and lone surrogates come
    out escaped; the text is still untrusted (escape it for HTML, show it as plain
    text in a terminal).
    """
    import pprint

    return walked(lambda value: pprint.pformat(_displayable(value), width=width, sort_dicts=False), session)
