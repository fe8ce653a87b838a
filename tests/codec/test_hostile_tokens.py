"""Every token format on input of any kind: decode, verify, sign and audit cookie --hashcat give one Error: line and a
documented exit code, never a traceback, and no control character of the input reaches the output.

Tokens are signed with each format's own scheme (its salt, digest and key encoding) over
payloads of any bytes, so that every branch past the MAC is reached; remember cookies carry
user ids of any text; --format names any format, fitting or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib

import itsdangerous
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flasksess_cli.codec.formats import FORMATS
from tests.codec.test_hostile import payload_bytes, run

KEY = "hostile-key"
SIGNED_FORMATS = [f for f in FORMATS.values() if f.rules.envelope != "remember" and f.name != "flask-session"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tokens(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:  # a remember cookie: user id | hex HMAC (SHA-512, or SHA-1 of 0.1 and 0.2)
        user_id = draw(st.text(max_size=30))
        digest = draw(st.sampled_from([hashlib.sha512, hashlib.sha1]))
        mac = hmac.new(KEY.encode("latin-1"), user_id.encode("utf-8", "surrogatepass"), digest).hexdigest()
        return f"{user_id}|{mac}"
    fmt = draw(st.sampled_from(SIGNED_FORMATS))
    rules = fmt.rules
    data = draw(payload_bytes)
    if rules.payload == "starlette-session" and draw(st.booleans()):
        payload = base64.b64encode(data).decode()
    elif draw(st.booleans()):
        payload = "." + itsdangerous.encoding.base64_encode(zlib.compress(data)).decode()
    else:
        payload = itsdangerous.encoding.base64_encode(data).decode()
    signer_class = itsdangerous.TimestampSigner if rules.envelope == "timed" else itsdangerous.Signer
    signer = signer_class(
        KEY, salt=rules.salt, key_derivation=rules.key_derivation, digest_method=getattr(hashlib, rules.digest)
    )
    return str(signer.sign(payload).decode())


@SETTINGS
@given(token=tokens(), named=st.sampled_from([None, *FORMATS]), json_output=st.booleans())
def test_every_format_on_any_token(token: str, named: str | None, json_output: bool) -> None:
    options = (["--json"] if json_output else []) + (["--format", named] if named else [])
    for args in (["decode"], ["verify", "-k", KEY], ["verify", "-k", "another"], ["audit", "cookie", "--hashcat"]):
        result = run([*args, *options, token])
        assert "\x1b" not in result.stdout + result.stderr


@SETTINGS
@given(value=st.text(max_size=40), named=st.sampled_from(list(FORMATS)))
def test_sign_any_value_in_any_format(value: str, named: str) -> None:
    result = run(["sign", "--format", named, "-k", KEY, value])
    assert "\x1b" not in result.stdout + result.stderr
