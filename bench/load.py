"""A bounded load test of the HTTP API on loopback: many concurrent clients POSTing articles.

    python -m bench.load                              # starts `samestory serve` (fresh embedded Redis)
    python -m bench.load --clients 300 --seconds 60   # the defaults
    python -m bench.load --url http://127.0.0.1:8000 --api-key KEY   # against a service already running
    python -m bench.load --batch 50                   # POST /batches of 50 instead of single articles

Each client is a coroutine with a connection of its own that POSTs one article (or one batch) after
another, every one with a fresh id and its own text (~3 KB of scraped text with chrome), until the time
is up or --max-requests have been sent in all. A request that fails in transport is sent once more (the
same id and content again change nothing). Then it prints the requests sent, the errors (any answer but
200/202, and transport errors on the second try, counted by kind), the requests sent twice, requests and
articles per second, and the latency p50/p90/p99/max in milliseconds, from sending a request to its whole
answer (a retry included).

Started by this script, `samestory serve` runs with --workers W (default 2): the workers compete with the
API for the machine, as they would on a laptop; use --workers 0 to measure the API alone. Not part of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

PARAGRAPHS = [
    "The city council voted on {day} to approve a new bridge across the harbour of {town}, ending a "
    "debate that had lasted more than ten years and divided the residents of both banks of the river.",
    "The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and is "
    "expected to open in {year} at a cost of about {cost} million euros, paid for by the region and the "
    "national government.",
    "Opponents argued that the money would be better spent on schools and on the hospital, while "
    "supporters said the crossing would bring the southern districts closer to jobs in the centre.",
    "Construction is due to start next spring, once the last permits are granted; the harbour will stay "
    "open to shipping throughout, with a narrower channel during the two summers of the heaviest work.",
    "A group of residents has said it will appeal the decision, arguing that the environmental study did "
    "not consider the effect of the piers on the currents and on the birds that nest on the river bank.",
]
TOWNS = ["Rotterdam", "Leiden", "Utrecht", "Zwolle", "Breda", "Delft", "Gouda", "Haarlem", "Arnhem"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def article(n: int) -> dict[str, str]:
    """The n-th article: its own id and numbers, so that no two are the same content."""
    town = TOWNS[n % len(TOWNS)]
    body = "\n\n".join(
        p.format(day=DAYS[n % len(DAYS)], town=town, year=2030 + n % 7, cost=100 + n % 900)
        for p in PARAGRAPHS
    )
    text = (
        f"News | {town} | Local\n\nCouncil backs bridge in {town} (item {n})\n\n{body}\n\nShare this story\n"
    )
    return {
        "id": f"load-{os.getpid()}-{n}",
        "text": text,
        "published_at": "2025-03-06",
        "source": "load.test",
    }


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    articles: int = 0


async def client_loop(
    http: httpx.AsyncClient, tally: Tally, numbers: Iterator[int], deadline: float, batch: int
) -> None:
    """One client: request after request until the deadline or until the numbers run out. A request that
    fails in transport is sent once more, as a real client would (safe: the same ids and content again
    change nothing); the retry is counted, and only a second failure is an error."""
    while time.monotonic() < deadline:
        try:
            items = [article(next(numbers)) for _ in range(max(batch, 1))]
        except StopIteration:
            return
        path, body = ("/batches", {"articles": items}) if batch else ("/articles", items[0])
        started = time.monotonic()
        tally.sent += 1
        try:
            try:
                response = await http.post(path, json=body)
            except httpx.TransportError as exc:
                tally.retried[type(exc).__name__] += 1
                response = await http.post(path, json=body)
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
            continue
        tally.latencies.append(time.monotonic() - started)
        if response.status_code in (200, 202):
            tally.articles += len(items)
        else:
            tally.errors[f"HTTP {response.status_code}"] += 1


async def run(
    url: str, clients: int, seconds: float, max_requests: int, batch: int, key: str | None
) -> Tally:
    tally = Tally()
    numbers = iter(range(max_requests * max(batch, 1)))
    headers = {"X-API-Key": key} if key else {}
    # Drop an idle connection before the server does (uvicorn: after 5 s), or a request sent on it as the
    # server closes it fails with a ReadError that says nothing about the service.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=timeout) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client_loop(http, tally, numbers, deadline, batch) for _ in range(clients)))
    return tally


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(workers: int) -> Iterator[str]:
    """`samestory serve` on a free port with a fresh embedded Redis, stopped (SIGTERM) afterwards."""
    with tempfile.TemporaryDirectory(prefix="samestory-load-") as data_dir:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SAMESTORY_"))}
        env.update(SAMESTORY_DATA_DIR=data_dir, SAMESTORY_LOG_LEVEL="WARNING")
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    sys.exit("samestory serve exited at start")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("samestory serve did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()


def report(tally: Tally, took: float, clients: int, batch: int) -> None:
    what = f"POST /batches of {batch}" if batch else "POST /articles"
    print(f"{what}, {clients} concurrent clients, {took:.1f} s")
    errors = sum(tally.errors.values())
    print(f"requests: {tally.sent:,}   errors: {errors:,}" + (f" {dict(tally.errors)}" if errors else ""))
    if tally.retried:
        print(f"sent twice after a transport error: {sum(tally.retried.values()):,} {dict(tally.retried)}")
    print(
        f"throughput: {tally.sent / took:,.0f} requests/s, {tally.articles / took:,.0f} articles/s accepted"
    )
    if len(tally.latencies) >= 2:
        ms = sorted(1000 * t for t in tally.latencies)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        print(f"latency ms: p50 {cuts[49]:.1f}   p90 {cuts[89]:.1f}   p99 {cuts[98]:.1f}   max {ms[-1]:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running service (default: start `samestory serve` for the run)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the started service (default 2)")
    parser.add_argument("--clients", type=int, default=300, help="concurrent clients (default 300)")
    parser.add_argument("--seconds", type=float, default=60, help="longest run, seconds (default 60)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="most requests in all")
    parser.add_argument("--batch", type=int, default=0, help="articles per POST /batches (0: POST /articles)")
    parser.add_argument("--api-key", default=os.environ.get("SAMESTORY_API_KEY"), help="X-API-Key to send")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 2000 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1-2000 and --seconds 0-600: this is a bounded test")

    @contextmanager
    def target() -> Iterator[str]:
        if args.url:
            yield args.url.rstrip("/")
        else:
            with serving(args.workers) as url:
                yield url

    with target() as url:
        started = time.monotonic()
        tally = asyncio.run(run(url, args.clients, args.seconds, args.max_requests, args.batch, args.api_key))
        took = time.monotonic() - started
    report(tally, took, args.clients, args.batch)


if __name__ == "__main__":
    main()
