"""RQ entry points and the enqueueing side of them: the only module that knows about the job queue."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, Retry, SimpleWorker, get_current_job
from rq.job import Job
from rq.worker import DequeueStrategy, WorkerStatus

from workers.settings import Settings, get_settings
from workers.store import Store

log = logging.getLogger(__name__)

# Retry a failed job after these many seconds; every article in it is idempotent, so a retry only
# finishes what the failed attempt did not. The first retry is immediate: it goes straight back to the
# queue, whereas a delayed one waits for RQ's scheduler, and when the worker that ran the scheduler is the
# one that died, its lock keeps any other from taking over for a minute.
RETRY_INTERVALS = [0, 10, 30]

# The id of the HTTP request being served, or of the request that queued the job in hand. The API sets it
# per request; enqueue() stores it in each job's meta and process_articles() makes it current again in the
# worker, so log lines (which read it) tie an article's processing to the call that submitted it.
current_request_id: ContextVar[str | None] = ContextVar("samestory_request_id", default=None)


def process_articles(ids: list[str]) -> dict[str, Any]:
    """Clean, sign and cluster these articles (one RQ job), under the request id that queued them, and
    count the run in the job-duration histogram that the API's /metrics exports."""
    from workers.pipeline import process  # see _load_extractor

    settings = get_settings()
    job = get_current_job()
    redis = job.connection if job is not None else Redis.from_url(settings.redis_url or "")
    store = Store(redis, settings.key_prefix)
    token = current_request_id.set(job.meta.get("request_id") if job is not None else None)
    started = time.monotonic()
    try:
        log.info(
            "job started",
            extra={"job_id": job.id if job else None, "articles": len(ids), "article_ids": ids[:200]},
        )
        return asdict(process(store, ids, settings))
    finally:
        try:
            store.record_job(time.monotonic() - started)
        except RedisError as exc:
            log.warning("could not record the job's duration: %s", exc)
        current_request_id.reset(token)


def enqueue(redis: Redis, ids: Sequence[str], settings: Settings, request_id: str | None = None) -> list[str]:
    """Queue articles as jobs of settings.job_size each, in one round trip; returns the job ids.

    Each job carries the request id (given, or the current one) in its meta, for its log lines."""
    request_id = request_id or current_request_id.get()
    queue = Queue(settings.queue, connection=redis)
    jobs = [
        Queue.prepare_data(
            process_articles,
            args=(list(ids[i : i + settings.job_size]),),
            timeout=settings.job_timeout,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            on_failure=Callback(job_failed),
            result_ttl=3600,
            failure_ttl=7 * 86_400,
            meta={"request_id": request_id} if request_id else None,
        )
        for i in range(0, len(ids), settings.job_size)
    ]
    with redis.pipeline() as pipe:
        enqueued = queue.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    job_ids = [job.id for job in enqueued]
    log.info("queued", extra={"articles": len(ids), "job_ids": job_ids, "article_ids": list(ids[:200])})
    return job_ids


def job_failed(job: Job, connection: Redis, exc_type: type, exc_value: BaseException, *_: Any) -> None:
    """RQ calls this after every failed attempt of a job. Once no retry is left, the job's articles would
    stay "processing" for ever and hold their batches open. The fault is most often one article's (an
    input that trips a bug), so a job of several articles is queued again as one job per article, and an
    article whose own job fails for good is settled as failed with the error, counted in its batches."""
    if job.retries_left:
        return
    ids: list[str] = job.args[0]
    settings = get_settings()
    request_id = job.meta.get("request_id")
    if len(ids) > 1:
        log.warning("job %s failed for good; its %d articles are queued one by one", job.id, len(ids))
        enqueue(connection, ids, settings.model_copy(update={"job_size": 1}), request_id)
        return
    error = f"processing failed: {exc_type.__name__}: {exc_value}"
    log.error("article %s failed for good: %s", ids[0], error)
    Store(connection, settings.key_prefix).finish([(ids[0], "failed", {"error": error})])


def queued_jobs(redis: Redis, settings: Settings) -> int:
    return Queue(settings.queue, connection=redis).count


# A job whose worker died (SIGKILL, OOM, a lost machine) sits in RQ's started-job registry until its entry
# expires; then the next maintenance sweep of any other worker retries it. RQ's defaults make that take
# 10+ minutes (a SimpleWorker's entry lives job_timeout + 60 s, sweeps run every 600 s), so instead a
# running job's entry lives HEARTBEAT_TTL seconds and is renewed every HEARTBEAT_EVERY seconds by a
# thread beside the job: a long healthy job never looks abandoned, a dead worker's job is retried within
# about HEARTBEAT_TTL + MAINTENANCE_EVERY seconds. (The thread needs the GIL now and then; the job's own
# work releases it often, and HTML, whose C parser might hold it for long, is parsed in another process:
# workers/guard.py.)
HEARTBEAT_EVERY = 3
HEARTBEAT_TTL = 15
MAINTENANCE_EVERY = 5
# An idle worker blocks on the queue for WORKER_TTL - 15 s at a time (RQ's rule) and sweeps in between.
WORKER_TTL = 20
# Longest wait of the thread that listens for stop commands on the worker's pub/sub channel (RQ waits 60 s).
CONTROL_LISTEN_SECONDS = 1.0


class HeartbeatWorker(SimpleWorker):
    """RQ's SimpleWorker (no fork per job) with a short heartbeat, renewed while the job runs. The two
    periods can be given (tests shorten them); by default they are the module's constants."""

    def __init__(
        self,
        *args: Any,
        heartbeat_ttl: int = HEARTBEAT_TTL,
        heartbeat_every: float = HEARTBEAT_EVERY,
        **kwargs: Any,
    ) -> None:
        if not 0 < heartbeat_every < heartbeat_ttl:
            raise ValueError("a heartbeat must come well before the previous one expires")
        super().__init__(*args, **kwargs)
        self.heartbeat_ttl = heartbeat_ttl
        self.heartbeat_every = heartbeat_every

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        return self.heartbeat_ttl

    def subscribe(self) -> None:
        """RQ's control channel, listened to in waits of CONTROL_LISTEN_SECONDS instead of 60 s. When the
        worker stops, the listener often reads the unsubscribe reply before it is told to end, and then
        waits that long for a new subscription; since redis-py 8.2 the stop joins the listener, so every
        exit of a worker (a burst worker draining the queue, a deploy stopping workers) stalled a minute."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # RQ declares the attribute without a type, as None
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=CONTROL_LISTEN_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def execute_job(self, job: Any, queue: Any) -> None:
        execution = self.prepare_execution(job)
        finished = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, finished), name="rq-heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            finished.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Any, execution: Any, finished: threading.Event) -> None:
        """Renew the worker's, the job's and the execution's TTLs until the job ends. A renewal racing the
        job's end is harmless: RQ renews registry entries only if they still exist (ZADD XX)."""
        while not finished.wait(self.heartbeat_every):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as exc:
                log.warning("heartbeat of job %s failed: %s", job.id, exc)


# A text page cleaned once when a worker starts, before the first real one (see _load_extractor).
_WARM_UP = "\n\n".join(
    [
        "Warm-up",
        "This page is cleaned once when a worker starts, before the first real one.",
        "It loads what the extractor loads lazily: the language model and the word lists.",
        "It also makes the block classifier and its compiled loops ready.",
        "Share",
    ]
)


def _load_extractor() -> None:
    """Load the extractor and clean a page with it. Only workers do: the API imports this module to
    enqueue jobs, and the extractor's libraries (trafilatura, numba and the compiled loops) would add
    some 60 MB to each API process. The first page would otherwise pay for compiling the loops (about
    fifty seconds on a 2-core machine when numba's cache is cold, two when it holds them) and for loading
    the language model (half a second)."""
    from workers.clean import clean_text

    with contextlib.suppress(ValueError):
        clean_text(_WARM_UP)


def run_worker(redis: Redis, settings: Settings, burst: bool = False) -> None:
    """Work the queue in this process without forking per job (forking costs more than a job of
    articles takes), with RQ's scheduler so that delayed retries run, and with heartbeats and sweeps
    frequent enough that a killed worker's job is retried by another within seconds."""
    Store(redis, settings.key_prefix).open_index(settings.index_params())
    _load_extractor()
    queue = Queue(settings.queue, connection=redis)
    worker = HeartbeatWorker(
        [queue], connection=redis, worker_ttl=WORKER_TTL, maintenance_interval=MAINTENANCE_EVERY
    )
    worker.work(
        burst=burst,
        with_scheduler=True,
        logging_level=settings.log_level,
        dequeue_strategy=DequeueStrategy.DEFAULT,
    )
