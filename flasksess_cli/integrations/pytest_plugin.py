"""The pytest plugin (entry point ``pytest11``): the ``flask_session_cookie`` fixture.

pytest imports this module at every start-up of every project where flasksess is
installed, so it imports nothing but pytest: the cookie factory and Flask are imported
when a test first asks for the fixture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flasksess_cli.integrations.session_cookies import SessionCookieFactory


@pytest.fixture
def flask_session_cookie(request: pytest.FixtureRequest) -> SessionCookieFactory:
    """Make session cookies that the app under test accepts (or, on purpose, rejects).

    ``flask_session_cookie(session, key=..., age=..., at=..., compress=..., size=...)``
    returns a cookie signed as the app signs (its key, fallbacks, salt, digest, JSON
    options). The app is the test's ``app`` fixture unless ``app=`` is given. Put it in
    Flask's test client with ``cookie.set_on(client)``, in a browser with
    ``driver.add_cookie(cookie.for_browser())``, or in a request with ``cookie.header``.

    \b
    key:      "current" (default), an int index into SECRET_KEY_FALLBACKS, or any str/bytes key
    age:      a timedelta: signed that long ago (negative: in the future)
    at:       a datetime or Unix time to sign at
    compress: force zlib on or off (default: as Flask, when shorter)
    size:     pad the session until the cookie's name=value has at least this many bytes
    """
    from flasksess_cli.integrations.session_cookies import SessionCookieFactory

    def app_fixture() -> Any:
        try:
            return request.getfixturevalue("app")
        except pytest.FixtureLookupError:
            raise LookupError(
                "flask_session_cookie needs the Flask app: define an 'app' fixture, or pass app=..."
            ) from None

    return SessionCookieFactory(app_fixture)
