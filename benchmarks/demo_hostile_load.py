"""serve-demo under 200 concurrent hostile clients for 20 seconds: no 5xx, memory bounded.

serve-demo runs as a real process on 127.0.0.1 with a known key. Each client (a thread)
loops over a mix of visits: a whole login (GET /login, POST the form with its CSRF token,
follow the redirect), tampered cookies (a real session with its signature or payload
changed), signed bombs (payloads signed with the demo's key that inflate to 30 MB), signed
sessions Flask can load but not write back (a date past 9999), top-level tags, oversized
cookies (6 KB and 60 KB Cookie headers) and paths carrying CR LF and escape sequences. The
server's resident memory is read from /proc every 0.2 s.

Prints, per kind of visit, the requests made and their statuses; the 5xx and connection
errors in all; latency percentiles; and the server's memory: idle after warm-up (the
baseline), at its peak under load, and at the end.

    python benchmarks/demo_hostile_load.py [--clients 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import http.client
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

from itsdangerous import TimestampSigner

KEY = "benchmark-key-5f0c6d2e9b8a7f6e5d4c3b2a"
MAX_REQUESTS = 2_000_000


def signed(payload: str, *, compress: bool = False, key: str = KEY) -> str:
    raw = payload.encode()
    body = ("." if compress else "") + base64.urlsafe_b64encode(zlib.compress(raw) if compress else raw).rstrip(
        b"="
    ).decode()
    return (
        TimestampSigner(key, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1)
        .sign(body)
        .decode()
    )


BOMB = signed('{"a": "' + "a" * 30_000_000 + '"}', compress=True)
FAR_FUTURE = signed('{"username": "ann", "when": {" d": "Fri, 31 Dec 9999 23:59:59 -2359"}}')
TOP_LEVEL_TAG = signed('{" t": [1, 2]}')
LEGIT = signed('{"username": "ann", "csrf_token": "x", "generation": 3}')


class Client:
    """One visitor: its own connection per request, its own cookie jar of one cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None

    def request(self, method: str, path: str, *, cookie: str | None = None, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": f"session={cookie}"} if cookie else {}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.putrequest(method, path, skip_accept_encoding=True)  # the path is sent as is
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body or "")))
            connection.endheaders((body or "").encode())
            response = connection.getresponse()
            page = response.read().decode("utf-8", "replace")
            set_cookie = response.getheader("Set-Cookie")
            if set_cookie and set_cookie.startswith("session="):
                self.cookie = set_cookie.split(";", 1)[0].split("=", 1)[1]
            return response.status, page
        finally:
            connection.close()

    # --- the visits ------------------------------------------------------------------------------

    def login(self) -> list[int]:
        status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        statuses = [status]
        if token:
            body = f"username=ann{random.randrange(1000)}&csrf_token={token.group(1)}"
            statuses.append(self.request("POST", "/login", cookie=self.cookie, body=body)[0])
            statuses.append(self.request("GET", "/", cookie=self.cookie)[0])
        return statuses

    def tampered(self) -> list[int]:
        value = self.cookie or LEGIT
        payload, stamp, signature = value.rsplit(".", 2)
        forged = [f"{payload}.{stamp}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
                  f"{payload[:-2]}xx.{stamp}.{signature}", f"{payload}.{stamp}"]  # fmt: skip
        return [self.request("GET", "/", cookie=random.choice(forged))[0]]

    def bomb(self) -> list[int]:
        return [self.request("GET", "/", cookie=BOMB)[0]]

    def unwritable(self) -> list[int]:
        return [self.request("GET", "/login", cookie=random.choice([FAR_FUTURE, TOP_LEVEL_TAG]))[0]]

    def oversized(self) -> list[int]:
        return [self.request("GET", "/", cookie="x" * random.choice([6_000, 60_000]))[0]]

    def crlf_path(self) -> list[int]:
        path = random.choice(["/%0d%0a[2024-01-01]%20FORGED", "/%1b[2J%1b]8;;https://evil.example/%07", "/%E2%80%AE"])
        return [self.request("GET", path, cookie=random.choice([None, LEGIT[:-3] + "abc"]))[0]]


VISITS: dict[str, Callable[[Client], list[int]]] = {
    "login": Client.login, "tampered cookie": Client.tampered, "signed bomb": Client.bomb,
    "signed, not writable": Client.unwritable, "oversized cookie": Client.oversized, "CR LF path": Client.crlf_path,
}  # fmt: skip


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flasksess_cli", "serve-demo", "--port", "0", "-k", KEY],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    port = urlsplit(url).port or 0
    try:
        for visit in VISITS.values():  # warm up: every path once
            visit(Client(port))
        idle = rss(proc.pid)
        statuses: dict[str, collections.Counter[int]] = {name: collections.Counter() for name in VISITS}
        latencies: list[float] = []
        errors: collections.Counter[str] = collections.Counter()
        memory = [idle]
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            visitor = Client(port)
            mine: list[tuple[str, list[int], float]] = []
            while time.monotonic() < deadline and len(mine) < MAX_REQUESTS // args.clients:
                name = rng.choice(list(VISITS))
                start = time.perf_counter()
                try:
                    mine.append((name, VISITS[name](visitor), time.perf_counter() - start))
                except OSError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
            with lock:
                for name, codes, seconds in mine:
                    statuses[name].update(codes)
                    latencies.append(seconds)

        def watch() -> None:
            while time.monotonic() < deadline:
                memory.append(rss(proc.pid))
                time.sleep(0.2)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=watch))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        final = rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    requests = sum(sum(c.values()) for c in statuses.values())
    server_errors = sum(n for c in statuses.values() for code, n in c.items() if code >= 500)
    print(f"{args.clients} clients for {elapsed:.0f} s against serve-demo on 127.0.0.1")
    for name, codes in statuses.items():
        print(f"  {name:22} {sum(codes.values()):7d} requests  {dict(sorted(codes.items()))}")
    print(f"requests: {requests} ({requests / elapsed:.0f}/s); 5xx: {server_errors}; connection errors: {dict(errors)}")
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"visit latency: p50 {quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms")
    print(f"server memory: idle {idle / 2**20:.0f} MiB, peak {max(memory) / 2**20:.0f} MiB "
          f"({max(memory) / idle:.2f} x idle), end {final / 2**20:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
