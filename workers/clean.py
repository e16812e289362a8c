"""Article extraction: keep every sentence of the article, drop the page chrome, find title and date.

Two entry points for the two things clients send: ``clean_text`` for page text scraped with the chrome
still in it (the learned block classifier in ``workers.blocks`` decides line by line), and ``clean_html``
for the page's HTML (trafilatura finds the article, then the same classifier removes what trafilatura
lets through, such as captions and share bars). Every removed line is reported with a reason so users
can see what was cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import compress, islice, pairwise, repeat
from operator import attrgetter
from typing import NamedTuple, cast

import numpy as np

from workers import html_extract, metadata
from workers.blocks import (
    LOCAL_FEATURES,
    TOKEN,
    WORD,
    Block,
    BlockModel,
    Smoothing,
    detect_language,
    final_stop,
    has_digit,
    load_model,
    local_features,
    numbered_lists,
    rejoin,
    segment,
    stop_words,
)
from workers.furniture import INLINE_FURNITURE, furniture
from workers.line_features import DIGIT_RATIO, FINAL_STOP, TRUNCATED

# Lines this short that carry a number and no sentence end are times ("3 hours ago", "10:24 AM").
TIMESTAMP_MAX_WORDS = 6
# Shortest run-together row of button labels treated as a share bar.
SHARE_BAR_MIN_CHARS = 12
# Two lines whose lengths differ by more than this cannot be the same after normalise_line.
SAME_TEXT_SLACK = 8
# A page of this many blocks or fewer gives the classifier no layout to read (its context features see
# lines without neighbours): it refused a headline and one or two paragraphs as chrome. On such a page the
# lines that read like sentences are the article, but for a first line that does not end like one: the
# headline (a Chinese one is as many "words" as a sentence), found as on any page.
SHORT_PAGE_BLOCKS = 3
# A numbered list with a figure besides the number in this share of its lines is an article on its own,
# though none of its lines reads like a sentence (see _in_list_of_figures).
LIST_FIGURES_SHARE = 0.5
# Lines shorter than this between the headline and the first paragraph are bylines and datelines.
HEADER_MAX_WORDS = 10
# In HTML mode trafilatura has already removed most chrome and its output lacks the surrounding page
# the classifier learned from, so only lines it is this sure about are removed. Measured on the dev
# pages with the model trained at C 0.02 (bench/train_blocks.py): F1 0.9775 keeping all, 0.9777 at
# 0.005, 0.9774 at 0.02, 0.9777 at 0.05; with each page scored by a model trained without it (what
# unseen sites get) 0.9775, 0.9776, 0.9775, 0.9769. Re-measure when the model changes.
HTML_DROP_BELOW = 0.005

_DIGITS = re.compile(r"\d+")
_REPEATED = LOCAL_FEATURES.index("repeated")
_EDGE_PUNCT = " .,;:|-–—•·*"


class RemovedBlock(NamedTuple):
    """A line that was cut from the page and why (shown to users for transparency). A named tuple, like
    ``Block``: a dev page has ~140 of them, built in 0.03 ms as tuples against 0.07 ms as frozen
    dataclasses."""

    text: str
    reason: str


def _removed_blocks(texts: list[str], reasons: list[str | None]) -> list[RemovedBlock]:
    """The lines that have a reason to be cut, in page order. Built by ``tuple.__new__`` from (text,
    reason) pairs, which is what a named tuple's own constructor does after a call to a Python function:
    a third of the time for a page's ~140 lines (21 against 65 µs)."""
    pairs = compress(zip(texts, reasons, strict=True), reasons)
    return cast(list[RemovedBlock], list(map(tuple.__new__, repeat(RemovedBlock), pairs)))


@dataclass(frozen=True)
class CleanArticle:
    """The article as extracted: body paragraphs separated by one blank line, headline, date, cuts and
    the page's language."""

    body: str
    title: str | None
    published_at: str | None
    removed: list[RemovedBlock]
    # ISO 639-1 code py3langid found for the page (read from its longest lines), so that later steps need
    # not detect it again. Defaults to "" only so that callers building an article by hand keep working.
    language: str = ""
    # The authors' names as the page gives them ("Ana Swanson and Vivian Wang"), when it does.
    byline: str | None = None


def normalise_line(line: str) -> str:
    """Normal form under which a line counts as the same per-source boilerplate across articles: case,
    Unicode compatibility forms, spacing, edge punctuation and the values of numbers ("3 hours ago" and
    "12 hours ago") do not matter."""
    text = unicodedata.normalize("NFKC", line).casefold()
    text = _DIGITS.sub("0", text)
    return " ".join(text.split()).strip(_EDGE_PUNCT)


@dataclass(frozen=True)
class ScoredText:
    """A text page segmented and scored, its keep decisions not made yet. The pipeline keeps it so that
    the decisions can be made again once the stream has shown which of the page's lines are boilerplate
    (see ``workers.boilerplate``), without segmenting, detecting the language and scoring a second time.
    ``scores`` is None on a page too short for the classifier (SHORT_PAGE_BLOCKS)."""

    blocks: list[Block]
    language: str
    scores: np.ndarray | None
    smoothing: Smoothing | None
    # whether the page writes each block's text on another line too (the feature matrix's "repeated"
    # column): a sign of the headline (see metadata.find_title)
    repeated: np.ndarray
    # blocks cut by rule, with the rule's name (see workers.furniture)
    furniture: Mapping[int, str] = field(default_factory=dict)
    # dated template lines, where a comment thread may start (see Smoothing.keep)
    thread_lines: np.ndarray | None = None
    # the title the client gave: the lines that repeat it are cut, and the article's first line is never
    # taken for the headline (see _assemble)
    headline: str | None = None
    # when the client fetched the page: what a dateline such as "3 hours ago" counts back from
    fetched_at: datetime | None = None
    # each block's shape reason, should it be dropped (see shape_reasons)
    shapes: Sequence[str] = ()

    def keep(self, known: np.ndarray | None = None) -> np.ndarray:
        """Keep decision per block; ``known`` flags blocks known as boilerplate (see Smoothing.keep)."""
        if self.scores is None or self.smoothing is None:
            keep = np.array([_reads_like_a_sentence(b.text) for b in self.blocks])
            keep[0] &= len(self.blocks) == 1 or final_stop(self.blocks[0].text)  # else the headline
            return keep
        inline = np.zeros(len(self.blocks), dtype=bool)
        inline[[i for i, reason in self.furniture.items() if reason in INLINE_FURNITURE]] = True
        return self.smoothing.keep(self.scores, self.blocks, known, self.thread_lines, inline)

    def article(self, keep: np.ndarray) -> CleanArticle:
        """The article those decisions make. A page where no kept line reads like a sentence (ends like
        one, or is as long as a short one) or lies in a numbered list of figures has no article: on a
        page of menu labels the classifier still ranks one label above the others, while a calendar or
        a table of results may be an article that is all list."""
        kept = np.flatnonzero(keep)
        if not any(_reads_like_a_sentence(self.blocks[i].text) for i in kept) and not _in_list_of_figures(
            self.blocks, kept
        ):
            raise ValueError("no article text found: no line the classifier kept reads like a sentence")
        return _assemble(
            self.blocks,
            keep,
            None,
            None,
            self.language,
            self.shapes,
            self.repeated,
            self.furniture,
            headline=self.headline,
            fetched_at=self.fetched_at,
        )


def score_text(
    raw: str,
    *,
    model: BlockModel | None = None,
    headline: str | None = None,
    fetched_at: datetime | None = None,
) -> ScoredText:
    """Segment scraped page text, detect its language and score its blocks. ``model`` defaults to the
    shipped one (training passes its own); ``headline`` is the title the client gave, if it did, and
    ``fetched_at`` when it fetched the page, if it said."""
    blocks = _blocks_or_fail(raw)
    language = detect_language(blocks)
    if len(blocks) <= SHORT_PAGE_BLOCKS:
        features = local_features(blocks, stop_words(language))
        return ScoredText(
            blocks,
            language,
            None,
            None,
            features[:, _REPEATED] > 0,
            headline=headline,
            fetched_at=fetched_at,
            shapes=shape_reasons(blocks, features),
        )
    model = model or load_model()
    page = _scores_and_furniture(model, blocks, language)
    return ScoredText(
        blocks,
        language,
        page.scores,
        model.smoothing,
        page.repeated,
        page.furniture,
        page.thread_lines,
        headline,
        fetched_at,
        page.shapes,
    )


class _Scored(NamedTuple):
    """A page's block scores, with what the rules found besides."""

    scores: np.ndarray  # the classifier's, 0 for the furniture found by rule
    furniture: dict[int, str]  # block index -> the name of the rule that found it (workers.furniture)
    thread_lines: np.ndarray  # the dated template lines (see Smoothing.keep)
    shapes: list[str]  # each block's shape reason (see shape_reasons)
    repeated: np.ndarray  # whether the page writes each block's text on another line too


def _scores_and_furniture(model: BlockModel, blocks: list[Block], language: str) -> _Scored:
    """The classifier's block scores with the furniture found by rule scored 0 whatever the classifier
    says."""
    scored = model.score(blocks, stop_words(language))
    cut = furniture(blocks, scored.features)
    scores = scored.scores
    scores[list(cut)] = 0.0
    shapes = shape_reasons(blocks, scored.features)
    return _Scored(scores, cut, scored.thread_lines, shapes, scored.features[:, _REPEATED] > 0)


def shape_reasons(blocks: list[Block], features: np.ndarray) -> list[str]:
    """The reason each block is given should it be dropped with no rule's name: its most telling shape.
    "teaser" for a line that ends in a truncation mark; "timestamp" for a short one (under
    TIMESTAMP_MAX_WORDS spaces: block text has single spaces between words, see ``segment``) with a
    digit and no sentence end or copyright sign; "classifier" for any other. Read from the lines' shape
    features (``features``, columns as in LOCAL_FEATURES), so that the text of only the few lines with a
    digit is looked at: most lines of a page are dropped, and naming each by its text took a tenth of
    text mode's time."""
    reasons = ["classifier"] * len(blocks)
    teaser = features[:, TRUNCATED] > 0
    dated = (features[:, DIGIT_RATIO] > 0) & (features[:, FINAL_STOP] == 0) & ~teaser
    for i in np.flatnonzero(dated).tolist():
        text = blocks[i].text
        if text.count(" ") < TIMESTAMP_MAX_WORDS and "©" not in text:
            reasons[i] = "timestamp"
    for i in np.flatnonzero(teaser).tolist():
        reasons[i] = "teaser"
    return reasons


def _in_list_of_figures(blocks: list[Block], kept: np.ndarray) -> bool:
    """Whether one of the ``kept`` blocks lies in a numbered list (see numbered_lists) at least
    LIST_FIGURES_SHARE of whose lines hold a figure besides their number: a calendar's dates, standings'
    points, a race's times. Such a list is an article on its own; a numbered menu of the most read
    stories ("1. Weather", "2. Sport") is not. Looked for only on a page whose kept lines read like no
    sentence."""
    numbered = numbered_lists(blocks)
    for first in set(numbered[kept].tolist()) - {-1}:
        lines = [blocks[i].text for i in np.flatnonzero(numbered == first)]
        if sum(has_digit(text.partition(" ")[2]) for text in lines) >= LIST_FIGURES_SHARE * len(lines):
            return True
    return False


def clean_text(raw: str, *, model: BlockModel | None = None) -> CleanArticle:
    """Clean scraped page text judged on its own (see ScoredText for the pages it refuses)."""
    page = score_text(raw, model=model)
    return page.article(page.keep())


def _reads_like_a_sentence(text: str) -> bool:
    """Ends like a sentence, or is as long as a short one."""
    return final_stop(text) or _has_words(text, HEADER_MAX_WORDS)


def _has_words(text: str, count: int) -> bool:
    """Whether text has at least ``count`` words (TOKEN): looked for only up to the last of them, which on a
    paragraph takes a third of the time of finding all its words (_header_lines, which asks it of the
    article's first paragraph, 0.012 -> 0.008 ms per 6 KB)."""
    return next(islice(TOKEN.finditer(text), count - 1, None), None) is not None


def clean_html(html: str) -> CleanArticle:
    """Clean a page's HTML: trafilatura extracts the article, headline and date (``workers.html_extract``
    says how), then the lines it lets through are cut: those the block classifier is sure are furniture
    (table rows excepted, see ``html_extract.table_row``), those that are mostly link text in the page,
    the headings above the first paragraph, and the dateline when it states the page's date. Each cut
    line is reported with the rule that cut it ("link", "lead_heading", "dateline"; the classifier's cuts
    are named by their shape, as in text mode)."""
    if not html or not html.strip():
        raise ValueError("empty HTML: nothing to extract")
    article = html_extract.extract(html)
    if article is None:
        raise ValueError("no article text found in the HTML")
    blocks = _blocks_or_fail(article.text)
    language = detect_language(blocks)
    page = _scores_and_furniture(load_model(), blocks, language)
    keep = page.scores >= HTML_DROP_BELOW
    lines = _whole_lines(blocks)
    keep |= np.array([html_extract.table_row(line) for line in lines])
    cuts: dict[int, str] = {i: "link" for i, line in enumerate(lines) if article.mostly_link(line)}
    for i, block in enumerate(blocks):
        if not article.lead_heading(block.text):
            break
        cuts[i] = "lead_heading"
    keep[list(cuts)] = False
    if not keep.any():
        keep[:] = True  # trafilatura found this text; rules that reject all of it are wrong here
        cuts.clear()
    date = article.date
    date_line = metadata.find_date_line(blocks, [0])
    if date_line is not None and date in (None, date_line[1]):
        keep[date_line[0]] = False
        cuts[date_line[0]] = "dateline"
        date = date_line[1]
    reasons = {**page.furniture, **cuts}  # a furniture line kept as a table row keeps no reason
    return _assemble(
        blocks, keep, article.title, date, language, page.shapes, page.repeated, reasons, article.author
    )


def _whole_lines(blocks: list[Block]) -> list[str]:
    """Each block's whole line: rules that look lines up in the page judge the pieces of a long line (see
    blocks._pieces) by the line they came from."""
    whole: dict[int, str] = {}
    for b in blocks:
        whole[b.line_no] = rejoin(whole[b.line_no], b.text) if b.line_no in whole else b.text
    return [whole[b.line_no] for b in blocks]


def _blocks_or_fail(text: str) -> list[Block]:
    if not text or not text.strip():
        raise ValueError("empty text: nothing to extract")
    blocks = segment(text)
    if not any(WORD.search(b.text) for b in blocks):
        raise ValueError("text has no words: nothing to extract")
    return blocks


def _assemble(
    blocks: list[Block],
    keep: np.ndarray,
    title: str | None,
    date: str | None,
    language: str,
    shapes: Sequence[str],
    repeated: np.ndarray,
    cuts: Mapping[int, str] | None = None,
    byline: str | None = None,
    headline: str | None = None,
    fetched_at: datetime | None = None,
) -> CleanArticle:
    """Apply the keep decisions plus the title, date-line, byline and share-bar cuts; build the result.
    The title, date and byline are looked for in the page when not given. A line dropped by a rule is
    reported with the rule's name from ``cuts`` (by block index), any other dropped line with the name of
    its shape. ``headline``, the title a client gave with a text page, is the article's title and cut
    where the page repeats it; the page's own headline (which may be worded otherwise) is still looked
    for above the article and cut, but the article's first line is not taken for it. ``fetched_at``, when
    the page was fetched, dates a dateline written relative to then (see metadata.find_date_line).
    ``shapes`` are the blocks' shape reasons (see shape_reasons), ``repeated`` whether the page writes each
    block's text on another line too (see metadata.find_title)."""
    cuts = cuts or {}
    kept = np.flatnonzero(keep).tolist()
    if not kept:
        raise ValueError("no article text found: every line looks like page chrome")
    body_start = kept[0]
    listed = numbered_lists(blocks) >= 0
    title_idx = None
    if title is None:
        # the article's first line may be its headline, but not when it is a list's first item
        first_line = headline is None and not listed[body_start]
        captions = {i for i, reason in cuts.items() if reason == "caption"}
        title_idx = metadata.find_title(
            blocks, kept, stop_words(language), repeated, first_line=first_line, captions=captions
        )
        title = blocks[title_idx].text if title_idx is not None else None
    anchors = [body_start] if title_idx is None else [title_idx, body_start]
    texts = list(map(attrgetter("text"), blocks))
    titles = _title_rows(texts, title) if title is not None else set()
    if headline is not None:
        titles |= _title_rows(texts, headline)
        title = headline
    meta = _header_lines(blocks, kept, title_idx, listed)
    # a dated line the classifier kept below the article's first sentence is in the article's text (an
    # embedded post's "— Name (@handle) November 18, 2019"), not its dateline
    prose_start = next((i for i in kept if _reads_like_a_sentence(texts[i])), len(blocks))

    def may_be_dateline(i: int) -> bool:
        return i <= prose_start or not keep[i]

    dated = metadata.find_date_line(blocks, anchors, may_be_dateline, fetched_at) if date is None else None
    if dated is not None:
        meta.add(dated[0])
        date = dated[1]

    def may_be_byline(i: int) -> bool:
        # never the headline, nor a sentence the classifier kept in the article ("By Tuesday, Smith and
        # Jones had left.")
        return i not in titles and i != title_idx and not (keep[i] and _reads_like_a_sentence(texts[i]))

    # the byline line is cut even when the byline is known (given, or from HTML markup)
    if (signed := metadata.find_byline(blocks, anchors, may_be_byline)) is not None:
        meta.add(signed[0])
        byline = byline or signed[1]
    reasons: list[str | None] = list(shapes)  # a dropped line's shape; kept lines have none, or a rule's
    for i in kept:
        reasons[i] = "share" if _share_bar(texts[i]) else None
    for i, cut in cuts.items():
        if not keep[i]:
            reasons[i] = cut
    for i in meta:
        reasons[i] = "meta"
    for i in titles:
        reasons[i] = "title"
    body: list[str] = []
    previous: int | None = None  # the last block that went to the body
    for i in kept:
        if reasons[i] is not None:
            continue
        if previous == i - 1 and blocks[i].line_no == blocks[previous].line_no:
            body[-1] = rejoin(body[-1], texts[i])  # the next piece of a long line (see blocks._pieces)
        else:
            body.append(texts[i])
        previous = i
    if not body:
        raise ValueError("no article text found: every line looks like page chrome")
    return CleanArticle("\n\n".join(body), title, date, _removed_blocks(texts, reasons), language, byline)


def _header_lines(
    blocks: list[Block], kept: list[int], title_idx: int | None, listed: np.ndarray
) -> set[int]:
    """Kept lines between the headline and the first paragraph of prose or the first line of a numbered
    list (``listed``, see numbered_lists): bylines, datelines and kickers, which are about the article
    rather than part of it."""
    if title_idx is None:
        return set()
    header = set()
    for i in kept:
        if i <= title_idx:
            continue
        if listed[i] or _has_words(blocks[i].text, HEADER_MAX_WORDS):
            break
        header.add(i)
    return header


def _title_rows(texts: list[str], title: str) -> set[int]:
    """Lines that repeat the headline (equal up to normalise_line). Most lines are told apart before they
    are normalised: by length, then by the headline's longest word without a number, which a line equal
    to it contains once in NFKC form and case-folded (normalising then changes only numbers, spaces and
    the line's ends)."""
    normalised = _normalised_title(title)
    word = max((w for w in normalised.split() if "0" not in w), key=len, default="")
    shortest, longest = len(title) - SAME_TEXT_SLACK, len(title) + SAME_TEXT_SLACK
    return {
        i
        for i, text in enumerate(texts)
        if shortest <= len(text) <= longest
        and word in unicodedata.normalize("NFKC", text).casefold()
        and normalise_line(text) == normalised
    }


def _share_bar(text: str) -> bool:
    """One long token of several capitalised words run together ("FacebookXPinterestEmailShare"): the
    text of a row of share or follow buttons, which the classifier may let through inside the article
    because such rows sit between paragraphs. No sentence of prose looks like this."""
    if len(text) < SHARE_BAR_MIN_CHARS or not text.isalpha():
        return False
    return sum(1 for a, b in pairwise(text) if a.islower() and b.isupper()) >= 2


@lru_cache(maxsize=64)
def _normalised_title(title: str) -> str:
    return normalise_line(title)
