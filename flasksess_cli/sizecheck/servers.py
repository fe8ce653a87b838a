"""Will servers accept the Cookie header? All cookies together against each server's limit, and per-domain counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from flasksess_cli.sizecheck.limits import COOKIES_PER_DOMAIN, OTHER_HEADERS_ALLOWANCE, PARTITION_LIMIT, SERVERS, Limit
from flasksess_cli.sizecheck.set_cookie import wire_bytes


@dataclass(frozen=True)
class ServerCheck:
    server: Limit
    #: Bytes this server counts: the Cookie header value plus what it adds ("Cookie: ", CRLF).
    size: int

    @property
    def headroom(self) -> int:
        return self.server.limit - self.size

    @property
    def verdict(self) -> Literal["ok", "at-risk", "rejected"]:
        """``rejected``; ``at-risk`` when the other headers of a typical request would tip it over; ``ok``."""
        if self.size > self.server.limit:
            return "rejected"
        if self.server.shared and self.size + OTHER_HEADERS_ALLOWANCE > self.server.limit:
            return "at-risk"
        return "ok"


@dataclass(frozen=True)
class RequestReport:
    """One Cookie request header against every server's limit."""

    #: Where it is sent: a URL, "next request to HOST", or None (the cookies given).
    url: str | None
    header_bytes: int
    cookies: int
    servers: tuple[ServerCheck, ...]
    #: How many times this exact header was seen (HAR).
    seen: int = 1

    def server(self, server_id: str) -> ServerCheck:
        return next(check for check in self.servers if check.server.id == server_id)


def cookie_header(pairs: Sequence[tuple[str, str]]) -> str:
    """The Cookie header a browser sends: ``a=1; b=2``."""
    return "; ".join(f"{name}={value}" for name, value in pairs)


def check_request(header: str, *, url: str | None = None, seen: int = 1) -> RequestReport:
    size = wire_bytes(header)
    cookies = sum(1 for part in header.split(";") if part.strip())
    return RequestReport(url, size, cookies, tuple(ServerCheck(s, size + s.extra) for s in SERVERS), seen)


@dataclass(frozen=True)
class DomainCount:
    """The cookies one host or Domain holds, against the per-domain count and Chromium's partition budget."""

    domain: str
    cookies: int
    partitioned_bytes: int = 0
    limit: int = COOKIES_PER_DOMAIN

    @property
    def verdict(self) -> Literal["ok", "evicted", "partition-evicted"]:
        """``evicted`` (over 180: browsers evict down to 150), ``partition-evicted``, or ``ok``."""
        if self.cookies > COOKIES_PER_DOMAIN:
            return "evicted"
        return "partition-evicted" if self.partitioned_bytes > PARTITION_LIMIT else "ok"
