"""flasksess sizecheck at the boundary users see: exit codes, streams, --json keys, inputs, advice."""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path
from typing import Any

import flask
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from flasksess_cli.cli import cli
from flasksess_cli.codec.session_json import to_typed
from flasksess_cli.sizecheck.pricing import session_cookie
from tests.conftest import Invoke

README = Path(__file__).resolve().parents[2] / "README.md"
_RANDOM = random.Random(7)
#: A cart of objects: incompressible enough that the cookie is far past 4096 bytes.
BIG_CART = {
    "cart": [
        {"sku": _RANDOM.randrange(10**9), "name": "".join(_RANDOM.choices(string.ascii_letters, k=16))}
        for _ in range(200)
    ]
}

#: What a browser may send: three cookies of 3000 bytes, 9016 bytes in all (over 8 KiB, under 16 KiB).
THREE_COOKIES = "Cookie: a=" + "x" * 3000 + "; b=" + "y" * 3000 + "; c=" + "z" * 3000


def flask_cookie(session: dict[str, Any], *, permanent: bool = False) -> str:
    """The session cookie value a real Flask app sends."""
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="k", MAX_COOKIE_SIZE=0)

    @app.get("/")
    def index() -> str:
        flask.session.update(session)
        flask.session.permanent = permanent
        return ""

    header = app.test_client().get("/").headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def doc(invoke: Invoke, args: list[str], **kwargs: Any) -> dict[str, Any]:
    result = invoke(["sizecheck", "--json", *args], **kwargs)
    assert result.exit_code in {0, 1}, result.stderr
    assert result.stderr == ""
    return dict(json.loads(result.stdout))


EXIT_CODES = [
    (["eyJ1c2VyX2lkIjo0Mn0.aT8ZWQ.0d2xXXXXXXXXXXXXXXXXXXXXXX"], 0),
    (["session=" + "a" * 4089], 0),  # name+value 4096: kept (Flask warns)
    (["session=" + "a" * 4090], 1),  # 4097: dropped
    (["Set-Cookie: __Host-s=v; Path=/"], 1),  # prefix rule: every browser drops it
    (["Set-Cookie: s=v; Path=/" + "p" * 1100], 1),  # Safari drops a cookie with a 1025+-byte Path
    (["--session", '{"user_id": 42}'], 0),
    (["--session", json.dumps(BIG_CART)], 1),
    ([THREE_COOKIES, "--server", "nginx"], 1),
    ([THREE_COOKIES, "--server", "node"], 0),
    ([THREE_COOKIES], 0),  # servers are shown, not judged, without --server
    ([], 3),  # nothing given and stdin is piped: stdin is the cookie, and it is empty
    (["abc", "--session", "{}"], 2),
    (["abc", "--data", "a=b"], 2),
    (["abc", "--samesite", "sometimes"], 2),
    (["--url", "http://127.0.0.1:1/", "--data", "novalue"], 2),
    (["--session", "{not json"], 3),
    (["--session", "[1, 2]"], 3),
    (["--python", "{'a': open}"], 3),
    (["--har", "/nonexistent/file.har"], 3),
    (["--url", "ftp://example.com/"], 3),
    (["-"], 3),  # empty stdin
    (["line one\nline two"], 3),
]


@pytest.mark.parametrize(("args", "code"), EXIT_CODES)
def test_exit_code_contract(invoke: Invoke, args: list[str], code: int) -> None:
    result = invoke(["sizecheck", *args], input="")
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code >= 2:
        assert result.stdout == ""
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


def test_json_document_has_the_documented_keys_and_readme_documents_every_one(invoke: Invoke) -> None:
    document = doc(invoke, ["--session", json.dumps(BIG_CART | {"_flashes": [["message", "hi"]]}), "--server", "nginx"])
    keys = set(document) | set(document["cookies"][0]) | set(document["requests"][0])
    keys |= set(document["cookies"][0]["browser"]) | set(document["cookies"][0]["session"])
    keys |= set(document["cookies"][0]["session"]["keys"][0]) | set(document["requests"][0]["servers"][0])
    assert set(document) == {
        "app",
        "source",
        "verdict",
        "dropped",
        "server",
        "server_rejects",
        "cookies",
        "requests",
        "domains",
    }
    section = README.read_text(encoding="utf-8").split("### `flasksess sizecheck`", 1)[1].split("\n## ", 1)[0]
    undocumented = {k for k in keys if f"`{k}`" not in section and f"`{k}[]`" not in section}
    assert not undocumented, f"README's sizecheck section lacks {sorted(undocumented)}"


def test_session_report_names_the_costliest_keys_with_advice(invoke: Invoke) -> None:
    session = BIG_CART | {"user_id": 42, "_flashes": [["message", "Saved. " * 80]], "note": "n" * 10}
    [cookie] = doc(invoke, ["--session", json.dumps(session)])["cookies"]
    assert cookie["verdict"] == "dropped" and cookie["browser"]["verdict"] == "dropped"
    keys = [k["key"] for k in cookie["session"]["keys"]]
    assert keys[0] == "cart" and set(keys) == set(session)
    costs = [k["cookie_bytes"] for k in cookie["session"]["keys"]]
    assert costs == sorted(costs, reverse=True)
    advice = " ".join(cookie["advice"])
    assert "keep ids in the session, not objects" in advice
    assert "Flask-Session with Redis or a database" in advice
    assert cookie["session"]["flashes"] == 1


def test_flashes_advice_when_stale_flashes_are_what_costs(invoke: Invoke) -> None:
    flashes = [["message", "".join(_RANDOM.choices(string.ascii_letters + " ", k=60))] for _ in range(60)]
    [cookie] = doc(invoke, ["--session", json.dumps({"_flashes": flashes, "user_id": 1})])["cookies"]
    assert cookie["session"]["keys"][0]["key"] == "_flashes"
    assert any("get_flashed_messages()" in step for step in cookie["advice"])


def test_a_real_flask_cookie_is_decoded_and_priced_without_a_key(invoke: Invoke) -> None:
    value = flask_cookie({"user_id": 42, "cart": list(range(300))}, permanent=True)
    [cookie] = doc(invoke, [value])["cookies"]
    assert cookie["value_bytes"] == len(value)
    assert cookie["session"]["cookie_bytes"] == len(value)  # re-signed as written: same length
    assert cookie["session"]["permanent"] is True
    assert cookie["attributes"].startswith("Expires=")  # permanent, so Flask sends Expires
    assert {k["key"] for k in cookie["session"]["keys"]} == {"user_id", "cart", "_permanent"}


def test_typed_tagged_and_python_sessions_are_the_same_cookie(invoke: Invoke) -> None:
    session = {"pair": (1, 2), "token": b"\x00\x01"}
    typed = doc(invoke, ["--session", json.dumps(to_typed(session))])
    tagged = doc(invoke, ["--session", '{"pair": {" t": [1, 2]}, "token": {" b": "AAE="}}', "--tagged"])
    python = doc(invoke, ["--python", "{'pair': (1, 2), 'token': b'\\x00\\x01'}"])
    sizes_of = [d["cookies"][0]["value_bytes"] for d in (typed, tagged, python)]
    assert sizes_of[0] == sizes_of[1] == sizes_of[2] == len(session_cookie(session).value)


def test_session_from_file_and_stdin(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text(json.dumps(BIG_CART))
    from_file = doc(invoke, ["--session", f"@{path}"])
    from_stdin = doc(invoke, ["--session", "-"], input=json.dumps(BIG_CART))
    assert from_file["cookies"][0]["value_bytes"] == from_stdin["cookies"][0]["value_bytes"]


def test_curl_output_on_stdin_checks_every_set_cookie(invoke: Invoke) -> None:
    text = (
        "HTTP/1.1 302 FOUND\r\nLocation: /\r\nSet-Cookie: session=abc.def.ghi; HttpOnly; Path=/\r\n"
        "Set-Cookie: big=" + "b" * 4200 + "; Path=/\r\nContent-Length: 0\r\n\r\n"
    )
    result = invoke(["sizecheck", "--json", "-"], input=text)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(c["name"], c["verdict"], c["header_source"]) for c in document["cookies"]] == [
        ("session", "ok", "given"),
        ("big", "dropped", "given"),
    ]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("a=1; b=2", ["a", "b"]),
        ("Cookie: a=1; b=2", ["a", "b"]),
        ("session=v; HttpOnly; Path=/", ["session"]),
        ("lang=en", ["lang"]),
        ("eyJhIjoxfQ.aT8ZWQ.sig", ["session"]),
    ],
)
def test_input_forms(invoke: Invoke, text: str, names: list[str]) -> None:
    assert [c["name"] for c in doc(invoke, [text])["cookies"]] == names


def test_cookie_name_option_names_a_bare_value(invoke: Invoke) -> None:
    [cookie] = doc(invoke, ["abc", "--cookie-name", "sid", "--secure", "--samesite", "lax", "--permanent"])["cookies"]
    assert cookie["name"] == "sid"
    assert re.fullmatch(r"Expires=[^;]{29}; Secure; HttpOnly; Path=/; SameSite=Lax", cookie["attributes"])


def test_human_output_says_dropped_with_the_consequence_and_bars(invoke: Invoke) -> None:
    result = invoke(["sizecheck", "--session", json.dumps(BIG_CART)])
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert "DROPPED: browsers will silently ignore this cookie; the app will keep seeing the previous session" in out
    assert "█" in result.stdout and "What to do:" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    assert result.stderr == ""


def test_human_output_when_only_flask_warns(invoke: Invoke) -> None:
    result = invoke(["sizecheck", "session=" + "a" * 4080])
    assert result.exit_code == 0
    assert "FLASK WARNS: Flask will warn; browsers keep it" in " ".join(result.stdout.split())


def test_untrusted_names_are_shown_literally(invoke: Invoke) -> None:
    result = invoke(["sizecheck", "Set-Cookie: [bold red]x\x1b[2J=v; Path=/"])
    assert result.exit_code == 1  # browsers reject a name with a control character in it
    assert "[bold red]x\\x1b[2J" in result.stdout
    assert "\x1b" not in result.stdout


def test_server_option_shows_only_that_server(invoke: Invoke) -> None:
    cookie = THREE_COOKIES
    picked = invoke(["sizecheck", cookie, "--server", "gunicorn"])
    assert picked.exit_code == 1
    assert "gunicorn" in picked.stdout and "nginx" not in picked.stdout and "rejected" in picked.stdout
    document = doc(invoke, [cookie, "--server", "gunicorn"])
    assert document["server_rejects"] is True
    verdicts = {s["server"]: s["verdict"] for s in document["requests"][0]["servers"]}
    assert verdicts["gunicorn"] == verdicts["nginx"] == "rejected" and verdicts["node"] == "ok"
    all_shown = invoke(["sizecheck", cookie])
    assert all(name in all_shown.stdout for name in ("nginx", "apache", "cloudfront", "werkzeug"))


def test_limits_prints_the_table_with_sources(invoke: Invoke) -> None:
    rows = json.loads(invoke(["sizecheck", "--limits", "--json"]).stdout)
    assert {"browser", "max-cookie-size", "attribute", "cookies-per-domain", "nginx", "werkzeug"} <= {
        r["id"] for r in rows
    }
    assert all(r["source"] for r in rows)
    human = invoke(["sizecheck", "--limits"])
    assert human.exit_code == 0
    assert "kMaxCookieNamePlusValueSize" in human.stdout.replace("\n", "").replace("│", "").replace(" ", "")


def test_max_cookie_size_zero_turns_the_flask_check_off(invoke: Invoke) -> None:
    [cookie] = doc(invoke, ["session=" + "a" * 4080, "--max-cookie-size", "0"])["cookies"]
    assert cookie["flask"] == {"limit": 0, "bytes": 4106, "headroom": None, "verdict": "disabled"}
    assert cookie["verdict"] == "ok"


_pieces = st.sampled_from(
    ["session=", "Set-Cookie: ", "Cookie: ", "; ", "=", ".", "eyJhIjoxfQ", ".aT8ZWQ.", "__Host-", "Path=/",
     "Domain=", "\n", "\"", "é", "\x00", "a" * 5000]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.lists(_pieces, max_size=12).map("".join)))
def test_never_a_traceback_on_any_cookie_text(text: str) -> None:
    runner = CliRunner()
    for args in (["sizecheck", "--json", "-"], ["sizecheck", "-", "--domain", text[:80] or "x"]):
        result = runner.invoke(cli, args, input=text, catch_exceptions=False)
        assert result.exit_code in {0, 1, 3}, result.output
        if result.exit_code == 3:
            assert result.stderr.startswith("Error: ") and result.stdout == ""


@settings(max_examples=60, deadline=None)
@given(session=st.dictionaries(st.text(max_size=10).filter(lambda k: k != "__type__"), st.recursive(  # "__type__" marks a typed value
    st.none() | st.booleans() | st.integers() | st.text(max_size=50), lambda inner: st.lists(inner, max_size=5), max_leaves=20,
), max_size=8))  # fmt: skip
def test_any_json_session_is_checked(session: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["sizecheck", "--json", "--session", json.dumps(session)], catch_exceptions=False)
    assert result.exit_code in {0, 1}, result.stderr
    [cookie] = json.loads(result.stdout)["cookies"]
    assert {k["key"] for k in cookie["session"]["keys"]} == set(session)
