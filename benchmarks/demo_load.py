"""Load on serve-demo against a hello-world Flask app on the same server, in the same run.

Both run as real processes on 127.0.0.1 (Werkzeug's threaded server, as serve-demo
uses it); CLIENTS threads send GET / for SECONDS each (bounded in time and count).
Prints requests/s and p99 latency for each, and the demo's share of hello-world's rate.

    python benchmarks/demo_load.py [--clients 50] [--seconds 5]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

HELLO = """
from flask import Flask
from flasksess_cli.demo import server
app = Flask("hello")
app.get("/")(lambda: "Hello, World!")
running = server.bind(app, "127.0.0.1", 0)
print(server.url_of(running), flush=True)
server.serve(running)
"""
MAX_REQUESTS = 200_000
KEY = "benchmark-key-5f0c6d2e9b8a7f6e5d4c3b2a"


def start(argv: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"server did not start: {url!r}")
    return proc, url


def load(url: str, clients: int, seconds: float) -> tuple[float, float, int]:
    """(requests per second, p99 latency in ms, failed requests)."""
    parts = urlsplit(url)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline and len(mine) < MAX_REQUESTS // clients:
            start_at = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
                connection.request("GET", "/")
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
            mine.append(time.perf_counter() - start_at)
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else float("nan")
    return len(latencies) / elapsed, p99, failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 60.0)
    servers = {
        "serve-demo": [sys.executable, "-m", "flasksess_cli", "serve-demo", "--port", "0", "-k", KEY],
        "hello-world": [sys.executable, "-c", HELLO],
    }
    results = {}
    for name, argv in servers.items():
        proc, url = start(argv)
        try:
            load(url, 4, 1.0)  # warm up
            results[name] = load(url, args.clients, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"{args.clients} clients, {seconds:.0f} s each, on 127.0.0.1")
    for name, (rate, p99, failed) in results.items():
        print(f"{name:12} {rate:8.0f} req/s   p99 {p99:7.1f} ms   failed {failed}")
    demo, hello = results["serve-demo"], results["hello-world"]
    print(f"serve-demo / hello-world: {demo[0] / hello[0]:.2f} x the rate, {demo[1] / hello[1]:.2f} x the p99 latency")


if __name__ == "__main__":
    main()
