"""The limits table, Werkzeug-exact Set-Cookie headers, and every boundary of every check."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from werkzeug.http import dump_cookie

from flasksess_cli import defaults
from flasksess_cli.errors import BadInput
from flasksess_cli.sizecheck import limits, set_cookie
from flasksess_cli.sizecheck.browsers import check_cookie, check_set_cookie
from flasksess_cli.sizecheck.servers import DomainCount, check_request, cookie_header
from flasksess_cli.sizecheck.set_cookie import CookieAttributes

EXPIRES = "Tue, 22 Dec 2026 14:00:55 GMT"


def test_limits_table_is_one_table_with_a_source_for_every_row() -> None:
    ids = [row.id for row in limits.LIMITS]
    assert len(ids) == len(set(ids))
    for row in limits.LIMITS:
        assert row.source and row.counts and row.on_exceed and row.enforced_by, row.id
        assert row.limit > 0 and row.unit in {"bytes", "cookies"}
    assert (limits.BROWSER_LIMIT, limits.DEFAULT_MAX_COOKIE_SIZE, limits.ATTRIBUTE_LIMIT) == (4096, 4093, 1024)
    assert (limits.COOKIES_PER_DOMAIN, limits.PARTITION_LIMIT) == (180, 10240)


def test_server_choices_are_the_server_rows_of_the_table() -> None:
    assert tuple(row.id for row in limits.SERVERS) == defaults.SIZECHECK_SERVERS
    issue = {"nginx": 8192, "apache": 8190, "gunicorn": 8190, "tomcat": 8192, "node": 16384, "iis": 16384}
    issue |= {"alb": 16384, "cloudflare": 16384, "werkzeug": 65536}
    assert {row.id: row.limit for row in limits.SERVERS if row.id in issue} == issue


def test_flask_default_max_cookie_size_is_the_tables() -> None:
    import flask

    assert flask.Flask(__name__).config["MAX_COOKIE_SIZE"] == limits.DEFAULT_MAX_COOKIE_SIZE


# --- the header, byte for byte against Werkzeug's dump_cookie ------------------------------------

HEADER_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("session", "eyJ1Ijo0Mn0.aT8ZWQ.sig", {}),
    ("session", "v", {"httponly": False}),
    ("session", "v", {"path": None, "httponly": False}),
    ("session", "v", {"secure": True}),
    ("session", "v", {"samesite": "lax"}),
    ("session", "v", {"samesite": "STRICT", "secure": True}),
    ("session", "v", {"samesite": "None", "secure": True}),
    ("session", "v", {"partitioned": True}),
    ("session", "v", {"partitioned": True, "samesite": "None"}),
    ("session", "v", {"domain": "example.com"}),
    ("session", "v", {"domain": ".example.com:8443"}),
    ("session", "v", {"domain": "bücher.example"}),
    ("session", "v", {"path": "/app"}),
    ("session", "v", {"path": "/a b/ü;x"}),
    ("session", "v", {"expires": EXPIRES}),
    ("session", "v", {"max_age": 3600, "expires": EXPIRES}),
    ("session", "v", {"expires": EXPIRES, "secure": True, "samesite": "Lax", "domain": "a.example", "path": "/x"}),
    ("__Host-session", "v", {"secure": True}),
    ("c", 'needs "quoting"; yes', {}),
    ("c", "tab\there,comma é \x7f", {}),
    ("c", "", {}),
    ("sessión", "v", {}),
]


@pytest.mark.parametrize(("name", "value", "options"), HEADER_CASES)
def test_set_cookie_header_is_werkzeugs_dump_cookie(name: str, value: str, options: dict[str, Any]) -> None:
    attributes = CookieAttributes(**options)
    ours = set_cookie.set_cookie_header(name, value, attributes)
    werkzeug_options = {k: v for k, v in options.items() if k != "httponly"}
    theirs = dump_cookie(name, value, httponly=attributes.httponly, max_size=0, **werkzeug_options)
    assert ours.encode("utf-8") == theirs.encode("latin-1")
    assert check_cookie(name, value, attributes).header_bytes == len(theirs)


def test_samesite_other_than_the_three_is_bad_input() -> None:
    with pytest.raises(BadInput, match="SameSite"):
        set_cookie.set_cookie_header("s", "v", CookieAttributes(samesite="sometimes"))


def test_permanent_expires_is_a_29_character_imf_fixdate() -> None:
    assert len(set_cookie.permanent_expires()) == 29
    assert set_cookie.permanent_expires().endswith(" GMT")


# --- one cookie: the browser rule and the Flask warning --------------------------------------------


@pytest.mark.parametrize(
    ("name", "value_bytes", "verdict"),
    [
        ("nv", 4094, "kept"),
        ("nv", 4095, "dropped"),
        ("", 4096, "kept"),
        ("", 4097, "dropped"),
        ("n" * 4096, 1, "dropped"),
    ],
)
def test_name_plus_value_over_4096_bytes_is_dropped(name: str, value_bytes: int, verdict: str) -> None:
    header = f"{name}={'a' * value_bytes}" if name else "a" * value_bytes
    report = check_set_cookie(header)
    assert report.browser_verdict == verdict
    assert report.browser_headroom == 4096 - len(name) - value_bytes


def test_the_rule_counts_utf8_bytes_and_quotes() -> None:
    assert check_set_cookie("u=" + "é" * 2047 + "a").browser_verdict == "kept"  # 4095 bytes of value
    assert check_set_cookie("u=" + "é" * 2048).browser_verdict == "dropped"  # 2049 characters, 4097 bytes
    assert check_set_cookie('q="' + "a" * 4093 + '"').name_value_bytes == 4096
    assert check_set_cookie('q="' + "a" * 4094 + '"').verdict == "dropped"


@pytest.mark.parametrize(("value_length", "flask", "browser"), [(4067, "silent", "kept"), (4068, "warns", "kept"),
                                                                 (4089, "warns", "kept"), (4090, "warns", "dropped")])  # fmt: skip
def test_flask_default_session_boundaries(value_length: int, flask: str, browser: str) -> None:
    """cookie-limits.md §9.2 and §10.5: header 4093 silent, 4094 warns; value 4089 kept, 4090 dropped."""
    report = check_cookie("session", "a" * value_length)
    assert (report.flask_verdict, report.browser_verdict) == (flask, browser)
    assert report.header_bytes == value_length + 26
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dump_cookie("session", "a" * value_length, httponly=True)
    assert bool(caught) == report.flask_warns


def test_flask_headroom_is_none_when_max_cookie_size_is_zero() -> None:
    report = check_cookie("session", "a" * 5000, max_cookie_size=0)
    assert (report.flask_verdict, report.flask_headroom, report.flask_warns) == ("disabled", None, False)
    assert report.verdict == "dropped"


def test_verdict_and_summary_say_what_happens() -> None:
    assert check_cookie("session", "a" * 100).verdict == "ok"
    warns = check_cookie("session", "a" * 4080)
    assert warns.verdict == "flask-warns" and warns.summary.startswith("Flask will warn; browsers keep it")
    dropped = check_cookie("session", "a" * 5000)
    assert dropped.summary.startswith(
        "browsers will silently ignore this cookie; the app will keep seeing the previous session"
    )


@pytest.mark.parametrize(
    ("header", "rule", "drops_in"),
    [
        ("__Host-s=v; Path=/", "host-prefix", "every browser"),
        ("__Host-s=v; Secure; Path=/app", "host-prefix", "every browser"),
        ("__host-s=v; Secure; Path=/; Domain=example.com", "host-prefix", "every browser"),
        ("__Secure-s=v; Path=/", "secure-prefix", "every browser"),
        ("s=v; Path=/" + "p" * 1024, "attribute-too-long", "Safari (WebKit)"),
        ("s=v; Domain=" + "d" * 1025, "attribute-too-long", "Safari (WebKit)"),
        ("s=v; Priority=" + "x" * 1025, "attribute-too-long", None),
    ],
)
def test_rules_besides_size(header: str, rule: str, drops_in: str | None) -> None:
    report = check_set_cookie(header)
    [problem] = report.problems
    assert problem.rule == rule
    assert (problem.drops_in or None) == drops_in
    assert report.dropped == bool(drops_in)


@pytest.mark.parametrize(
    "header", ["__Host-s=v; Secure; Path=/", "__Secure-s=v; Secure", "s=v; Path=/" + "p" * 1023, "s=v"]
)
def test_rules_kept(header: str) -> None:
    assert check_set_cookie(header).problems == ()


def test_check_cookie_builds_the_header_so_prefix_rules_see_werkzeugs_attributes() -> None:
    assert check_cookie("__Host-session", "v", CookieAttributes(secure=True)).problems == ()
    assert check_cookie("__Host-session", "v", CookieAttributes(partitioned=True)).problems == ()  # forces Secure
    assert check_cookie("__Host-session", "v").verdict == "dropped"
    assert check_cookie("__Host-session", "v", CookieAttributes(secure=True, path="/app")).verdict == "dropped"


# --- the request side --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "largest_value"),
    [("werkzeug", 65526), ("gunicorn", 8180), ("nginx", 8182), ("apache", 8182), ("node", 16374)],
)
def test_servers_reject_one_byte_past_their_limit(server: str, largest_value: int) -> None:
    """Measured (cookie-limits.md §7.2): the largest `Cookie: c=<value>` accepted; Apache per its documented 8190."""
    fits = check_request("c=" + "v" * (largest_value - 2)).server(server)
    over = check_request("c=" + "v" * (largest_value - 1)).server(server)
    assert fits.verdict in {"ok", "at-risk"} and fits.headroom == 0
    assert over.verdict == "rejected" and over.headroom == -1


def test_servers_sharing_their_budget_with_other_headers_are_at_risk_near_it() -> None:
    """Tomcat's 8192 covers the request line and every header: within 1 KiB of it, a browser's request fails."""
    assert check_request("c=" + "v" * 7156).server("tomcat").verdict == "ok"  # 7168 counted + 1024 = 8192
    assert check_request("c=" + "v" * 7157).server("tomcat").verdict == "at-risk"
    assert check_request("c=" + "v" * 7157).server("nginx").verdict == "ok"


def test_cookie_header_counts_cookies_and_separators() -> None:
    header = cookie_header([("a", "1"), ("b", "22")])
    assert header == "a=1; b=22"
    report = check_request(header)
    assert (report.cookies, report.header_bytes) == (2, 9)


@pytest.mark.parametrize(("count", "verdict"), [(180, "ok"), (181, "evicted")])
def test_cookies_per_domain(count: int, verdict: str) -> None:
    assert DomainCount("example.com", count).verdict == verdict


def test_partition_budget() -> None:
    assert DomainCount("a", 3, partitioned_bytes=10240).verdict == "ok"
    assert DomainCount("a", 3, partitioned_bytes=10241).verdict == "partition-evicted"
