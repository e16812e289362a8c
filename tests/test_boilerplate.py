"""Learned boilerplate: lines that recur across unrelated articles, counted in Redis as articles arrive."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import Api
from prose import PROSE_EN

from workers.boilerplate import apply_support
from workers.clean import CleanArticle, RemovedBlock, clean_text

DEV_SLICE = Path(__file__).resolve().parent / "data" / "dev-slice.jsonl.gz"
# Furniture: short, no sentence end. Prose: a long sentence, as a quote repeated by many outlets would be.
FOOTER = "Sign up for the morning briefing from our newsroom"
QUOTE = (
    "“We will not rest until every family that lost a home this winter has a warm place to live again,” "
    "the minister told reporters outside the parliament on Tuesday evening."
)


def unrelated_articles(n: int) -> list[dict[str, str]]:
    """n pages about different events (one wikinews page per event), each with FOOTER and QUOTE inserted
    right after its longest line but the last, inside the article: a line seen on many pages weighs
    nothing when the article's region is chosen, so only the article around it keeps it in."""
    rows = [json.loads(line) for line in gzip.decompress(DEV_SLICE.read_bytes()).decode().splitlines()]
    pages = [row for row in rows if "-c" not in row["id"]]  # originals only, no syndicated copies
    articles = []
    for row in pages[:n]:
        lines = row["text"].splitlines()
        at = max(range(len(lines) - 1), key=lambda i: len(lines[i])) + 1
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
    learned = 0  # pages past the 20th whose footer only the learned boilerplate cut
    # seen: earlier pages, each of which carried the footer (kept in its body or cut, it counts)
    for seen, article in enumerate(done):
        cut = {r["text"]: r["reason"] for r in article["removed"]}
        if seen >= 20:
            assert FOOTER not in article["body"], f"{article['id']}: the footer was seen {seen} times"
            learned += cut[FOOTER] == "boilerplate"  # else the classifier had cut it already
        else:
            assert cut.get(FOOTER) != "boilerplate", f"{article['id']}: the footer was seen {seen} times"
        assert cut.get(QUOTE) != "boilerplate", f"{article['id']}: a sentence is never boilerplate"
    assert learned >= 3, "pages past the 20th whose classifier kept the footer were checked"
    # the quote is inserted after the footer, so on a page whose article ends there (or whose "article" is
    # a few stray lines) it ends the region, where a line weighing nothing is left out: 5 of the 30 pages
    # lose it with the model of 1ffd121, 6 with the one that reads comment-thread templates
    assert sum(QUOTE in a["body"] for a in done) >= 24


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


# A site's notice: sentences of prose, longer together than a short article, on every page of the site.
NOTICE = [
    "The information provided on this website is intended for general readers and does not replace the "
    "advice of a qualified professional in any individual case.",
    "All content is protected by copyright, and it may not be reproduced, distributed or transmitted in "
    "any form without the prior written permission of the publisher.",
    "Comments are moderated before they appear on the site, and we reserve the right to remove any "
    "contribution that breaks the law or our community guidelines.",
    "We use cookies and similar technologies to measure the audience of our pages and to show "
    "advertising that matches the interests of our readers.",
]
MENU = ["Home", "News", "Sport", "Business", "Weather", "Contact us"]


def site_page(headline: str, paragraphs: list[str]) -> str:
    """A page of one site: its menu, the article, a share line, and the notice at the foot."""
    article = "\n\n".join(paragraphs)
    return "\n".join(
        [
            *MENU,
            "",
            headline,
            "",
            article,
            "",
            "Share this article",
            "Related stories",
            "",
            "\n\n".join(NOTICE),
        ]
    )


def test_a_notice_seen_on_three_unrelated_pages_is_not_taken_for_part_of_a_short_article(api: Api) -> None:
    short = site_page("Night buses to run to the northern suburbs", PROSE_EN[:2])
    assert NOTICE[0] in clean_text(short).body, "judged alone, the page's notice reads as the article's end"
    longer = [
        {"id": f"long-{i}", "text": site_page(a["id"], a["text"].splitlines())}
        for i, a in enumerate(unrelated_articles(3))
    ]
    for article in [*longer, {"id": "short", "text": short}]:
        assert api.http.post("/articles", json=article).status_code == 202
    api.drain()

    found = api.http.get("/articles/short", params={"include": "removed"}).json()
    assert found["status"] == "done"
    assert found["body"].split("\n\n") == PROSE_EN[:2]
    cut = {r["text"] for r in found["removed"]}
    assert set(NOTICE) <= cut, "the notice is listed among the removed lines"
    canonicals = {api.http.get(f"/articles/{a['id']}").json()["canonical_id"] for a in longer}
    assert len(canonicals) == 3, "the notice did not make the unrelated pages copies of each other"
