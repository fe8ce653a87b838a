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


def create_app(secret_key: str | bytes, *, fallbacks: tuple[str | bytes, ...] = ()) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        SECRET_KEY_FALLBACKS=list(fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.session_interface = GuardedSessionInterface()
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
        report = check_cookie(app.config["SESSION_COOKIE_NAME"], signed_value(app, dict(session)), _attributes(app))
        return redirect(url_for("index", sent=session["generation"], size=report.name_value_bytes))

    @app.post("/reset")
    def reset() -> Response:
        session.pop("blob", None)
        session["generation"] = session.get("generation", 0) + 1
        flash("The extra session data was removed", "info")
        return redirect(url_for("index"))

    return app


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
    return attributes_of(settings_of(app))


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

    @classmethod
    def of_request(cls, app: Flask) -> Inspector:
        name = app.config["SESSION_COOKIE_NAME"]
        raw = request.cookies.get(name)
        shown: dict[str, Any] = {"error": None, "session_text": "", "signed": None, "size": None}
        if raw:
            try:
                shown["size"] = check_cookie(name, raw, _attributes(app), app.config["MAX_COOKIE_SIZE"])
                shown |= _decoded(raw)
            except BadInput as exc:
                shown["error"] = printable(str(exc))
            except Exception:  # a flaw in flasksess: the page still renders, the traceback goes to the log
                app.logger.exception("The inspector could not show the session cookie on %s", request.path)
                shown["error"] = (
                    "The inspector cannot show this cookie (a flaw in flasksess; the server log has the details)."
                )
        generation = session.get("generation", 0)  # an int: GuardedSessionInterface drops any other type
        return cls(name, raw, **shown, sent_generation=_int_arg("sent"), sent_size=_int_arg("size"),
                   seen_generation=generation)  # fmt: skip

    @property
    def dropped(self) -> bool:
        """The last response set a cookie the browser did not keep: it sent an older session back."""
        return self.sent_generation is not None and self.seen_generation < self.sent_generation

    @property
    def browser_limit(self) -> int:
        return BROWSER_LIMIT


def _decoded(raw: str) -> dict[str, Any]:
    """The session in the cookie as Python literals, and when it was signed; BadInput when it does not decode."""
    decoded = decode_cookie(raw, max_json=MAX_SESSION_JSON)
    shown: dict[str, Any] = {"session_text": ""}
    if decoded.session is not None:
        shown["session_text"] = session_json.python_text(decoded.session)
    if decoded.issued_at is not None:
        how = (
            f", payload zlib-compressed ({decoded.stored_bytes} bytes for {decoded.json_bytes} bytes of JSON)"
            if decoded.compressed
            else ""
        )
        shown["signed"] = f"{decoded.issued_at.strftime('%Y-%m-%d %H:%M:%S UTC')}{how}"
    return shown


def _int_arg(name: str) -> int | None:
    try:
        return int(request.args[name])
    except (KeyError, ValueError):
        return None
