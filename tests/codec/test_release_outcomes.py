"""What real releases did with each cookie, and what flasksess says they do: the same, through the CLI.

``tests/vectors/outcomes.jsonl`` holds, for about 170 crafted cookies and 17 releases
(Flask 0.10.1 to 3.1.3, Quart 0.18.4 to 0.20.0), what the release's real request cycle
did: the status, whether the view ran, the session it saw, and what the session
serializer raised (``tests/vectors/record_outcomes.py``, which builds its cookies
with the standard library only). ``verify --json --flask VERSION`` must say the same:
the view sees the session (exit 0, that session), an empty session, or HTTP 500.
``cookies-releases.jsonl`` holds the cookies the releases wrote: each verifies, shows
the session the release loaded back, and ``sign`` writes it again byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from flasksess_cli.codec import cookie as cookie_module
from flasksess_cli.codec.rules import installed_rules, itsdangerous_generation, rules_for, werkzeug_generation
from tests.conftest import Invoke

VECTORS = Path(__file__).parent.parent / "vectors"


def records(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (VECTORS / name).read_text().splitlines()]


OUTCOMES = records("outcomes.jsonl")
#: writer -> the versions its environment held (pip freeze of the recorder's venv).
VERSIONS = {r["writer"]: r["versions"] for r in OUTCOMES if r.get("kind") == "release"}
#: Cases whose view writes the session itself: the 500 (or deletion) comes from that write, not the cookie.
VIEW_WRITES = {
    "surrogate/write",
    "surrogate/write-non-ascii-json",
    "surrogate/write-non-ascii-json-valid",
    "format/deletion-response",
    "tag/custom-app-write",
}


def release_options(versions: dict[str, str]) -> list[str]:
    """The options that name the release: --flask/--quart X, --legacy-epoch where itsdangerous is 0.24."""
    framework = "quart" if "quart" in versions else "flask"
    options = [f"--{framework}", versions[framework]]
    if itsdangerous_generation(versions["itsdangerous"]) == "0.24" and framework == "flask":
        options.append("--legacy-epoch")
    return options


def what_happened(record: dict[str, Any]) -> str:
    """What the release did: "session", "empty-session", "http-500", "http-500-after-view", or "no-cookie"."""
    if record["case"] in VIEW_WRITES and not record.get("loads_raised"):
        return "session"
    if record["status"] in (500, "uncaught"):  # "uncaught": the exception left the app; a server answers 500
        return "http-500-after-view" if record["view_ran"] else "http-500"
    if record.get("loads_raised"):
        return "empty-session"
    if "loads_called" in record and not record["loads_called"]:
        return "no-cookie"  # an empty value: the release never tried to load it
    return "session"


def outcome_id(record: dict[str, Any]) -> str:
    return f"{record['writer'].split(' / ')[0]}:{record['case']}"


VERIFIABLE = [
    r
    for r in OUTCOMES
    if r.get("kind") == "outcome" and r["secret_key"] is not None and (r.get("cookie") or r.get("cookie_header"))
]
#: Every record is checked through the library; these releases' records through the CLI too (the CLI
#: adds option parsing and output, the same for every release; deep sessions print megabytes of JSON).
THROUGH_CLI = (
    "flask 0.10.1",
    "flask 1.0.4 / itsdangerous 1.1",
    "flask 2.0.3",
    "flask 3.1.3",
    "quart 0.18.4",
    "quart 0.20.0",
)


@pytest.fixture(autouse=True)
def deep_enough() -> Any:
    """Room for this side's own json.loads of sessions as deep as the releases load (~980 levels)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20000)
    yield
    sys.setrecursionlimit(limit)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run flasksess at the second the release was asked (the recorder kept it)."""

    def pin(now: int) -> None:
        class Clock:
            @staticmethod
            def time() -> float:
                return float(now)

        monkeypatch.setattr(cookie_module, "time", Clock)

    return pin


def verify_args(record: dict[str, Any]) -> list[str]:
    args = [*release_options(VERSIONS[record["writer"]]), "--max-size", "4000000", "-k", record["secret_key"]]
    args += [a for k in record["fallbacks"] for a in ("--fallback", k)]
    return [*args, "--salt", record["salt"], "--digest", record["digest"]]


@pytest.mark.parametrize("record", [r for r in VERIFIABLE if r["writer"].startswith(THROUGH_CLI)], ids=outcome_id)
def test_verify_says_what_the_release_did(invoke: Invoke, at: Any, record: dict[str, Any]) -> None:
    at(record["now"])
    result = invoke(
        ["verify", "--json", *verify_args(record), record.get("cookie_header") or "session=" + record["cookie"]]
    )
    happened = what_happened(record)
    if result.exit_code == 3:  # not even shaped like a cookie: nothing to load, the app starts empty
        assert happened in ("empty-session", "no-cookie"), result.stderr
        assert result.stderr.startswith("Error: ") and result.stdout == ""
        return
    document = json.loads(result.stdout)
    assert document["outcome"] == happened, (document["detail"], document["error"], document["notes"])
    assert result.exit_code == (0 if happened in ("session", "http-500-after-view") else 1)
    assert document["valid"] is (result.exit_code == 0)
    if happened in ("session", "http-500-after-view") and record["app"] != "custom-tag":
        assert_same_session(document["session"], record)
    if record["case"] == "tag/custom-app-set":  # the app's own JSONTag: shown raw, with a note naming it
        assert document["session"] == {"s": {" st": [1, 2]}}
        assert any("' st'" in note for note in document["notes"])


@pytest.mark.parametrize("writer", sorted(VERSIONS))
def test_the_library_says_what_every_release_did(writer: str) -> None:
    """Every record of each release, through the library (one test per release: about 170 cookies each)."""
    wrong = [
        f"{record['case']}: {mismatch}"
        for record in VERIFIABLE
        if record["writer"] == writer and (mismatch := library_mismatch(record))
    ]
    assert not wrong, "\n".join(wrong)


def library_mismatch(record: dict[str, Any]) -> str | None:
    from flasksess_cli.codec.cookie import Scheme, verify_cookie
    from flasksess_cli.codec.session_json import to_typed
    from flasksess_cli.cookie_text import extract_cookie
    from flasksess_cli.errors import BadInput
    from flasksess_cli.keys import SecretKey

    versions = VERSIONS[record["writer"]]
    framework = "quart" if "quart" in versions else "flask"
    rules = rules_for(framework, versions[framework]).with_legacy_epoch("--legacy-epoch" in release_options(versions))
    happened = what_happened(record)
    try:
        value = extract_cookie(
            record.get("cookie_header") or "session=" + record["cookie"], last=rules.last_cookie_wins
        )
        result = verify_cookie(
            value, key=SecretKey(record["secret_key"]), fallbacks=tuple(map(SecretKey, record["fallbacks"])),
            scheme=Scheme(record["salt"], record["digest"]), max_age=record["max_age"], rules=rules,
            now=record["now"], max_json=4_000_000,
        )  # fmt: skip
    except BadInput as exc:
        return None if happened in ("empty-session", "no-cookie") else f"{happened}, but flasksess refused: {exc}"
    if result.outcome != happened:
        return f"{happened}, but flasksess says {result.outcome} ({result.reason}: {result.cookie.payload_error})"
    if not result.valid or record["app"] == "custom-tag":
        return None
    try:
        assert_same_session(to_typed(result.cookie.session), record)
    except AssertionError:
        return "another session"
    shown = record.get("session_repr")  # the very types: naive or aware datetimes, bytes, int keys
    if shown and not shown.endswith("...") and repr(result.cookie.session) != shown:
        return f"session {result.cookie.session!r}, the release's {shown}"
    return None


def assert_same_session(ours: Any, record: dict[str, Any]) -> None:
    if "session_sha256" in record:  # a large session: the recorder kept its digest
        text = json.dumps(as_recorded(ours))
        assert hashlib.sha256(text.encode()).hexdigest() == record["session_sha256"]
    elif "session" in record:  # the nesting probes record the status only
        assert as_recorded(ours) == record["session"]


def as_recorded(typed: Any) -> Any:
    """flasksess's typed form as the recorder writes it (its datetimes: UTC, to the second)."""
    if isinstance(typed, list):
        return [as_recorded(item) for item in typed]
    if not isinstance(typed, dict):
        return typed
    if typed.get("__type__") == "datetime":
        moment = datetime.fromisoformat(typed["value"])
        moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
        return {"__type__": "datetime", "value": moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
    return {key: as_recorded(value) for key, value in typed.items()}


def test_every_release_recorded_is_one_flasksess_names() -> None:
    """--flask/--quart VERSION give the rules of the environment the release was recorded in."""
    assert len(VERSIONS) == 17
    for versions in VERSIONS.values():
        framework = "quart" if "quart" in versions else "flask"
        named = rules_for(framework, versions[framework])
        if "--legacy-epoch" in release_options(versions):
            named = named.with_legacy_epoch()
        assert named.itsdangerous == itsdangerous_generation(versions["itsdangerous"]), versions
        assert named.werkzeug == werkzeug_generation(versions["werkzeug"]), versions


def test_the_installed_release_is_current_flask() -> None:
    """The suite's own Flask is the release whose rules apply by default."""
    installed = installed_rules("flask")
    current = rules_for("flask", "3.1")
    assert installed._replace(version="3.1", source="default") == current._replace(source="default")


# --- cookies the releases wrote ------------------------------------------------------------------

WRITTEN = records("cookies-releases.jsonl")


def writer_versions(writer: str) -> dict[str, str]:
    """The pins of the environment that wrote a cookie (envs.txt), by the writer's name."""
    named = dict(part.split(" ", 1) for part in writer.split(" / "))
    for line in (VECTORS / "envs.txt").read_text().splitlines():
        if "|" not in line or line.startswith("#"):
            continue
        pins = dict(pin.split("==") for pin in line.split("|")[2].split())
        if all(pins.get(name) == version for name, version in named.items()) and "flask-session" not in pins:
            return pins
    raise LookupError(writer)


def written_id(record: dict[str, Any]) -> str:
    return f"{record['writer'].split(' / ')[0]}:{record['case']}"


@pytest.mark.parametrize("record", [r for r in WRITTEN if r.get("cookie")], ids=written_id)
def test_each_written_cookie_verifies_shows_its_session_and_signs_again(invoke: Invoke, record: dict[str, Any]) -> None:
    options = release_options(writer_versions(record["writer"]))
    scheme = ["--salt", record["salt"], "--digest", record["digest"], "--key-derivation", record["key_derivation"]]
    keys = ["-k", record["secret_key"], *(a for k in record["fallbacks"] for a in ("--fallback", k))]
    decoded = json.loads(invoke(["decode", "--json", *options, record["cookie"]]).stdout or "null")
    if record.get("load_exception"):  # the release could not read back what it wrote: neither can flasksess
        result = invoke(["verify", "--json", "--no-max-age", *options, *scheme, *keys, record["cookie"]])
        assert json.loads(result.stdout)["outcome"] == "http-500" and result.exit_code == 1
        return
    result = invoke(["verify", "--json", "--no-max-age", *options, *scheme, *keys, record["cookie"]])
    document = json.loads(result.stdout)
    assert result.exit_code == 0 and document["valid"] and document["outcome"] == "session", document["detail"]
    if record.get("custom_tag"):  # the app's own tag: flasksess shows it raw and names it
        assert any("' st'" in note for note in document["notes"])
        return
    assert as_recorded(document["session"]) == record["session"]
    assert decoded["session"] == document["session"]
    signer = ["--timestamp", str(document["timestamp"] + (1293840000 if document["epoch"] == "legacy-2011" else 0))]
    if document["epoch"] == "legacy-2011":
        signer.append("--legacy-epoch")
    # --json sorts keys; Quart writes them in insertion order, which the payload text keeps.
    session = ["--tagged", document["payload"]] if "--quart" in options else [json.dumps(document["session"])]
    signed = invoke(["sign", *options, *scheme, *keys, *signer, *session])
    assert signed.stdout.strip() == record["cookie"], signed.stderr


# --- the nesting limits flasksess applies are the ones measured ----------------------------------------

NESTING = [r for r in records("nesting-limits.jsonl") if r.get("kind") == "nesting-limit" and "test client" in r["via"]]


def test_the_nesting_table_is_what_the_releases_measured() -> None:
    """Every measured release and Python line: the limits flasksess applies, to within a level."""
    from flasksess_cli.codec.rules import nesting_limits

    kinds = ("list", "dict", "tuple")
    checked = set()
    for record in NESTING:
        versions = record["versions"]
        framework = "quart" if "quart" in versions else "flask"
        python = tuple(int(part) for part in versions["python"].split(".")[:2])
        rules = rules_for(framework, versions[framework])._replace(python=python)
        limits = nesting_limits(rules)
        written_back = record["permanent"] or rules.saves_every_request  # Flask 0.10 writes every session back
        table = limits.save if written_back else limits.load
        expected = table[kinds.index(record["nesting"])]
        assert abs(expected - record["levels"]) <= 1, (record["writer"], versions["python"], record["nesting"])
        checked.add((record["writer"], versions["python"]))
    assert len(checked) >= 20
