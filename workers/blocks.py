"""Text-mode chrome stripping: page text → blocks → features → learned keep/drop scores.

A scraped news page is mostly one contiguous region of prose (the article) with page furniture around
and inside it: menus, teasers, share bars, captions, timestamps. No single rule separates them on pages
from unseen sites, so every block gets a vector of language-independent shape features (length,
punctuation, stop-word density for the page's own language, capitalisation, digits, date shapes,
truncation marks, CamelCase share bars) plus context features (neighbours, position, distance to the
densest run of prose). A logistic model, trained by ``bench/train_blocks.py`` and shipped as
``workers/data/blocks_model.json``, scores them; smoothing along the page then keeps the article as one
region (the densest run of high scores) and drops stray high scores outside it. Scoring needs only
numpy, so the runtime never imports scikit-learn.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cache
from itertools import filterfalse, repeat
from operator import itemgetter
from pathlib import Path

import numpy as np
import py3langid
from wordfreq import top_n_list

MODEL_PATH = Path(__file__).parent / "data" / "blocks_model.json"

# How many of a language's most frequent words count as its stop words: enough to cover the function
# words that make up ~40 % of running prose in most languages, few enough to leave out content words.
STOP_WORDS_PER_LANGUAGE = 100
# Characters of the page's longest lines fed to language detection: detection cost grows with length and
# a few hundred characters of prose identify the language reliably.
LANGUAGE_SAMPLE_CHARS = 400

WORD = re.compile(r"\w+")
BULLET = re.compile(r"(?:[•·▪►▸‣◦*–—-]|\d{1,2}[.)]) ")
NUMERIC_DATE = re.compile(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b")
CLOCK = re.compile(r"\b\d{1,2}[:h.]\d{2}\b(?:[ ]?[aApP]\.?[mM]\.?)?")
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Chinese and Japanese write no spaces: each Han or Kana character counts as a word, so that length,
# word-count and stop-word features mean roughly the same thing as in spaced scripts.
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+")

LOCAL_FEATURES = (
    "log_chars",
    "log_words",
    "sentence_end",
    "final_stop",
    "truncated",
    "bullet",
    "stop_ratio",
    "cap_ratio",
    "digit_ratio",
    "date_shape",
    "clock",
    "year",
    "short_with_number",
    "camel",
    "separators",
    "linkish",
    "all_caps",
    "commas_per_word",
    "mean_word_len",
    "punct_ratio",
    "short",
    "prose_like",
    "long_prose",
    "quote",
    "starts_lower",
    "cjk_ratio",
    "caps_words",
    # page-dependent, filled in by local_features, not _line_shape:
    "blank_before",
    "blank_after",
    "repeated",
    "neighbour_overlap",
)
CONTEXT_FEATURES = (
    "position",
    "first_tenth",
    "last_tenth",
    "log_tight_run",
    "short_share_w3",
    "prose_share_w1",
    "prose_share_w3",
    "in_dense_run",
    "log_dist_dense_run",
    "before_dense_run",
    "after_dense_run",
    "prose_enclosed_3",
    "prose_enclosed_10",
    "rel_log_chars",
)
NEIGHBOUR_FEATURES = ("log_words", "sentence_end", "stop_ratio", "prose_like", "short", "truncated", "camel")


@dataclass(frozen=True)
class Block:
    """One non-empty line of the page; blank lines are kept only as separators (paragraph breaks)."""

    line_no: int
    text: str
    blank_before: bool
    blank_after: bool


def segment(raw: str) -> list[Block]:
    """Split page text into blocks, one per non-empty line, remembering blank-line separation because
    article paragraphs are usually blank-separated while menus are runs of tight lines."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    stripped = [" ".join(line.split()) for line in lines]
    blocks = []
    for i, text in enumerate(stripped):
        if not text:
            continue
        before = i == 0 or not stripped[i - 1]
        after = i == len(stripped) - 1 or not stripped[i + 1]
        blocks.append(Block(i, text, before, after))
    return blocks


def detect_language(blocks: list[Block]) -> str:
    """ISO 639-1 code of the page's language, read from its longest lines (the prose, not the menus)."""
    longest = sorted((b.text for b in blocks), key=len, reverse=True)
    sample = " ".join(longest[:3])[:LANGUAGE_SAMPLE_CHARS]
    lang, _ = py3langid.classify(sample)
    return str(lang)


_LOCAL_INDEX = {name: i for i, name in enumerate(LOCAL_FEATURES)}


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The language's most frequent words (wordfreq knows ~40 languages); empty when it has no list, so
    the stop-word feature is simply uninformative for that page instead of failing."""
    try:
        words = top_n_list(lang, STOP_WORDS_PER_LANGUAGE)
    except LookupError:
        return frozenset()
    return frozenset(w for w in words if w.isalpha())


# Characters stripped from the edges of whitespace-separated words before looking them up.
_EDGE_PUNCT = "\"'“”‘’«»„()[]{}.,;:!?…-–—|/*•·"
_SENTENCE_ENDERS = frozenset(".!?。！？…:;")
_FINAL_STOPS = frozenset(".!?。！？")
_CLOSERS = "\"'”’»)]"
_TRUNCATIONS = ("...", "…", "[…]", "[...]")
_DIGITS = "0123456789"
_QUOTES = '"“”«»„'
_SEPARATOR_CHARS = "|•·»›/"


def _line_features(text: str, stops: frozenset[str]) -> tuple[float, ...]:
    """Local features of one line, in LOCAL_FEATURES order up to the page-dependent ones. Built from
    str methods rather than regular expressions: Python's regex engine scans a character class at
    ~80 ns per character, which alone would exceed the time budget for a page."""
    n_chars = len(text)
    raw_words = text.split()
    words = [w for w in map(str.strip, raw_words, repeat(_EDGE_PUNCT)) if w]
    n_cjk = len(CJK.findall(text)) if not text.isascii() else 0
    n_words = len(words) + n_cjk
    safe_words = n_words or 1
    n_alpha = sum(map(str.isalpha, words)) or 1
    n_stop = sum(map(stops.__contains__, map(str.lower, words)))
    if n_cjk:
        n_stop += sum(map(text.count, (w for w in stops if len(w) == 1 and CJK.match(w))))
    stop_ratio = n_stop / safe_words
    digits = sum(map(text.count, _DIGITS))
    word_chars = sum(map(len, words))
    end = text.rstrip(_CLOSERS)[-1:]
    sentence_end = end in _SENTENCE_ENDERS
    short_with_digits = digits > 0 and n_chars < 200
    return (
        math.log1p(n_chars),
        math.log1p(n_words),
        float(sentence_end),
        float(end in _FINAL_STOPS),
        float(truncated(text)),
        float(bool(BULLET.match(text))),
        stop_ratio,
        sum(map(str.isupper, map(itemgetter(0), words))) / n_alpha,
        digits / n_chars,
        float(short_with_digits and bool(NUMERIC_DATE.search(text))),
        float(short_with_digits and bool(CLOCK.search(text))),
        float(short_with_digits and bool(YEAR.search(text))),
        float(n_words <= 6 and digits > 0 and not sentence_end),
        math.log1p(sum(map(is_camel, filterfalse(str.islower, raw_words)))),
        math.log1p(sum(map(text.count, _SEPARATOR_CHARS))),
        float("www." in text or "://" in text or "@" in text),
        float(text.isupper()),
        text.count(",") / safe_words,
        word_chars / safe_words / 10.0,
        (n_chars - word_chars - len(raw_words) + 1) / n_chars,
        float(n_words <= 3),
        float(n_words >= 10 and stop_ratio >= 0.15),
        float(n_words >= 25 and sentence_end),
        float(any(map(text.__contains__, _QUOTES))),
        float(text[0].islower()),
        n_cjk / n_chars,
        sum(map(str.isupper, words)) / n_alpha,
    )


def has_digit(text: str) -> bool:
    """Whether text contains an ASCII digit (str.count is much cheaper than a regex scan)."""
    return any(map(text.__contains__, _DIGITS))


def final_stop(text: str) -> bool:
    """Whether text ends like a sentence (full stop, question or exclamation mark, maybe quoted)."""
    return text.rstrip(_CLOSERS)[-1:] in _FINAL_STOPS


def truncated(text: str) -> bool:
    """Whether text ends in a truncation mark ("…", "...", "[…]"), as cut teasers do."""
    return text.rstrip(_CLOSERS).endswith(_TRUNCATIONS)


def is_camel(word: str) -> bool:
    """Upper case after the first letter of a word that also has lower case ("FacebookXPinterestEmail",
    "AthleteA"): words or links run together."""
    rest = word[1:]
    return rest.lower() != rest and word.upper() != word


def local_features(blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
    """Matrix (blocks × LOCAL_FEATURES) of what each line looks like on its own."""
    texts = [b.text for b in blocks]
    counts = Counter(texts)
    vocab = [frozenset(t.lower().split()) for t in texts]
    rows = [
        (
            *_line_features(t, stops),
            float(b.blank_before),
            float(b.blank_after),
            float(counts[t] > 1),
            _neighbour_overlap(vocab, i),
        )
        for i, (t, b) in enumerate(zip(texts, blocks, strict=True))
    ]
    return np.array(rows, dtype=np.float64)


def _neighbour_overlap(vocab: list[frozenset[str]], i: int) -> float:
    """Largest share of block i's words found in the previous or next block: a photo caption shown
    twice, or a teaser headline followed by its own summary, repeats its neighbour's words."""
    words = vocab[i]
    if not words:
        return 0.0
    best = 0
    for j in (i - 1, i + 1):
        if 0 <= j < len(vocab):
            best = max(best, len(words & vocab[j]))
    return best / len(words)


def densest_run(weights: np.ndarray) -> tuple[int, int]:
    """Bounds [start, end] of the contiguous stretch with the largest total weight (Kadane): with prose
    weighted positive and furniture negative, that stretch is where the article sits."""
    best, best_start, best_end = -math.inf, 0, 0
    total, start = 0.0, 0
    for i, w in enumerate(weights):
        if total <= 0:
            total, start = 0.0, i
        total += float(w)
        if total > best:
            best, best_start, best_end = total, start, i
    return best_start, best_end


def _run_features(n: int, run: tuple[int, int]) -> np.ndarray:
    """Per-block inside/before/after flags and log distance to a dense run."""
    idx = np.arange(n)
    start, end = run
    dist = np.where(idx < start, start - idx, np.where(idx > end, idx - end, 0))
    return np.stack(
        [
            (dist == 0).astype(np.float64),
            np.log1p(dist),
            (idx < start).astype(np.float64),
            (idx > end).astype(np.float64),
        ],
        axis=1,
    )


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of values over a window of ±radius blocks, excluding the block itself (edges truncated)."""
    n = len(values)
    padded = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    total = padded[hi] - padded[lo] - values
    count = hi - lo - 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _enclosed(values: np.ndarray, radius: int) -> np.ndarray:
    """min(max of values over the radius blocks before, max over the radius blocks after): high for a
    list or a short line inside the article, which has article prose on both sides."""
    n = len(values)
    before = np.zeros(n)
    after = np.zeros(n)
    for k in range(1, min(radius, n - 1) + 1):
        before[k:] = np.maximum(before[k:], values[:-k])
        after[:-k] = np.maximum(after[:-k], values[k:])
    return np.minimum(before, after)


def _tight_runs(blocks: list[Block]) -> np.ndarray:
    """Length of the run of lines with no blank line between them that each block belongs to: menus and
    link lists are long tight runs, paragraphs are isolated. Zero on pages with no blank lines at all,
    where tightness says nothing."""
    n = len(blocks)
    if not any(b.blank_before for b in blocks[1:]):
        return np.zeros(n)
    run_id = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        tight = not blocks[i].blank_before and blocks[i].line_no == blocks[i - 1].line_no + 1
        run_id[i] = run_id[i - 1] + (0 if tight else 1)
    sizes = np.bincount(run_id)
    return sizes[run_id].astype(np.float64)


def _shift(values: np.ndarray, offset: int) -> np.ndarray:
    """values moved by offset blocks (positive: the previous block's value), zero-padded at the edges."""
    out = np.zeros_like(values)
    if offset > 0:
        out[offset:] = values[:-offset]
    else:
        out[:offset] = values[-offset:]
    return out


def block_features(blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
    """Local features of each block, of its two neighbours, and page-context features."""
    local = local_features(blocks, stops)
    n = len(blocks)
    idx = np.arange(n)
    position = idx / max(n - 1, 1)
    prose = local[:, _LOCAL_INDEX["prose_like"]]
    short = local[:, _LOCAL_INDEX["short"]]
    log_chars = local[:, _LOCAL_INDEX["log_chars"]]
    run = densest_run(np.where(prose > 0, np.expm1(log_chars), -40.0))
    context = np.column_stack(
        [
            position,
            (position < 0.1).astype(np.float64),
            (position > 0.9).astype(np.float64),
            np.log1p(_tight_runs(blocks)),
            _window_mean(short, 3),
            _window_mean(prose, 1),
            _window_mean(prose, 3),
            _run_features(n, run),
            _enclosed(prose, 3),
            _enclosed(prose, 10),
            log_chars - log_chars.max(),
        ]
    )
    neighbour_cols = [_LOCAL_INDEX[name] for name in NEIGHBOUR_FEATURES]
    prev = _shift(local[:, neighbour_cols], 1)
    nxt = _shift(local[:, neighbour_cols], -1)
    return np.hstack([local, context, prev, nxt])


def feature_names() -> list[str]:
    """Column names of block_features, for the model file and for inspecting weights."""
    names = list(LOCAL_FEATURES) + list(CONTEXT_FEATURES)
    return names + [f"prev_{n}" for n in NEIGHBOUR_FEATURES] + [f"next_{n}" for n in NEIGHBOUR_FEATURES]


@dataclass(frozen=True)
class Linear:
    """A standardised logistic regression: p = σ(((x - mean) / scale) · coef + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability that each row is article text."""
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Smoothing:
    """How block scores become keep decisions along the page. The article is one region: find the
    stretch of blocks whose scores most exceed ``run_level`` (each block weighted by its length to the
    power ``length_power``, so one long paragraph outweighs a few short teasers), widen it over adjacent
    blocks scoring at least ``edge`` (a closing sentence followed by furniture scores lower than the
    paragraphs before it), keep what scores at least ``inside`` within it, and outside it only what
    scores at least ``outside``."""

    run_level: float
    length_power: float
    edge: float
    inside: float
    outside: float

    def keep(self, scores: np.ndarray, blocks: list[Block]) -> np.ndarray:
        """Boolean keep decision per block."""
        chars = np.array([len(b.text) for b in blocks], dtype=np.float64)
        start, end = densest_run((scores - self.run_level) * chars**self.length_power)
        while start > 0 and scores[start - 1] >= self.edge:
            start -= 1
        while end < len(scores) - 1 and scores[end + 1] >= self.edge:
            end += 1
        idx = np.arange(len(blocks))
        inside = (idx >= start) & (idx <= end)
        return (inside & (scores >= self.inside)) | (scores >= self.outside)


@dataclass(frozen=True)
class BlockModel:
    """The trained scorer and the smoothing that turns its scores into decisions."""

    linear: Linear
    smoothing: Smoothing

    def score(self, blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
        """Probability that each block is article text, judged block by block."""
        return self.linear.predict(block_features(blocks, stops))

    def keep(self, blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
        """Boolean keep decision per block, after smoothing along the page."""
        return self.smoothing.keep(self.score(blocks, stops), blocks)

    def to_json(self) -> dict:
        """The shipped form: feature names, standardisation, weights and smoothing parameters."""
        lin = self.linear
        return {
            "about": "Text-mode block classifier, written by bench/train_blocks.py",
            "features": feature_names(),
            "mean": lin.mean.round(6).tolist(),
            "scale": lin.scale.round(6).tolist(),
            "coef": lin.coef.round(6).tolist(),
            "intercept": round(lin.intercept, 6),
            "smoothing": asdict(self.smoothing),
        }

    @classmethod
    def from_json(cls, d: dict) -> BlockModel:
        """Inverse of to_json; refuses a file trained with another feature list."""
        if d["features"] != feature_names():
            raise ValueError("blocks model was trained with other features; rerun bench/train_blocks.py")
        mean, scale, coef = (np.array(d[key]) for key in ("mean", "scale", "coef"))
        linear = Linear(mean, scale, coef, float(d["intercept"]))
        return cls(linear, Smoothing(**d["smoothing"]))


@cache
def load_model(path: Path = MODEL_PATH) -> BlockModel:
    """The shipped model, read once per process."""
    return BlockModel.from_json(json.loads(path.read_text(encoding="utf-8")))
