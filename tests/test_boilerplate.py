"""Learned boilerplate: lines that recur across unrelated articles, counted in Redis as articles arrive."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import Api

from workers.boilerplate import apply_support
from workers.clean import CleanArticle, RemovedBlock

DEV_SLICE = Path(__file__).resolve().parent / "data" / "dev-slice.jsonl.gz"
# Furniture: short, no sentence end. Prose: a long sentence, as a quote repeated by many outlets would be.
FOOTER = "Sign up for the morning briefing from our newsroom"
QUOTE = (
    "“We will not rest until every family that lost a home this winter has a warm place to live again,” "
    "the minister told reporters outside the parliament on Tuesday evening."
)


def unrelated_articles(n: int) -> list[dict[str, str]]:
    """n pages about different events (one wikinews page per event), each with FOOTER and QUOTE inserted
    right after its longest line, inside the article."""
    rows = [json.loads(line) for line in gzip.decompress(DEV_SLICE.read_bytes()).decode().splitlines()]
    pages = [row for row in rows if "-c" not in row["id"]]  # originals only, no syndicated copies
    articles = []
    for row in pages[:n]:
        lines = row["text"].splitlines()
        at = max(range(len(lines)), key=lambda i: len(lines[i])) + 1
        text = "\n".join([*lines[:at], FOOTER, QUOTE, *lines[at:]])
        articles.append({"id": f"page-{len(articles):02d}", "text": text})
    return articles


def test_a_line_seen_in_20_unrelated_articles_is_cut_from_the_21st_but_a_repeated_quote_is_not(
    api: Api,
) -> None:
    articles = unrelated_articles(30)
    for article in articles:
        assert api.http.post("/articles", json=article).status_code == 202
    api.drain()

    found = [api.http.get(f"/articles/{a['id']}", params={"include": "removed"}).json() for a in articles]
    done = [a for a in found if a["status"] == "done"]
    assert len({a["canonical_id"] for a in done}) == len(done) >= 27, "different pages, no copies"
    seen = 0  # earlier pages whose extracted article had the footer in it (kept, or cut as boilerplate)
    for article in done:
        cut = {r["text"]: r["reason"] for r in article["removed"]}
        if seen >= 20:
            assert FOOTER not in article["body"], f"{article['id']}: the footer was seen {seen} times"
            assert cut[FOOTER] == "boilerplate"
        else:
            assert cut.get(FOOTER) != "boilerplate", f"{article['id']}: the footer was seen {seen} times"
        seen += FOOTER in article["body"] or cut.get(FOOTER) == "boilerplate"
        assert cut.get(QUOTE) != "boilerplate", f"{article['id']}: a sentence is never boilerplate"
    assert seen >= 25, "the classifier kept the footer on most pages, so the 21st and later were checked"
    assert sum(QUOTE in a["body"] for a in done) >= 25


def test_text_shared_by_unrelated_articles_stays_in_the_body_but_out_of_the_signature() -> None:
    own = "The council approved the budget for the new library after a debate that lasted all night."
    shared = "Our journalism depends on readers like you, and every contribution keeps it independent."
    article = CleanArticle(f"{own}\n\n{QUOTE}\n\n{shared}", None, None, [])
    body_article, signed = apply_support(article, [0, 2, 3])
    assert body_article == article, "prose is never cut, however often it recurs"
    assert signed == f"{own}\n\n{QUOTE}", "a paragraph seen in 3 other groups is no evidence of copying"
    assert apply_support(article, [3, 3, 3])[1] == article.body, "an all-shared text is signed whole"


def test_a_short_paragraph_seen_in_20_groups_is_cut_and_reported() -> None:
    prose = "The council approved the budget for the new library after a debate that lasted all night."
    article = CleanArticle(f"{prose}\n\n{FOOTER}\n\n{prose} Again.", None, None, [])
    assert apply_support(article, [0, 19, 0])[0] == article
    cut, _ = apply_support(article, [0, 20, 0])
    assert cut.body == f"{prose}\n\n{prose} Again."
    assert cut.removed == [RemovedBlock(FOOTER, "boilerplate")]
    assert apply_support(CleanArticle(FOOTER, None, None, []), [50])[0].body == FOOTER, "never emptied"
