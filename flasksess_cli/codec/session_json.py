"""The three JSON forms of a Flask session, and exact conversions between them.

* **Python**: what Flask's ``session`` holds after loading: dict, list, tuple,
  bytes, ``markupsafe.Markup``, ``uuid.UUID``, aware ``datetime``, str, int,
  float, bool, None.
* **Tagged** (Flask's wire form, ``flask/json/tag.py``): ``{" t": [...]}`` for a
  tuple, ``" b"`` bytes, ``" m"`` Markup, ``" u"`` UUID, ``" d"`` datetime, and
  ``" di"`` escaping a user dict whose only key is a tag key.
* **Typed** (flasksess's documented ``--json`` contract): ``{"__type__": ...}``
  objects for every value JSON cannot hold.

Tagging and untagging follow Flask 3.1 rule for rule, quirks included (a ``" d"``
that does not parse is ``None``; ``" di"`` keeps its first key only; ``" t"``
turns a string into a tuple of characters). Flask itself is never imported:
this module is on the path of ``decode --json``, which must start fast.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from datetime import datetime, timezone
from typing import Any

from flasksess_cli.errors import BadInput

#: Flask's registered tag keys, in its check order (after the dict checks).
TAG_KEYS = (" di", " t", " b", " m", " u", " d")
#: Tags Flask 0.10 to 0.12 knew: no " di" escape yet.
LEGACY_TAG_KEYS = (" t", " b", " m", " u", " d")


class UntagError(Exception):
    """A tagged value Flask cannot load (it raises ``BadPayload``; the request fails with 500)."""


# --- Python -> tagged -> JSON text (what Flask writes) -----------------------------------------


def tag(value: Any) -> Any:
    """Flask's ``TaggedJSONSerializer.tag``: the first matching tag wins."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key,) = value
            if key in TAG_KEYS:
                return {" di": {f"{key}__": tag(value[key])}}
        return {k: tag(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {" t": [tag(x) for x in value]}
    if isinstance(value, list):
        return [tag(x) for x in value]
    if isinstance(value, bytes):
        return {" b": base64.b64encode(value).decode("ascii")}
    if callable(getattr(value, "__html__", None)):
        return {" m": str(value.__html__())}
    if isinstance(value, uuid.UUID):
        return {" u": value.hex}
    if isinstance(value, datetime):
        return {" d": http_date(value)}
    return value


def http_date(value: datetime) -> str:
    """Werkzeug's ``http_date``: naive means UTC; microseconds are dropped."""
    import email.utils

    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.tzinfo != timezone.utc:
        value = value.astimezone(timezone.utc)
    return email.utils.format_datetime(value, usegmt=True)


def dumps_flask(session: dict[str, Any], *, sort_keys: bool = True, ensure_ascii: bool = True) -> str:
    """The JSON text Flask's session serializer writes inside an app context.

    ``sort_keys=False`` gives Quart's bytes (insertion order). Values the tagger
    leaves alone and JSON cannot hold (a set, say) fail as they fail in Flask.
    """
    try:
        return json.dumps(tag(session), separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"Flask cannot store this session: {exc}") from None


# --- JSON text -> tagged -> Python (what Flask loads) ------------------------------------------


def untag_scan(value: Any, keys: tuple[str, ...] = TAG_KEYS) -> Any:
    """Depth first, values before their dict, as Flask's ``_untag_scan``."""
    if isinstance(value, dict):
        value = {k: untag_scan(v, keys) for k, v in value.items()}
        if len(value) == 1:
            (key,) = value
            if key in keys:
                try:
                    return _to_python(key, value[key])
                except UntagError:
                    raise
                except Exception as exc:  # Flask turns any failure here into BadPayload, as we do
                    raise UntagError(
                        f"the {key.strip()!r} tag holds {type(value[key]).__name__} it cannot load"
                    ) from exc
    elif isinstance(value, list):
        value = [untag_scan(item, keys) for item in value]
    return value


def _to_python(key: str, value: Any) -> Any:
    if key == " di":
        first = next(iter(value))
        return {first[:-2]: value[first]}
    if key == " t":
        return tuple(value)
    if key == " b":
        return base64.b64decode(value)
    if key == " m":
        from markupsafe import Markup

        return Markup(value)  # noqa: S704 - the type Flask loads; data only, never rendered
    if key == " u":
        return uuid.UUID(value)
    return parse_date(value)


def parse_date(value: Any) -> datetime | None:
    """Werkzeug's ``parse_date``: ``None`` when it does not parse; naive means UTC."""
    import email.utils

    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


# --- Python <-> typed (flasksess's --json contract) --------------------------------------------


def to_typed(value: Any) -> Any:
    """A loaded session value in the documented typed JSON form."""
    if isinstance(value, dict):
        if "__type__" in value:
            return {"__type__": "dict", "items": [[k, to_typed(v)] for k, v in value.items()]}
        return {k: to_typed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__type__": "tuple", "items": [to_typed(x) for x in value]}
    if isinstance(value, list):
        return [to_typed(x) for x in value]
    if isinstance(value, bytes):
        return {"__type__": "bytes", "hex": value.hex()}
    if callable(getattr(value, "__html__", None)):
        return {"__type__": "markup", "value": str(value)}
    if isinstance(value, uuid.UUID):
        return {"__type__": "uuid", "value": str(value)}
    if isinstance(value, datetime):
        return {"__type__": "datetime", "value": iso_utc(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__type__": "float", "value": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    return value


def iso_utc(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS+00:00``, the normalised text of a session datetime."""
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return aware.replace(microsecond=0).isoformat()


def from_typed(value: Any, where: str = "session") -> Any:
    """The Python value a typed JSON document stands for (``sign``'s default input)."""
    if isinstance(value, list):
        return [from_typed(x, f"{where}[{i}]") for i, x in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "__type__" not in value:
        return {k: from_typed(v, f"{where}[{k!r}]") for k, v in value.items()}
    kind = value["__type__"]
    fields = {k: v for k, v in value.items() if k != "__type__"}
    try:
        return _TYPED_READERS[kind](fields, where)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # OverflowError: a date past year 9999
        known = ", ".join(sorted(_TYPED_READERS))
        raise BadInput(
            f'{where} is not a valid typed value {{"__type__": {json.dumps(kind)}, ...}} (types: {known})'
        ) from None


def _only(fields: dict[str, Any], name: str, kind: type) -> Any:
    """The one field a typed value has, of the expected JSON type."""
    if set(fields) != {name} or not isinstance(fields[name], kind):
        raise ValueError(name)
    return fields[name]


def _typed_datetime(fields: dict[str, Any], where: str) -> datetime:
    parsed = datetime.fromisoformat(_only(fields, "value", str))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _typed_float(fields: dict[str, Any], where: str) -> float:
    text = _only(fields, "value", str)
    if text not in {"inf", "-inf", "nan"}:
        raise ValueError(text)
    return float(text)


def _typed_markup(fields: dict[str, Any], where: str) -> Any:
    from markupsafe import Markup

    return Markup(_only(fields, "value", str))  # noqa: S704 - data only, never rendered


def _typed_dict(fields: dict[str, Any], where: str) -> dict[str, Any]:
    result = {}
    for item in _only(fields, "items", list):
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(item)
        result[item[0]] = from_typed(item[1], f"{where}[{item[0]!r}]")
    return result


def _typed_tuple(fields: dict[str, Any], where: str) -> tuple[Any, ...]:
    return tuple(from_typed(x, f"{where}[{i}]") for i, x in enumerate(_only(fields, "items", list)))


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

#: Deeper nesting is refused: every walk over a session here is recursive.
MAX_DEPTH = 200


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse containers nested deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            raise BadInput(f"the session is nested more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children)


def session_from_text(text: str, form: str = "typed") -> dict[str, Any]:
    """A session written as typed JSON (``decode --json``'s "session"), Flask's tagged JSON, or a Python literal."""
    if form == "python":
        from flasksess_cli.keys import python_literal

        try:
            value = python_literal(text.strip())
        except ValueError:
            raise BadInput("the session is not a Python literal (a dict of str, int, tuple, bytes, ...)") from None
        check_depth(value)
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            hint = " (for a Python literal use --python)" if text.lstrip().startswith("{'") else ""
            raise BadInput(f"the session is not JSON{hint}") from None
        check_depth(data)
        if form == "tagged":
            try:
                value = untag_scan(data)
            except UntagError as exc:
                raise BadInput(f"Flask cannot load this tagged JSON: {exc}") from None
        else:
            value = from_typed(data)
    if not isinstance(value, dict):
        raise BadInput(f"a session is a JSON object (a dict), not {type(value).__name__}")
    return value


# --- a session as Python literals, for people ---------------------------------------------------


class _Shown:
    """Stands in a pretty-printed tree for a value whose repr would be noisy."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _displayable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _displayable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_displayable(v) for v in value)
    if isinstance(value, list):
        return [_displayable(v) for v in value]
    if isinstance(value, datetime):
        return _Shown(f"datetime('{iso_utc(value)}')")
    if isinstance(value, uuid.UUID):
        return _Shown(f"UUID('{value}')")
    if isinstance(value, float) and not math.isfinite(value):
        return _Shown(f"float('{value}')")
    return value


def python_text(session: dict[str, Any], width: int = 88) -> str:
    """The session as Python literals: tuple, bytes, Markup, UUID and datetime shown as such.

    Every string goes through repr, so control characters come out escaped;
    the text is still untrusted (escape it for HTML, show it as plain text in a terminal).
    """
    import pprint

    return pprint.pformat(_displayable(session), width=width, sort_dicts=False)
