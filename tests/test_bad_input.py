"""Bad input gets a clear 4xx, fast, and changes nothing stored; a pathological page fails alone.

Complements test_api.py, which already covers: neither/both of text and html, whitespace-only text, a
date in words, an id with "../", a number as text, an unknown field, "{not json", an article just over
the size limit, unknown ids, and a duplicate id inside one batch.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from conftest import Api, serve
from redis import Redis
from test_api import ARTICLE

from workers.errors import PermanentError
from workers.guard import HtmlExtractor
from workers.settings import Settings

JSON = "application/json"
# Every refusal must come well within this (seconds): no request may hang on bad input.
PROMPT = 5.0
VALID = {"id": "valid-1", "text": ARTICLE}
BODY = (
    "<p>The city council voted on Tuesday to approve a new bridge across the harbour, ending a debate "
    "that had lasted more than ten years and divided the residents of both banks of the river.</p>"
    "<p>The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and "
    "it is expected to open in 2031 at a cost of about 480 million euros.</p>"
    "<p>Opponents argued that the money would be better spent on schools, while supporters said that the "
    "crossing would bring the southern districts closer to the jobs in the centre.</p>"
)


def snapshot(redis: Redis) -> dict[bytes, bytes | None]:
    """Every key with its value (Redis's DUMP): equal snapshots mean nothing was stored or changed. The
    counter that numbers articles in order of arrival is left out: a refused conflict draws a number
    that is then never used, a gap that changes nothing else."""
    return {key: redis.dump(key) for key in redis.scan_iter() if not key.endswith(b":seq")}  # type: ignore[misc]


@contextmanager
def api_with(settings: Settings, **changes: Any) -> Iterator[Api]:
    yield from serve(settings.model_copy(update=changes))


def send(api: Api, path: str, body: bytes, content_type: str | None = JSON) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    response = api.http.post(path, content=body, headers=headers)
    assert response.elapsed.total_seconds() < PROMPT, (path, body[:80], "took too long")
    return response


def as_json(body: object) -> bytes:
    """JSON with every non-ASCII character escaped, so that a lone surrogate can be sent as "\\ud800"."""
    return json.dumps(body).encode()


def test_malformed_bodies_get_a_clear_4xx_and_change_nothing(api: Api, redis: Redis) -> None:
    assert api.http.post("/articles", json={"id": "kept", "text": ARTICLE}).status_code == 202
    before = snapshot(redis)
    rng = random.Random(5)
    valid = as_json(VALID)
    cases: list[tuple[str, bytes, str | None, int, str]] = [
        ("invalid UTF-8", b'{"text": "caf\xe9 \xff\xfe au lait"}', JSON, 400, "not valid JSON"),
        ("random bytes", rng.randbytes(4096), JSON, 400, "not valid JSON"),
        ("truncated JSON", valid[:-5], JSON, 400, "not valid JSON"),
        ("trailing garbage", valid + b" and more", JSON, 400, "not valid JSON"),
        ("NaN for a text", b'{"text": NaN}', JSON, 422, "text"),
        ("nesting 100,000 deep", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON, 400, "JSON"),
        ("a JSON array", b"[1, 2]", JSON, 422, "body"),
        ("JSON null", b"null", JSON, 422, "body"),
        ("an empty body", b"", JSON, 422, "body"),
        ("bytes sent as such", rng.randbytes(4096), "application/octet-stream", 415, "application/json"),
        ("JSON sent as text/plain", valid, "text/plain", 415, "application/json"),
        ("a form", b"text=hello+world", "application/x-www-form-urlencoded", 415, "application/json"),
        ("no content type", valid, None, 415, "application/json"),
    ]
    for path in ("/articles", "/batches"):
        for what, body, content_type, status, words in cases:
            response = send(api, path, body, content_type)
            assert response.status_code == status, (path, what, response.text)
            assert words in response.json()["error"], (path, what, response.json())
    assert snapshot(redis) == before


def test_invalid_articles_are_refused_alone_and_in_batches(api: Api, redis: Redis) -> None:
    before = snapshot(redis)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": ""}, "'text' is empty"),
        ({"html": " \n\t "}, "'html' is empty"),
        ({"text": None, "html": None}, "(neither was)"),
        ({"html": ["<p>a list</p>"]}, "html"),
        ({"text": ARTICLE, "title": 5}, "title"),
        ({"text": ARTICLE, "source": {"name": "x"}}, "source"),
        ({"text": ARTICLE, "id": 5}, "id"),
        ({"text": ARTICLE, "published_at": 20240101}, "published_at"),
        ({"text": "a lone surrogate \ud800 in the text"}, "lone surrogate"),
        ({"text": ARTICLE, "title": "a lone surrogate \udfff"}, "title"),
    ]
    for date in ("2024-02-30", "2024-13-01", "24-01-01", "99999-01-01", "   ", "2024-01-01T25:00:00Z"):
        cases.append(({"text": ARTICLE, "published_at": date}, "not an ISO 8601 date"))
    # valid ISO 8601, but the instant in UTC falls outside years 1-9999: it could be stored, not read back
    for date in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        cases.append(({"text": ARTICLE, "published_at": date}, "out of range"))
    for article_id in (
        "a/b",
        "../x",
        "..",
        "%2F",
        "a%2Fb",
        "a\\b",
        "a b",
        "a?b",
        "a#b",
        "",
        "-x",
        "é",
        "a\x00b",
    ):
        cases.append(({"text": ARTICLE, "id": article_id}, "id"))
    cases.append(({"text": ARTICLE, "id": "x" * 129}, "id"))
    for article, words in cases:
        response = send(api, "/articles", as_json(article))
        assert response.status_code == 422, (article, response.text)
        assert words in response.json()["error"], (article, response.json())
        # in a batch, the item is named and the whole batch is refused (nothing half-stored)
        response = send(api, "/batches", as_json({"articles": [VALID, article]}))
        assert response.status_code == 422, (article, response.text)
        assert "articles[1]" in response.json()["error"], (article, response.json())
    for body in ({"articles": []}, {"articles": {"a": VALID}}, {"articles": [None]}, {"articles": "x"}):
        assert send(api, "/batches", as_json(body)).status_code == 422, body
    assert snapshot(redis) == before


def test_odd_ids_and_parameters_in_urls_answer_4xx(api: Api, redis: Redis) -> None:
    assert api.http.post("/articles", json={"id": "kept", "text": ARTICLE}).status_code == 202
    before = snapshot(redis)
    paths = [
        "/articles/a%2Fb",
        "/articles/..%2Fkept",
        "/articles/%2e%2e",
        "/articles/a%00b",
        "/articles/%ff%fe",
        "/articles/%ed%a0%80",
        "/articles/" + "x" * 5000,
        "/batches/..%2F..%2Fetc",
        "/batches/" + "b" * 5000,
        "/clusters/c%2F1",
        "/clusters/c-1",
        "/clusters/c99999999999999999999999",
        "/articles/kept?include=everything",
        "/clusters?limit=abc",
        "/clusters?limit=0",
        "/clusters?limit=100000",
        "/clusters?cursor=-1",
        "/clusters?cursor=1e5",
    ]
    for path in paths:
        response = api.http.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert response.json()["error"], path
        assert response.elapsed.total_seconds() < PROMPT, path
    assert snapshot(redis) == before


def test_size_limits_answer_413(settings: Settings, redis: Redis) -> None:
    twelve_mb = "<p>" + "word " * 2_400_000 + "</p>"
    with api_with(settings) as api:
        before = snapshot(redis)
        response = send(api, "/articles", as_json({"html": twelve_mb}))
        assert response.status_code == 413, response.text
        assert "SAMESTORY_MAX_ARTICLE_BYTES" in response.json()["error"]
        response = send(api, "/batches", as_json({"articles": [VALID, {"html": twelve_mb}]}))
        assert response.status_code == 413, response.text
        assert "articles[1]" in response.json()["error"]
        assert snapshot(redis) == before

    with api_with(settings, max_batch_items=5) as api:
        response = send(api, "/batches", as_json({"articles": [{"text": ARTICLE}] * 6}))
        assert response.status_code == 413, response.text
        assert "SAMESTORY_MAX_BATCH_ITEMS" in response.json()["error"]
        assert send(api, "/batches", as_json({"articles": [{"text": ARTICLE}] * 5})).status_code == 202

    with api_with(settings, max_request_bytes=20_000) as api:
        before = snapshot(redis)
        body = as_json({"text": "word " * 5_000})
        chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
        for path in ("/articles", "/batches"):
            # declared in Content-Length, and streamed without one (chunked): both refused
            for content in (body, iter(chunks)):
                response = api.http.post(path, content=content, headers={"content-type": JSON})
                assert response.status_code == 413, (path, response.text)
                assert "SAMESTORY_MAX_REQUEST_BYTES" in response.json()["error"]
        assert snapshot(redis) == before


def test_duplicates_and_conflicts_in_a_batch_are_refused_per_item_and_the_first_is_kept(
    api: Api, redis: Redis
) -> None:
    first = ARTICLE.replace("Rotterdam", "Leiden")
    assert api.http.post("/articles", json={"id": "x1", "text": first}).status_code == 202
    items = [
        {"id": "x2", "text": ARTICLE.replace("Rotterdam", "Utrecht")},
        {"id": "x2", "text": ARTICLE.replace("Rotterdam", "Zwolle")},
        {"id": "x1", "text": ARTICLE.replace("Rotterdam", "Delft")},
        {"id": "x3", "text": ARTICLE.replace("Rotterdam", "Breda")},
    ]
    response = api.http.post("/batches", json={"articles": items})
    assert response.status_code == 202
    batch = response.json()
    assert batch["total"] == 2
    assert [(r["index"], r["id"]) for r in batch["rejected"]] == [(1, "x2"), (2, "x1")]
    assert "duplicate id" in batch["rejected"][0]["error"]
    assert "other content" in batch["rejected"][1]["error"]
    api.drain()
    assert api.http.get(f"/batches/{batch['id']}").json()["status"] == "done"
    assert "Utrecht" in api.http.get("/articles/x2").json()["body"]
    assert "Leiden" in api.http.get("/articles/x1").json()["body"]
    assert api.http.get("/stats").json()["articles"] == 3


def test_pathological_html_fails_alone_within_a_time_limit_and_the_worker_survives(
    settings: Settings,
) -> None:
    pages = {
        # 200,000 nested divs: refused before parsing (libxml2 would stop descending at 256 levels)
        "nested": "<html><body>" + "<div>" * 200_000 + BODY + "</div>" * 200_000 + "</body></html>",
        # a tag with 300,000 attributes: refused before parsing (libxml2 would take minutes)
        "crowded": "<html><body><article><div "
        + " ".join(f'a{i}="x"' for i in range(300_000))
        + ">"
        + BODY
        + "</div></article></body></html>",
        # one 5 MB attribute: slow to parse, yet well within the time limit
        "wide": '<html><body><article><div data-blob="'
        + "x" * 5_000_000
        + '">'
        + BODY
        + "</div></article></body></html>",
        # an ordinary page in the same job, after the others: the worker went on
        "ordinary": "<html><head><title>Bridge approved</title></head><body><article><h1>Bridge approved"
        + "</h1>"
        + BODY
        + "</article></body></html>",
    }
    with api_with(settings, max_article_bytes=8_000_000) as api:
        articles = [{"id": name, "html": html} for name, html in pages.items()]
        response = api.http.post("/batches", json={"articles": articles})
        assert response.status_code == 202, response.text
        started = time.monotonic()
        api.drain(workers=2)  # worker processes: drain asserts that each exits normally
        assert time.monotonic() - started < 90
        found = {name: api.http.get(f"/articles/{name}").json() for name in pages}
    assert found["nested"]["status"] == "failed"
    assert "tags" in found["nested"]["error"]
    assert found["crowded"]["status"] == "failed"
    assert "attributes" in found["crowded"]["error"]
    assert found["wide"]["status"] == "done", found["wide"]["error"]
    assert found["ordinary"]["status"] == "done", found["ordinary"]["error"]
    assert "new bridge across the harbour" in found["ordinary"]["body"]


def test_html_extraction_is_given_up_at_its_time_limit_and_the_next_page_works() -> None:
    """The backstop behind the checks: markup that slips past them (here, 60,000 attributes whose values
    hide them from the tag scan) and stalls the parser costs the time limit, not the worker."""
    ordinary = "<html><body><article>" + BODY + "</article></body></html>"
    stalling = (
        "<html><body><article><div "
        + " ".join(f'a{i}=">"' for i in range(60_000))
        + ">"
        + BODY
        + "</div></article></body></html>"
    )
    extractor = HtmlExtractor(time_limit=1.0)
    try:
        assert "new bridge" in extractor.clean_html(ordinary).body  # starts the helper
        started = time.monotonic()
        try:
            extractor.clean_html(stalling)
            raise AssertionError("the stalling page was not given up")
        except PermanentError as exc:
            assert "longer than 1 s" in str(exc)
        assert time.monotonic() - started < 3
        assert "new bridge" in extractor.clean_html(ordinary).body
    finally:
        extractor.stop()
