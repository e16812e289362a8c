"""The compiled shape features of lines agree with their definitions written with Python's own string
methods, on lines that mix scripts, cases, edge punctuation, bullets, links and characters beyond the
Basic Multilingual Plane."""

from __future__ import annotations

import math
import random
import re
from itertools import groupby

import numpy as np
import pytest

from workers.blocks import CLOCK, LOCAL_FEATURES, NUMERIC_DATE, Block, local_features
from workers.line_features import (
    BULLET_CHARS,
    CACHED_COUNTS,
    CJK_RANGES,
    CLOSERS,
    DATE_LINE_MAX_CHARS,
    EDGE_PUNCT,
    FINAL_STOPS,
    HASH_BASE,
    HEAD_COLON_CHARS,
    LOG_COLUMNS,
    QUOTES,
    SENTENCE_ENDERS,
    SEPARATOR_CHARS,
    SHAPE_FEATURES,
    SK_DIGIT,
    SK_LETTER,
    SK_OTHER,
    SK_SPACE,
    SK_UPPER,
    LineShapes,
    _in_stop_table,
    count_logs,
    line_shapes,
    stop_table,
    word_hash,
)

STOPS = frozenset({"the", "of", "und", "le", "的", "の"})
# a few of every kind of character the features tell apart
ALPHABET = (
    "abcxyzABCXYZéÉßİıǅ ΣσςДд0123456789٣,.;:!?…@w/"
    + EDGE_PUNCT
    + SEPARATOR_CHARS
    + QUOTES
    + BULLET_CHARS
    + "東京的の会議한국😀𝐀\u200b\u00ad"
)
# whole lines in the shapes that the features single out
SHAPES = [
    "• First point of the list",
    "1. Interlagos",
    "12) Curitiba",
    "Visit www.example.com today",
    "https://example.com/story",
    "Follow @newsroom",
    "Related: Bridge closes for repairs",
    "Anna says:",
    "The harbour at dawn (Photo: J. Smith)",
    "«The» ÉCOLE of Paris, iPhone 3 — l'été",
    "He said it would end soon…”",
    "Read more [...]",
    "THE WORLD TODAY",
    "iPhone FacebookXPinterest USA",
    "東京で会議が開かれた。",
    "...",
    "”",
]


def _cjk(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in CJK_RANGES)


def _counts(line: str) -> dict[str, int]:
    """The counts whose logarithms the LOG_COLUMNS hold, by their definitions, for characters beyond the
    Basic Multilingual Plane read as U+FFFF (no letter, no case), as the compiled pass reads them."""
    text = "".join(ch if ord(ch) <= 0xFFFF else "\uffff" for ch in line)
    raw = text.split()
    words = [w for w in (w.strip(EDGE_PUNCT) for w in raw) if w]
    return {
        "log_chars": len(text),
        "log_words": len(words) + sum(map(_cjk, text)),
        "camel": sum(w != w.upper() and w[1:] != w[1:].lower() for w in raw),
        "separators": sum(ch in SEPARATOR_CHARS for ch in text),
    }


def _expected(line: str) -> dict[str, float]:
    """The shape features of one line by their definitions, read as _counts reads them."""
    text = "".join(ch if ord(ch) <= 0xFFFF else "\uffff" for ch in line)
    raw = text.split()
    words = [w for w in (w.strip(EDGE_PUNCT) for w in raw) if w]
    counts = _counts(line)
    n_words = counts["log_words"]
    stops = sum(w.lower() in STOPS for w in words) + sum(_cjk(ch) and ch in STOPS for ch in text)
    alpha = max(sum(w.isalpha() for w in words), 1)
    end = text.rstrip(CLOSERS)[-1:]
    colon = text.find(":")
    return {
        "log_words": math.log1p(n_words),
        "stop_ratio": stops / max(n_words, 1),
        "cap_ratio": sum(w[0].isupper() for w in words) / alpha,
        "caps_words": sum(w.isupper() for w in words) / alpha,
        "camel": math.log1p(counts["camel"]),
        "punct_ratio": (len(text) - sum(map(len, words)) - len(raw) + 1) / len(text),
        "digit_ratio": sum(ch in "0123456789" for ch in text) / len(text),
        "separators": math.log1p(counts["separators"]),
        "commas_per_word": text.count(",") / max(n_words, 1),
        "cjk_ratio": sum(map(_cjk, text)) / len(text),
        "quote": any(ch in QUOTES for ch in text),
        "sentence_end": end in SENTENCE_ENDERS and end != "",
        "final_stop": end in FINAL_STOPS and end != "",
        "truncated": text.rstrip(CLOSERS).endswith(("...", "…", "[…]", "[...]")),
        "bullet": (text[:1] in BULLET_CHARS and text[1:2] == " ")
        or re.match(r"\d{1,2}[.)] ", text) is not None,
        "linkish": any(mark in text for mark in ("www.", "://", "@")),
        "all_caps": text.isupper(),
        "starts_lower": text[0].islower(),
        "ends_colon": text.endswith(":"),
        "head_colon": 0 <= colon < min(HEAD_COLON_CHARS, len(text) - 1),
        "ends_paren": text.endswith(")"),
    }


def _features(lines: list[str]) -> np.ndarray:
    return local_features([Block(i, text, True, True) for i, text in enumerate(lines)], STOPS)


def _random_line(rng: random.Random) -> str:
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))
    return " ".join(text.split()) or "x"


@pytest.mark.parametrize("seed", range(5))
def test_shape_features_agree_with_their_definitions(seed: int) -> None:
    rng = random.Random(seed)
    lines = [_random_line(rng) for _ in range(60)] + SHAPES
    features = _features(lines)
    for i, line in enumerate(lines):
        expected = _expected(line)
        got = {name: features[i, LOCAL_FEATURES.index(name)] for name in expected}
        assert got == pytest.approx({name: float(value) for name, value in expected.items()}, abs=1e-12), line


@pytest.mark.parametrize("seed", range(3))
def test_logarithms_of_counts_are_numpys_to_the_bit(seed: int) -> None:
    """The model's bin edges are quantiles of values numpy took: the compiled pass looks its logarithms
    up in count_logs, which must hold numpy's log1p of each count exactly, however long the line."""
    rng = random.Random(seed)
    lines = [_random_line(rng) for _ in range(60)] + SHAPES + ["word " * 700 + "end"]
    features = _features(lines)
    names = [SHAPE_FEATURES[k] for k in LOG_COLUMNS]
    counts = np.array([[_counts(line)[name] for name in names] for line in lines], dtype=float)
    assert np.array_equal(features[:, LOG_COLUMNS].view(np.uint64), np.log1p(counts).view(np.uint64))
    for most in (0, 1023, 1024, 5000, CACHED_COUNTS, 3 * CACHED_COUNTS):
        logs = count_logs(most)
        assert len(logs) > most and np.array_equal(logs, np.log1p(np.arange(len(logs), dtype=float)))


def test_only_tables_of_logarithms_for_ordinary_pages_are_kept() -> None:
    """A 2 MB page's table (16 MB) is made for it alone; an ordinary page's is made once per process."""
    assert count_logs(5000) is count_logs(6000)
    assert count_logs(4 * CACHED_COUNTS) is not count_logs(4 * CACHED_COUNTS)


def _skeleton_code(ch: str) -> int:
    """A character's class in a skeleton (see LineShapes.skeleton); one beyond the Basic Multilingual
    Plane is read as U+FFFF reads, as no letter, digit or space."""
    if ord(ch) > 0xFFFF:
        return ord(ch) + SK_OTHER
    if ch.isalpha():
        return SK_UPPER if ch.isupper() else SK_LETTER
    if ch.isdecimal():
        return SK_DIGIT
    return SK_SPACE if ch.isspace() else ord(ch) + SK_OTHER


def _shapes(lines: list[str]) -> LineShapes:
    cp = np.frombuffer("\n".join(lines).encode("utf-32-le"), dtype=np.uint32)
    return line_shapes(cp, STOPS, np.zeros((len(lines), len(SHAPE_FEATURES))))


@pytest.mark.parametrize("seed", range(5))
def test_words_skeletons_and_marks_agree_with_their_definitions(seed: int) -> None:
    """The word hashes (the words of each line, stripped of edge punctuation, each hashed by word_hash),
    the skeletons (the polynomial hash of the line's runs of character classes) and the marked lines."""
    rng = random.Random(seed)
    lines = [_random_line(rng) for _ in range(60)] + SHAPES
    shapes = _shapes(lines)
    words = [[w for w in (w.strip(EDGE_PUNCT) for w in line.split()) if w] for line in lines]
    assert shapes.word_hash.tolist() == [word_hash(w) for line_words in words for w in line_words]
    assert shapes.word_line.tolist() == [i for i, line_words in enumerate(words) for _ in line_words]
    for i, line in enumerate(lines):
        runs = [code for code, _ in groupby(map(_skeleton_code, line))]
        skeleton = sum(code * pow(HASH_BASE, k, 1 << 64) for k, code in enumerate(runs)) % (1 << 64)
        bmp = "".join(ch if ord(ch) <= 0xFFFF else "\uffff" for ch in line)
        assert int(shapes.skeleton[i]) == skeleton, line
        assert shapes.marked[i] == any(not (ch.isalpha() or ch.isspace()) for ch in bmp), line


@pytest.mark.parametrize("seed", range(3))
def test_lines_are_found_in_the_code_points(seed: int) -> None:
    """Each line's start and length among the page's code points (a character beyond the Basic
    Multilingual Plane, or a lone surrogate, is one)."""
    rng = random.Random(seed)
    lines = [_random_line(rng) for _ in range(80)] + ["\ud800 lone"]
    cp = np.frombuffer("\n".join(lines).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    shapes = line_shapes(cp, STOPS, np.zeros((len(lines), len(SHAPE_FEATURES))))
    assert shapes.lengths.tolist() == [len(line) for line in lines]
    assert shapes.starts.tolist() == [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]


def test_a_line_holding_a_newline_is_refused() -> None:
    """The lines are found at the newlines: more or fewer of them than rows is an error, not a shift of
    every feature after it."""
    cp = np.frombuffer("one\ntwo\nthree".encode("utf-32-le"), dtype=np.uint32)
    for rows in (2, 4):
        with pytest.raises(ValueError):
            line_shapes(cp, STOPS, np.zeros((rows, len(SHAPE_FEATURES))))


def test_the_stop_table_holds_exactly_its_words() -> None:
    """Many short words, so that their slots collide and the search goes on past them, around the end."""
    rng = random.Random(0)
    words = {"".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 4))) for _ in range(600)}
    stops = frozenset(sorted(words)[::2])
    table, free = stop_table(stops)
    for word in sorted(words):
        assert _in_stop_table(table, free, np.uint64(word_hash(word))) == (word in stops), word
    assert not _in_stop_table(table, free, free)


def test_lines_of_each_shape_are_singled_out() -> None:
    """The reference above would agree with features that are always zero: these lines have the shape."""
    features = _features(SHAPES)
    column = {name: features[:, LOCAL_FEATURES.index(name)].tolist() for name in LOCAL_FEATURES}
    assert [SHAPES[i] for i in np.flatnonzero(column["bullet"])] == SHAPES[:3]
    assert [SHAPES[i] for i in np.flatnonzero(column["linkish"])] == SHAPES[3:6]
    assert [SHAPES[i] for i in np.flatnonzero(column["truncated"])] == [SHAPES[10], SHAPES[11], "..."]
    assert column["all_caps"][12] == 1.0 and column["camel"][13] == pytest.approx(math.log1p(2))


def test_a_short_first_line_is_not_read_past_its_start() -> None:
    """Two dots are no ellipsis, even with the page's last character a dot before them in memory."""
    features = _features(["..", "Wait."])
    assert features[:, LOCAL_FEATURES.index("truncated")].tolist() == [0.0, 0.0]


def test_lines_of_one_shape_share_a_skeleton() -> None:
    """A template's lines differ in their words and figures, not in their shape."""
    lines = [
        "anna says:",
        "jbaxt says:",
        "November 19, 2019 at 6:34 am",
        "December 2, 2019 at 11:05 pm",
        "Rating: 36 Votes",
        "Anna says:",
        "anna says;",
    ]
    skeleton = _shapes(lines).skeleton.tolist()
    assert skeleton[0] == skeleton[1] and skeleton[2] == skeleton[3]
    assert len(set(skeleton[1:])) == len(lines) - 2


# The date, clock and year shapes as regular expressions (workers.blocks' NUMERIC_DATE and CLOCK, and
# the year standing alone), which the compiled pass must agree with.
YEAR = re.compile(r"(?:19|20)(?<!\w\d\d)\d{2}\b")
DATE_SHAPES = {"date_shape": NUMERIC_DATE, "clock": CLOCK, "year": YEAR}
# digits of several scripts (ASCII, Arabic-Indic, mathematical bold beyond the BMP); characters that are
# word characters but no digits ("²", an ideograph beyond the BMP, "_"); the separators the shapes use
DIGITS_OF = ("0123456789", "٠١٢٣٤٥٦٧٨٩", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")
OTHERS = [*"-/.:h a²_", "𠀀", "19", "20"]
DATED = [
    ("2023-06-18", {"date_shape", "year"}),
    ("18/06/2023", {"date_shape", "year"}),
    ("6.18.23", {"date_shape", "clock"}),  # "6.18" reads as a time too
    ("Updated 10:24 AM", {"clock"}),
    ("9h30", {"clock"}),
    ("© 2019 Example", {"year"}),
    ("2023.06.188", {"year"}),  # no date: after four digits, the last run has one or two
    ("No. 5 at ١٠:٣٠", {"clock"}),  # read for its ASCII digit, timed by its Arabic-Indic ones
]
UNDATED = ["12:345", "06-18-2023x", "x2019", "20234", "1/2/3", "123-45-67", "2019²", "_10:24"]


def _random_dated_line(rng: random.Random) -> str:
    """Runs of one to five digits of one script between separators, letters and other word characters."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            digits = rng.choice(DIGITS_OF)
            parts.append("".join(rng.choice(digits) for _ in range(rng.randint(1, 5))))
        else:
            parts.append(rng.choice(OTHERS))
    return " ".join("".join(parts).split()) or "1"


@pytest.mark.parametrize("seed", range(5))
def test_date_shapes_agree_with_their_regular_expressions(seed: int) -> None:
    rng = random.Random(seed)
    lines = [_random_dated_line(rng) for _ in range(400)]
    lines += [line for line, _ in DATED] + UNDATED + ["On 2023-06-18 " + "the council met again " * 9]
    features = _features(lines)
    for i, line in enumerate(lines):
        read = any(ch in "0123456789" for ch in line) and len(line) < DATE_LINE_MAX_CHARS
        expected = {
            name: float(read and pattern.search(line) is not None) for name, pattern in DATE_SHAPES.items()
        }
        got = {name: features[i, LOCAL_FEATURES.index(name)] for name in DATE_SHAPES}
        assert got == expected, line


def test_dates_clock_times_and_years_are_found() -> None:
    """The agreement above holds for features that are always zero too: these lines have the shapes."""
    features = _features([line for line, _ in DATED] + UNDATED)
    found = [{name for name in DATE_SHAPES if row[LOCAL_FEATURES.index(name)]} for row in features]
    assert found == [shapes for _, shapes in DATED] + [set()] * len(UNDATED)
