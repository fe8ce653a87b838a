"""Serving the demo: key policy, a threaded Werkzeug server on a bound socket, and a clean stop."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import LISTEN_QUEUE, BaseWSGIServer, get_sockaddr, make_server, select_address_family

from flasksess_cli.errors import BadInput, UsageError
from flasksess_cli.keys import MIN_KEY_BYTES, SecretKey


def refuse_weak_key(key: SecretKey) -> None:
    """A key shorter than 16 bytes, or one published in docs and tutorials, is refused (``--allow-weak-key``)."""
    from flasksess_cli.audit.known_keys import lookup

    if len(key.material) < MIN_KEY_BYTES:
        raise UsageError(
            f"the secret key is {len(key.material)} bytes, under {MIN_KEY_BYTES}: anyone could guess it and "
            "forge sessions (use flasksess genkey, or --allow-weak-key for a throwaway demo)"
        )
    known = lookup(key.material)
    if known is not None:
        raise UsageError(
            f"the secret key is a published example ({known.source}): anyone can forge sessions with it "
            "(use flasksess genkey, or --allow-weak-key for a throwaway demo)"
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(app: Any, host: str, port: int) -> BaseWSGIServer:
    """A threaded server already listening on host:port (port 0 picks a free one).

    The socket is bound here, not by Werkzeug, which prints and exits on a busy port.
    """
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(LISTEN_QUEUE)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise BadInput(f"port {port} on {host} is in use (choose another with --port, or --port 0)") from None
        if exc.errno == errno.EACCES:
            raise BadInput(
                f"no permission to listen on port {port} (ports under 1024 need root; try --port 5000)"
            ) from None
        reason = exc.strerror or str(exc)
        raise BadInput(f"cannot listen on {host}:{port}: {reason} (is {host!r} an address of this machine?)") from None
    try:
        return make_server(host, port, app, threaded=True, fd=listener.fileno())
    finally:
        listener.close()  # the server holds its own duplicate of the socket


def url_of(server: BaseWSGIServer) -> str:
    """The URL to open: a wildcard address (all interfaces) is shown as its loopback address."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(server.host, server.host)  # noqa: S104
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.port}/"


@contextlib.contextmanager
def session_store(*, enabled: bool) -> Iterator[str | None]:
    """With ``enabled``: a private folder for Flask-Session's file store, removed afterwards; else None.

    Checks first that Flask-Session (the ``server-side`` extra) is installed.
    """
    if not enabled:
        yield None
        return
    import importlib.util
    import shutil
    import tempfile

    if importlib.util.find_spec("flask_session") is None or importlib.util.find_spec("cachelib") is None:
        raise BadInput(
            "--server-side needs Flask-Session and cachelib (pip install 'flasksess[server-side]', "
            "or pip install Flask-Session)"
        )
    folder = tempfile.mkdtemp(prefix="flasksess-demo-sessions-")  # 0700: only this user reads the sessions
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def demo_app(
    secret_key: str | bytes,
    fallbacks: tuple[str | bytes, ...],
    *,
    behind_proxy: bool,
    debug: bool,
    session_store: str | None = None,
) -> Any:
    """The demo's WSGI application, as serve-demo runs it (``session_store``: Flask-Session's folder, or None)."""
    import logging

    from flasksess_cli.demo.app import create_app

    app = create_app(secret_key, fallbacks=fallbacks, session_store=session_store)
    if debug:
        app.debug = True
        app.logger.setLevel(logging.DEBUG)
    if behind_proxy:  # the WSGI-middleware hook Flask documents for proxies
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
    return app


def serve(server: BaseWSGIServer) -> None:
    """Serve until Ctrl-C (or SIGTERM), then close the socket. Werkzeug's request log is escaped as the app's is."""
    import logging
    import signal
    import sys

    from flasksess_cli.demo.logs import escape_logs

    requests = logging.getLogger("werkzeug")
    if requests.level == logging.NOTSET:
        requests.setLevel(logging.INFO)
    escape_logs(requests, sys.stderr, "%(message)s", keep_colours=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
