"""Prometheus /metrics: HTTP metrics, and counters that workers (other processes) keep in Redis, exported by
whichever API process is scraped."""

from __future__ import annotations

from conftest import Api, serve
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from service.metrics import ServiceCollector
from workers.settings import Settings
from workers.store import Store

BRIDGE_BODY = (
    "The city council of Rotterdam voted on Tuesday to approve a new bridge across the harbour, ending a "
    "debate that had lasted more than ten years and divided residents of both banks.\n\n"
    "The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and is "
    "expected to open in 2031 at a cost of about 480 million euros.\n\n"
    "Opponents argued that the money would be better spent on schools, while supporters said the crossing "
    "would bring the southern districts closer to jobs in the centre.\n\n"
)
BRIDGE = "World\n\nCity council approves new harbour bridge after long debate\n\n" + BRIDGE_BODY + "Share\n"
BRIDGE_COPY = (
    "Home | News | Europe\n\nRotterdam council backs harbour bridge\n\n" + BRIDGE_BODY + "Advertisement\n\n"
    "Most read: Ten things to do this weekend\n"
)
FOOTBALL = (
    "Sport\n\nLate goal gives Porto the cup in Lisbon\n\n"
    "A header in the final minute of extra time gave Porto a 2-1 win over Braga in the Portuguese Cup "
    "final on Sunday, after a match in which both goalkeepers had kept their sides level for two hours.\n\n"
    "The winning goal came from a corner, when the defender rose above two markers and sent the ball into "
    "the top corner, sparking wild celebrations among the travelling supporters in the national stadium.\n\n"
    "Braga's coach said his players had given everything and that the result was cruel but fair, while "
    "Porto's captain dedicated the trophy to the club's former president.\n\n"
    "Subscribe to our newsletter\n"
)


def scrape(api: Api) -> dict[str, float]:
    """Every sample of /metrics by name and labels, e.g. 'http_requests_total{handler=/x,...}'."""
    response = api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_counters_from_workers_and_http_metrics(api: Api) -> None:
    for article_id, text, source in (
        ("bridge-1", BRIDGE, "nos.nl"),
        ("bridge-2", BRIDGE_COPY, "dutchnews.nl"),
        ("cup-1", FOOTBALL, "record.pt"),
    ):
        assert api.http.post("/articles", json={"id": article_id, "text": text, "source": source}).is_success

    before = scrape(api)
    assert before["samestory_redis_up"] == 1
    assert before["samestory_articles_ingested_total"] == 3
    assert before["samestory_articles_pending"] == 3
    assert before["samestory_queue_jobs"] == 3
    assert before["samestory_job_duration_seconds_count"] == 0

    api.drain()
    after = scrape(api)
    assert after["samestory_articles_processed_total{outcome=done}"] == 3
    assert after["samestory_articles_processed_total{outcome=failed}"] == 0
    assert after["samestory_articles_pending"] == 0
    assert after["samestory_queue_jobs"] == 0
    assert after["samestory_near_duplicates_total"] == 1, "bridge-2 is a copy of bridge-1"
    assert after["samestory_clusters_created_total"] == after["samestory_clusters"] == 2
    assert after["samestory_clusters_merged_total"] == 0
    removed = {k: v for k, v in after.items() if k.startswith("samestory_blocks_removed_total")}
    assert sum(removed.values()) >= 6, removed  # each page had chrome around its three paragraphs
    assert after["samestory_job_duration_seconds_count"] == 3
    assert after["samestory_job_duration_seconds_bucket{le=+Inf}"] == 3
    assert after["samestory_job_duration_seconds_sum"] > 0
    assert after["samestory_redis_used_memory_bytes"] > 0

    posts = [
        v for k, v in after.items() if k.startswith("http_requests_total{") and "handler=/articles," in k
    ]
    assert sum(posts) == 3
    assert any(k.startswith("http_request_duration_seconds_bucket{") for k in after)


def test_deleting_an_article_lowers_no_counter(api: Api) -> None:
    """Prometheus reads a counter that goes down as a restart: a takedown must not lower any of them."""
    api.http.post("/articles", json={"id": "cup-1", "text": FOOTBALL})
    api.drain()
    before = scrape(api)
    assert api.http.delete("/articles/cup-1").status_code == 204
    after = scrape(api)
    counters = [k for k in before if k.startswith("samestory_") and "_total" in k]
    assert "samestory_articles_ingested_total" in counters
    assert {k: after[k] for k in counters} == {k: before[k] for k in counters}
    assert (before["samestory_articles"], after["samestory_articles"]) == (1, 0)


def test_another_api_process_reports_the_same_service_counters(api: Api) -> None:
    """What workers count lives in Redis, so any replica's /metrics tells the whole service's totals."""
    api.http.post("/articles", json={"id": "cup-1", "text": FOOTBALL})
    api.drain()
    service_wide = {k: v for k, v in scrape(api).items() if k.startswith("samestory_") and "memory" not in k}
    for other in serve(api.settings):
        theirs = scrape(other)
        assert {k: theirs[k] for k in service_wide} == service_wide
        assert not any(k.startswith("http_requests_total{") and "/articles" in k for k in theirs)


def test_a_retried_job_counts_nothing_twice(api: Api, redis: Redis) -> None:
    api.http.post("/articles", json={"id": "bridge-1", "text": BRIDGE})
    api.http.post("/articles", json={"id": "bridge-2", "text": BRIDGE_COPY})
    api.drain()
    first = scrape(api)
    # RQ retries a job after a crash: its articles are settled and its index writes no-ops by then.
    from workers.jobs import enqueue

    enqueue(redis, ["bridge-1", "bridge-2"], api.settings)
    api.drain()
    again = scrape(api)
    for name in (
        "samestory_articles_processed_total{outcome=done}",
        "samestory_near_duplicates_total",
        "samestory_clusters_created_total",
    ):
        assert again[name] == first[name], name
    removed = [k for k in first if k.startswith("samestory_blocks_removed_total")]
    assert removed and all(again[k] == first[k] for k in removed)


def test_a_scrape_while_redis_is_down_says_so_instead_of_failing() -> None:
    app = FastAPI()
    app.state.settings = Settings(REDIS_URL="redis://127.0.0.1:1/0")
    app.state.store = Store(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5))
    families = list(ServiceCollector(app).collect())
    assert [(f.name, f.samples[0].value) for f in families] == [("samestory_redis_up", 0)]
