"""``audit url``: fetch a page as a browser would, collect every signed artefact on it, and search for the key.

A login page alone usually shows two things signed with the app's key, both readable
without logging in: the session cookie and a Flask-WTF CSRF token (in a form, a meta
tag, a header), even when the cookie is HttpOnly. :mod:`.page` collects them; each is
recognised (:func:`flasksess_cli.codec.formats.recognise`, sharpened by where it was)
and mapped to its search target by its format's own code. The search runs once, with
the artefact whose target the engine tries fastest (measured on this machine, not
guessed: the derivation, the digest and the signed text's length all count); when it
finds the key, every artefact is checked with it, so the report says what the key signs.

Pure: returns frozen dataclasses, raises domain errors; never prints.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from flasksess_cli.audit.page import MAX_BODY, Artefact, collect, from_cookies, from_headers, from_html, recognised
from flasksess_cli.errors import BadInput, ExitCode

if TYPE_CHECKING:
    from flasksess_cli.audit.scan import Target
    from flasksess_cli.audit.search import CookieAudit, Progress, StopWhen
    from flasksess_cli.audit.wordlists import Wordlist
    from flasksess_cli.audit.workers import EngineName
    from flasksess_cli.codec.envelope import Verification
    from flasksess_cli.codec.formats import Recognition
    from flasksess_cli.codec.rules import Rules
    from flasksess_cli.keys import SecretKey
    from flasksess_cli.settings import SessionSettings
    from flasksess_cli.sizecheck.http import Exchange

#: Candidates per measurement of a target's speed (a few milliseconds with the native engine: long enough that
#: the clock and the call's own cost do not blur it).
SAMPLE_CANDIDATES = 1 << 16
#: Rates at least this share of the fastest count as equal (then the surer format goes first): what matters is a
#: SHA-512 target against a SHA-1 one (a third of the speed) or a 3 KB cookie against a CSRF token (a tenth), not
#: the few tens of percent that one measurement on a shared machine wavers by.
SAME_SPEED = 0.5


@dataclass(frozen=True)
class Found:
    """One artefact, what it is taken for, and how fast its target is searched (None: it cannot be)."""

    artefact: Artefact
    recognition: Recognition
    settings: SessionSettings
    target: Target | None
    #: Why it cannot be searched, when it cannot.
    problem: str | None = None
    #: Candidates per second on one thread of the engine, measured.
    rate: float | None = None
    #: Its payload reads as its format writes one (JSON, a user id, a session id): a token, not text shaped like one.
    readable: bool = True


@dataclass(frozen=True)
class Page:
    """What the fetch saw."""

    url: str
    final_url: str
    status: int
    exchanges: tuple[Exchange, ...]
    #: The body was longer than what was read.
    truncated: bool
    body_bytes: int


@dataclass(frozen=True)
class UrlAudit:
    page: Page
    found: tuple[Found, ...]
    #: Distinct artefacts past the cap, not kept.
    dropped: int
    #: The artefact searched (the fastest to search), and the search.
    searched: Found | None
    search: CookieAudit | None
    #: With the found key: each artefact's verdict (in ``found``'s order), None where it cannot be checked.
    signs: tuple[Verification | None, ...] = ()

    @property
    def key_found(self) -> bool:
        return self.search is not None and self.search.found is not None

    @property
    def exit_code(self) -> ExitCode:
        """1 the key was found; 0 not (or nothing signed to search); the search's code when it was stopped."""
        return ExitCode.OK if self.search is None else self.search.exit_code


class PageRequest(NamedTuple):
    """How to request a page: as a browser would, with what it already holds (a logged-in view)."""

    url: str
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    insecure: bool = False
    #: Seconds for the whole exchange, redirects included.
    timeout: float = 10.0
    user_agent: str | None = None
    #: An HTTP proxy (``http://127.0.0.1:8080``) instead of the environment's.
    proxy: str | None = None


def fetch_page(request: PageRequest) -> tuple[Page, tuple[Artefact, ...], int]:
    """Request the page as a browser would (redirects followed, cookies kept); the page and its signed artefacts."""
    from flasksess_cli.cookie_text import parse_set_cookie
    from flasksess_cli.sizecheck.http import USER_AGENT, check_url, fetch
    from flasksess_cli.sizecheck.jar import Jar

    url, cookies = request.url, request.cookies
    check_url(url)
    jar = Jar()
    for name, value in cookies:
        jar.add(name, value, url)
    exchanges, final_url = fetch(
        url, jar=jar, headers=request.headers, insecure=request.insecure, timeout=request.timeout,
        body_limit=MAX_BODY, user_agent=request.user_agent or USER_AGENT, proxy=request.proxy,
    )  # fmt: skip
    last = exchanges[-1]
    sources = [from_cookies(cookies, origin="--cookie")]
    for exchange in exchanges:
        pairs = [(parsed.name, parsed.value) for parsed in map(parse_set_cookie, exchange.set_cookies)]
        sources.append(from_cookies(pairs, origin=exchange.origin))
    sources += [from_headers(last.headers, origin=last.origin), from_html(last.body, origin=last.origin)]
    artefacts, dropped = collect(sources)
    page = Page(url, final_url, last.status, tuple(exchanges), last.truncated, len(last.body))
    return page, artefacts, dropped


def set_cookie_text(page: Page) -> str:
    """Every Set-Cookie of the page's responses, as header lines (``curl -si`` would show them): to read a cookie from."""
    lines = [f"Set-Cookie: {line}" for exchange in page.exchanges for line in exchange.set_cookies]
    if not lines:
        raise BadInput(f"the responses to {page.url[:80]!r} set no cookie ({page.exchanges[-1].origin})")
    return "\n".join(lines)


def prepare(
    artefacts: Sequence[Artefact], settings: SessionSettings, *, engine: EngineName | None = None
) -> tuple[Found, ...]:
    """Each artefact with its format, its settings and its search target, and how fast the engine searches it."""
    from flasksess_cli.audit.search import cookie_target
    from flasksess_cli.codec.formats import FLASK_SESSION_ID, shape
    from flasksess_cli.settings import for_format

    prepared = []
    rates: dict[tuple[str, str, int, int], float] = {}  # targets hashing as many blocks run at the same speed
    for artefact in artefacts:
        recognition = recognised(artefact)
        fmt = recognition.format
        chosen = for_format(settings, fmt, source="cookie shape")
        fixed = settings.app is not None or not fmt.generic
        try:
            target, _ = cookie_target(artefact.value, scheme=chosen.scheme, digest_given=fixed, rules=chosen.rules)
        except BadInput as exc:
            prepared.append(Found(artefact, recognition, chosen, None, str(exc)))
            continue
        block = hashlib.new(target.digest).block_size
        kind = (target.digest, target.key_derivation, len(target.salt) // block, (len(target.signed) + 17) // block)
        if kind not in rates:
            rates[kind] = measure(target, engine=engine)
        layout = shape(artefact.value)
        readable = layout is not None and (layout.readable or fmt == FLASK_SESSION_ID)
        prepared.append(Found(artefact, recognition, chosen, target, rate=rates[kind], readable=readable))
    return tuple(prepared)


def measure(target: Target, *, engine: EngineName | None = None) -> float:
    """Candidates per second one thread of the engine tries against ``target``: the best of three runs of a few
    milliseconds each (:data:`SAMPLE_CANDIDATES`; a tenth of them on the pure-Python twin)."""
    from flasksess_cli.audit.scan import NATIVE_DIGESTS
    from flasksess_cli.audit.workers import engine_name, load_kernel, make_scanner

    kernel = load_kernel(engine if target.digest in NATIVE_DIGESTS else "python")
    scanner = make_scanner(kernel, target)
    count = SAMPLE_CANDIDATES if engine_name(kernel) == "native" else SAMPLE_CANDIDATES // 10
    sample = b"\n".join(b"%032x" % n for n in range(count))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        scanner.scan(sample)
        best = min(best, time.perf_counter() - started)
    return count / max(best, 1e-9)


def fastest(found: Sequence[Found]) -> Found | None:
    """The artefact to search: the fastest target; among those about as fast, the first whose format is certain,
    else the first (cookies come first, then the page's tokens). Text only shaped like a token (its payload does
    not read: a third party's cookie, a mangled value) is searched only when nothing else can be."""
    searchable = [f for f in found if f.target is not None and f.rate is not None]
    searchable = [f for f in searchable if f.readable] or searchable
    if not searchable:
        return None
    best = max(f.rate or 0.0 for f in searchable)
    close = [f for f in searchable if (f.rate or 0.0) >= best * SAME_SPEED]
    return next((f for f in close if f.recognition.certain), close[0])


def audit_url(
    page: Page,
    found: tuple[Found, ...],
    dropped: int,
    *,
    settings: SessionSettings,
    wordlists: Sequence[Wordlist] = (),
    builtin: bool = True,
    workers: int = 1,
    progress: Progress | None = None,
    engine: EngineName | None = None,
    stop_when: StopWhen | None = None,
) -> UrlAudit:
    """Search the fastest artefact's key; with the key found, check every artefact with it."""
    from flasksess_cli.audit.search import audit_cookie

    chosen = fastest(found)
    if chosen is None or chosen.target is None:
        return UrlAudit(page, found, dropped, None, None)
    result = audit_cookie(
        chosen.target, kind=chosen.settings.rules.kind, scheme=chosen.settings.scheme, wordlists=wordlists,
        builtin=builtin, workers=workers, progress=progress, engine=engine, stop_when=stop_when,
    )  # fmt: skip
    if result.found is None:
        return UrlAudit(page, found, dropped, chosen, result)
    keys = key_readings(result.found.key, chosen.settings.rules)
    return UrlAudit(page, found, dropped, chosen, result, tuple(_signs(f.artefact, keys, settings) for f in found))


def key_readings(material: bytes, rules_searched: Rules) -> list[SecretKey]:
    """The SECRET_KEY values whose HMAC key is ``material`` for the format searched: bytes, and the text they spell.

    A text key is UTF-8 for itsdangerous, Latin-1 for Flask-Login, ``str(key)`` for Starlette: to check
    the other artefacts, each reading is tried.
    """
    from flasksess_cli.keys import SecretKey

    encoding = rules_searched.key_encoding
    readings = [SecretKey(material)]
    try:
        text = material.decode("latin-1" if encoding == "latin-1" else "utf-8")
    except UnicodeDecodeError:
        return readings
    readings.insert(0 if encoding != "utf-8" else 1, SecretKey(text))
    return readings


def _signs(artefact: Artefact, keys: Sequence[SecretKey], settings: SessionSettings) -> Verification | None:
    """The artefact's verdict with the first reading of the key that signed it (every format its shape admits)."""
    from flasksess_cli.codec.cookie import verify_first
    from flasksess_cli.settings import attempts

    verdict: Verification | None = None
    for key in keys:
        chosen = settings._replace(key=key, fallbacks=(), format=None)
        try:
            result = verify_first(artefact.value, attempts(artefact.value, chosen))
        except BadInput:
            continue
        if result.verified:
            return result
        verdict = verdict or result
    return verdict
