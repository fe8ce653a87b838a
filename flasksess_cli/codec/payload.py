"""What a release does with a payload once its signature and age pass: a session, or HTTP 500.

``open_session`` loads the JSON (``json.loads`` with the release's tags), then
builds the session with ``session_class(loaded)`` (Werkzeug's ``CallbackDict``:
``dict(loaded or ())`` before Werkzeug 3.1, ``dict(loaded)`` unless ``None``
from 3.1; ``session_class(**loaded)`` in Quart 0.18). Anything that fails on the
way (``BadPayload``, ``TypeError``, ``ValueError``, a ``RecursionError`` deep in
the release's own recursion) fails the request with HTTP 500. A session that is
written back (permanent, or always in Flask 0.10) can fail later, after the view
ran, when the release cannot write it (too deep to tag, keys it cannot sort).

Everything here is computed, never looked up: ``dict()`` is Python's own, the
tags are the release's (:mod:`.tagged`), the depth limits are the measured
recursion limits (:func:`flasksess_cli.codec.rules.nesting_limits`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flasksess_cli.codec import session_json
from flasksess_cli.codec.rules import Rules, nesting_limits
from flasksess_cli.codec.tagged import UntagError, json_kind, untag
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from typing import Literal

    #: "session": the view sees it; "http-500": the request fails before the view runs;
    #: "http-500-after-view": the view runs with it, then writing the session back fails.
    PayloadOutcome = Literal["session", "http-500", "http-500-after-view"]


class LoadedPayload:
    """What the release made of a payload (a plain class: this module is on decode --json's start-up path)."""

    __slots__ = ("depth", "error", "notes", "outcome", "session")

    def __init__(
        self,
        session: dict[Any, Any] | None,
        outcome: PayloadOutcome,
        error: str | None = None,
        notes: tuple[str, ...] = (),
        depth: int = 0,
    ) -> None:
        #: What the app's ``session`` holds (None when the release cannot load the payload).
        self.session = session
        self.outcome: PayloadOutcome = outcome
        #: Why the release fails, for the two HTTP 500 outcomes.
        self.error = error
        self.notes = notes
        #: How deeply JSON containers nest in the payload, at most.
        self.depth = depth


def load_payload(text: str, rules: Rules) -> LoadedPayload:
    """Load payload JSON text as the release's ``open_session`` does, then say whether it can write it back."""
    depth = session_json.json_depth(text)
    if depth > session_json.MAX_DEPTH:
        return LoadedPayload(None, "http-500", _too_deep(rules, depth, "loads"), depth=depth)
    try:
        with session_json.recursion_room(depth):
            data = json.loads(text)
    except ValueError as exc:
        return LoadedPayload(None, "http-500", f"the payload is not JSON ({_json_error(exc)})", depth=depth)
    load_cost, save_cost, levels = _nesting_costs(data, rules) if depth > SHALLOW else (0.0, 0.0, depth)
    if load_cost > 1:
        borderline = (_NEAR,) if load_cost < 1 + NEAR_LIMIT else ()
        return LoadedPayload(None, "http-500", _too_deep(rules, levels, "loads"), notes=borderline, depth=depth)
    notes: list[str] = []
    try:
        with session_json.recursion_room(depth):
            loaded, unknown_tags = untag(data, rules.tags, rules.werkzeug)
    except UntagError as exc:
        return LoadedPayload(None, "http-500", f"{rules.name} cannot load the payload: {exc}", depth=depth)
    notes += [_unknown_tag_note(key, rules) for key in unknown_tags]
    try:
        session = _session_class(loaded, rules)
    except (TypeError, ValueError) as exc:
        return LoadedPayload(
            None, "http-500", _not_a_session(data, loaded, rules, exc), notes=tuple(notes), depth=depth
        )
    if not isinstance(loaded, dict):
        notes.append(_built_from(data, loaded, rules))
    saved = bool(session) and (rules.saves_every_request or bool(session.get("_permanent")))
    write_error = _write_error(session, rules, save_cost)
    near = _near_limit(load_cost, save_cost)
    if near:
        notes.append(near)
    if write_error and saved:
        why = "Flask 0.10 writes every session back" if rules.saves_every_request else "the session is permanent"
        return LoadedPayload(
            session, "http-500-after-view", f"{why}, and {write_error}", notes=tuple(notes), depth=depth
        )
    if write_error:
        notes.append(f"a view that modifies this session gets HTTP 500: {write_error}")
    return LoadedPayload(session, "session", notes=tuple(notes), depth=depth)


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    return str(exc).split(";")[0]


def _session_class(value: Any, rules: Rules) -> dict[Any, Any]:
    """``session_class(loaded)`` as the release's session class builds it."""
    if rules.session_kwargs:  # quart/sessions.py 0.18: self.session_class(**data)
        if not isinstance(value, dict):
            raise TypeError(f"argument after ** must be a mapping, not {type(value).__name__}")
        return dict(**value)
    if rules.werkzeug == "3.1":  # CallbackDict.__init__: dict() if initial is None else dict(initial)
        return {} if value is None else dict(value)
    return dict(value or ())  # CallbackDict.__init__ before Werkzeug 3.1: dict.__init__(self, initial or ())


def _top_tag(data: Any) -> str | None:
    if isinstance(data, dict) and len(data) == 1:
        key = str(next(iter(data)))
        if key.startswith(" "):
            return key
    return None


def _built_from(data: Any, loaded: Any, rules: Rules) -> str:
    tag = _top_tag(data)
    what = f"the {tag!r} tag (a {type(loaded).__name__})" if tag else json_kind(data)
    how = "session_class(**data)" if rules.session_kwargs else "dict() of it"
    return f"the payload's top level is {what}, not an object: {rules.name} builds the session with {how}"


def _not_a_session(data: Any, loaded: Any, rules: Rules, exc: Exception) -> str:
    tag = _top_tag(data)
    what = f"the {tag!r} tag (a {type(loaded).__name__})" if tag else json_kind(data)
    how = "session_class(**data)" if rules.session_kwargs else "dict(loaded)"
    return f"the payload's top level is {what}: {rules.name} builds the session with {how}, which fails ({type(exc).__name__})"


def _unknown_tag_note(key: str, rules: Rules) -> str:
    if key == " di" and rules.tags == "flask-0.10":
        return "Flask 0.10 to 0.12 have no ' di' tag: it is loaded as a plain dict"
    return (
        f"{key!r} is not a tag {rules.name} knows: loaded as a plain dict (an app that registered "
        "its own JSONTag with this key loads something else)"
    )


# --- nesting ---------------------------------------------------------------------------------------


#: No path this shallow costs a measurable share of any release's recursion budget (the least limit is 242).
SHALLOW = 200


def _nesting_costs(data: Any, rules: Rules) -> tuple[float, float, int]:
    """The deepest path's share of the release's recursion budget, to load and to write back, and its levels.

    A level is a container below the session's top-level object: a list, an
    object, or a tagged tuple (``{" t": [...]}``, one level). Each kind costs
    1/limit of its measured limit, so a path of one kind is within budget exactly
    up to the measured limit, and a mixed path in proportion.
    """
    limits = nesting_limits(rules)
    (ll, ld, lt), (sl, sd, st) = limits.load, limits.save
    load_costs = {"list": ld * lt, "dict": ll * lt, "tuple": ll * ld}
    save_costs = {"list": sd * st, "dict": sl * st, "tuple": sl * sd}
    load_budget, save_budget = ll * ld * lt, sl * sd * st
    worst_load = worst_save = deepest = 0
    top = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    stack: list[tuple[Any, int, int, int]] = [(child, 0, 0, 0) for child in top]
    while stack:
        item, load, save, levels = stack.pop()
        children: Any
        if isinstance(item, dict):
            if len(item) == 1 and " t" in item and isinstance(item[" t"], list):
                kind, children = "tuple", item[" t"]
            else:
                kind, children = "dict", item.values()
        elif isinstance(item, list):
            kind, children = "list", item
        else:
            continue
        load, save, levels = load + load_costs[kind], save + save_costs[kind], levels + 1
        if load > worst_load:
            worst_load, deepest = load, levels
        worst_save = max(worst_save, save)
        stack.extend((child, load, save, levels) for child in children)
    return worst_load / load_budget, worst_save / save_budget, deepest


def _too_deep(rules: Rules, levels: int, verb: str) -> str:
    limits = nesting_limits(rules)
    lists, _, tuples = limits.load
    return (
        f"the payload nests {levels} levels deep: {rules.name} {verb} about {lists} levels of lists or "
        f"{tuples} of tuples before a RecursionError (measured: {limits.measured})"
    )


def _write_error(session: dict[Any, Any], rules: Rules, save_cost: float) -> str | None:
    """Why the release could not write this session back, or None."""
    if save_cost > 1:
        lists, _, tuples = nesting_limits(rules).save
        return f"writing it back recurses past the limit (about {lists} levels of lists or {tuples} of tuples)"
    if all(isinstance(key, str) for key in session):  # below the top, keys come from JSON: always str
        return None
    try:
        session_json.dumps_flask(session, sort_keys=rules.sort_keys, tags=rules.tags)
    except BadInput as exc:  # the release's json.dumps raises there too, and answers 500
        return f"writing it back fails ({str(exc).removeprefix('Flask cannot store this session: ')})"
    return None


#: Within this share of a nesting limit, the verdict depends on the server's stack depth.
NEAR_LIMIT = 0.01
_NEAR = (
    "the session is within 1% of the nesting limit, which depends on how deep the server's stack is when "
    "the session loads: measured with the release's test client; Werkzeug's server loads a level less, "
    "deeper stacks (gunicorn, middleware) a few less, a shallower one a level or two more"
)


def _near_limit(load_cost: float, save_cost: float) -> str | None:
    return _NEAR if abs(load_cost - 1) < NEAR_LIMIT or abs(save_cost - 1) < NEAR_LIMIT else None
