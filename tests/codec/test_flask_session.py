"""Flask-Session's signed server-side session ids, as Flask-Session 0.4 to 0.8 check them.

``tests/vectors/flask-session.jsonl`` records what each release did with an id
signed every which way: it checks ``Signer(SECRET_KEY, salt="flask-session")`` and
nothing else, so an id signed with a SECRET_KEY_FALLBACKS key starts a new session.
``verify`` must call valid exactly the ids it accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Invoke

VECTORS = Path(__file__).parent.parent / "vectors"
RECORDS = [json.loads(line) for line in (VECTORS / "flask-session.jsonl").read_text().splitlines()]
SIGNED = [
    r
    for r in RECORDS
    if r["kind"] == "flask-session-outcome"
    and r["use_signer"]
    and r["case"] not in {"flask-cookie-session-format", "unknown-sid-signed"}
]


@pytest.mark.parametrize("record", SIGNED, ids=lambda r: f"{r['writer'].split(' / ')[0]}:{r['case']}")
def test_verify_accepts_exactly_the_ids_flask_session_accepts(invoke: Invoke, record: dict[str, Any]) -> None:
    result = invoke(
        ["verify", "--json", "-k", "rec-key", "--fallback", "old-key-1", "--fallback", "old-key-2", record["cookie"]]
    )
    accepted = record["loaded_stored_data"]  # the id's signature passed and its stored session loaded
    if result.exit_code == 3:  # not an id.signature at all (unsigned, empty)
        assert not accepted and result.stderr.startswith("Error: ")
        return
    document = json.loads(result.stdout)
    assert document["valid"] is accepted and result.exit_code == (0 if accepted else 1), document["detail"]
    assert document["kind"] == "session-id" and document["rules"]["framework"] == "flask-session"
    if record["case"].startswith("sid-signed-fallback"):
        assert any("SECRET_KEY only" in note for note in document["notes"])
        assert document["ignored_key"] == "fallback-" + record["case"][-1] and not document["verified"]


def test_unknown_ids_signed_with_the_key_are_valid_signatures(invoke: Invoke) -> None:
    """The signature is checked; whether the server still holds the session, no cookie can tell."""
    for record in RECORDS:
        if (
            record["kind"] == "flask-session-outcome"
            and record["use_signer"]
            and record["case"] == "unknown-sid-signed"
        ):
            assert invoke(["verify", "-k", "rec-key", record["cookie"]]).exit_code == 0


@pytest.mark.parametrize(
    "record",
    [r for r in RECORDS if r["kind"] == "flask-session-write" and not r["use_signer"]],
    ids=lambda r: r["writer"].split(" / ")[0],
)
def test_an_unsigned_id_is_named_not_decoded(invoke: Invoke, record: dict[str, Any]) -> None:
    result = invoke(["decode", record["cookie"]])
    assert result.exit_code == 3 and "server-side session id" in result.stderr
