"""decode, verify and sign on input of any kind: one Error: line and a documented exit code, never a traceback.

Generated cookies are shaped like the real thing (base64 payloads of any bytes, zlib
or not, timestamps of any length and size, signatures made with the key or not), so
that every branch past the signature is reached; sessions to sign are typed JSON of
any shape, odd dates and numbers included; keys, salts and the environment hold bytes
that are not UTF-8.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

import itsdangerous
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flasksess_cli.cli import cli

KEY = "hostile-key"
SIGNER = itsdangerous.Signer(KEY, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
RELEASES = st.sampled_from([[], ["--flask", "0.10"], ["--flask", "1.0"], ["--flask", "2.0"], ["--quart", "0.18"]])
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(args: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, args, input=stdin, env={"FLASK_SECRET_KEY": None, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the bug this file looks for
    assert result.exit_code in {0, 1, 2, 3}, (args, result.exit_code)
    if result.exit_code in (2, 3):
        assert result.stdout == "" and result.stderr.count("Error: ") == 1, result.stderr
        assert result.stderr.splitlines()[-1].startswith("Error: ")
    if "--json" in args and result.exit_code in (0, 1):
        json.loads(result.stdout)  # strict JSON, lone surrogates escaped
    return result


def b64(data: bytes) -> str:
    return itsdangerous.encoding.base64_encode(data).decode()


payload_bytes = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b'{"a":1}', b"null", b"[[1,2]]", b'{" t":"ab"}', b'{"s":"\\ud83d"}', b"\xef\xbb\xbf{}"]),
)


@st.composite
def cookies(draw: st.DrawFn) -> str:
    data = draw(payload_bytes)
    payload = "." + b64(zlib.compress(data)) if draw(st.booleans()) else b64(data)
    stamp = draw(
        st.one_of(
            st.integers(0, 2**64 - 1).map(lambda n: b64(n.to_bytes(8, "big").lstrip(b"\0"))),
            st.binary(max_size=12).map(b64),
            st.text(alphabet="AZaz09-_=!.", max_size=14),
        )
    )
    signed = f"{payload}.{stamp}"
    if draw(st.booleans()):
        return SIGNER.sign(signed).decode()
    return f"{signed}.{draw(st.text(max_size=30))}"


@SETTINGS
@given(cookie=cookies(), release=RELEASES, json_output=st.booleans())
def test_decode_and_verify_any_cookie_shaped_input(cookie: str, release: list[str], json_output: bool) -> None:
    flag = ["--json"] if json_output else []
    run(["decode", *flag, *release, cookie])
    run(["verify", *flag, *release, "-k", KEY, cookie])
    run(["verify", *flag, *release, "--no-max-age", "-k", KEY, "--legacy-epoch", cookie])


typed_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.fixed_dictionaries(
        {
            "__type__": st.sampled_from(["datetime", "float", "bytes", "uuid", "markup", "dict", "tuple", "set"]),
            "value": st.text(max_size=40),
        }
    ),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(
        lambda d: {"__type__": "datetime", "value": d.isoformat()}
    ),
    st.sampled_from(
        [
            {"__type__": "datetime", "value": "9999-12-31T23:59:59-23:59"},
            {"__type__": "datetime", "value": "0001-01-01T00:00:00+23:59"},
            {"__type__": "float", "value": "nan"},
            {"__type__": "dict", "items": [[1, 2], ["a", 3]]},
            {"__type__": "dict", "items": [[[1], 2]]},
            {"__type__": "bytes", "hex": "zz"},
        ]
    ),
)
typed_values = st.recursive(
    typed_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=10,
)


@SETTINGS
@given(session=st.dictionaries(st.text(max_size=6), typed_values, max_size=4), release=RELEASES)
def test_sign_any_typed_session(session: dict[str, Any], release: list[str]) -> None:
    text = json.dumps(session)
    result = run(["sign", *release, "-k", KEY, text])
    if result.exit_code == 0:
        cookie = result.stdout.strip()
        verified = run(["verify", "--json", *release, "--no-max-age", "-k", KEY, cookie])
        assert verified.exit_code in (0, 1)


NO_NUL = st.characters(blacklist_characters="\x00")  # argv and the environment cannot hold NUL


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(NO_NUL, max_size=12),
    salt=st.text(NO_NUL, max_size=8),
    env=st.text(NO_NUL, max_size=12),
    raw=st.binary(min_size=1, max_size=8).filter(lambda b: b"\x00" not in b),
)
def test_keys_salts_and_environment_of_any_kind(key: str, salt: str, env: str, raw: bytes) -> None:
    cookie = SIGNER.sign(f"{b64(b'{}')}.{b64(b'xyz')}").decode()
    as_argv = raw.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8, as Python hands them over
    for secret in (key, as_argv, "text:" + key, "hex:" + key, "base64:" + key, "b'" + key + "'"):
        run(["verify", "-k", secret, "--salt", salt, cookie])
        run(["sign", "-k", secret, "--salt", salt, "{}"])
    for value in (env, as_argv, json.dumps(env), "[" + json.dumps(env) + "]"):
        run(["verify", "--flask", "2.2", cookie], env={"FLASK_SECRET_KEY": value})
        run(["verify", cookie], env={"FLASK_SECRET_KEY": value})


def test_lone_surrogates_are_escaped_in_json_and_shown_escaped_to_people() -> None:
    """Flask 1.0 to 3.1 write and load them (``"\\ud83d"`` in the JSON); flasksess must carry them safely."""
    cookie = run(["sign", "-k", KEY, '{"s": "\\ud83d", "\\udc00k": 1}']).stdout.strip()
    for command in (["decode", "--json", cookie], ["verify", "--json", "-k", KEY, cookie]):
        out = run(command).stdout
        assert '"\\ud83d"' in out and '"\\udc00k"' in out and out.isascii()
        assert json.loads(out)["session"] == {"s": "\ud83d", "\udc00k": 1}
    human = run(["decode", cookie]).stdout
    assert "'\\ud83d'" in human and "\ud83d" not in human


def test_json_that_lost_its_quotes_to_a_shell_says_so() -> None:
    result = run(["sign", "-k", KEY, "{user_id: 42}"])
    assert result.exit_code == 3
    assert "cmd and PowerShell" in result.stderr and "@FILE" in result.stderr and "flasksess sign -" in result.stderr
    plain = run(["sign", "-k", KEY, "{bad json"])
    assert plain.exit_code == 3 and "PowerShell" not in plain.stderr
