"""Flask's tagged JSON, per release: what the session serializer writes, and what it loads back.

The wire form (``flask/json/tag.py``; ``flask/sessions.py`` before 1.0;
``quart/json/tag.py`` in Quart 0.18): ``{" t": [...]}`` a tuple, ``" b"`` bytes
(standard base64), ``" m"`` Markup, ``" u"`` a UUID's hex, ``" d"`` a datetime
(an HTTP date; Quart 0.18: ISO 8601 with microseconds), and, from Flask 1.0,
``" di"`` escaping a user dict whose only key is a tag key.

Each tag's ``to_python`` is written here as the release writes it, so that what
fails in the release (and becomes its HTTP 500) fails here, and what it accepts
by accident (``{" t": "ab"}`` is the tuple ``("a", "b")``) is accepted here.
Flask itself is never imported: this module is on the path of ``decode --json``.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flasksess_cli.codec.rules import Tags, Werkzeug

#: Flask's registered tag keys, in its check order (after the dict checks).
TAG_KEYS = (" di", " t", " b", " m", " u", " d")
#: The tags Flask 0.10 to 0.12 knew: no " di" escape yet.
LEGACY_TAG_KEYS = (" t", " b", " m", " u", " d")


class UntagError(Exception):
    """A tagged value the release cannot load: it raises ``BadPayload``, and the request fails with HTTP 500."""


def tag_keys(tags: Tags) -> tuple[str, ...]:
    return LEGACY_TAG_KEYS if tags == "flask-0.10" else TAG_KEYS


# --- Python -> tagged (what the release writes) ------------------------------------------------------


def tag(value: Any, tags: Tags = "flask") -> Any:
    """The release's ``TaggedJSONSerializer.tag``: the first matching tag wins."""
    if isinstance(value, dict):
        if tags != "flask-0.10" and len(value) == 1:
            (key,) = value
            if key in TAG_KEYS:
                return {" di": {f"{key}__": tag(value[key], tags)}}
        return {k: tag(v, tags) for k, v in value.items()}
    if isinstance(value, tuple):
        return {" t": [tag(x, tags) for x in value]}
    if isinstance(value, list):
        return [tag(x, tags) for x in value]
    if isinstance(value, bytes):
        return {" b": base64.b64encode(value).decode("ascii")}
    if callable(getattr(value, "__html__", None)):
        return {" m": str(value.__html__())}
    if isinstance(value, uuid.UUID):
        return {" u": value.hex}
    if isinstance(value, datetime):
        return {" d": value.isoformat(timespec="microseconds") if tags == "quart-0.18" else http_date(value)}
    return value


def http_date(value: datetime) -> str:
    """Werkzeug's ``http_date``: naive means UTC; microseconds are dropped."""
    import email.utils

    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    elif value.tzinfo != timezone.utc:
        value = value.astimezone(timezone.utc)
    return email.utils.format_datetime(value, usegmt=True)


# --- JSON value -> Python (what the release loads) ----------------------------------------------------


def untag(data: Any, tags: Tags = "flask", werkzeug: Werkzeug = "3.1") -> tuple[Any, tuple[str, ...]]:
    """Load a parsed payload as the release does: depth first, values before their object.

    Returns the value, and the keys of single-key objects that look like tags the
    release does not know (" st", or " di" before Flask 1.0). Raises
    :class:`UntagError` where the release raises ``BadPayload``.
    """
    unknown: set[str] = set()
    known = tag_keys(tags)

    def scan(value: Any, escaped: bool = False) -> Any:
        if isinstance(value, dict):
            value = {k: scan(v, escaped=k == " di") for k, v in value.items()}
            if len(value) == 1:
                (key,) = value
                if key in known:
                    try:
                        return _to_python(key, value[key], tags, werkzeug)
                    except Exception as exc:  # the release turns any failure here into BadPayload
                        raise UntagError(_untag_failure(key, value[key], exc)) from exc
                if key.startswith(" ") and not escaped:
                    unknown.add(key)
        elif isinstance(value, list):
            value = [scan(item) for item in value]
        return value

    value = scan(data)
    return value, tuple(sorted(unknown))


def json_kind(value: Any) -> str:
    """``a JSON array``, ``a JSON string``, ``JSON null``: what a parsed JSON value was."""
    if value is None:
        return "JSON null"
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return f"a JSON {kinds.get(type(value), type(value).__name__)}"


def _untag_failure(key: str, value: Any, exc: Exception) -> str:
    return f"the {key!r} tag holds {json_kind(value)} it cannot load ({type(exc).__name__})"


def _to_python(key: str, value: Any, tags: Tags, werkzeug: Werkzeug) -> Any:
    if key == " di":
        if tags == "quart-0.18":  # quart/json/tag.py 0.18: unpacks the first key itself
            first, item = next(iter(value))
            return {first[:-2]: item}
        first = next(iter(value))
        return {first[:-2]: value[first]}
    if key == " t":
        return tuple(value)
    if key == " b":
        return base64.b64decode(value)
    if key == " m":
        from markupsafe import Markup

        return Markup(value)  # noqa: S704 - the type the release loads; data only, never rendered
    if key == " u":
        return uuid.UUID(value)
    if tags == "quart-0.18":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return parse_date(value, werkzeug)
    return parse_date(value, werkzeug)


def parse_date(value: Any, werkzeug: Werkzeug = "3.1") -> datetime | None:
    """Werkzeug's ``parse_date``: ``None`` when it does not parse.

    Werkzeug >= 2.0 wraps ``email.utils.parsedate_to_datetime`` (naive means UTC,
    an offset is kept); before 2.0 it returned a naive UTC datetime and mapped
    two-digit years to 1969-2068.
    """
    import email.utils

    if werkzeug in ("0.16", "1.0"):
        if not value:
            return None
        parsed = email.utils.parsedate_tz(value.strip())
        if parsed is None:
            return None
        year = parsed[0]
        if 0 <= year <= 68:
            year += 2000
        elif 69 <= year <= 99:
            year += 1900
        try:
            return datetime(year, *parsed[1:7]) - timedelta(seconds=parsed[-1] or 0)
        except (ValueError, OverflowError):
            return None
    if value is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
