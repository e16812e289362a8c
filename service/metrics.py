"""Prometheus metrics at /metrics: this process's HTTP traffic, and the service's own counters.

Workers are separate processes, often on other machines, so what they count cannot live in this process's
memory. They keep their counters in Redis (workers/store.py: articles settled, blocks removed by reason,
copies found, clusters created and merged, job durations) and this module reads them at scrape time with
a custom collector. Every API replica therefore reports the same service-wide totals: aggregate them with
max(), not sum(). HTTP metrics (prometheus-fastapi-instrumentator) are per replica, as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from redis.exceptions import RedisError

from workers.jobs import queued_jobs
from workers.settings import Settings
from workers.store import Store

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

EXAMPLE = """\
# HELP samestory_articles_ingested_total Articles accepted by the API (new ids only).
# TYPE samestory_articles_ingested_total counter
samestory_articles_ingested_total 1250.0
# HELP samestory_queue_jobs Jobs waiting in the RQ queue.
# TYPE samestory_queue_jobs gauge
samestory_queue_jobs 3.0
"""


class ServiceCollector(Collector):
    """The service-wide counters, read from Redis when Prometheus scrapes.

    It reads the store from the running app (app.state), which exists only once the app has started; a
    scrape while Redis does not answer yields samestory_redis_up 0 and nothing else of ours, rather than
    failing the whole scrape (the HTTP and process metrics still matter then)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("samestory_redis_up", "1 when Redis answered this scrape, else 0.")
        store: Store | None = getattr(self.app.state, "store", None)
        settings: Settings | None = getattr(self.app.state, "settings", None)
        if store is None or settings is None:
            return
        try:
            stats = store.stats()
            totals = store.totals()
            removed = store.removed_blocks()
            buckets, count, total = store.job_durations()
            waiting_jobs = queued_jobs(store.redis, settings)
        except RedisError as exc:
            log.warning("metrics: Redis did not answer: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        yield CounterMetricFamily(
            "samestory_articles_ingested",
            "Articles accepted by the API (new ids only; deleting one does not lower it).",
            value=totals.get("articles", 0),
        )
        processed = CounterMetricFamily(
            "samestory_articles_processed",
            "Articles settled by the workers, by outcome: done, or failed (no article text found, ...).",
            labels=["outcome"],
        )
        for outcome in ("done", "failed"):
            processed.add_metric([outcome], totals.get(outcome, 0))
        yield processed
        settled = stats.get("done", 0) + stats.get("failed", 0)
        yield GaugeMetricFamily("samestory_articles", "Articles stored now.", value=stats.get("articles", 0))
        yield GaugeMetricFamily(
            "samestory_articles_pending",
            "Articles accepted and not yet settled.",
            value=max(0, stats.get("articles", 0) - settled),
        )
        blocks = CounterMetricFamily(
            "samestory_blocks_removed",
            "Blocks of page chrome cut from settled articles, by the reason given for each.",
            labels=["reason"],
        )
        for reason, n in sorted(removed.items()):
            blocks.add_metric([reason], n)
        yield blocks
        yield CounterMetricFamily(
            "samestory_near_duplicates",
            "Articles found to be a near-duplicate copy of an earlier article.",
            value=stats.get("copies", 0),
        )
        yield CounterMetricFamily(
            "samestory_clusters_created", "Story clusters started.", value=stats.get("created", 0)
        )
        yield CounterMetricFamily(
            "samestory_clusters_merged",
            "Story clusters folded into another (two stories found to be one).",
            value=stats.get("merges", 0),
        )
        yield GaugeMetricFamily("samestory_clusters", "Live story clusters.", value=stats.get("clusters", 0))
        yield HistogramMetricFamily(
            "samestory_job_duration_seconds",
            "Wall time of one job run (a batch of articles) in a worker, retries counted separately.",
            buckets=[(repr(bound), n) for bound, n in buckets] + [("+Inf", count)],
            sum_value=total,
        )
        yield GaugeMetricFamily("samestory_queue_jobs", "Jobs waiting in the RQ queue.", value=waiting_jobs)
        yield GaugeMetricFamily(
            "samestory_redis_used_memory_bytes",
            "Memory Redis reports in use.",
            value=stats.get("redis_used_memory_bytes", 0),
        )


def install(app: FastAPI) -> None:
    """Instrument the app's HTTP traffic and serve /metrics from a registry of its own.

    A registry per app (not prometheus_client's global one) lets several apps live in one process, as in
    the tests, without "duplicated timeseries" errors."""
    registry = CollectorRegistry()
    Instrumentator(registry=registry, excluded_handlers=["/metrics"]).instrument(app)
    ProcessCollector(registry=registry)
    registry.register(ServiceCollector(app))
    app.state.metrics_registry = registry
    app.include_router(router)


@router.get(
    "/metrics",
    summary="Prometheus metrics: HTTP traffic of this replica and the service's counters",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format.",
            "content": {CONTENT_TYPE_LATEST: {"example": EXAMPLE}},
        },
    },
)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
