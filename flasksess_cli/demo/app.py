"""The classic Flask session tutorial, run for real, with a live cookie inspector on every page.

``/`` says who is logged in; ``/login`` stores ``session['username']``; ``/logout``
pops it; flash messages give feedback. The inspector shows the session cookie the
browser sent, decoded (the code behind ``flasksess decode``) and size-checked (the
code behind ``flasksess sizecheck``). ``/grow`` adds data to the session so a person
can watch the cookie pass 4096 bytes and the browser keep the old session.
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from flask.logging import wsgi_errors_stream
from werkzeug.wrappers import Response

from flasksess_cli.codec import session_json
from flasksess_cli.codec.cookie import decode_cookie
from flasksess_cli.demo.logs import FLASK_FORMAT, escape_logs
from flasksess_cli.demo.sessions import MAX_SESSION_JSON, GuardedSessionInterface, signed_value
from flasksess_cli.errors import BadInput
from flasksess_cli.settings import settings_of
from flasksess_cli.sizecheck.browsers import CookieReport, check_cookie
from flasksess_cli.sizecheck.limits import BROWSER_LIMIT
from flasksess_cli.sizecheck.set_cookie import CookieAttributes, attributes_of
from flasksess_cli.untrusted import printable

MAX_USERNAME = 64
MAX_GROW = 20_000

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    secret_key: str | bytes, *, fallbacks: tuple[str | bytes, ...] = (), session_store: str | None = None
) -> Flask:
    """The demo. ``session_store``: a folder for Flask-Session's file store (server-side sessions), or None
    for Flask's own signed-cookie sessions."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        SECRET_KEY_FALLBACKS=list(fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if session_store is None:
        app.session_interface = GuardedSessionInterface()
    else:
        _use_flask_session(app, session_store)
    app.logger.setLevel("INFO")
    escape_logs(app.logger, wsgi_errors_stream, FLASK_FORMAT)
    app.context_processor(lambda: {"csrf_token": csrf_token, "inspector": Inspector.of_request(app)})
    app.after_request(_security_headers)
    app.before_request(_check_csrf)

    @app.get("/")
    def index() -> str:
        return render_template("index.html", username=session.get("username"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return render_template("login.html")
        username = request.form.get("username", "").strip()
        if not username or len(username) > MAX_USERNAME:
            flash(f"A username is 1 to {MAX_USERNAME} characters.", "error")
            return render_template("login.html", username=username), 400
        session["username"] = username
        app.logger.info("Login: %r from %s", username, request.remote_addr)
        flash("You were logged in", "success")
        return redirect(url_for("index"))

    @app.route("/logout", methods=["GET", "POST"])
    def logout() -> Response:
        username = session.pop("username", None)
        if username is not None:
            app.logger.info("Logout: %r from %s", username, request.remote_addr)
        flash("You were logged out", "info")
        return redirect(url_for("index"))

    @app.post("/grow")
    def grow() -> Response:
        try:
            n_bytes = max(1, min(MAX_GROW, int(request.form.get("bytes", "1000"))))
        except ValueError:
            n_bytes = 1000
        # Random text: zlib cannot shrink it, so the cookie really grows by about n_bytes.
        session["blob"] = session.get("blob", "") + base64.urlsafe_b64encode(os.urandom(n_bytes))[:n_bytes].decode()
        session["generation"] = session.get("generation", 0) + 1
        report = check_cookie(app.config["SESSION_COOKIE_NAME"], _cookie_value(app), _attributes(app))
        # To the inspector: on a phone it sits below the form, and its verdict is what to see now.
        return redirect(url_for("index", sent=session["generation"], size=report.name_value_bytes, _anchor="inspector"))

    @app.post("/reset")
    def reset() -> Response:
        session.pop("blob", None)
        session["generation"] = session.get("generation", 0) + 1
        flash("The extra session data was removed", "info")
        return redirect(url_for("index"))

    return app


def _use_flask_session(app: Flask, folder: str) -> None:
    """Flask-Session on cachelib's file store: the session lives in ``folder``, the cookie holds a random id."""
    from cachelib.file import FileSystemCache
    from flask_session import Session

    app.config.update(
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=FileSystemCache(folder, threshold=500, mode=0o600),
        SESSION_PERMANENT=False,  # a browser-session cookie, as Flask's own sessions by default
        FLASKSESS_DEMO_STORE=folder,
    )
    Session(app)


def _server_side(app: Flask) -> bool:
    return "FLASKSESS_DEMO_STORE" in app.config


def _cookie_value(app: Flask) -> str:
    """The session cookie value this response will carry."""
    if _server_side(app):
        return str(session.sid)  # type: ignore[attr-defined]
    return signed_value(app, dict(session))


def csrf_token() -> str:
    """The form token, kept in the session (created on first use)."""
    if "csrf_token" not in session:
        session["csrf_token"] = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    return str(session["csrf_token"])


def _check_csrf() -> None:
    if request.method != "POST":
        return
    sent, kept = request.form.get("csrf_token", ""), session.get("csrf_token", "")
    if not (sent and kept and hmac.compare_digest(str(sent), str(kept))):
        from flask import current_app

        current_app.logger.warning("CSRF token missing or wrong on POST %s from %s", request.path, request.remote_addr)
        abort(400, "The form's CSRF token is missing or wrong. Reload the page and try again.")


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _attributes(app: Flask) -> CookieAttributes:
    """The attributes this app writes its session cookie with (its settings as sizecheck --app reads them)."""
    if not _server_side(app):
        return attributes_of(settings_of(app))
    interface = app.session_interface
    return CookieAttributes(
        domain=interface.get_cookie_domain(app), path=interface.get_cookie_path(app),
        secure=interface.get_cookie_secure(app), httponly=interface.get_cookie_httponly(app),
        samesite=interface.get_cookie_samesite(app),
    )  # fmt: skip


@dataclass(frozen=True)
class Bar:
    """One cookie drawn against the browsers' 4096-byte limit (widths in thousandths of the chart)."""

    id: str
    label: str
    bytes: int
    #: "ok", "near" (past 90%), "rejected" (past the limit).
    state: str
    width: int
    #: Where the part past the limit starts, when there is one.
    limit: int


@dataclass(frozen=True)
class Inspector:
    """What the inspector panel shows about the session cookie of the current request.

    Everything it shows is computed here, inside one guard: whatever the cookie holds, the
    page renders, and what cannot be shown is said (and, if it is a flaw in flasksess, logged).
    """

    name: str
    raw: str | None
    #: Why the cookie cannot be shown decoded.
    error: str | None
    #: The session as Python literals, and when and how it was written ("2024-... UTC, payload ...").
    session_text: str
    signed: str | None
    size: CookieReport | None
    #: After /grow: the generation the last response tried to store, and that cookie's name+value bytes.
    sent_generation: int | None
    sent_size: int | None
    seen_generation: int
    #: Server-side sessions (serve-demo --server-side): where Flask-Session keeps the data, else None.
    store: str | None = None
    #: The session as the server holds it (server-side only), and its size there in bytes.
    stored_session: str = ""
    stored_bytes: int = 0

    @classmethod
    def of_request(cls, app: Flask) -> Inspector:
        name = app.config["SESSION_COOKIE_NAME"]
        raw = request.cookies.get(name)
        shown: dict[str, Any] = {"error": None, "session_text": "", "signed": None, "size": None}
        try:
            _inspect(app, name, raw, shown)
        except BadInput as exc:
            shown["error"] = printable(str(exc))
        except Exception:  # a flaw in flasksess: the page still renders, the traceback goes to the log
            app.logger.exception("The inspector could not show the session cookie on %s", request.path)
            shown["error"] = (
                "The inspector cannot show this cookie (a flaw in flasksess; the server log has the details)."
            )
        generation = session.get("generation", 0)  # an int: GuardedSessionInterface drops any other type
        return cls(name, raw, **shown, sent_generation=_int_arg("sent"), sent_size=_int_arg("size"),
                   seen_generation=generation if isinstance(generation, int) else 0)  # fmt: skip

    @property
    def dropped(self) -> bool:
        """The last response set a cookie the browser did not keep: it sent an older session back."""
        return self.sent_generation is not None and self.seen_generation < self.sent_generation

    @property
    def browser_limit(self) -> int:
        return BROWSER_LIMIT

    @property
    def over_by(self) -> int:
        """How far the dropped cookie was past the limit."""
        return max(0, (self.sent_size or 0) - BROWSER_LIMIT)

    @property
    def bars(self) -> list[Bar]:
        """The cookie the browser sent, and (when it dropped one) the cookie it rejected, on one scale."""
        sizes = []
        if self.size is not None:
            label = "kept: the cookie the browser sent back" if self.dropped else "the cookie the browser sent"
            sizes.append(("bar-browser", label, self.size.name_value_bytes))
        if self.dropped and self.sent_size is not None:
            sizes.append(("bar-rejected", "rejected: the cookie the last response set", self.sent_size))
        scale = max([BROWSER_LIMIT * 5 // 4, *(round(size * 1.1) for _, _, size in sizes)])
        limit = 1000 * BROWSER_LIMIT // scale
        return [
            Bar(
                id=bar_id,
                label=label,
                bytes=size,
                state="rejected" if size > BROWSER_LIMIT else ("near" if size > BROWSER_LIMIT * 0.9 else "ok"),
                width=1000 * size // scale,
                limit=limit,
            )
            for bar_id, label, size in sizes
        ]


def _inspect(app: Flask, name: str, raw: str | None, shown: dict[str, Any]) -> None:
    """Fill ``shown`` step by step, the size first (it needs no decoding): what was filled before a failure stays."""
    if raw:
        shown["size"] = check_cookie(name, raw, _attributes(app), app.config["MAX_COOKIE_SIZE"])
    if _server_side(app):
        shown["store"] = str(app.config["FLASKSESS_DEMO_STORE"])
        data = dict(session)
        shown["stored_session"] = session_json.python_text(data)
        shown["stored_bytes"] = len(session_json.dumps_flask(data).encode("utf-8"))
    elif raw:
        decoded = decode_cookie(raw, max_json=MAX_SESSION_JSON)
        if decoded.session is not None:
            shown["session_text"] = session_json.python_text(decoded.session)
        if decoded.issued_at is not None:
            how = (
                f", payload zlib-compressed ({decoded.stored_bytes} bytes for {decoded.json_bytes} bytes of JSON)"
                if decoded.compressed
                else ""
            )
            shown["signed"] = f"{decoded.issued_at.strftime('%Y-%m-%d %H:%M:%S UTC')}{how}"


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args[name])
    except (KeyError, ValueError):
        return None
