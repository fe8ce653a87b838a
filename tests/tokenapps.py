"""Real apps whose tokens share their key: Flask with Flask-WTF and Flask-Login, Starlette, Quart with Quart-Auth,
Flask-Security; and real servers to run the ASGI ones on 127.0.0.1 (uvicorn, Hypercorn) in a thread.

Each app is what the library's documentation shows, nothing of flasksess in it, so what
these apps write and accept is what the libraries do.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOGIN_PAGE = """<!doctype html><html><head><title>Log in</title>{{ csrf_meta_tag() }}</head><body>
<form method="post" action="/login">{{ form.csrf_token }}{{ form.username }}{{ form.remember }}<button>Log in</button></form>
</body></html>"""


def flask_app(key: str | bytes, **config: Any) -> Any:
    """Flask's login page with a Flask-WTF form (CSRF token in the form and a meta tag) and Flask-Login remember-me.

    ``GET /login`` shows the form; ``POST /login`` (username, remember) logs in and redirects to
    ``/me``, which says who is logged in ("anonymous" when nobody is); ``POST /form`` only checks CSRF.
    """
    from flask import Flask, redirect, render_template_string
    from flask_login import LoginManager, UserMixin, current_user, login_user
    from flask_wtf import FlaskForm
    from flask_wtf.csrf import CSRFProtect
    from wtforms import BooleanField, StringField

    app = Flask(__name__)
    app.config.update(SECRET_KEY=key, **config)
    CSRFProtect(app)
    manager = LoginManager(app)

    class User(UserMixin):
        def __init__(self, uid: str) -> None:
            self.id = uid

    @manager.user_loader
    def load_user(uid: str) -> User:
        return User(uid)

    class LoginForm(FlaskForm):  # type: ignore[misc]
        username = StringField("username")
        remember = BooleanField("remember")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        form = LoginForm()
        if form.validate_on_submit():
            login_user(User(form.username.data), remember=form.remember.data)
            return redirect("/me")
        return render_template_string(LOGIN_PAGE, form=form)

    @app.post("/form")
    def form() -> str:
        return "accepted"

    @app.get("/me")
    def me() -> str:
        return str(current_user.get_id() or "anonymous")

    return app


def starlette_app(key: str) -> Any:
    """A Starlette app with SessionMiddleware: ``/login`` stores a CSRF nonce in the session (what a login page does),
    ``/login?user=x`` logs in, ``/me`` returns the session as JSON."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    async def login(request: Request) -> HTMLResponse:
        request.session.setdefault("nonce", "6b1e0d2f9a")
        if "user" in request.query_params:
            request.session["user"] = request.query_params["user"]
        return HTMLResponse("<form method='post'><input name='user'><button>Log in</button></form>")

    async def me(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.session))

    return Starlette(
        routes=[Route("/login", login), Route("/me", me)],
        middleware=[Middleware(SessionMiddleware, secret_key=key)],
    )


def quart_app(key: str) -> Any:
    """Quart with Quart-Auth: its login page keeps where to go next in Quart's session (signed with the same key);
    ``POST /login/<id>`` logs in (remember-me), ``/me`` says who is logged in."""
    from quart import Quart, session
    from quart_auth import AuthUser, QuartAuth, current_user, login_user

    app = Quart(__name__)
    app.config.update(SECRET_KEY=key, QUART_AUTH_COOKIE_SECURE=False)  # plain http on 127.0.0.1
    QuartAuth(app)

    @app.get("/login")
    async def login_page() -> str:
        session["next"] = "/me"
        return "<form method='post'><input name='user'><button>Log in</button></form>"

    @app.post("/login/<auth_id>")
    async def login(auth_id: str) -> str:
        login_user(AuthUser(auth_id), remember=True)
        return "in"

    @app.get("/me")
    async def me() -> str:
        return str(current_user.auth_id) if await current_user.is_authenticated else "anonymous"

    return app


def flask_security_app(key: str, **config: Any) -> tuple[Any, Any]:
    """Flask-Security with an in-memory SQLite user store and one confirmed user; (app, datastore)."""
    from datetime import datetime

    import flask_security as fs
    from flask import Flask
    from flask_security.models import fsqla_v4 as fsqla
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(f"security_{id(config)}")
    app.config.update(
        SECRET_KEY=key,
        SECURITY_PASSWORD_SALT="pw-salt-not-a-secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SECURITY_CONFIRMABLE=True,
        SECURITY_RECOVERABLE=True,
        SECURITY_CHANGE_EMAIL=True,
        SECURITY_SEND_REGISTER_EMAIL=False,
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},
        WTF_CSRF_ENABLED=False,
        **config,
    )
    db = SQLAlchemy(app)
    fsqla.FsModels.set_db_info(db)

    class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined, misc]
        pass

    class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined, misc]
        pass

    class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):  # type: ignore[name-defined, misc]
        pass

    class FsRefreshTracker(db.Model, fsqla.FsRefreshTrackerMixin):  # type: ignore[name-defined, misc]
        pass

    datastore = fs.SQLAlchemyUserDatastore(db, User, Role, WebAuthn, refresh_tracker_model=FsRefreshTracker)
    app.security = fs.Security(app, datastore)  # type: ignore[attr-defined]
    with app.app_context():
        db.create_all()
        datastore.create_user(
            email="alice@example.com", password=fs.hash_password("correct horse battery"), confirmed_at=datetime.now()
        )
        db.session.commit()
    return app, datastore


# --- real ASGI servers in a thread ---------------------------------------------------------------


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def wait_until_listening(port: int, alive: Callable[[], bool], deadline: float = 30.0) -> None:
    """Poll until an HTTP request gets an answer (the server's loop runs), with a deadline."""
    import http.client

    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if not alive():
            raise RuntimeError("the server stopped before it answered")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/__ready__")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("the server did not answer within the deadline")


@contextmanager
def serving(name: str, run: Callable[[], None], stop: Callable[[], None], sock: socket.socket) -> Iterator[str]:
    """Run a server's ``run`` in a thread on ``sock``; yield its base URL once it answers; ``stop`` it after."""
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    try:
        wait_until_listening(port, thread.is_alive)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop()
        thread.join(timeout=10)


@contextmanager
def uvicorn_server(app: Any) -> Iterator[str]:
    """``app`` on uvicorn, on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    import uvicorn

    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))

    def stop() -> None:
        server.should_exit = True

    try:
        with serving("uvicorn", lambda: server.run(sockets=[sock]), stop, sock) as url:
            yield url
    finally:
        sock.close()


@contextmanager
def hypercorn_server(app: Any) -> Iterator[str]:
    """``app`` on Hypercorn (asyncio), on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    sock = listening_socket()
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stopped = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(app, config, shutdown_trigger=stopped.wait))  # type: ignore[arg-type]

    try:
        with serving("hypercorn", run, lambda: loop.call_soon_threadsafe(stopped.set), sock) as url:
            yield url
    finally:
        loop.close()
        sock.detach()  # Hypercorn took the descriptor over and closed it
