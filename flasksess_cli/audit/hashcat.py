"""``audit cookie --hashcat``: the cookie in the format of hashcat's mode 29100 (Flask Session Cookie).

For wordlists too large for one machine: hashcat runs the same search on GPUs.
What the mode accepts is read from hashcat's ``src/modules/module_29100.c`` (the
parser) and ``OpenCL/m29100_a0-pure.cl`` (the kernel); anything else is refused
with the reasons, so nobody starts a GPU job that can never succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flasksess_cli.audit.scan import Target
from flasksess_cli.defaults import FLASK_SALT
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.codec.cookie import CookieKind

#: hashcat's mode for Flask session cookies (src/modules/module_29100.c).
HASHCAT_MODE = 29100


@dataclass(frozen=True)
class HashcatHash:
    line: str
    mode: int = HASHCAT_MODE


def hashcat_hash(value: str, *, target: Target, kind: CookieKind) -> HashcatHash:
    """The cookie as hashcat mode 29100 takes it; ``BadInput`` saying why when it cannot.

    Mode 29100 (``module_29100.c``, kernel ``m29100_a0-pure.cl``) parses
    ``payload.timestamp.signature`` with the payload at most 56 base64url characters,
    the timestamp 1 to 6, and a signature that decodes to 20 bytes; its kernel has
    HMAC-SHA1, the hmac key derivation and the salt "cookie-session" built in.
    """
    import re

    from itsdangerous.encoding import base64_encode

    if kind != "session":
        raise BadInput(
            "hashcat mode 29100 cannot take this cookie: a Flask-Session id cookie has no timestamp "
            "(the mode takes payload.timestamp.signature); search it here instead"
        )
    problems: list[str] = []
    payload, timestamp = value.rsplit(".", 1)[0].rsplit(".", 1)
    if payload.startswith("."):
        problems.append(
            "the payload is zlib-compressed (it starts with '.'); mode 29100 only takes uncompressed payloads"
        )
    elif len(payload) > 56:
        problems.append(f"the payload is {len(payload)} characters; mode 29100 takes at most 56")
    elif not re.fullmatch(r"[A-Za-z0-9_-]*", payload):
        problems.append("the payload has characters outside base64url, which mode 29100 refuses")
    if not 1 <= len(timestamp) <= 6 or not re.fullmatch(r"[A-Za-z0-9_-]+", timestamp):
        problems.append(f"the timestamp is {len(timestamp)} characters; mode 29100 takes 1 to 6 base64url characters")
    if target.digest != "sha1":
        problems.append(f"the cookie is signed with HMAC-{target.digest.upper()}; mode 29100 is HMAC-SHA1 only")
    if target.key_derivation != "hmac":
        problems.append(f"the key derivation is {target.key_derivation!r}; mode 29100 has Flask's 'hmac' built in")
    if target.salt != FLASK_SALT.encode():
        problems.append(f"the salt is {target.salt.decode()!r}; mode 29100 has 'cookie-session' built in")
    if problems:
        raise BadInput(f"hashcat mode 29100 cannot take this cookie: {'; '.join(problems)} (search it here instead)")
    signature = base64_encode(target.signature).decode("ascii")  # canonical: hashcat checks the alphabet
    return HashcatHash(f"{payload}.{timestamp}.{signature}")
