"""The cookie size limits: one table, each limit with its source (``flasksess sizecheck --limits``).

Pure data. Each row names its public source (an RFC 6265bis section, a browser's source
constant, a server's documentation or configuration default) and what was measured on a
real system, so ``sizecheck --limits`` can show where every number comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from flasksess_cli.defaults import DEFAULT_MAX_COOKIE_SIZE

__all__ = [
    "ATTRIBUTE_LIMIT",
    "BROWSER_LIMIT",
    "COOKIES_PER_DOMAIN",
    "DEFAULT_MAX_COOKIE_SIZE",
    "LIMITS",
    "PARTITION_LIMIT",
    "SERVERS",
    "Limit",
    "limit",
]


@dataclass(frozen=True)
class Limit:
    """One limit: what it counts, who enforces it, what happens past it, and where that is written."""

    id: str
    #: What is measured: "name+value", "set-cookie", "attribute", "cookies-per-domain", "partition", "cookie-header".
    applies_to: str
    limit: int
    unit: str
    enforced_by: str
    counts: str
    on_exceed: str
    source: str
    #: What was observed on a real system; "" when the limit is documented only.
    measured: str = ""
    #: Server rows: bytes the server counts besides the Cookie header's value ("Cookie: " 8, CRLF 2).
    extra: int = 0
    #: Server rows: the limit also covers the request line and the other headers.
    shared: bool = False


_SERVER_COUNTS = {
    10: "the line 'Cookie: <value>' with its CRLF",
    8: "the field 'Cookie: <value>' without CRLF",
}

LIMITS: tuple[Limit, ...] = (
    Limit(
        "browser", "name+value", 4096, "bytes", "Chromium, Firefox, Safari (WebKit)",
        "bytes of the name plus the value as sent (DQUOTEs included); '=' and attributes are not counted",
        "the browser ignores the whole Set-Cookie and keeps the previous cookie; the server is not told",
        "RFC 6265bis §5.6 step 5 and §5.7 step 4; Chromium net/cookies/parsed_cookie.h kMaxCookieNamePlusValueSize; "
        "Firefox netwerk/cookie/CookieValidation.cpp kMaxBytesPerCookie; WebKit WPT baseline cookies/size/name-and-value",
        "Chromium 156: 4096 kept, 4097 dropped",
    ),
    Limit(
        "max-cookie-size", "set-cookie", DEFAULT_MAX_COOKIE_SIZE, "bytes", "Flask/Werkzeug (MAX_COOKIE_SIZE; 0 turns it off)",
        "characters of the whole Set-Cookie value: name=value and every '; attribute'",
        "Werkzeug warns (UserWarning) and still sends the header",
        "werkzeug/http.py dump_cookie(max_size=4093); werkzeug/sansio/response.py max_cookie_size; "
        "Flask default_config MAX_COOKIE_SIZE",
        "Flask 3.1.3: a 4093-byte header is silent, 4094 warns",
    ),
    Limit(
        "attribute", "attribute", 1024, "bytes", "Chromium, Firefox, Safari (WebKit)",
        "bytes of one attribute's value (Path, Domain, ...)",
        "Chromium and Firefox ignore the attribute and keep the cookie; Safari (WebKit) drops the cookie",
        "RFC 6265bis §5.6 step 6; Chromium kMaxCookieAttributeValueSize; Firefox kMaxBytesPerPath, "
        "kMaxBytesPerDomain; WebKit WPT baseline cookies/attributes",
        "Chromium 156: a 1024-byte Path honoured, a 1025-byte Path ignored",
    ),
    Limit(
        "cookies-per-domain", "cookies-per-domain", 180, "cookies", "Chromium, Firefox",
        "cookies stored for one site (Chromium counts per eTLD+1)",
        "the 181st evicts down to 150, least recently used first",
        "Chromium net/cookies/cookie_monster.cc kDomainMaxCookies=180, kDomainPurgeCookies=30; "
        "Firefox network.cookie.maxPerHost=180, quotaPerHost=150",
        "Chromium 156: 180 kept; 181 leave 150",
    ),
    Limit(
        "partition", "partition", 10240, "bytes", "Chromium",
        "name+value bytes of the Partitioned cookies of one domain in one top-level site",
        "Chromium evicts partitioned cookies of that domain",
        "Chromium net/cookies/cookie_monster.cc kPerPartitionDomainMaxCookieBytes",
    ),
    # Servers: the request's Cookie header (all cookies together). Browsers send it whatever its size.
    Limit(
        "nginx", "cookie-header", 8192, "bytes", "nginx",
        _SERVER_COUNTS[10], "400 Request Header Or Cookie Too Large",
        "nginx src/http/ngx_http_core_module.c large_client_header_buffers 4 8k",
        "nginx 1.22.1: value 8182 accepted", extra=10,
    ),
    Limit(
        "apache", "cookie-header", 8190, "bytes", "Apache httpd",
        _SERVER_COUNTS[8], "400 Size of a request header field exceeds server limit",
        "httpd include/httpd.h DEFAULT_LIMIT_REQUEST_FIELDSIZE (LimitRequestFieldSize)",
        "Apache 2.4.71: value 8183 accepted, one byte over the documented limit", extra=8,
    ),
    Limit(
        "gunicorn", "cookie-header", 8190, "bytes", "gunicorn",
        _SERVER_COUNTS[10], "431 Request Header Fields Too Large",
        "gunicorn/config.py LimitRequestFieldSize.default; gunicorn/http/message.py",
        "gunicorn 27.0.1: value 8180 accepted", extra=10,
    ),
    Limit(
        "tomcat", "cookie-header", 8192, "bytes", "Apache Tomcat",
        _SERVER_COUNTS[10] + ", plus the request line and every other header",
        "400 Bad Request", "Tomcat AbstractHttp11Protocol.java maxHttpHeaderSize = 8 * 1024",
        extra=10, shared=True,
    ),
    Limit(
        "node", "cookie-header", 16384, "bytes", "Node.js http",
        _SERVER_COUNTS[10] + ", plus every other header", "431 Request Header Fields Too Large",
        "Node.js docs http.maxHeaderSize (--max-http-header-size)",
        "Node v20.20.2: value 16342 accepted in a short request", extra=10, shared=True,
    ),
    Limit(
        "iis", "cookie-header", 16384, "bytes", "IIS / http.sys",
        _SERVER_COUNTS[8], "400 Request Header too long",
        "Microsoft KB 820129 http.sys MaxFieldLength (default per secondary sources)", extra=8,
    ),
    Limit(
        "alb", "cookie-header", 16384, "bytes", "AWS Application Load Balancer",
        _SERVER_COUNTS[8], "the request is refused",
        "AWS docs, Application Load Balancer quotas: HTTP headers, single header 16K", extra=8,
    ),
    Limit(
        "cloudflare", "cookie-header", 16384, "bytes", "Cloudflare",
        _SERVER_COUNTS[8], "the request is refused",
        "Cloudflare docs fundamentals/reference/connection-limits: 16 KB per header", extra=8,
    ),
    Limit(
        "cloudfront", "cookie-header", 20480, "bytes", "AWS CloudFront",
        _SERVER_COUNTS[10] + ", plus the URL and every other header",
        "the request is refused", "AWS CloudFront Developer Guide, Quotas: request including headers 20,480 bytes",
        extra=10, shared=True,
    ),
    Limit(
        "werkzeug", "cookie-header", 65536, "bytes", "Werkzeug development server (flask run)",
        _SERVER_COUNTS[10], "431 Line too long",
        "CPython http/client.py _MAXLINE, read by http.server under werkzeug.serving",
        "Werkzeug 3.1.9: value 65526 accepted", extra=10,
    ),
)  # fmt: skip


def limit(limit_id: str) -> Limit:
    """The row of :data:`LIMITS` with this id."""
    return next(row for row in LIMITS if row.id == limit_id)


BROWSER_LIMIT = limit("browser").limit
ATTRIBUTE_LIMIT = limit("attribute").limit
COOKIES_PER_DOMAIN = limit("cookies-per-domain").limit
PARTITION_LIMIT = limit("partition").limit
SERVERS = tuple(row for row in LIMITS if row.applies_to == "cookie-header")
#: What a browser's request line and other headers take, roughly, for servers whose limit covers them too.
OTHER_HEADERS_ALLOWANCE = 1024
