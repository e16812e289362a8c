"""Lines that recur across unrelated articles: page chrome learned from the stream itself.

The line classifier judges one page at a time, so a site's footer or a stock banner that looks like
prose can pass it, and a long legal notice can even be taken for the article. What gives such lines away
is that they recur in articles that are otherwise unrelated. So every line of every page (the body's
paragraphs and the lines cut from it) is remembered, as an 8-byte hash of its normalised text, with the
near-duplicate groups it was seen in, and a line's support is the number of distinct groups: copies of
one wire story count once, so a syndicated text never makes its own sentences look like chrome.

Support is used three times, with two strengths of evidence:
- a line seen in SHARED_MIN_GROUPS groups is no evidence of where a text page's article is
  (``reconsider``): the region is chosen again as if it were furniture, so that a notice every page of a
  site carries cannot outweigh a short article;
- such a paragraph stays in the body (a quote repeated by several outlets is still part of each
  article) but is left out of the near-duplicate signature: text shared by unrelated articles is no
  evidence that two articles are copies of each other;
- a furniture-shaped paragraph (short, or not ending like a sentence) seen in BODY_MIN_GROUPS groups is
  cut from the body, reported with the reason "boilerplate".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from workers.blocks import final_stop
from workers.clean import CleanArticle, RemovedBlock, ScoredText, normalise_line

# Bytes of a paragraph's hash: 2^64 values make a collision between two real lines negligible.
LINE_KEY_BYTES = 8
# Distinct near-duplicate groups a furniture-shaped paragraph must have been seen in to be cut.
BODY_MIN_GROUPS = 20
# Distinct groups a line must have been seen in to count as shared: no evidence of where the article is,
# nor of copying. Low, because such a line is only discounted, never cut. On the syndication dev set
# (chrome cut from 120 real pages and reused around unrelated articles) near-duplicate B-cubed F1,
# measured offline in arrival order with signatures alone, is 0.987 at 3, 0.985 at 4, 0.976 at 6 and
# 0.967 at 8 groups. Choosing text pages' regions again with it (`python -m bench.clustering
# syndication-dev.jsonl --originals wikinews-dev.jsonl`) took the bodies of the wrapped originals from
# F1 0.960 to 0.970 against their text, and near-duplicate F1 from 0.984 to 0.985.
SHARED_MIN_GROUPS = 3
# Paragraphs this long that end like a sentence are prose: never cut, however often they recur.
PROSE_MIN_WORDS = 15


def paragraphs(article: CleanArticle) -> list[str]:
    return article.body.split("\n\n")


def page_lines(article: CleanArticle) -> list[str]:
    """The lines counted for a page: its body's paragraphs and the lines cut from it, each once. Chrome is
    counted too, since a site's footer is told by its recurring on the site's pages whether or not the
    classifier kept it on this one."""
    return list(dict.fromkeys([*paragraphs(article), *(r.text for r in article.removed)]))


def line_key(paragraph: str) -> bytes:
    """The hash under which a paragraph is counted: equal for lines equal up to ``normalise_line``."""
    return hashlib.blake2b(normalise_line(paragraph).encode(), digest_size=LINE_KEY_BYTES).digest()


def furniture_shaped(text: str) -> bool:
    """Short lines or lines not ending like a sentence; long prose is never boilerplate."""
    return len(text.split()) < PROSE_MIN_WORDS or not final_stop(text)


def apply_support(article: CleanArticle, support: list[int]) -> tuple[CleanArticle, str]:
    """The article without its boilerplate, and the text to sign for near-duplicate detection.

    ``support``: distinct groups each paragraph of ``paragraphs(article)`` was seen in. Cutting never
    empties a body, and the signed text falls back to the whole body when every paragraph is shared."""
    parts = paragraphs(article)
    cut = [n >= BODY_MIN_GROUPS and furniture_shaped(p) for p, n in zip(parts, support, strict=True)]
    own = "\n\n".join(p for p, n in zip(parts, support, strict=True) if n < SHARED_MIN_GROUPS)
    if any(cut) and not all(cut):
        article = replace(
            article,
            body="\n\n".join(p for p, drop in zip(parts, cut, strict=True) if not drop),
            removed=[
                *article.removed,
                *(RemovedBlock(p, "boilerplate") for p, drop in zip(parts, cut, strict=True) if drop),
            ],
        )
    return article, own or article.body


def reconsider(article: CleanArticle, page: ScoredText, support: Mapping[str, int]) -> CleanArticle:
    """The article of a text page with its region chosen again, its shared lines (``support``: distinct
    groups by line text, SHARED_MIN_GROUPS or more) counted as furniture; the article as first cleaned
    when that changes nothing or leaves no article."""
    known = np.fromiter(
        (support.get(b.text, 0) >= SHARED_MIN_GROUPS for b in page.blocks), bool, len(page.blocks)
    )
    if not known.any():
        return article
    keep = page.keep(known)
    if np.array_equal(keep, page.keep()):
        return article
    try:
        return page.article(keep)
    except ValueError:
        return article
