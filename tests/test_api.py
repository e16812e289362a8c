"""The REST contract, exercised over HTTP against a real Redis."""

from __future__ import annotations

from conftest import Api
from prose import PROSE_DE, PROSE_EN, PROSE_FR
from redis import Redis

from workers.settings import Settings
from workers.store import Store

ARTICLE = (
    "World\n\nCity council approves new harbour bridge after long debate\n\n"
    "The city council of Rotterdam voted on Tuesday to approve a new bridge across the harbour, ending a "
    "debate that had lasted more than ten years and divided residents of both banks.\n\n"
    "The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and is "
    "expected to open in 2031 at a cost of about 480 million euros.\n\n"
    "Opponents argued that the money would be better spent on schools, while supporters said the crossing "
    "would bring the southern districts closer to jobs in the centre.\n\n"
    "Share this article\n"
)


def post(api: Api, **body: object) -> tuple[int, dict]:
    response = api.http.post("/articles", json=body)
    return response.status_code, response.json()


def test_health_answers_when_redis_does(api: Api) -> None:
    response = api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_article_is_queued_then_processed(api: Api) -> None:
    response = api.http.post("/articles", json={"id": "rt-1", "text": ARTICLE, "source": "example.org"})
    assert response.status_code == 202
    assert response.headers["location"] == "/articles/rt-1"
    assert response.json() == {"id": "rt-1", "status": "queued"}
    assert api.http.get("/articles/rt-1").json()["status"] == "queued"

    api.drain()
    article = api.http.get("/articles/rt-1").json()
    assert article["status"] == "done"
    assert "ending a debate that had lasted more than ten years" in article["body"]
    assert "Share this article" not in article["body"]
    assert article["canonical_id"] == "rt-1"
    assert article["cluster_id"].startswith("c")
    assert article["error"] is None


def test_the_byline_is_read_from_the_page_unless_given(api: Api) -> None:
    signed = ARTICLE.replace("debate\n\n", "debate\n\nBy Anna de Vries and Pieter Jansen\n\n", 1)
    assert post(api, id="signed", text=signed)[0] == 202
    assert post(api, id="given", text=signed, byline="Rotterdam desk")[0] == 202
    assert post(api, id="unsigned", text=ARTICLE)[0] == 202
    api.drain()
    signed_out = api.http.get("/articles/signed").json()
    assert signed_out["byline"] == "Anna de Vries and Pieter Jansen"
    assert "Jansen" not in signed_out["body"]
    assert api.http.get("/articles/given").json()["byline"] == "Rotterdam desk"
    assert api.http.get("/articles/unsigned").json()["byline"] is None


def test_a_dateline_written_relative_to_the_fetch_is_dated_from_the_fetch_time_given(api: Api) -> None:
    relative = ARTICLE.replace("debate\n\n", "debate\n\nPublished 3 hours ago\n\n", 1)
    assert post(api, id="fetched", text=relative, fetched_at="2024-04-26T10:24:00+02:00")[0] == 202
    assert post(api, id="unknown", text=relative)[0] == 202
    api.drain()
    fetched = api.http.get("/articles/fetched?include=removed").json()
    assert fetched["published_at"] == "2024-04-26T05:24:00+00:00"
    assert {"text": "Published 3 hours ago", "reason": "meta"} in fetched["removed"]
    assert api.http.get("/articles/unknown").json()["published_at"] is None


def test_generated_id_when_none_given(api: Api) -> None:
    status, body = post(api, text=ARTICLE)
    assert status == 202
    assert api.http.get(f"/articles/{body['id']}").status_code == 200


def test_same_id_same_content_is_a_no_op_and_other_content_conflicts(api: Api) -> None:
    assert post(api, id="dup", text=ARTICLE)[0] == 202
    api.drain()
    status, body = post(api, id="dup", text=ARTICLE)
    assert (status, body) == (200, {"id": "dup", "status": "done"})
    status, body = post(api, id="dup", text=ARTICLE + "\nOne more line.")
    assert status == 409
    assert "other content" in body["error"]
    assert api.http.get("/stats").json()["articles"] == 1


def test_invalid_articles_get_clear_errors_and_change_nothing(api: Api) -> None:
    cases = [
        ({}, "exactly one of 'text' or 'html' (neither was)"),
        ({"text": ARTICLE, "html": "<p>x</p>"}, "(both were given)"),
        ({"text": "  \n "}, "'text' is empty"),
        ({"text": ARTICLE, "published_at": "last tuesday"}, "not an ISO 8601 date"),
        ({"text": ARTICLE, "fetched_at": "2024-04-26"}, "needs the time of day"),
        ({"text": ARTICLE, "fetched_at": "this morning"}, "not an ISO 8601 date"),
        ({"text": ARTICLE, "id": "../etc/passwd"}, "id"),
        ({"text": 42}, "text"),
        ({"text": ARTICLE, "colour": "blue"}, "colour"),
    ]
    for body, message in cases:
        response = api.http.post("/articles", json=body)
        assert response.status_code == 422, body
        assert message in response.json()["error"], response.json()
    response = api.http.post("/articles", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert api.http.get("/stats").json()["articles"] == 0


def test_an_article_over_the_limit_is_refused_with_413(api: Api) -> None:
    huge = "word " * (api.settings.max_article_bytes // 5 + 10)
    response = api.http.post("/articles", json={"text": huge})
    assert response.status_code == 413
    assert "SAMESTORY_MAX_ARTICLE_BYTES" in response.json()["error"]


def test_unknown_ids_answer_404_in_json(api: Api) -> None:
    for path in ("/articles/nope", "/batches/nope", "/clusters/c999", "/clusters/bogus"):
        response = api.http.get(path)
        assert response.status_code == 404, path
        assert "no " in response.json()["error"]


def test_batch_progress_and_per_item_rejections(api: Api) -> None:
    articles = [{"id": f"b-{i}", "text": ARTICLE.replace("Rotterdam", f"Town{i}")} for i in range(3)]
    articles.append({"id": "b-0", "text": ARTICLE})
    response = api.http.post("/batches", json={"articles": articles})
    assert response.status_code == 202
    batch = response.json()
    assert batch["total"] == 3
    assert batch["ids"] == ["b-0", "b-1", "b-2"]
    assert batch["rejected"] == [{"index": 3, "id": "b-0", "error": "duplicate id within this request"}]
    progress = api.http.get(f"/batches/{batch['id']}").json()
    assert progress == {"id": batch["id"], "status": "queued", "total": 3, "done": 0, "failed": 0}

    api.drain()
    progress = api.http.get(f"/batches/{batch['id']}").json()
    assert progress["status"] == "done"
    assert (progress["done"], progress["failed"]) == (3, 0)


def test_a_batch_answers_the_ids_it_generated_so_that_results_can_be_read(api: Api) -> None:
    articles = [{"text": ARTICLE.replace("Rotterdam", town)} for town in ("Delft", "Gouda")]
    batch = api.http.post("/batches", json={"articles": articles}).json()
    assert batch["total"] == len(batch["ids"]) == 2
    api.drain()
    bodies = [api.http.get(f"/articles/{article_id}").json()["body"] for article_id in batch["ids"]]
    assert "Delft" in bodies[0] and "Gouda" in bodies[1]


def test_a_page_with_no_article_fails_alone_and_the_batch_is_partial(api: Api) -> None:
    articles = [{"id": "good", "text": ARTICLE}, {"id": "chrome-only", "text": "Home\nNews\nSport\nLog in"}]
    batch = api.http.post("/batches", json={"articles": articles}).json()
    api.drain()
    assert api.http.get(f"/batches/{batch['id']}").json()["status"] == "partial"
    failed = api.http.get("/articles/chrome-only").json()
    assert failed["status"] == "failed"
    assert failed["error"]
    assert api.http.get("/articles/good").json()["status"] == "done"


def test_cluster_lists_its_articles_and_clusters_page_by_cursor(api: Api) -> None:
    towns = ["Leiden", "Utrecht", "Zwolle"]
    articles = [
        {
            "id": f"t-{t}",
            "text": ARTICLE.replace("Rotterdam", t).replace("harbour", f"{t} river"),
            "source": f"{t.lower()}.example",
            "published_at": f"2024-0{i + 1}-10",
        }
        for i, t in enumerate(towns)
    ]
    api.http.post("/batches", json={"articles": articles})
    api.drain()
    cluster_id = api.http.get("/articles/t-Leiden").json()["cluster_id"]
    cluster = api.http.get(f"/clusters/{cluster_id}").json()
    assert cluster["id"] == cluster_id
    assert "t-Leiden" in [a["id"] for a in cluster["articles"]]
    assert cluster["size"] == len(cluster["articles"])
    assert "leiden.example" in cluster["sources"]
    assert cluster["first_published"].startswith("2024-01-10")

    seen, cursor = [], None
    while True:
        page = api.http.get("/clusters", params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["clusters"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == api.http.get("/stats").json()["clusters"]


def test_clusters_are_listed_largest_first_page_by_page(api: Api) -> None:
    # three stories (one text in three languages), copied 3, 1 and 2 times
    copies = {"en": (PROSE_EN, 3), "de": (PROSE_DE, 1), "fr": (PROSE_FR, 2)}
    articles = [
        {"id": f"{lang}-{n}", "text": f"Outlet {n}\n\n" + "\n\n".join(prose), "source": f"outlet-{n}.example"}
        for lang, (prose, count) in copies.items()
        for n in range(count)
    ]
    api.http.post("/batches", json={"articles": articles})
    api.drain()
    listed, cursor = [], None
    while True:
        params = {"order": "size", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = api.http.get("/clusters", params=params).json()
        listed += [(c["size"], c["representative_id"]) for c in page["clusters"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert listed == [(3, "en-0"), (2, "fr-0"), (1, "de-0")]


def test_clusters_by_size_page_on_after_the_last_cluster_shown(api: Api) -> None:
    """The next page of `order=size` starts after the last cluster shown, by (size, id): a cluster that
    goes or grows between two pages makes no other cluster show twice or be skipped."""
    copies = {"en": (PROSE_EN, 3), "fr": (PROSE_FR, 2), "de": (PROSE_DE, 1)}
    articles = [
        {"id": f"{lang}-{n}", "text": f"Outlet {n}\n\n" + "\n\n".join(prose), "source": f"outlet-{n}.example"}
        for lang, (prose, count) in copies.items()
        for n in range(count)
    ]
    articles.append({"id": "bridge-0", "text": ARTICLE})
    api.http.post("/batches", json={"articles": articles})
    api.drain()

    def next_page(cursor: str | None) -> tuple[list[tuple[int, str]], str | None]:
        params = {"order": "size", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = api.http.get("/clusters", params=params).json()
        return [(c["size"], c["representative_id"]) for c in page["clusters"]], page["next_cursor"]

    first, cursor = next_page(None)
    assert first == [(3, "en-0")]
    # the cluster just shown goes: the next page is still the next cluster, not the one after it
    for n in range(3):
        assert api.http.delete(f"/articles/en-{n}").status_code == 204
    second, cursor = next_page(cursor)
    assert second == [(2, "fr-0")]
    # a cluster not shown yet grows past the page boundary: it is not shown now, and nothing shows twice
    api.http.post("/batches", json={"articles": [{"id": f"bridge-{n}", "text": ARTICLE} for n in (1, 2, 3)]})
    api.drain()
    third, cursor = next_page(cursor)
    assert third == [(1, "de-0")]
    assert next_page(cursor) == ([], None)
    # a listing from the top has it first
    assert next_page(None)[0] == [(4, "bridge-0")]


def test_an_index_of_an_earlier_release_lists_its_largest_clusters(
    api: Api, redis: Redis, settings: Settings
) -> None:
    """Releases before the ranking by size and id ranked clusters by size alone under {i}:bysize, merged
    and removed ones left in it. Opening such an index moves the live clusters into the new ranking, so
    that `order=size` lists every one of them, not only those that gained an article since."""
    copies = {"en": (PROSE_EN, 3), "fr": (PROSE_FR, 2), "de": (PROSE_DE, 1)}
    api.http.post(
        "/batches",
        json={
            "articles": [
                {"id": f"{lang}-{n}", "text": f"Outlet {n}\n\n" + "\n\n".join(prose)}
                for lang, (prose, count) in copies.items()
                for n in range(count)
            ]
        },
    )
    api.drain()
    store = Store(redis, settings.key_prefix)
    index = f"{settings.key_prefix}:{{i}}"
    # the index as the earlier release left it: sizes alone, and a cluster that is gone
    sizes = {cid: int(score) >> 32 for cid, score in redis.zrange(f"{index}:largest", 0, -1, withscores=True)}
    assert sorted(sizes.values()) == [1, 2, 3]
    redis.delete(f"{index}:largest")
    redis.zadd(f"{index}:bysize", {**sizes, b"999": 7})

    store.open_index(settings.index_params())

    listed = api.http.get("/clusters", params={"order": "size"}).json()["clusters"]
    assert [(c["size"], c["representative_id"]) for c in listed] == [(3, "en-0"), (2, "fr-0"), (1, "de-0")]
    assert not redis.exists(f"{index}:bysize")


def test_a_cluster_pages_its_articles_and_keeps_whole_cluster_figures_on_every_page(api: Api) -> None:
    copies = [
        {
            "id": f"copy-{i}",
            "text": ARTICLE,
            "source": f"outlet{i % 2}.example",
            "published_at": f"2024-05-1{i}",
        }
        for i in range(5)
    ]
    api.http.post("/batches", json={"articles": copies})
    api.drain()
    cluster_id = api.http.get("/articles/copy-0").json()["cluster_id"]

    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.http.get(f"/clusters/{cluster_id}", params=params).json()
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p["articles"]) for p in pages] == [2, 2, 1]
    listed = [a["id"] for p in pages for a in p["articles"]]
    assert listed == [f"copy-{i}" for i in range(5)], "first seen first, each article once"
    assert {a["canonical_id"] for p in pages for a in p["articles"]} == {"copy-0"}
    assert pages[0]["first_published"].startswith("2024-05-10")
    for page in pages:
        assert page["size"] == 5
        assert page["sources"] == ["outlet0.example", "outlet1.example"]
        assert (page["first_published"], page["last_published"]) == (
            pages[0]["first_published"],
            pages[0]["last_published"],
        )

    whole = api.http.get(f"/clusters/{cluster_id}").json()
    assert [a["id"] for a in whole["articles"]] == listed and whole["next_cursor"] is None
    assert api.http.get(f"/clusters/{cluster_id}", params={"limit": 0}).status_code == 422
    documented = api.http.get("/openapi.json").json()["paths"]["/clusters/{cluster_id}"]["get"]
    assert {"limit", "cursor"} <= {p["name"] for p in documented["parameters"]}


def test_stats_count_articles_and_queue(api: Api) -> None:
    post(api, id="s1", text=ARTICLE)
    stats = api.http.get("/stats").json()
    assert stats["articles"] == 1
    assert stats["queued"] == 1
    assert stats["redis_used_memory_bytes"] > 0
    api.drain()
    assert api.http.get("/stats").json()["queued"] == 0
