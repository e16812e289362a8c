"""Reliability: what was acknowledged is kept through crashes, a killed worker loses nothing and makes
nothing count twice, and while Redis is away the API answers 503 promptly and heals by itself."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, Api, RedisServer, free_port, one_request_per_operation, serve
from redis import Redis
from rq import Queue, Retry, Worker
from rq.job import Job

from service.embedded_redis import socket_path
from workers import pipeline
from workers.jobs import RETRY_INTERVALS, HeartbeatWorker
from workers.pipeline import process
from workers.settings import Settings, get_settings
from workers.store import Store

STORIES = [
    [
        "GENEVA (Reuters) - Negotiators from forty countries agreed on Thursday on a treaty to limit plastic "
        "waste in the oceans, after two weeks of talks that ran through the night.",
        "The agreement sets binding targets for recycling and bans several single-use products from 2030, "
        "delegates said, although it leaves the details of enforcement to national governments.",
        "Environmental groups welcomed the deal but said the targets were too modest to reverse the growth "
        "of floating debris, which has doubled over the past two decades according to their estimates.",
    ],
    [
        "ROTTERDAM - The city council voted on Tuesday to approve a new bridge across the harbour, ending a "
        "debate that had lasted more than ten years and divided residents of both banks.",
        "The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and is "
        "expected to open in 2031 at a cost of about 480 million euros.",
        "Opponents argued that the money would be better spent on schools, while supporters said the "
        "crossing would bring the southern districts closer to jobs in the centre.",
    ],
    [
        "LISBON - A header in the final minute of extra time gave Porto a 2-1 win over Braga in the "
        "Portuguese Cup final on Sunday, their first trophy under their young coach.",
        "Braga had led for most of the match after an early penalty, and their goalkeeper saved twice from "
        "close range before the equaliser arrived with ten minutes of normal time left.",
        "Thousands of supporters gathered in the old town after the match, and the team will parade the cup "
        "through the streets of Porto on Monday afternoon.",
    ],
    [
        "TOKYO - The central bank kept its key interest rate unchanged on Wednesday but signalled that it "
        "could raise borrowing costs later this year if wages keep rising faster than prices.",
        "The yen strengthened against the dollar after the announcement, and shares of exporters fell on the "
        "Tokyo stock exchange as traders priced in a stronger currency.",
        "Economists said the bank was trying to end years of ultra-loose policy without upsetting a recovery "
        "that still depends heavily on household spending.",
    ],
]


def corpus(n: int, seed: int = 11) -> list[dict[str, str]]:
    """n articles about a few stories: copies of a wire text with their outlet's chrome, a word changed
    here and there, now and then a paragraph dropped, so that there are copies and stories to group."""
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        paragraphs = list(STORIES[i % len(STORIES)])
        if i % 3 == 0:
            paragraphs.pop(rng.randrange(1, len(paragraphs)))
        words = "\n\n".join(paragraphs).split(" ")
        words[rng.randrange(len(words))] = rng.choice(["also", "then", "now"])
        text = f"Outlet {i} | Home | World\n\n" + " ".join(words) + f"\n\nRead more from Outlet {i}\n"
        articles.append({"id": f"art-{i:04d}", "text": text, "published_at": "2025-03-06"})
    return articles


def wait_until(condition: Any, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(every)


def assert_each_article_counted_once(http: httpx.Client, ids: list[str]) -> None:
    """Every article done, and in exactly one cluster, listed there once; every cluster's size is the number
    of articles it lists (a retried job that counted an article twice would break one of these)."""
    members: dict[str, set[str]] = defaultdict(set)
    for article_id in ids:
        article = http.get(f"/articles/{article_id}").json()
        assert article["status"] == "done", article
        members[article["cluster_id"]].add(article_id)
    for cluster_id, expected in members.items():
        cluster = http.get(f"/clusters/{cluster_id}", params={"limit": 1000}).json()
        listed = [a["id"] for a in cluster["articles"]]
        assert len(listed) == len(set(listed)), f"{cluster_id} lists an article twice"
        assert set(listed) == expected, cluster_id
        assert cluster["size"] == len(listed), cluster_id
    assert http.get("/stats").json()["clusters"] == len(members)


# -- 1. acknowledged means kept -----------------------------------------------------------------------


@contextmanager
def serving(
    data_dir: Path, port: int, workers: int
) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    """`samestory serve` with its embedded Redis, in a process group of its own (so that the test can kill
    it, Redis included, at one stroke)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SAMESTORY_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, "SAMESTORY_DATA_DIR": str(data_dir), "SAMESTORY_LOG_LEVEL": "WARNING"},
        cwd=ROOT,
        start_new_session=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def healthy() -> bool:
        assert proc.poll() is None, "samestory serve exited at start"
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 60, "samestory serve answered /healthz")
        yield proc, client
    finally:
        client.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise


def embedded_redis_pid(data_dir: Path) -> int:
    """The process id of the redis-server behind this data dir, as it reports it itself (its command line
    is no help: Redis rewrites its process title)."""
    info = Redis.from_url(f"unix://{socket_path(data_dir)}").info("server")
    return int(info["process_id"])


def test_every_acknowledged_article_survives_redis_and_the_service_being_killed(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    articles = corpus(300)
    acknowledged: set[str] = set()
    with serving(data_dir, port, workers=0) as (proc, client):
        # a first wave, then more than a second: with appendfsync everysec even a power cut keeps it
        response = client.post("/batches", json={"articles": articles[:150]})
        assert response.status_code == 202
        refused = {r["id"] for r in response.json()["rejected"]}
        acknowledged |= {a["id"] for a in articles[:150]} - refused
        for article in articles[150:170]:
            assert client.post("/articles", json=article).status_code == 202
            acknowledged.add(article["id"])
        time.sleep(1.2)

        # a second wave, racing the kill: Redis answers only once a write is in its append-only file, so
        # a process crash (not a power cut) loses none of what was acknowledged, even a moment before
        lock, answers = threading.Lock(), []

        def post_all(share: list[dict[str, str]]) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as own:
                for article in share:
                    try:
                        status = own.post("/articles", json=article).status_code
                    except httpx.TransportError:
                        status = 0
                    with lock:
                        answers.append(status)
                        if status in (200, 202):
                            acknowledged.add(article["id"])

        rest = articles[170:]
        threads = [threading.Thread(target=post_all, args=(rest[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(answers) >= 40, 30, "the second wave got going", every=0.005)
        os.kill(embedded_redis_pid(data_dir), signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=120)
        # and everything else with it, the API included: no clean shutdown anywhere
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert set(answers) <= {202, 503}, f"answers other than 202 and 503: {sorted(set(answers))}"
    assert 40 <= answers.count(202) < len(rest), "the kill did not land in the middle of the second wave"

    # restarted with workers: every acknowledged article is there, and its queued job too (it gets done)
    with serving(data_dir, port, workers=2) as (_, client):
        missing = sorted(i for i in acknowledged if client.get(f"/articles/{i}").status_code != 200)
        assert missing == [], f"{len(missing)} acknowledged articles lost, e.g. {missing[:5]}"
        pending = set(acknowledged)

        def all_done() -> bool:
            for article_id in list(pending):
                if client.get(f"/articles/{article_id}").json()["status"] == "done":
                    pending.discard(article_id)
            return not pending

        wait_until(all_done, 120, "every acknowledged article was processed after the restart", every=0.5)


# -- 2. a killed worker loses nothing ---------------------------------------------------------------------


def start_workers(settings: Settings, n: int) -> list[subprocess.Popen[bytes]]:
    """`samestory worker` processes, each in a process group of its own: killing one's group kills it with
    RQ's scheduler if it runs that (the hardest case: the scheduler's lock outlives it by a minute)."""
    env = {**os.environ, "REDIS_URL": settings.redis_url or "", "SAMESTORY_LOG_LEVEL": "WARNING"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"], env=env, cwd=ROOT, start_new_session=True
        )
        for _ in range(n)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def busy_worker(redis: Redis, workers: list[subprocess.Popen[bytes]]) -> tuple[int, str] | None:
    """(pid, job id) of one of our workers that is in the middle of a job, if any. In the middle: the job
    has started. (A worker that dies in the instant between taking a job and starting it leaves the job in
    RQ's intermediate queue, which RQ retries after a fixed minute: slower, and not what is tested here.)"""
    ours = {w.pid for w in workers if w.poll() is None}
    for worker in Worker.all(connection=redis):
        job_id = worker.get_current_job_id()
        busy = worker.pid in ours and worker.get_state() == "busy" and job_id
        if busy and Job.fetch(job_id, connection=redis).get_status() == "started":
            return worker.pid, job_id
    return None


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(
    api: Api, redis: Redis, settings: Settings
) -> None:
    articles = corpus(300)
    response = api.http.post("/batches", json={"articles": articles})
    assert response.status_code == 202
    batch_id = response.json()["id"]
    workers = start_workers(settings, 3)
    try:
        victim: tuple[int, str] | None = None

        def found_busy() -> bool:
            nonlocal victim
            victim = busy_worker(redis, workers)
            return victim is not None

        wait_until(found_busy, 60, "a worker started a job", every=0.01)
        assert victim is not None
        pid, job_id = victim
        os.killpg(pid, signal.SIGKILL)
        killed_at = time.monotonic()

        def batch_finished() -> bool:
            progress = api.http.get(f"/batches/{batch_id}").json()
            return bool(progress["done"] + progress["failed"] >= progress["total"])

        wait_until(batch_finished, 120, "the batch finished on the remaining workers")
        recovered_in = time.monotonic() - killed_at
    finally:
        stop_workers(workers)

    progress = api.http.get(f"/batches/{batch_id}").json()
    assert (progress["status"], progress["total"], progress["done"], progress["failed"]) == (
        "done",
        300,
        300,
        0,
    ), progress
    # the victim's job was really cut short and handed to another worker, which finished it
    job = Job.fetch(job_id, connection=redis)
    assert job.get_status() == "finished"
    assert job.retries_left == len(RETRY_INTERVALS) - 1, "the killed worker's job was not retried"
    assert_each_article_counted_once(api.http, [a["id"] for a in articles])
    print(f"batch finished {recovered_in:.1f} s after the kill")


# One RQ worker as `samestory worker` runs it, with the heartbeat periods shortened so that a job of a few
# seconds outlives several of them: argv is the Redis URL, the queue, and "burst" or "sweep".
SHORT_HEARTBEAT_WORKER = """
import sys
from redis import Redis
from rq import Queue
from workers.jobs import HeartbeatWorker

redis = Redis.from_url(sys.argv[1])
worker = HeartbeatWorker(
    [Queue(sys.argv[2], connection=redis)], connection=redis,
    heartbeat_ttl=3, heartbeat_every=1, worker_ttl=16, maintenance_interval=1,
)
worker.work(burst=sys.argv[3] == "burst", logging_level="WARNING")
"""


def test_a_long_healthy_job_is_not_taken_for_abandoned(redis: Redis, settings: Settings) -> None:
    """The other side of a short heartbeat: a job running more than twice as long as its heartbeat lives,
    watched by a worker that sweeps for abandoned jobs every second, runs once and is never retried."""
    queue = Queue("long-job", connection=redis)
    job = queue.enqueue(time.sleep, 7, retry=Retry(max=3), job_timeout=60)
    url = settings.redis_url or ""

    def worker(mode: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", SHORT_HEARTBEAT_WORKER, url, "long-job", mode], cwd=ROOT
        )

    runner = worker("burst")
    sweeper = None
    try:
        wait_until(lambda: job.get_status(refresh=True) == "started", 30, "the runner started the job", 0.05)
        sweeper = worker("sweep")
        assert runner.wait(timeout=60) == 0
    finally:
        for proc in (runner, sweeper):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.retries_left == 3, "the running job was taken for abandoned and run again"


class CrashBeforeSettling(Store):
    """The worst moment for a worker to die: every index write of a job done, no article settled yet."""

    def finish(self, results: Any) -> None:
        raise SystemExit("killed")


def test_jobs_retried_after_a_crash_before_or_after_settling_change_nothing(
    api: Api, redis: Redis, settings: Settings
) -> None:
    """The kill above lands wherever it lands; these land, deterministically, at the two points where a
    retry could do harm: a job that crashed after all its copy, group and story writes but before settling
    its articles (the retry redoes them all), and one that crashed after settling them, before RQ recorded
    it as done (the retry finds them settled). Both retries must give what one uninterrupted run gives."""
    articles = corpus(40, seed=3)
    ids = [a["id"] for a in articles]

    def outcome() -> tuple[dict[str, Any], list[list[str]]]:
        progress = api.http.get(f"/batches/{batch_id}").json()
        del progress["id"]
        found = {i: api.http.get(f"/articles/{i}").json() for i in ids}
        groups: dict[str, list[str]] = defaultdict(list)
        for article_id, article in found.items():
            groups[article["cluster_id"]].append(article_id)
        return progress, sorted(sorted(g) for g in groups.values())

    batch_id = api.http.post("/batches", json={"articles": articles}).json()["id"]
    api.drain()
    uninterrupted = outcome()

    redis.flushdb()
    batch_id = api.http.post("/batches", json={"articles": articles}).json()["id"]  # two jobs of 20
    crashed = False
    try:
        process(CrashBeforeSettling(redis, settings.key_prefix), ids[:20], settings)
    except SystemExit:
        crashed = True
    assert crashed
    # the second job's work, all settled, after waiting (briefly) for the crashed job's articles in vain
    impatient = settings.model_copy(update={"order_wait": 0.2})
    process(Store(redis, settings.key_prefix), ids[20:], impatient)
    api.drain()  # both queued jobs now run: their retries
    assert outcome() == uninterrupted
    assert_each_article_counted_once(api.http, ids)


def test_jobs_run_out_of_order_still_count_each_article_once(
    api: Api, redis: Redis, settings: Settings
) -> None:
    """A retried job (its worker killed, or a passing error) runs after jobs queued behind it, so copies
    are processed before their original: each article must still be counted once. Deterministic: the
    jobs, one article each, are run newest first."""
    articles = corpus(12, seed=5)
    for article in articles:
        assert api.http.post("/articles", json=article).status_code == 202
    store = Store(redis, settings.key_prefix)
    impatient = settings.model_copy(update={"order_wait": 0.2})  # the newest stops waiting for the rest
    for article in reversed(articles):
        process(store, [article["id"]], impatient)
    assert_each_article_counted_once(api.http, [a["id"] for a in articles])


def test_an_earlier_article_no_worker_took_delays_later_jobs_only_briefly(
    api: Api, redis: Redis, settings: Settings
) -> None:
    """An article stored whose job was lost (its POST failed half-way, say) stays queued: later jobs must
    not wait the whole SAMESTORY_ORDER_WAIT for it, only the short grace for work no worker has taken."""
    stranded, later = corpus(2, seed=9)
    assert api.http.post("/articles", json=stranded).status_code == 202
    Queue(settings.queue, connection=redis).empty()  # its job is gone
    assert api.http.post("/articles", json=later).status_code == 202
    started = time.monotonic()
    process(Store(redis, settings.key_prefix), [later["id"]], settings.model_copy(update={"order_wait": 60}))
    assert time.monotonic() - started < 30
    assert api.http.get(f"/articles/{later['id']}").json()["status"] == "done"
    assert api.http.get(f"/articles/{stranded['id']}").json()["status"] == "queued"


# -- 3. Redis away ----------------------------------------------------------------------------------------


@pytest.fixture
def own_api(settings: Settings, redis_server: RedisServer) -> Iterator[Api]:
    """The API on a Redis of this test's own, which it may stop and freeze."""
    yield from serve(settings.model_copy(update={"redis_url": redis_server.url}))


def check_every_route_while_redis_is_down(api: Api, limit: float) -> None:
    """Each route whose documentation says it needs Redis answers 503 (JSON, Retry-After) within `limit`
    seconds; the others (the UI's page, /metrics) still answer, without a 5xx."""
    spec = api.http.get("/openapi.json").json()
    needs_redis = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "503" in operation["responses"]
    }
    assert len(needs_redis) >= 8
    for method, path, body in one_request_per_operation(spec):
        started = time.monotonic()
        response = api.http.request(method, path, json=body)
        took = time.monotonic() - started
        assert took < limit, f"{method} {path} took {took:.1f} s"
        template = next(p for p in spec["paths"] if _fits(p, path))
        if (method, template) in needs_redis:
            assert response.status_code == 503, (method, path, response.text)
            if path in ("/healthz", "/readyz"):  # probes: their own body, for orchestrators
                assert "not answering" in response.json()["redis"], (path, response.text)
            else:
                assert "not answering" in response.json()["error"], (method, path, response.text)
                assert response.headers.get("retry-after") == "5", (method, path)
        else:
            assert response.status_code < 500, (method, path, response.status_code)


def timed_requests(
    base_url: str, calls: list[tuple[str, str, dict[str, Any] | None]]
) -> list[tuple[int, float]]:
    """(status, seconds) of each request, all sent at once from threads of their own."""
    answers: list[tuple[int, float]] = [(0, 0.0)] * len(calls)

    def one(index: int) -> None:
        method, path, body = calls[index]
        started = time.monotonic()
        with httpx.Client(base_url=base_url, timeout=60) as client:
            status = client.request(method, path, json=body).status_code
        answers[index] = (status, time.monotonic() - started)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def healthy(api: Api) -> bool:
    return api.http.get("/healthz").status_code == 200


def test_while_redis_is_away_every_route_answers_503_promptly_and_heals_by_itself(
    own_api: Api, redis_server: RedisServer
) -> None:
    api = own_api
    # down: connections refused, answered at once
    redis_server.stop()
    check_every_route_while_redis_is_down(api, limit=2)
    # back: the API notices by itself, without a restart
    redis_server.start()
    wait_until(lambda: healthy(api), 10, "/healthz answered 200 again")
    text = "World\n\nA council approved a new bridge over the harbour.\n"
    assert api.http.post("/articles", json={"id": "after-1", "text": text}).status_code == 202
    assert api.http.get("/articles/after-1").json()["status"] == "queued"

    # frozen: connections stay open and nothing answers; requests still end, with 503, within the timeouts
    redis_server.freeze()
    try:
        calls = [
            ("GET", "/healthz", None),
            ("GET", "/articles/after-1", None),
            ("POST", "/articles", {"id": "frozen-1", "text": text}),
        ]
        answers = timed_requests(api.base_url, calls)
    finally:
        redis_server.thaw()
    assert [status for status, _ in answers] == [503, 503, 503], answers
    assert max(took for _, took in answers) < 10, answers
    wait_until(lambda: healthy(api), 10, "/healthz answered 200 again")
    assert api.http.get("/articles/after-1").status_code == 200


def _fits(template: str, path: str) -> bool:
    """Whether a concrete path (query string aside) matches an OpenAPI path template."""
    parts, concrete = template.split("/"), path.split("?")[0].split("/")
    return len(parts) == len(concrete) and all(
        p == c or (p.startswith("{") and p.endswith("}")) for p, c in zip(parts, concrete, strict=True)
    )


def test_an_article_that_trips_a_fault_fails_alone_and_its_batch_finishes(
    api: Api, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input that makes processing raise fails its whole job on every attempt. Once the retries are
    spent, the job's articles run one job each, so only that article is failed, with the error, and its
    batch finishes instead of showing its articles "processing" for ever."""
    monkeypatch.setattr("workers.jobs.RETRY_INTERVALS", [0, 0, 0])  # retried at once, within drain()
    monkeypatch.setenv("SAMESTORY_ORDER_WAIT", "0.5")  # later articles wait briefly for the failing one
    get_settings.cache_clear()
    real_salient_terms = pipeline.salient_terms

    def tripping(body: str, *args: Any, **kwargs: Any) -> Any:
        if "tripwire" in body:
            raise RuntimeError("tripwire")
        return real_salient_terms(body, *args, **kwargs)

    monkeypatch.setattr(pipeline, "salient_terms", tripping)
    articles = corpus(5, seed=7)
    poison = {
        "id": "poison",
        "text": "Town | Home\n\n"
        + "\n\n".join(
            [
                "The tripwire festival in the old harbour town drew thousands of visitors on Saturday, its "
                "organisers said, twice as many as last year and more than the ferries could carry home.",
                "Extra buses were laid on in the evening, and the mayor promised a larger car park before "
                "next summer, when the festival celebrates its fiftieth anniversary.",
            ]
        ),
        "published_at": "2025-03-06",
    }
    articles.insert(2, poison)
    batch_id = api.http.post("/batches", json={"articles": articles}).json()["id"]
    api.drain()
    found = {a["id"]: api.http.get(f"/articles/{a['id']}").json() for a in articles}
    assert found["poison"]["status"] == "failed"
    assert "RuntimeError: tripwire" in found["poison"]["error"]
    assert all(found[a["id"]]["status"] == "done" for a in articles if a["id"] != "poison")
    progress = api.http.get(f"/batches/{batch_id}").json()
    assert (progress["done"], progress["failed"], progress["total"]) == (5, 1, 6)


def test_a_worker_stops_promptly_after_its_control_channel_went_quiet(redis: Redis) -> None:
    """A worker listens on a pub/sub channel for stop commands. Stopping it unsubscribes and ends that
    listener; when the listener has already read the unsubscribe reply, it waits for a new subscription
    (RQ asks it to wait 60 s) and, since redis-py 8.2 joins it on stop, every worker exit (a burst worker
    draining a queue, a deploy stopping workers) stalled for a minute. It must take seconds."""
    worker = HeartbeatWorker([Queue("quiet", connection=redis)], connection=redis)
    worker.subscribe()
    worker.pubsub.unsubscribe()
    wait_until(lambda: not worker.pubsub.subscribed, 10, "the listener read the unsubscribe reply", 0.01)
    time.sleep(0.2)  # the listener is back in its wait for a subscription
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < 5
