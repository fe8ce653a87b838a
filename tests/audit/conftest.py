"""Fixtures of the audit tests: every search test runs on both engines, the way MarkupSafe tests its speedups.

``engine`` is "native" (the C kernel, over threads) or "python" (its pure-Python twin, over
worker processes). The native one is skipped only where the extension was not built, and
``test_scan.py`` fails if it is missing where a compiler exists.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import flask
import pytest

NATIVE_BUILT = importlib.util.find_spec("flasksess_cli.audit._scan") is not None


@pytest.fixture(params=["native", "python"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "native" and not NATIVE_BUILT:
        pytest.skip("the C kernel is not built here")
    return str(request.param)


@pytest.fixture
def kernel(engine: str) -> ModuleType:
    from flasksess_cli.audit.workers import load_kernel

    return load_kernel("python" if engine == "python" else "native")


def flask_cookie(secret_key: str | bytes, session: dict[str, Any]) -> str:
    """The session cookie real Flask writes for ``session`` under ``secret_key``."""
    app = flask.Flask(__name__)
    app.secret_key = secret_key

    @app.post("/set")
    def set_session() -> str:
        flask.session.update(session)
        return "ok"

    header = app.test_client().post("/set").headers["Set-Cookie"]
    return str(header.split(";", 1)[0].split("=", 1)[1])
