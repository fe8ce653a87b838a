"""What to do about a cookie near or past a limit: concrete steps, costliest key first."""

from __future__ import annotations

from flasksess_cli.sizecheck.browsers import CookieReport
from flasksess_cli.sizecheck.pricing import SessionSize

#: Advice is given when a cookie is this close to the browsers' limit, or past a limit.
ADVICE_MARGIN = 1024


def advice(report: CookieReport, session: SessionSize | None) -> tuple[str, ...]:
    """Concrete steps, costliest first, when the cookie is past a limit or within ADVICE_MARGIN of the browsers'."""
    if not (report.too_large or report.flask_warns or report.browser_headroom < ADVICE_MARGIN):
        return ()
    if session is None:
        return ("Keep large values out of cookies: store them server-side and put only an id in the cookie.",)
    steps: list[str] = []
    total = max(session.cookie_bytes, 1)
    for cost in session.keys:
        if cost.cookie_bytes < max(64, total // 10):
            continue
        where = f"'{cost.key}' costs {cost.cookie_bytes} bytes of the cookie"
        if cost.key == "_flashes":
            steps.append(
                f"{where}: {session.flashes} flashed message(s) no page has shown yet stay in the cookie until "
                "get_flashed_messages() runs. Show them in the base template on every page, and flash short texts."
            )
        elif "objects" in cost.holds or cost.holds.startswith("object"):
            steps.append(
                f"{where} ({cost.holds}): keep ids in the session, not objects, and load the rows per request."
            )
        elif cost.holds.startswith(("text", "bytes")):
            steps.append(f"{where} ({cost.holds}): recompute it per request, or store it server-side.")
        elif cost.holds.startswith("list"):
            steps.append(f"{where} ({cost.holds}): cap the list, or store it server-side.")
        else:
            steps.append(f"{where}: drop it if it can be recomputed from the database or the request.")
    steps.append(
        "Move large state server-side: Flask-Session with Redis or a database keeps only a session id "
        "(under 100 bytes) in the cookie."
    )
    return tuple(steps)
