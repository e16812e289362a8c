"""The five seed pages: every body line kept, no chrome, titles found, and exactly two story clusters."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from conftest import SEEDS, Api

EXPECTED = json.loads((SEEDS / "expected.json").read_text())


def fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def seed_articles() -> list[dict[str, str]]:
    return [
        {"id": name, "text": (SEEDS / f"{name}.txt").read_text(), "published_at": meta["published_at"]}
        for name, meta in EXPECTED["articles"].items()
    ]


def check_seeds(http: httpx.Client) -> None:
    clusters: dict[str, list[str]] = {}
    for name, meta in EXPECTED["articles"].items():
        article = http.get(f"/articles/{name}").json()
        assert article["status"] == "done", article
        body = fold(article["body"])
        labels = [line.split("\t", 1) for line in (SEEDS / f"{name}.labels.tsv").read_text().splitlines()]
        kept = [fold(text) for label, text in labels if label in ("body", "optional")]
        missing = [text for label, text in labels if label == "body" and fold(text) not in body]
        leaked = [
            text
            for label, text in labels
            if label in ("chrome", "title", "meta")
            and fold(text)
            and fold(text) in body
            and not any(fold(text) in k for k in kept)
        ]
        assert missing == [], f"{name}: body lines missing"
        assert leaked == [], f"{name}: chrome left in the body"
        if meta["title"] is not None:
            assert fold(article["title"]) == fold(meta["title"])
        assert article["published_at"] == meta["published_at"]
        clusters.setdefault(article["cluster_id"], []).append(name)
    got = sorted(sorted(names) for names in clusters.values())
    assert got == sorted(sorted(c) for c in EXPECTED["expected_story_clusters"])


@pytest.mark.parametrize("how", ["batch", "one by one"])
def test_seeds_come_back_clean_in_two_story_clusters(api: Api, how: str) -> None:
    articles = seed_articles()
    if how == "batch":
        assert api.http.post("/batches", json={"articles": articles}).status_code == 202
    else:
        for article in articles:
            assert api.http.post("/articles", json=article).status_code == 202
    api.drain()
    check_seeds(api.http)
