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
    #: What to know before running it (mode 1750: no -O, a non-ASCII key as $HEX[...]).
    notes: tuple[str, ...] = ()


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


#: hashcat's mode for HMAC-SHA512 keyed with the password (src/modules/module_01750.c): Flask-Login's remember
#: cookie, whose HMAC is keyed with SECRET_KEY itself; its HMAC-SHA1 twin, mode 150, for Flask-Login 0.1 and 0.2.
REMEMBER_MODES = {"sha512": 1750, "sha1": 150}
#: The pure kernels take salts (here: the user id) of at most 256 bytes.
MAX_SALT = 256


def remember_hash(target: Target, *, version: str | None, wordlists: Sequence[str] = ()) -> HashcatHash:
    """A Flask-Login remember cookie as hashcat's mode 1750 takes it: ``<hex HMAC>:<user id>`` (the salt).

    Mode 1750 is "HMAC-SHA512 (key = $pass)": the candidate keys the HMAC of the salt,
    exactly ``hmac.new(SECRET_KEY, user_id, sha512)`` (``module_01750.c``; 1760 is the
    reverse). A user id hashcat cannot read as text goes as hex with ``--hex-salt``.
    """
    mode = REMEMBER_MODES.get(target.digest)
    if mode is None or target.key_derivation != "none":
        raise BadInput(
            f"no hashcat mode takes an HMAC-{target.digest.upper()} remember cookie (search it here instead)"
        )
    if len(target.signed) > MAX_SALT:
        raise BadInput(
            f"the user id is {len(target.signed)} bytes; hashcat's mode {mode} takes salts of at most {MAX_SALT} "
            "(search it here instead)"
        )
    text = target.signed.decode("utf-8", "replace")
    plain_salt = target.signed.isascii() and text.isprintable() and text == text.strip()
    salt = text if plain_salt else target.signed.hex()
    options = () if plain_salt else ("--hex-salt",)
    notes = (
        "without -O: the optimized kernel takes keys of at most 55 bytes",
        "Flask-Login keys the HMAC with SECRET_KEY encoded Latin-1: a key with non-ASCII characters is found "
        "only as $HEX[its Latin-1 bytes] in the wordlist",
    )
    return HashcatHash(
        line=f"{target.signature.hex()}:{salt}",
        command=_command(wordlists, mode=mode, options=options),
        version=version,
        accepted=None if version is None else True,  # every release has modes 150 and 1750
        refusal=None,
        payload_length=len(target.signed),
        mode=mode,
        notes=notes,
    )


def no_mode(what: str, target: Target) -> BadInput:
    """Why no stock hashcat mode takes this token, as the error to raise."""
    how = {
        "django-concat": f"{target.digest.upper()}(salt + 'signer' + key)",
        "concat": f"{target.digest.upper()}(salt + key)",
        "hmac": f"HMAC-{target.digest.upper()}(key, salt) with its own salt",
    }.get(target.key_derivation, target.key_derivation)
    return BadInput(
        f"no stock hashcat mode takes {what}: its MAC is keyed with {how}, which no mode computes (mode 29100 has "
        "Flask's session salt built in; search it here instead)"
    )


def _command(wordlists: Sequence[str], *, mode: int = HASHCAT_MODE, options: tuple[str, ...] = ()) -> tuple[str, ...]:
    from flasksess_cli.audit.wordlists import wordlist_path

    files = []
    for name in wordlists or ("WORDLIST",):
        try:
            files.append(name if name in ("-", "WORDLIST") else wordlist_path(name))
        except BadInput:
            files.append(name)
    start = ("hashcat", "-m", str(mode), "-a", "0", *options, "cookie.hash")
    if files == ["-"]:  # hashcat reads candidates from stdin when it is given no wordlist
        return start
    return (*start, *(f for f in files if f != "-"))
