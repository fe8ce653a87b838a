"""``audit cookie --hashcat``: the cookie in the format of hashcat's mode 29100 (Flask Session Cookie).

For wordlists too large for one machine: hashcat runs the same search on GPUs. What the mode
accepts is read from hashcat's ``src/modules/module_29100.c`` (the parser) and
``OpenCL/m29100_a0-pure.cl`` (the kernel), in each release:

* 6.2.6 (2022-09-02, the first with the mode, Debian's): payload 0 to 27 base64url characters
  (``module_29100.c:64-65``), the kernel's salt buffer 64 bytes;
* 7.x (master since 2023-09-11, ``8ae46f448``, released as 7.0.0): 0 to 120 (``module_29100.c:66-67``),
  salt buffer 128 bytes. (56 was the limit on master from 2022-09-06 to 2023-09-11, never released.)

Every release: timestamp 1 to 6 characters, signature 20 to 27 decoding to 20 bytes, no
compressed payload (its leading ``.`` makes an empty first token), HMAC-SHA1 with Flask's
``hmac`` derivation and the salt ``cookie-session`` built into the kernel. The installed
hashcat (``hashcat --version``) decides which limit applies; a cookie no release can take is
refused with the reasons, so nobody starts a GPU job that can never succeed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flasksess_cli.audit.scan import Target
from flasksess_cli.defaults import FLASK_SALT
from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.codec.cookie import CookieKind

#: hashcat's mode for Flask session cookies (src/modules/module_29100.c).
HASHCAT_MODE = 29100
#: The first release with mode 29100, and the longest payload each release line takes.
FIRST_RELEASE = (6, 2, 6)
MAX_PAYLOAD_6 = 27
MAX_PAYLOAD_7 = 120

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class HashcatHash:
    line: str
    #: The command that searches the wordlists given (``WORDLIST`` when none), with the line saved as cookie.hash.
    command: tuple[str, ...]
    #: The installed hashcat's version ("6.2.6"), or None when none is on PATH.
    version: str | None
    #: Whether the installed hashcat takes this line (None when none is installed).
    accepted: bool | None
    #: Why the installed hashcat refuses it (and which release takes it), or None.
    refusal: str | None
    payload_length: int
    mode: int = HASHCAT_MODE


def installed_version() -> str | None:
    """The version ``hashcat --version`` prints ("6.2.6"), or None when hashcat is not on PATH or says nothing."""
    import shutil
    import subprocess

    program = shutil.which("hashcat")
    if program is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [program, "--version"], capture_output=True, timeout=20, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(rb"v?(\d+\.\d+\.\d+)", done.stdout)
    return match.group(1).decode("ascii") if match else None


def max_payload(version: str) -> int | None:
    """The longest payload a hashcat release takes in mode 29100 (None: the release has no such mode)."""
    parts = tuple(int(part) for part in version.split(".")[:3])
    if parts < FIRST_RELEASE:
        return None
    return MAX_PAYLOAD_6 if parts < (7,) else MAX_PAYLOAD_7


def hashcat_hash(
    value: str, *, target: Target, kind: CookieKind, version: str | None, wordlists: Sequence[str] = ()
) -> HashcatHash:
    """The cookie as mode 29100 takes it, checked against the installed ``version``; ``BadInput`` when no release can."""
    from itsdangerous.encoding import base64_encode

    if kind != "session":
        raise BadInput(
            "hashcat mode 29100 cannot take this cookie: a Flask-Session id cookie has no timestamp "
            "(the mode takes payload.timestamp.signature); search it here instead"
        )
    problems: list[str] = []
    payload, timestamp = value.rsplit(".", 1)[0].rsplit(".", 1)
    if payload.startswith("."):
        problems.append("the payload is zlib-compressed (it starts with '.'); mode 29100 never takes compressed ones")
    elif len(payload) > MAX_PAYLOAD_7:
        problems.append(
            f"the payload is {len(payload)} characters; mode 29100 takes at most {MAX_PAYLOAD_7} "
            f"(hashcat 7.x; {MAX_PAYLOAD_6} in 6.2.6)"
        )
    elif not _BASE64URL.fullmatch(payload):
        problems.append("the payload has characters outside base64url, which mode 29100 refuses")
    if not 1 <= len(timestamp) <= 6 or not _BASE64URL.fullmatch(timestamp):
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
    accepted, refusal = _installed_takes(version, len(payload))
    return HashcatHash(
        line=f"{payload}.{timestamp}.{signature}",
        command=_command(wordlists),
        version=version,
        accepted=accepted,
        refusal=refusal,
        payload_length=len(payload),
    )


def _installed_takes(version: str | None, length: int) -> tuple[bool | None, str | None]:
    if version is None:
        if length > MAX_PAYLOAD_6:
            return None, f"the payload is {length} characters: hashcat 7.0 or later takes it, 6.2.6 (Debian's) does not"
        return None, None
    limit = max_payload(version)
    if limit is None:
        return False, f"hashcat {version} has no mode 29100 (it came in 6.2.6)"
    if length > limit:
        return False, (
            f"hashcat {version} takes payloads of at most {limit} characters and this one has {length}: "
            f"hashcat 7.0 or later takes up to {MAX_PAYLOAD_7}"
        )
    return True, None


def _command(wordlists: Sequence[str]) -> tuple[str, ...]:
    from flasksess_cli.audit.wordlists import wordlist_path

    files = []
    for name in wordlists or ("WORDLIST",):
        try:
            files.append(name if name in ("-", "WORDLIST") else wordlist_path(name))
        except BadInput:
            files.append(name)
    if files == ["-"]:  # hashcat reads candidates from stdin when it is given no wordlist
        return ("hashcat", "-m", str(HASHCAT_MODE), "-a", "0", "cookie.hash")
    return ("hashcat", "-m", str(HASHCAT_MODE), "-a", "0", "cookie.hash", *(f for f in files if f != "-"))
