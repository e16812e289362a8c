"""The compiled per-line counts agree with what Python's own string methods say of each line, on lines
that mix scripts, cases, edge punctuation and characters beyond the Basic Multilingual Plane."""

from __future__ import annotations

import random

import numpy as np
import pytest

from workers.line_counts import (
    BULLET_CHARS,
    CJK_RANGES,
    EDGE_PUNCT,
    QUOTES,
    SEPARATOR_CHARS,
    LineCounts,
    count_lines,
    word_hash,
)

STOPS = frozenset({"the", "of", "und", "le", "的", "の"})
# a few of every kind of character the counts tell apart
ALPHABET = (
    "abcxyzABCXYZéÉßİıǅ ΣσςДд0123456789٣,.;:!?…"
    + EDGE_PUNCT
    + SEPARATOR_CHARS
    + QUOTES
    + BULLET_CHARS
    + "東京的の会議한국😀𝐀\u200b\u00ad"
)


def _cjk(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in CJK_RANGES)


def _expected(line: str) -> dict[str, int]:
    """The counts of one line, by their definitions in LineCounts, for characters beyond the Basic
    Multilingual Plane read as U+FFFF (no letter, no case), as the tables read them."""
    text = "".join(ch if ord(ch) <= 0xFFFF else "\uffff" for ch in line)
    raw = text.split()
    stripped = [w.strip(EDGE_PUNCT) for w in raw]
    words = [w for w in stripped if w]
    return {
        "digits": sum(ch in "0123456789" for ch in text),
        "commas": text.count(","),
        "separators": sum(ch in SEPARATOR_CHARS for ch in text),
        "quotes": sum(ch in QUOTES for ch in text),
        "cjk": sum(map(_cjk, text)),
        "words": len(words),
        "stops": sum(w.lower() in STOPS for w in words) + sum(_cjk(ch) and ch in STOPS for ch in text),
        "alpha": sum(w.isalpha() for w in words),
        "first_upper": sum(w[0].isupper() for w in words),
        "camel": sum(w != w.upper() and w[1:] != w[1:].lower() for w in raw),
        "upper": sum(w.isupper() for w in words),
        "word_chars": sum(map(len, words)),
        "raw_words": len(raw),
        "marked": sum(not ch.isalpha() and not ch.isspace() for ch in text),
    }


def _counts(lines: list[str]) -> LineCounts:
    joined = "\n".join(lines)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.array([len(line) for line in lines], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1] + 1))).astype(np.int64)
    return count_lines(cp, starts, lengths, STOPS)


def _random_line(rng: random.Random) -> str:
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))
    return " ".join(text.split()) or "x"


@pytest.mark.parametrize("seed", range(5))
def test_counts_agree_with_python_string_methods(seed: int) -> None:
    rng = random.Random(seed)
    lines = [_random_line(rng) for _ in range(60)] + ["The ÉCOLE of «Paris», iPhone 3 — l'été 東京の会議"]
    counts = _counts(lines)
    for i, line in enumerate(lines):
        got = {name: int(getattr(counts, name)[i]) for name in _expected(line)}
        assert got == _expected(line), line


def test_each_word_is_hashed_lower_cased_without_its_edge_punctuation() -> None:
    counts = _counts(["«The» UND, ...", "le 😀x"])
    words = ["the", "und", "le", "😀x"]
    assert counts.word_hash.tolist() == [word_hash(w) for w in words]
    assert counts.word_line.tolist() == [0, 0, 1, 1]
