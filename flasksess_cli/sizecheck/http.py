"""HTTP for ``sizecheck --url``: the standard library's urllib, redirects followed by hand.

Every response's Set-Cookie headers are kept, including those of redirects (a
login's 302 usually carries the session). Cookies travel along the chain in a
browser-like :class:`~flasksess_cli.sizecheck.jar.Jar`. Proxies come from the usual
environment variables, as with curl. ``timeout`` is the deadline of the whole
exchange (:func:`fetch`).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

from flasksess_cli.errors import BadInput
from flasksess_cli.untrusted import printable, show

if TYPE_CHECKING:
    from flasksess_cli.sizecheck.jar import Jar

#: Header lines accepted in one response (http.client's default is 100).
MAX_RESPONSE_HEADERS = 1000
USER_AGENT = "flasksess-sizecheck (+https://pypi.org/project/flasksess/)"


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as far as cookies go (and, when asked for, the response's headers and body)."""

    method: str
    url: str
    status: int
    set_cookies: tuple[str, ...]
    cookie_header: str | None
    #: Every response header (name, value), when :func:`fetch` was asked for the body.
    headers: tuple[tuple[str, str], ...] = ()
    #: The start of the body (``body_limit`` bytes at most), when asked for.
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
    """The exchanges from ``url`` to the last response, and the last URL, all within ``timeout`` seconds.

    ``timeout`` bounds the whole exchange, redirects and bodies included, not each socket
    read: a server that sends a byte a second, or a chain of slow redirects, is cut off at
    the deadline. The exchange runs in a worker thread; at the deadline its sockets are
    shut down wherever they block (name lookup, connect, TLS handshake, headers, body).

    With ``body_limit``, each response carries its headers and the first ``body_limit``
    bytes of its body (``audit url`` reads the page). ``proxy`` (``http://host:port``)
    replaces the proxies of the environment.
    """
    check_url(url)
    if proxy is not None:
        check_url(proxy)
    exchange = _Exchange(
        url,
        jar=jar,
        data=data,
        headers=headers,
        insecure=insecure,
        timeout=timeout,
        body_limit=body_limit,
        user_agent=user_agent,
        proxy=proxy,
    )
    worker = threading.Thread(target=exchange.run, args=(max_redirects,), name="flasksess-fetch", daemon=True)
    worker.start()
    try:
        worker.join(timeout)
    except BaseException:  # Ctrl-C: stop the worker where it waits
        exchange.sockets.cut()
        raise
    expired = worker.is_alive()
    answered, url = len(exchange.exchanges), exchange.url  # before the cut: what the worker does next does not count
    if expired:  # the deadline: stop the worker where it waits
        exchange.sockets.cut()
    if expired or exchange.timed_out:
        after = f" (after {answered} response{'s' if answered != 1 else ''})" if answered else ""
        raise BadInput(f"no answer from {_host(url)} within {timeout:g} seconds{after} (raise --timeout)")
    if exchange.error is not None:
        raise exchange.error
    return exchange.exchanges, exchange.url


def check_url(url: str) -> None:
    """Only http:// and https:// URLs with a host (urllib would also open file:, ftp: and data:), and only printable
    text: a control character, a bidi override or an undecodable byte would reach the terminal in a message."""
    problem = url_problem(url)
    if problem is not None:
        raise BadInput(f"{show(url, 80)} {problem}")


def url_problem(url: str) -> str | None:
    """Why :func:`check_url` refuses ``url`` (``is not an http:// or https:// URL``), or None."""
    try:
        parts = urlsplit(url)
        usable = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # "http://[": an unclosed IPv6 bracket, a netloc that changes under NFKC
        usable = False
    if not usable:
        return "is not an http:// or https:// URL"
    if not url.isprintable():
        return "has characters that are not printable text (control or format characters, or bytes that are not UTF-8)"
    return None


class _Sockets:
    """The sockets one exchange opened, so that its deadline can shut them down wherever they block."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._cut = False

    def create_connection(self, *args: Any, **kwargs: Any) -> socket.socket:
        sock = socket.create_connection(*args, **kwargs)
        with self._lock:
            self._open.append(sock)
            cut = self._cut
        if cut:
            sock.close()
            raise TimeoutError("the deadline passed")
        return sock

    def release(self) -> None:
        """Close every socket's descriptor, once the exchange is over.

        http.client leaves one open when a status line does not parse (the response it
        was reading keeps a reference to the socket that nobody closes).
        """
        with self._lock:
            opened, self._open = self._open, []
        for sock in opened:
            with contextlib.suppress(OSError):
                os.close(sock.detach())

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            opened = list(self._open)
        for sock in opened:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class _Tracked:
    """An ``http.client`` connection whose sockets a :class:`_Sockets` knows about."""

    def __init__(self, sockets: _Sockets, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = sockets.create_connection


class _HTTPConnection(_Tracked, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Tracked, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.sockets = sockets

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, self.sockets), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self.sockets, self.context = sockets, context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, self.sockets), req, context=self.context)


class _Exchange:
    """One run of requests and redirects, done in a worker thread; :func:`fetch` reads the outcome."""

    def __init__(
        self,
        url: str,
        *,
        jar: Jar,
        data: Sequence[tuple[str, str]],
        headers: Sequence[tuple[str, str]],
        insecure: bool,
        timeout: float,
        body_limit: int,
        user_agent: str,
        proxy: str | None,
    ) -> None:
        self.url, self.jar, self.headers = url, jar, headers
        self.body_limit, self.user_agent, self.proxy = body_limit, user_agent, proxy
        self.method = "POST" if data else "GET"
        self.body = urlencode(list(data)).encode("ascii") if data else None
        self.deadline = time.monotonic() + timeout
        self.sockets = _Sockets()
        self.exchanges: list[Exchange] = []
        self.error: BadInput | None = None
        self.timed_out = False
        # http.client refuses a response with more than 100 header lines; a page setting 150 cookies is
        # exactly what the per-domain count is for. A one-shot CLI process may raise the module's cap.
        if getattr(http.client, "_MAXHEADERS", 0) < MAX_RESPONSE_HEADERS:
            setattr(http.client, "_MAXHEADERS", MAX_RESPONSE_HEADERS)  # noqa: B010 - a private constant, no setter
        context = ssl.create_default_context()
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        handlers: list[urllib.request.BaseHandler] = [
            _NoRedirects(),
            _HTTPHandler(self.sockets),
            _HTTPSHandler(self.sockets, context),
        ]
        if proxy is not None:
            handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
        self.opener = urllib.request.build_opener(*handlers)

    def run(self, max_redirects: int) -> None:
        try:
            self._follow(max_redirects)
        except BadInput as exc:
            self.error = exc
        except TimeoutError:
            self.timed_out = True
        finally:
            self.sockets.release()

    def _follow(self, max_redirects: int) -> None:
        for _ in range(max_redirects + 1):
            check_url(self.url)
            request = urllib.request.Request(_as_sent(self.url), data=self.body, method=self.method)  # noqa: S310
            request.add_header("User-Agent", self.user_agent)
            for name, value in self.headers:
                request.add_header(name, value)
            sent = self.jar.header_for(self.url)
            if sent:
                request.add_header("Cookie", sent)
            status, response_headers, content = self._send(request)
            set_cookies = tuple(_wire_text(v) for v in response_headers.get_all("Set-Cookie") or ())
            kept = tuple((n, _wire_text(v)) for n, v in response_headers.items()) if self.body_limit else ()
            limit = self.body_limit
            self.exchanges.append(
                Exchange(
                    self.method,
                    self.url,
                    status,
                    set_cookies,
                    sent or None,
                    kept,
                    content[:limit],
                    len(content) > limit,
                )
            )
            for line in set_cookies:
                self.jar.set(line, self.url)
            location = response_headers.get("Location")
            if status not in {301, 302, 303, 307, 308} or not location:
                return
            location = _wire_text(location)
            try:
                target = urljoin(self.url, location)
            except ValueError:
                target = ""
            problem = url_problem(target)  # the server's URL, not the user's: the message says whose it is
            if problem is not None:
                raise BadInput(f"{_host(self.url)} redirects to {show(location, 80)}, which {problem}")
            self.url = target
            if status in {301, 302, 303} and self.method == "POST":
                self.method, self.body = "GET", None  # what browsers do; 307 and 308 repeat the POST
        raise BadInput(f"more than {max_redirects} redirects (a redirect loop?)")

    def _send(self, request: urllib.request.Request) -> tuple[int, Message, bytes]:
        host = _host(self.url)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed")
        try:
            response = self.opener.open(request, timeout=remaining)
        except urllib.error.HTTPError as exc:  # 3xx (not followed here), 4xx, 5xx: all carry headers
            response = exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise BadInput(
                    f"{host}'s TLS certificate is not trusted: {reason.verify_message} "
                    "(for a self-signed development certificate use --insecure)"
                ) from None
            if self._past_deadline(reason):
                raise TimeoutError("the deadline passed") from None
            text = getattr(reason, "strerror", None) or str(reason)
            via = f" through the proxy {_host(self.proxy)}" if self.proxy else ""
            raise BadInput(f"cannot reach {host}{via}: {printable(text, 120)}") from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            raise self._failed(host, exc) from None
        with response:
            try:  # the body, as far as asked for: the server may still fail or stall here
                return int(response.status), response.headers, _read_body(response, self.body_limit)
            except (http.client.HTTPException, OSError, ValueError) as exc:
                raise self._failed(host, exc) from None

    def _past_deadline(self, error: object) -> bool:
        """The request failed because time ran out (a socket timeout, or the deadline's cut)."""
        return isinstance(error, TimeoutError) or time.monotonic() >= self.deadline

    def _failed(self, host: str, exc: Exception) -> Exception:
        if self._past_deadline(exc):
            return TimeoutError("the deadline passed")
        return BadInput(f"the request to {host} failed: {type(exc).__name__}: {printable(str(exc), 120)}")


def _as_sent(url: str) -> str:
    """The URL as a browser sends it: each non-ASCII character of its path and query percent-encoded as
    UTF-8 (``/café`` is ``/caf%C3%A9``); the host goes as IDNA (http.client encodes it)."""
    if url.isascii():
        return url
    from urllib.parse import quote

    def encoded(text: str) -> str:
        return "".join(char if char.isascii() else quote(char) for char in text)

    parts = urlsplit(url)
    return parts._replace(path=encoded(parts.path), query=encoded(parts.query), fragment="").geturl()


def _read_body(response: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the body (more says it was longer); the deadline cuts a dribbling server."""
    chunks: list[bytes] = []
    total = 0
    while limit and total <= limit:
        chunk = response.read1(min(1 << 16, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _host(url: str) -> str:
    """The host (and port) of a URL for a message; at most 80 characters."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = url
    return printable(netloc, 80)


def _wire_text(header_value: str) -> str:
    """http.client decodes headers as latin-1; hold them as UTF-8 text so sizes count wire bytes."""
    try:
        return header_value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return header_value
