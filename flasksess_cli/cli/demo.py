"""``serve-demo``: Flask's login demo with a live cookie inspector, on a real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from flasksess_cli import keys
from flasksess_cli.cli.common import ENV_KEY, Command
from flasksess_cli.cli.options import key_options, pass_given, resolve_settings

if TYPE_CHECKING:
    from flasksess_cli.settings import Given


@click.command("serve-demo", cls=Command, epilog=ENV_KEY)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on; other than loopback, a warning."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@key_options
@click.option("--allow-weak-key", is_flag=True, help="Accept a key under 16 bytes or a published example key.")
@click.option("--behind-proxy", is_flag=True, help="Trust X-Forwarded-* headers from one proxy (Werkzeug's ProxyFix).")
@click.option(
    "--server-side",
    is_flag=True,
    help="Keep sessions on the server with Flask-Session (pip install 'flasksess[server-side]'): the cookie holds an id.",
)
@click.option("--debug", is_flag=True, help="Flask debug mode and DEBUG logging (no interactive debugger).")
@pass_given
def serve_demo(
    host: str, port: int, allow_weak_key: bool, behind_proxy: bool, server_side: bool, debug: bool, given: Given
) -> None:
    """Run Flask's classic login demo for real, with a live cookie inspector.

    Log in, log out, see the flash messages, and watch the session cookie on every page:
    decoded, dated and size-checked. "Grow the session" pushes the cookie past 4096 bytes
    so you can see the browser keep the old session. Ctrl-C stops the server.

    \b
    Examples:
      flasksess serve-demo                       # http://127.0.0.1:5000/, a fresh random key
      flasksess serve-demo --port 0              # any free port
      flasksess serve-demo --key-file secret.key --fallback old-key
      flasksess serve-demo --server-side         # the same app on Flask-Session: the cookie is an id
    """
    from flasksess_cli import render
    from flasksess_cli.demo import server

    settings = resolve_settings(given)
    key = settings.key
    if key is not None and not allow_weak_key:
        server.refuse_weak_key(key)
    fresh = key is None
    key = key or keys.SecretKey(keys.generate_keys(fmt="hex")[0].key)
    fallbacks = tuple(fallback.value for fallback in settings.fallbacks)
    with server.session_store(enabled=server_side) as store:
        app = server.demo_app(key.value, fallbacks, behind_proxy=behind_proxy, debug=debug, session_store=store)
        running = server.bind(app, host, port)
        # Notes only once the socket listens: an error is then the only line a failed start prints.
        if fresh:
            render.note("No secret key given: using a fresh random one, so sessions end when the server stops.")
        if not server.is_loopback(host):
            render.note(f"Warning: listening on {host}, not loopback: other machines can reach this demo.")
        if store is not None:
            render.note(f"Sessions live on the server, in {store} (Flask-Session); the cookie holds only an id.")
        render.emit_value(server.url_of(running))
        server.serve(running)
    render.note("Stopped.")
