"""Hostile invocations of every command, and the contract each one must keep.

Shared by the fuzz test in the suite (``tests/cli/test_fuzz.py``, a few seconds) and the long
campaign (``benchmarks/fuzz.py``, minutes, optionally coverage-guided with atheris). An
invocation is a command line built from the command's own options (introspected from click,
so a new option is fuzzed the day it is added), stdin, files the arguments name, and
FLASK_SECRET_KEY. :func:`violations` says how a run broke the contract:

* an exit code outside 0, 1, 2, 3 (70 is a traceback: a bug);
* a traceback anywhere;
* on an error (2, 3), anything on stdout, or other than exactly one ``Error:`` line, last on stderr
  (a note may come before it: which reading of an ambiguous key was used, say);
* on an answer (0, 1), an ``Error:`` line;
* a control character (other than newline and tab) on stdout or stderr.

Nothing here reaches a host other than 127.0.0.1, imports a module a value names (``--app``
takes only the fuzz app or names that do not import), or starts a server that keeps running.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner
from hypothesis import strategies as st

from flasksess_cli.cli import cli
from flasksess_cli.codec.cookie import sign_session
from flasksess_cli.keys import SecretKey

KEY = "fuzz-key-4f0c6d2e9b8a7f6e5d4c3b2a"
#: Seconds one invocation may take before it counts as a hang.
HANG_SECONDS = 20

# --- hostile material ------------------------------------------------------------------------------

#: Text that has broken terminals, logs, rich or Python before.
HOSTILE = [
    "\x1b[2J", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", "\x07", "\r", "\n", "\x00", "\t",
    "\u202e", "\u2028", "\x9b31m", "\ud800", "\udcff", "[bold]", "[/]", "[link=https://evil.example/]x[/link]",
    ":smile:", "%0d%0a", "\\x1b", "{", "'", '"', "@", "-", "", " ", "é", "😀", "a" * 5000,
    "99999999999999999999", "-1", "0", "inf", "nan", "1e400", "http://[", "http://127.0.0.1:1/",
    "{1: 'a'}", "b'\\xff'", "hex:zz", "base64:!!", "__Host-x", "Path=/", "; ", "=", ".",
]  # fmt: skip


def _unsigned(payload: str, compressed: bool = False) -> str:
    raw = payload.encode("utf-8", "surrogatepass")
    data = zlib.compress(raw) if compressed else raw
    return ("." if compressed else "") + base64.urlsafe_b64encode(data).rstrip(b"=").decode() + ".aW5Xbg.c2lnbmF0dXJl"


_KEY = SecretKey(KEY)
#: Cookies of every shape the codec has choked on: dates past 9999 with odd offsets, top-level
#: tags, lone surrogates, deep nesting, bombs, ids, and ordinary ones (signed with KEY).
COOKIES = [
    sign_session({"user_id": 42, "cart": (1, 2), "t": b"\x00"}, key=_KEY).value,
    sign_session({"blob": "x" * 3000, "_flashes": [("message", "hi")]}, key=_KEY).value,
    sign_session({"\x1b[2J": "[bold]", "[/]": "\u202e"}, key=_KEY).value,
    _unsigned('{" d": "Fri, 31 Dec 9999 23:59:59 -2359"}'),
    _unsigned('{"a": {" d": "Fri, 31 Dec 9999 23:59:59 -2359"}}'),
    _unsigned('{"a": {" d": "Mon, 01 Jan 0001 00:00:00 +2359"}}'),
    _unsigned('{" t": [1, 2]}'),
    _unsigned('{" b": "AAE="}'),
    _unsigned('{" di": {" t__": 1}}'),
    _unsigned('{"a": "\\ud800", "\\udc00": 1}'),
    _unsigned('{"a": ' + "[" * 400 + "]" * 400 + "}"),
    _unsigned("[" * 100_000),
    _unsigned('{"a": "' + "x" * 2_000_000 + '"}', compressed=True),
    _unsigned('{"a": 1e400, "b": NaN, "c": -Infinity}'),
    _unsigned('{"a": 99999999999999999999999999999999999999}'),
    _unsigned("[1, 2]"),
    _unsigned('"text"'),
    "AbCdEfGhIjKlMnOpQrStUv.c2lnbmF0dXJl",
    "eyJhIjoxfQ.!!!.sig",
    "eyJhIjoxfQ." + "A" * 40 + ".sig",
]

SESSIONS = [
    '{"a": 1}', "{}", "[]", '{"a": {"__type__": "datetime", "value": "9999-12-31T23:59:59-01:00"}}',
    '{"a": {"__type__": "datetime", "value": "0001-01-01T00:00:00+01:00"}}', '{"a": {"__type__": "bytes", "hex": "zz"}}',
    '{"a": {"__type__": "float", "value": "inf"}}', '{"a": "\\ud800"}', '{"\\u001b[2J": "[/]"}', '{" t": [1]}',
    '{"a": ' + "[" * 300 + "]" * 300 + "}", "{'a': (1, 2), 'b': b'\\x00', 1: 2}", "{1: 'a'}", "{1: 'a', 'b': 2}",
    "{'a': {1, 2}}", "{'a': 1e400}", "[" * 50_000,
]  # fmt: skip


def _har(entries: Any) -> str:
    return json.dumps({"log": {"entries": entries}})


def _entry(
    url: Any = "https://a.example/", set_cookie: Any = "s=v; Path=/", cookie: Any = "s=v", status: Any = 200
) -> Any:
    return {
        "request": {"method": "GET", "url": url, "headers": [{"name": "Cookie", "value": cookie}]},
        "response": {"status": status, "headers": [{"name": "Set-Cookie", "value": set_cookie}]},
    }


HARS = [
    _har([_entry()]),
    _har([_entry(url="http://[")]),
    _har([_entry(url="http://[::1/", status=1e300)]),
    _har([_entry(set_cookie="\x1b[2J=\x07; \u202e=1; Domain=[link=https://evil.example/]x")]),
    _har([_entry(cookie=5, set_cookie=["a"], status="x")]),
    _har([_entry(set_cookie="a=\ud800; Path=/\ud800")]),
    '{"log": {"entries": ' + "[" * 100_000 + "]" * 100_000 + "}}",
    _har([{"request": "x"}]),
    _har({"a": 1}),
    "null",
    _har([_entry(set_cookie=f"session={COOKIES[3]}"), _entry(set_cookie=f"session={COOKIES[6]}")]),
]

FILES = [c.encode() for c in COOKIES[:8]] + [s.encode("utf-8", "surrogatepass") for s in SESSIONS[:8]]
FILES += [h.encode("utf-8", "surrogatepass") for h in HARS] + [b"", b"\xff\xfe\x00", b"k" * 70_000, KEY.encode()]

#: What --app may name: the fuzz app, or names that fail to import (never an arbitrary module).
APPS = ["fuzzapp:app", "fuzzapp:nope", "fuzzapp", "no_such_module_fuzz", "no_such_module_fuzz:app\x1b[2J", ":", ""]
FUZZ_APP = f"""
from flask import Flask
app = Flask("fuzzapp")
app.config.update(SECRET_KEY={KEY!r}, SESSION_COOKIE_NAME="session")
"""

# --- strategies ------------------------------------------------------------------------------------

_pieces = st.sampled_from(HOSTILE + COOKIES[:6] + SESSIONS[:6])
text = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(COOKIES),
    st.sampled_from(SESSIONS),
    st.text(max_size=40),
    st.lists(_pieces, min_size=1, max_size=4).map("".join),
)
#: Command names as the CLI lists them, groups expanded ("audit key").
COMMANDS = ["genkey", "decode", "verify", "sign", "sizecheck", "audit key", "audit cookie", "serve-demo", "completion"]


@dataclass
class Invocation:
    args: list[str]
    stdin: bytes = b""
    #: Files the arguments name by "{file0}" and so on, written before the run.
    files: list[bytes] = field(default_factory=list)
    secret_key_env: str | None = None

    def __str__(self) -> str:
        return f"flasksess {' '.join(map(repr, self.args))} (stdin {self.stdin[:60]!r}, {len(self.files)} files)"


def _command(path: str) -> click.Command:
    command: click.Command = cli
    with click.Context(cli) as ctx:
        for name in path.split():
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, name)
            assert found is not None
            command = found
    return command


def _value_for(draw: Any, param: click.Parameter, files: list[bytes]) -> str:
    name = param.name or ""
    kind = param.type
    if name in {"cookie", "session_text", "python_literal", "key_spec", "secret_key"} and draw(st.integers(0, 3)):
        usual = {"cookie": COOKIES, "key_spec": [KEY, "dev"], "secret_key": [KEY, "dev"]}.get(name, SESSIONS)
        return str(draw(st.one_of(st.sampled_from(usual), _at_file(files), st.just("-"))))
    if name == "app_spec":
        return str(draw(st.sampled_from(APPS)))
    if name == "host":
        return str(draw(st.sampled_from(["127.0.0.1", "::1", "localhost"])))
    if name == "port":
        return str(draw(st.sampled_from(["0", "70000", "-1", "x"])))
    if name == "url":
        return str(
            draw(
                st.sampled_from(
                    ["http://127.0.0.1:1/\x1b[2J", "http://[", "ftp://x/", "", "http://", "https://127.0.0.1:1/"]
                )
            )
        )
    if name == "timeout":
        return str(draw(st.sampled_from(["0.5", "inf", "nan", "-1", "0", "1e400", "x"])))
    if name == "workers":
        return str(draw(st.sampled_from(["1", "0", "99999999999999999999", "x"])))
    if name == "count":
        return str(draw(st.sampled_from(["1", "3", "0", "100001", "99999999999999999999"])))
    if isinstance(kind, click.Choice):
        return str(draw(st.one_of(st.sampled_from([str(c) for c in kind.choices]), text)))
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return str(draw(st.one_of(st.integers(-5, 5_000_000).map(str), st.sampled_from(HOSTILE[25:32]))))
    if isinstance(kind, click.Path) or name in {"key_file", "out", "wordlists", "har_file"}:
        return str(draw(_file_value(files)))
    return str(draw(st.one_of(text, _at_file(files))))


@st.composite
def _file_value(draw: Any, files: list[bytes]) -> str:
    choice = draw(st.sampled_from(["new", "new", "missing", "dir", "dev-null", "dash", "hostile"]))
    if choice == "new":
        files.append(draw(st.one_of(st.sampled_from(FILES), st.binary(max_size=200))))
        return f"{{file{len(files) - 1}}}"
    return {"missing": "no-such-file", "dir": ".", "dev-null": "/dev/null", "dash": "-"}.get(choice) or draw(text)


@st.composite
def _at_file(draw: Any, files: list[bytes]) -> str:
    return "@" + draw(_file_value(files))


@st.composite
def invocations(draw: Any) -> Invocation:
    """One hostile command line: a command, some of its options (each with a hostile or valid value), its arguments."""
    path = draw(st.sampled_from(COMMANDS))
    command = _command(path)
    files: list[bytes] = []
    args = path.split()
    # Of the options a command takes one of (sizecheck's sources, sign's session), usually one.
    sources = {"cookie", "session_text", "python_literal", "url", "har_file"}
    source = draw(
        st.sampled_from(sorted(sources & {p.name for p in command.params if p.name}))
        if sources & {p.name for p in command.params if p.name}
        else st.none()
    )
    for param in command.params:
        if param.name in sources and source is not None and param.name != source and draw(st.integers(0, 9)):
            continue
        if isinstance(param, click.Option):
            wanted = param.name == source or draw(st.integers(0, 3)) == 0
            if param.hidden or param.name in {"help", "version"} or not wanted:
                continue
            flag = draw(st.sampled_from(param.opts + param.secondary_opts))
            if param.is_flag:
                args.append(flag)
                continue
            for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
                args += [flag, _value_for(draw, param, files)]
        elif draw(st.integers(0, 9)) > 0:  # an argument, usually given
            args.append(_value_for(draw, param, files))
    if path == "serve-demo":
        args += ["--host", "127.0.0.1", "--port", "0"]
    if path == "audit cookie" and "--workers" not in args:
        args += ["--workers", "1"]
    if draw(st.integers(0, 19)) == 0:
        args.insert(draw(st.integers(len(path.split()), len(args))), draw(text))  # a stray argument
    stdin = draw(st.one_of(st.sampled_from(FILES), st.binary(max_size=300)))
    secret_key_env = draw(st.sampled_from([KEY, KEY, KEY, None, "dev", "", "\udcff", "b'\\xff'", "hex:zz"]))
    return Invocation(args, stdin, files, secret_key_env)


# --- running one, and judging it -------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


class Hang(Exception):
    pass


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def as_argv(text: str) -> str:
    """``text`` as a program receives it in argv or the environment: bytes without NUL, decoded as Python does
    (a lone surrogate, which no argv can hold, arrives as the bytes UTF-8 would give it)."""
    return os.fsdecode(text.encode("utf-8", "surrogatepass").replace(b"\0", b""))


@contextmanager
def _serve_demo_stops_at_once() -> Iterator[None]:
    """serve-demo binds its socket, prints its URL, and stops as if Ctrl-C came at once."""
    from flasksess_cli.demo import server

    serve = server.serve
    server.serve = lambda running: running.server_close()  # type: ignore[assignment]
    try:
        yield
    finally:
        server.serve = serve  # type: ignore[assignment]


def run(invocation: Invocation, workdir: Path) -> Outcome:
    """Run the invocation in-process in ``workdir`` (files written there); Hang past HANG_SECONDS."""
    (workdir / "fuzzapp.py").write_text(FUZZ_APP)
    args = [as_argv(a) for a in invocation.args]
    for n, content in enumerate(invocation.files):
        path = workdir / f"input-{n}"
        path.write_bytes(content)
        args = [a.replace(f"{{file{n}}}", str(path)) for a in args]
    key = None if invocation.secret_key_env is None else as_argv(invocation.secret_key_env)
    env = {"FLASK_SECRET_KEY": key, "FORCE_COLOR": None, "NO_COLOR": None, "COLUMNS": None}
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with _alarm(HANG_SECONDS), _serve_demo_stops_at_once():
            result = CliRunner().invoke(cli, args, input=invocation.stdin, env=env, catch_exceptions=True)
    finally:
        os.chdir(cwd)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        if isinstance(result.exception, Hang):
            raise result.exception
        stderr += f"\nTraceback (escaped the CLI runner): {type(result.exception).__name__}: {result.exception}"
    return Outcome(result.exit_code, result.stdout, stderr)


def violations(outcome: Outcome) -> list[str]:
    """How this run broke the contract (empty when it kept it)."""
    found = []
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    if outcome.code not in {0, 1, 2, 3}:
        found.append(f"exit code {outcome.code}")
    if "Traceback" in outcome.stderr:
        found.append("a traceback")
    if outcome.code in {2, 3}:
        if outcome.stdout:
            found.append("stdout not empty on an error")
        if len(errors) != 1 or not outcome.stderr.endswith(errors[0] + "\n"):
            found.append(f"{len(errors)} Error: lines, the last line of stderr being {outcome.stderr[-80:]!r}")
    elif errors and outcome.code in {0, 1}:
        found.append("an Error: line on an answer")
    for stream, text_ in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        bad = _CONTROL.search(text_) or re.search("[\u202a-\u202e\u2066-\u2069\u2028\u2029]", text_)
        if bad:
            found.append(f"a raw control character {bad.group()!r} on {stream}")
    return found


def crash_site(outcome: Outcome) -> str:
    """Where a traceback ends (file:line, exception type), to count distinct crashes."""
    frames = re.findall(r'File "([^"]+)", line (\d+)', outcome.stderr)
    last = next((f"{Path(f).name}:{n}" for f, n in reversed(frames) if "flasksess_cli" in f), "?")
    kind = re.findall(r"^(\w+(?:Error|Exception|Exit|Interrupt)\w*)", outcome.stderr, re.MULTILINE)
    return f"{last} {kind[-1] if kind else ''}".strip()
