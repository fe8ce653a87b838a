"""sizecheck's pricing: each key's share of the cookie, exact, and in time that grows with the input only."""

from __future__ import annotations

import json
import random
import string
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.codec.session_json import dumps_flask
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey
from flasksess_cli.settings import SessionSettings
from flasksess_cli.sizecheck.pricing import MAX_PRICED_KEYS, price_payload, price_session, session_cookie
from flasksess_cli.sizecheck.report import PRICING_BUDGET, Pricer
from flasksess_cli.sizecheck.sources import from_text

_RANDOM = random.Random(11)
CART = [
    {"sku": _RANDOM.randrange(10**9), "name": "".join(_RANDOM.choices(string.ascii_letters, k=16))} for _ in range(200)
]


def b64(n: int) -> int:
    return (4 * n + 2) // 3


def prefix_texts(session: dict[str, Any], settings: SessionSettings) -> list[str]:
    """Flask's JSON cut after each top-level key, in the order it writes them (from dumps_flask alone)."""
    keys = sorted(session) if settings.sort_keys else list(session)
    texts = ["{"]
    for n in range(1, len(keys) + 1):
        first = {k: session[k] for k in keys[:n]}
        text = dumps_flask(first, sort_keys=settings.sort_keys, ensure_ascii=settings.ensure_ascii)
        texts.append(text if n == len(keys) else text[:-1] + ",")
    return texts


def expected_shares(session: dict[str, Any], settings: SessionSettings) -> dict[str, int]:
    texts = [t.encode() for t in prefix_texts(session, settings)]
    whole = session_cookie(session, settings)
    size = (lambda t: b64(len(zlib.compress(t)))) if whole.compressed else (lambda t: b64(len(t)))
    keys = sorted(session) if settings.sort_keys else list(session)
    return {key: size(texts[n + 1]) - size(texts[n]) for n, key in enumerate(keys)}


@pytest.mark.parametrize(
    "session",
    [
        {"cart": CART, "user_id": 42, "theme": "dark"},  # compressed
        {"user_id": 42, "theme": "dark", "csrf_token": "x" * 40},  # not compressed
        {"b": "same text " * 50, "a": "same text " * 50},  # the second copy costs almost nothing
    ],
)
@pytest.mark.parametrize("sort_keys", [True, False])
def test_each_key_costs_what_the_payload_grows_by_when_flask_writes_it(
    session: dict[str, Any], sort_keys: bool
) -> None:
    settings = SessionSettings(sort_keys=sort_keys)
    size = price_session(session, settings, timestamp=1_800_000_000)
    assert size.cookie_bytes == len(session_cookie(session, settings, timestamp=1_800_000_000).value)
    assert {cost.key: cost.cookie_bytes for cost in size.keys} == expected_shares(session, settings)
    assert [c.cookie_bytes for c in size.keys] == sorted((c.cookie_bytes for c in size.keys), reverse=True)


def test_a_value_repeating_an_earlier_one_costs_little() -> None:
    text = "".join(_RANDOM.choices(string.ascii_letters, k=2000))
    size = price_session({"a": text, "b": text})
    costs = {c.key: c.cookie_bytes for c in size.keys}
    assert costs["a"] > 1500 and costs["b"] < 100


@settings(max_examples=80, deadline=None)
@given(
    session=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=60) | st.binary(max_size=20),
            lambda inner: st.lists(inner, max_size=6) | st.tuples(inner, inner),
            max_leaves=25,
        ),
        min_size=1,
        max_size=10,
    ),
    sort_keys=st.booleans(),
    ensure_ascii=st.booleans(),
)
def test_shares_add_up_to_the_payload(session: dict[str, Any], sort_keys: bool, ensure_ascii: bool) -> None:
    settings = SessionSettings(sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    try:
        size = price_session(session, settings)
    except BadInput:  # a lone surrogate with ensure_ascii=False: Flask cannot write it either
        text = dumps_flask(session, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
        with pytest.raises(UnicodeEncodeError):
            text.encode("utf-8")
        return
    whole = session_cookie(session, settings)
    payload = whole.value.rsplit(".", 2)[0].lstrip(".")
    first = b64(len(zlib.compress(b"{"))) if whole.compressed else b64(1)
    if len(session) == 1:  # one key: its share is the payload past the opening brace
        assert size.keys[0].cookie_bytes == len(payload) - first
    else:
        assert sum(c.cookie_bytes for c in size.keys) == len(payload) - first
    assert sum(c.json_bytes for c in size.keys) + len(session) + 1 == whole.json_bytes  # commas and braces


def test_keys_that_are_not_text_are_priced_as_json_writes_them() -> None:
    size = price_session({1: "a", 2: "b"})  # --python "{1: 'a', 2: 'b'}": Flask writes {"1":"a","2":"b"}
    assert {c.key for c in size.keys} == {"1", "2"}
    with pytest.raises(BadInput, match="Flask cannot store this session"):
        price_session({1: "a", "b": 2})  # Python cannot sort 1 and "b"; neither can Flask's JSON


def test_a_lone_surrogate_is_priced_escaped_and_refused_unescaped() -> None:
    size = price_session({"a": "\ud800"})
    assert size.json_bytes == len('{"a":"\\ud800"}')
    with pytest.raises(BadInput, match="lone surrogate"):
        price_session({"a": "\ud800"}, SessionSettings(ensure_ascii=False))


def test_only_the_largest_keys_are_priced_one_by_one() -> None:
    session = {f"k{n:04d}": "v" * (n % 97) for n in range(1000)}
    size = price_session(session)
    assert len(size.keys) == MAX_PRICED_KEYS and size.keys_not_measured == 1000 - MAX_PRICED_KEYS
    priced = {c.key for c in size.keys}
    unpriced = [len(json.dumps({k: v}, separators=(",", ":"))) - 2 for k, v in session.items() if k not in priced]
    assert min(c.json_bytes for c in size.keys) >= max(unpriced)


def bomb(n: int = 0, n_keys: int = 70) -> str:
    """A 2 KB cookie whose session inflates to almost 1 MiB of JSON in many keys: the worst case for pricing."""
    per = (1 << 20) // n_keys - 200
    session = {f"k{i:02d}": chr(97 + i % 26) * per for i in range(n_keys)}
    return sign_session(session, key=SecretKey("x" * 20), timestamp=1_700_000_000 + n).value


def test_one_run_prices_at_most_its_budget_and_says_so() -> None:
    assert len(bomb()) < 2500
    lines = "\n".join(f"Set-Cookie: s{i}={bomb(i)}" for i in range(20))
    result = from_text(lines, SessionSettings())
    priced = [c for c in result.cookies if c.session is not None]
    refused = [c for c in result.cookies if c.session is None]
    assert 0 < len(priced) <= PRICING_BUDGET // (1 << 20) + 1  # about 1 MiB each
    assert refused and all("budget" in (c.not_priced or "") for c in refused)
    assert all(c.report.name_value_bytes > len(bomb()) for c in result.cookies)  # every one is size-checked


def test_the_same_value_is_priced_once() -> None:
    pricer = Pricer(budget=3 << 20)
    value = bomb()
    first = pricer.price(value)
    assert all(pricer.price(value) is first for _ in range(50))
    assert first.size is not None and pricer.left > 0


def test_a_decompression_bomb_is_not_priced_and_says_why() -> None:
    value = sign_session({"a": "x" * (2 << 20)}, key=SecretKey("k" * 20)).value
    priced = Pricer().price(value)
    assert priced.size is None and "decompression bomb" in (priced.not_priced or "")


@settings(max_examples=80, deadline=None)
@given(
    session=st.dictionaries(st.text(max_size=8), st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=20,
    ), max_size=8),
    sort_keys=st.booleans(),
    spaced=st.booleans(),
)  # fmt: skip
def test_a_payload_is_priced_as_written_and_as_flask_would_write_it(
    session: dict[str, Any], sort_keys: bool, spaced: bool
) -> None:
    """A cookie's payload priced from its text equals the session priced as data, when Flask wrote it."""
    settings = SessionSettings(sort_keys=sort_keys)
    as_data = price_session(session, settings, timestamp=1_800_000_000)
    payload = dumps_flask(session, sort_keys=sort_keys)
    as_written = price_payload(payload, session, digest="sha1", timestamp=1_800_000_000)
    assert as_written == as_data
    if spaced:  # another writer's spacing: priced as written, shares still add up to the payload
        loose = json.dumps(json.loads(payload), indent=1, sort_keys=sort_keys)
        priced = price_payload(loose, session, digest="sha1", timestamp=1_800_000_000)
        assert priced.json_bytes == len(loose.encode())


@pytest.mark.parametrize("payload", ["[1]", '{"a":1', '{"a" 1}', '{"a":1,}', "{1:2}", '{"a":1}x'])
def test_a_payload_that_is_no_object_is_refused(payload: str) -> None:
    with pytest.raises(BadInput, match="not a JSON object"):
        price_payload(payload, {}, digest="sha1", timestamp=0)


def test_when_the_budget_runs_short_the_largest_cookies_are_priced() -> None:
    names = ["".join(_RANDOM.choices(string.ascii_letters, k=12)) for _ in range(150)]
    legit = sign_session(
        {"cart": [{"sku": n, "name": name} for n, name in enumerate(names)]}, key=SecretKey("k" * 20)
    ).value
    bombs = [f"Set-Cookie: b{i}={bomb(i)}" for i in range(10)]
    result = from_text("\n".join([*bombs, f"Set-Cookie: session={legit}"]), SessionSettings())
    [session] = [c for c in result.cookies if c.report.name == "session"]
    assert len(legit) > len(bomb()) and session.session is not None
