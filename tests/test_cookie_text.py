"""The one reader of pasted cookie text: every command sees the same cookies in the same text."""

from __future__ import annotations

import json

import pytest

from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.cookie_text import PastedCookie, extract_cookie, read_cookies
from flasksess_cli.errors import BadInput
from flasksess_cli.keys import SecretKey
from tests.conftest import Invoke

VALUE = sign_session({"user_id": 42}, key=SecretKey("k" * 32), timestamp=1_700_000_000).value


@pytest.mark.parametrize(
    ("text", "cookies"),
    [
        (VALUE, [(None, VALUE, None)]),
        (f"session={VALUE}", [("session", VALUE, None)]),
        (f"theme=dark; session={VALUE}", [("theme", "dark", None), ("session", VALUE, None)]),
        (f"Cookie: theme; session={VALUE}", [("", "theme", None), ("session", VALUE, None)]),
        (f"session={VALUE}; HttpOnly; Path=/", [("session", VALUE, f"session={VALUE}; HttpOnly; Path=/")]),
        (f"Set-Cookie: {VALUE}; Path=/", [("", VALUE, f"{VALUE}; Path=/")]),
        (
            f"HTTP/1.1 302 FOUND\r\nSet-Cookie: a=1; Path=/\r\nset-cookie: session={VALUE}; HttpOnly\r\n",
            [("a", "1", "a=1; Path=/"), ("session", VALUE, f"session={VALUE}; HttpOnly")],
        ),
    ],
    ids=["value", "pair", "cookie-value", "nameless", "set-cookie-value", "nameless-set-cookie", "curl -si"],
)
def test_read_cookies(text: str, cookies: list[tuple[str | None, str, str | None]]) -> None:
    assert list(read_cookies(text).cookies) == [PastedCookie(*c) for c in cookies]


@pytest.mark.parametrize("text", [VALUE, f"Cookie: theme; session={VALUE}", f"Set-Cookie: session={VALUE}; Path=/"])
def test_extract_cookie_takes_the_session(text: str) -> None:
    assert extract_cookie(text) == VALUE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the input is empty"),
        ("a\nb", "several lines but no Cookie: or Set-Cookie: header"),
        ("Cookie: a=1; b=2", "no cookie named 'session' in the headers (found 'a', 'b'"),
        ("a=1", "no cookie named 'session' in the input (found 'a'"),
    ],
)
def test_extract_cookie_says_what_it_found(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(")):
        extract_cookie(text)


def test_decode_and_sizecheck_read_the_same_cookies(invoke: Invoke) -> None:
    text = f"Cookie: theme; session={VALUE}"
    decoded = invoke(["decode", "--json", text])
    sized = invoke(["sizecheck", "--json", text])
    assert decoded.exit_code == sized.exit_code == 0, decoded.stderr + sized.stderr
    assert json.loads(decoded.stdout)["signature"] == VALUE.rsplit(".", 1)[1]
    names = [cookie["name"] for cookie in json.loads(sized.stdout)["cookies"]]
    assert names == ["", "session"]
