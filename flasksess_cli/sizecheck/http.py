"""HTTP for ``sizecheck --url``: the standard library's urllib, redirects followed by hand.

Every response's Set-Cookie headers are kept, including those of redirects (a
login's 302 usually carries the session). Cookies travel along the chain in a
browser-like :class:`~flasksess_cli.sizecheck.jar.Jar`. Proxies come from the usual
environment variables, as with curl.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from flasksess_cli.errors import BadInput

if TYPE_CHECKING:
    from flasksess_cli.sizecheck.jar import Jar

#: Header lines accepted in one response (http.client's default is 100).
MAX_RESPONSE_HEADERS = 1000
USER_AGENT = "flasksess-sizecheck (+https://pypi.org/project/flasksess/)"


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as far as cookies go (and, when asked for, the last response's headers and body)."""

    method: str
    url: str
    status: int
    set_cookies: tuple[str, ...]
    cookie_header: str | None
    #: Every response header (name, value), when :func:`fetch` was asked for the body.
    headers: tuple[tuple[str, str], ...] = ()
    #: The start of the body (``body_limit`` bytes at most) of the last response, when asked for.
    body: bytes = b""
    #: The body was longer than ``body_limit``.
    truncated: bool = False

    @property
    def origin(self) -> str:
        return f"{self.method} {self.url} -> {self.status}" if self.status else f"{self.method} {self.url}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx arrives as an HTTPError, headers and all (its Location unread: "http://[x/" would raise, leaking the
    response)."""

    def http_error_302(self, *args: object, **kwargs: object) -> None:
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(
    url: str,
    *,
    jar: Jar,
    data: Sequence[tuple[str, str]] = (),
    headers: Sequence[tuple[str, str]] = (),
    insecure: bool = False,
    timeout: float = 10.0,
    max_redirects: int = 20,
    body_limit: int = 0,
    user_agent: str = USER_AGENT,
    proxy: str | None = None,
) -> tuple[list[Exchange], str]:
    """The exchanges from ``url`` to the last response, and the last URL.

    With ``body_limit``, the last response carries its headers and the first ``body_limit``
    bytes of its body (``audit url`` reads the page). ``proxy`` (``http://host:port``)
    replaces the proxies of the environment.
    """
    # http.client refuses a response with more than 100 header lines; a page setting 150 cookies is
    # exactly what the per-domain count is for. A one-shot CLI process may raise the module's cap.
    if getattr(http.client, "_MAXHEADERS", 0) < MAX_RESPONSE_HEADERS:
        setattr(http.client, "_MAXHEADERS", MAX_RESPONSE_HEADERS)  # noqa: B010 - a private constant, no setter
    context = ssl.create_default_context()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects(), urllib.request.HTTPSHandler(context=context)]
    if proxy is not None:
        check_url(proxy)
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    opener = urllib.request.build_opener(*handlers)
    method = "POST" if data else "GET"
    body = urlencode(list(data)).encode("ascii") if data else None
    exchanges: list[Exchange] = []
    deadline = time.monotonic() + timeout
    for _ in range(max_redirects + 1):
        check_url(url)
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - scheme checked above
        request.add_header("User-Agent", user_agent)
        for name, value in headers:
            request.add_header(name, value)
        sent = jar.header_for(url)
        if sent:
            request.add_header("Cookie", sent)
        status, response_headers, content = _send(
            opener, request, url, timeout=timeout, body_limit=body_limit, deadline=deadline, proxy=proxy
        )
        set_cookies = tuple(_wire_text(v) for v in response_headers.get_all("Set-Cookie") or ())
        kept = tuple((name, _wire_text(value)) for name, value in response_headers.items()) if body_limit else ()
        exchanges.append(
            Exchange(
                method, url, status, set_cookies, sent or None, kept, content[:body_limit], len(content) > body_limit
            )
        )
        for line in set_cookies:
            jar.set(line, url)
        location = response_headers.get("Location")
        if status not in {301, 302, 303, 307, 308} or not location:
            return exchanges, url
        try:
            url = urljoin(url, _wire_text(location))
        except ValueError:  # "http://[x/": urllib's "Invalid IPv6 URL"
            raise BadInput(f"{url[:80]!r} redirects to {location[:80]!r}, which is no URL") from None
        if status in {301, 302, 303} and method == "POST":
            method, body = "GET", None  # what browsers do; 307 and 308 repeat the POST
    raise BadInput(f"more than {max_redirects} redirects (a redirect loop?)")


def check_url(url: str) -> None:
    """Only http:// and https:// URLs with a host (urllib would also open file:, ftp: and data:), and only printable
    text: a control character, a bidi override or an undecodable byte would reach the terminal in a message."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[x/": urllib's "Invalid IPv6 URL"
        raise BadInput(f"{url[:80]!r} is not an http:// or https:// URL") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise BadInput(f"{url[:80]!r} is not an http:// or https:// URL")
    if not url.isprintable():
        raise BadInput(
            f"{url[:80]!r} has characters that are not printable text (control or format characters, or bytes that are not UTF-8)"
        )


def _send(
    opener: urllib.request.OpenerDirector,
    request: urllib.request.Request,
    url: str,
    *,
    timeout: float,
    body_limit: int = 0,
    deadline: float = float("inf"),
    proxy: str | None = None,
) -> tuple[int, Message, bytes]:
    host = urlsplit(url).netloc
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), response.headers, _read_body(response, body_limit, deadline)
    except urllib.error.HTTPError as exc:  # 3xx (not followed here), 4xx, 5xx: all carry headers
        with exc:
            return exc.code, exc.headers, _read_body(exc, body_limit, deadline)
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise BadInput(
                f"{host}'s TLS certificate is not trusted: {reason.verify_message} "
                "(for a self-signed development certificate use --insecure)"
            ) from None
        if isinstance(reason, TimeoutError):
            raise BadInput(f"no answer from {host} within {timeout:g} seconds (raise --timeout)") from None
        via = f" through the proxy {urlsplit(proxy).netloc}" if proxy else ""
        raise BadInput(f"cannot reach {host}{via}: {getattr(reason, 'strerror', None) or reason}") from None
    except TimeoutError:
        raise BadInput(f"no answer from {host} within {timeout:g} seconds (raise --timeout)") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise BadInput(f"the request to {host} failed: {type(exc).__name__}: {exc}") from None


def _read_body(response: Any, limit: int, deadline: float) -> bytes:
    """At most ``limit + 1`` bytes of the body (more says it was longer), read before ``deadline``: a server that
    dribbles its page a byte at a time is cut off there, not after the whole page."""
    chunks: list[bytes] = []
    total = 0
    while limit and total <= limit:
        if time.monotonic() > deadline:
            raise TimeoutError("the deadline passed")
        chunk = response.read1(min(1 << 16, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _wire_text(header_value: str) -> str:
    """http.client decodes headers as latin-1; hold them as UTF-8 text so sizes count wire bytes."""
    try:
        return header_value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return header_value
