"""Smoothing.keep's compiled parts against their plain definitions: the keep decisions as numpy and
Python computed them before the loops were compiled (``_plain_keep`` and its helpers below, written as
that code was), on random pages built to hold every shape that keep treats apart (lists announced by a
colon, numbered lists, tables, headlines shown twice, comment threads, known and inline furniture) and
on the dev slice's pages as the model scores them; and what _keep_marks reads in each line against the
string methods and regular expressions that define it."""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from prose import PROSE_DE, PROSE_EN

from workers.blocks import (
    ENDS_IN_COMMA,
    ENDS_SENTENCE,
    LIST_INTRO_WORDS,
    LIST_ITEMS_LEVEL,
    MAY_ANNOUNCE,
    NUMBERED_ITEM_GAP,
    NUMBERED_MIN_ITEMS,
    REPEATED_RUN_LINES,
    REPEATED_RUN_WORDS,
    TABLE_MIN_LINES,
    TABLE_NUMBERS_SHARE,
    THREAD_MIN_FOLLOWING,
    WHOLE_SENTENCE_CHARS,
    WHOLE_SENTENCE_LEVEL,
    WRAPPED_SENTENCE_LINES,
    Block,
    Smoothing,
    _keep_marks,
    _number_cell,
    _wrapped_sentence,
    densest_run,
    final_stop,
    load_model,
    numbered_lists,
    segment,
)
from workers.line_features import char_tables

DEV_SLICE = Path(__file__).resolve().parent / "data" / "dev-slice.jsonl.gz"
SMOOTHING = Smoothing(run_level=0.5, length_power=0.5, edge=1.01, inside=0.1, outside=1.01)
_NUMBERED_ITEM = re.compile(r"(\d{1,3})(?:[.)]|st|nd|rd|th|er|re|e|ème|a|o|º|ª) ")
_NUMBER_START = re.compile(r"[\d.,%]")


def _plain_tight_run_ids(blocks: list[Block]) -> np.ndarray:
    run_ends = np.array([b.blank_after for b in blocks], dtype=np.int64)
    return np.concatenate(([0], np.cumsum(run_ends[:-1]))).astype(np.int64)


def _plain_repeated_runs(texts: list[str]) -> np.ndarray:
    n = len(texts)
    found = np.zeros(n, dtype=bool)
    counts = Counter(texts)
    repeated = {
        t for t, c in counts.items() if c > 1 and t.count(" ") >= REPEATED_RUN_WORDS - 1 and not final_stop(t)
    }
    offset = np.zeros(n, dtype=np.int64)
    last: dict[str, int] = {}
    for i, text in enumerate(texts):
        if text in repeated:
            if text in last:
                offset[last[text]] = i - last[text]
            last[text] = i
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(offset)) + 1, [n])).tolist()
    for start, end in pairwise(bounds):
        if offset[start] and end - start >= REPEATED_RUN_LINES:
            found[start:end] = True
            found[start + offset[start] : end + offset[start]] = True
    return found


def _plain_introduced_lists(
    blocks: list[Block], scores: np.ndarray, level: float, run: np.ndarray
) -> np.ndarray:
    intro = np.full(len(blocks), -1)
    for i, b in enumerate(blocks):
        if not (b.text.endswith(":") and scores[i] >= level and b.text.count(" ") + 1 >= LIST_INTRO_WORDS):
            continue
        first = i + 1
        if first == len(blocks) or (b.blank_after and blocks[first].blank_after):
            continue
        last = int(np.flatnonzero(run == run[first])[-1])
        items = [x.text for x in blocks[first : last + 1]]
        goes_on = last + 1 < len(blocks) and scores[last + 1] >= level
        if (
            np.median(scores[first : last + 1]) >= LIST_ITEMS_LEVEL
            or sum(map(_number_cell, items)) / len(items) >= TABLE_NUMBERS_SHARE
            or goes_on
        ):
            intro[first : last + 1] = i
    return intro


def _plain_numbered_lists(blocks: list[Block]) -> np.ndarray:
    lists: list[list[int]] = []
    for i, b in enumerate(blocks):
        if (m := _NUMBERED_ITEM.match(b.text)) is None:
            continue
        number = int(m[1])
        items = lists[-1] if lists else []
        if items and number == len(items) + 1 and i - items[-1] <= NUMBERED_ITEM_GAP:
            items.append(i)
        elif number == 1:
            lists.append([i])
    numbered = np.full(len(blocks), -1)
    for items in lists:
        if len(items) >= NUMBERED_MIN_ITEMS:
            numbered[items[0] : items[-1] + 1] = items[0]
    return numbered


def _plain_tables(texts: list[str], run: np.ndarray) -> np.ndarray:
    lines = np.bincount(run)
    numbers = np.array([_number_cell(t) for t in texts], dtype=float)
    cells = np.bincount(run, weights=numbers, minlength=len(lines))
    return ((lines >= TABLE_MIN_LINES) & (cells >= TABLE_NUMBERS_SHARE * lines))[run]


def _plain_in_lists_with(numbered: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    listed = numbered >= 0
    return listed & np.isin(numbered, numbered[flagged & listed])


def _plain_thread_start(keep: np.ndarray, thread_lines: np.ndarray) -> int | None:
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        return None
    dated = np.flatnonzero(thread_lines[kept[0] + 1 : kept[-1] + 1]) + kept[0] + 1
    return int(dated[0]) if len(dated) > THREAD_MIN_FOLLOWING else None


def _plain_wrapped_sentence(texts: list[str], evidence: np.ndarray, i: int) -> int | None:
    j = i
    while j < min(i + WRAPPED_SENTENCE_LINES, len(texts)) - 1 and texts[j][-1] in ",、，":
        j += 1
    whole = sum(len(t) for t in texts[i : j + 1]) >= WHOLE_SENTENCE_CHARS
    if j == i or not (whole and final_stop(texts[j])):
        return None
    return j if evidence[i : j + 1].mean() >= WHOLE_SENTENCE_LEVEL else None


def _plain_keep(
    s: Smoothing,
    scores: np.ndarray,
    blocks: list[Block],
    known: np.ndarray | None,
    thread_lines: np.ndarray | None,
    inline: np.ndarray | None,
) -> np.ndarray:
    texts = [b.text for b in blocks]
    chars = np.array([len(t) for t in texts], dtype=float)
    weights = (scores - s.run_level) * chars**s.length_power
    run = _plain_tight_run_ids(blocks)
    intro = _plain_introduced_lists(blocks, scores, s.run_level, run)
    listed = intro >= 0
    numbered = _plain_numbered_lists(blocks)
    read = _plain_in_lists_with(numbered, scores >= s.run_level)
    table = _plain_tables(texts, run)
    weights = np.where(listed | table | read, np.maximum(weights, 0.0), weights)
    weights = np.where(_plain_repeated_runs(texts), 0.0, weights)
    if inline is not None:
        weights = np.where(inline, 0.0, weights)
    evidence = scores
    if known is not None:
        weights = np.where(known, 0.0, weights)
        evidence = np.where(known, 0.0, scores)
    if evidence.max() < s.run_level:
        start = end = int(np.argmax(evidence))
    else:
        start, end = densest_run(weights)

    def joins(i: int) -> bool:
        return evidence[i] >= s.edge or (
            evidence[i] >= WHOLE_SENTENCE_LEVEL
            and len(texts[i]) >= WHOLE_SENTENCE_CHARS
            and final_stop(texts[i])
        )

    while start > 0 and joins(start - 1):
        start -= 1
    wrapped = np.zeros(len(blocks), dtype=bool)
    while end < len(scores) - 1:
        if joins(end + 1):
            end += 1
        elif (last := _plain_wrapped_sentence(texts, evidence, end + 1)) is not None:
            wrapped[end + 1 : last + 1] = True
            end = last
        else:
            break
    idx = np.arange(len(blocks))
    inside = (idx >= start) & (idx <= end)
    keep = (inside & (scores >= s.inside)) | (evidence >= s.outside) | wrapped
    keep |= inside & table & (evidence > 0)
    keep[listed] |= keep[intro[listed]] & (evidence[listed] > 0)
    keep |= _plain_in_lists_with(numbered, keep) & (evidence > 0)
    if thread_lines is not None and (cut := _plain_thread_start(keep, thread_lines)) is not None:
        keep[cut:] = False
        for i in np.flatnonzero(keep)[::-1]:
            if final_stop(texts[i]):
                break
            keep[i] = False
    return keep


HEADLINES = [
    "Council approves the new budget for schools",
    "Storm closes three roads in the valley",
    "Local team wins the regional final again",
    "What the new parking rules mean for you",
    "Ten places to eat in the old town",
]
LABELS = ["Home", "News", "Sport", "Share", "Read more", "Photo: City Hall", "Menu"]
CELLS = ["5040", "85%", "1.", "12,5", "0.3", "2024"]
WRAPPED = ["また、その他にも、", "もとの商品を販売する行為や、", "商標権侵害と判断される場合があります。"]


def _random_page(rng: random.Random) -> list[Block]:
    """A page of random pieces: prose, labels, lists announced by a colon, numbered lists, tables,
    headline widgets shown twice, timestamps, a sentence wrapped at its commas; most lines tight."""
    lines: list[str] = []
    tight: list[bool] = []  # whether the line is tight with the one before it
    for _ in range(rng.randint(3, 14)):
        kind = rng.randrange(9)
        if kind == 0:
            piece = rng.sample(PROSE_EN + PROSE_DE, rng.randint(1, 3))
        elif kind == 1:
            piece = rng.sample(LABELS, rng.randint(1, 5))
        elif kind == 2:
            piece = ["The rules allow the following foods:", *rng.sample(LABELS + CELLS, rng.randint(1, 5))]
        elif kind == 3:
            count = rng.randint(2, 5)
            piece = [
                f"{k + rng.choice((1, 1, 1, 2))}{rng.choice(('.', ')', 'st', 'º'))} {rng.choice(LABELS)}"
                for k in range(count)
            ]
        elif kind == 4:  # a run with a share of cells near TABLE_NUMBERS_SHARE
            size = rng.randint(5, 15)
            cells = round(size * rng.choice((0.1, 0.2, 0.3)))
            piece = rng.sample([*rng.choices(CELLS, k=cells), *rng.choices(LABELS, k=size - cells)], size)
        elif kind == 5:
            piece = rng.sample(HEADLINES, rng.randint(2, 5))
            piece = piece + rng.sample(LABELS, rng.randint(0, 2)) + piece
        elif kind == 6:
            piece = [f"November {rng.randint(1, 28)}, 2019 at 6:34 am", rng.choice(PROSE_EN)]
        elif kind == 7:
            piece = list(WRAPPED)
        else:  # a list announced inside another
            piece = ["The rules allow the following foods:", "And among the fruits these ones:", *LABELS[:3]]
        lines += piece
        tight += [False] + [rng.random() < 0.8 for _ in piece[1:]]
    blank = [not t for t in tight[1:]] + [True]
    return [Block(i, text, i == 0 or blank[i - 1], blank[i]) for i, text in enumerate(lines)]


def _random_flags(rng: random.Random, n: int, share: float) -> np.ndarray | None:
    if rng.random() < 0.3:
        return None
    return np.array([rng.random() < share for _ in range(n)], dtype=bool)


@pytest.mark.parametrize("seed", range(4))
def test_keep_decides_as_its_plain_definition_on_random_pages(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        blocks = _random_page(rng)
        n = len(blocks)
        if rng.random() < 0.2:  # no line reads like the article, and the best lines tie
            scores = np.array([rng.choice((0.0, 0.1, 0.2, 0.3)) for _ in range(n)])
        else:
            scores = np.array([rng.choice((rng.random(), rng.random() ** 4, 0.0, 1.0)) for _ in range(n)])
        smoothing = rng.choice((SMOOTHING, Smoothing(0.4, 0.7, 0.8, 0.2, 0.95)))
        known, inline = _random_flags(rng, n, 0.1), _random_flags(rng, n, rng.choice((0.1, 0.4)))
        # dated lines (timestamps) as thread lines, or random ones
        dated = np.array(["2019 at" in b.text for b in blocks])
        thread_lines = rng.choice((None, dated, _random_flags(rng, n, 0.3)))
        expected = _plain_keep(smoothing, scores, blocks, known, thread_lines, inline)
        assert smoothing.keep(scores, blocks, known, thread_lines, inline).tolist() == expected.tolist()


def _dev_pages() -> list[str]:
    rows = [json.loads(line) for line in gzip.decompress(DEV_SLICE.read_bytes()).decode().splitlines()]
    return [row["text"] for row in rows]


def test_keep_decides_as_its_plain_definition_on_the_dev_slice() -> None:
    from workers.clean import score_text

    load_model()
    for text in _dev_pages():
        page = score_text(text)
        if page.scores is None:
            continue
        expected = _plain_keep(SMOOTHING, page.scores, page.blocks, None, page.thread_lines, None)
        assert SMOOTHING.keep(page.scores, page.blocks, None, page.thread_lines).tolist() == expected.tolist()


def _code_points(texts: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _marks(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """_keep_marks of the lines, its number starts as flags, after checking the lengths it reads and
    the marks it gives against their definitions."""
    kinds, case, _ = char_tables()
    lengths, marks, number_starts, next_copy = _keep_marks(_code_points(texts), len(texts), kinds, case)
    assert lengths.tolist() == [len(t) for t in texts]
    for text, mark in zip(texts, marks.tolist(), strict=True):
        announces = text.endswith(":") and text.count(" ") + 1 >= LIST_INTRO_WORDS
        assert bool(mark & MAY_ANNOUNCE) == announces, text
        assert bool(mark & ENDS_SENTENCE) == final_stop(text), text
        assert bool(mark & ENDS_IN_COMMA) == (text[-1] in ",、，"), text
    number_start = np.zeros(len(texts), dtype=bool)
    number_start[number_starts] = True
    return number_start, next_copy


def _plain_next_copy(texts: list[str]) -> list[int]:
    def headline(text: str) -> bool:
        return text.count(" ") >= REPEATED_RUN_WORDS - 1 and not final_stop(text)

    return [
        next((j - i for j in range(i + 1, len(texts)) if texts[j] == text), 0) if headline(text) else 0
        for i, text in enumerate(texts)
    ]


EDGE_LINES = [
    "1. First item",
    "١. البند الأول",  # Arabic-Indic digit
    "１. 全角",  # fullwidth digit
    "𝟏. a digit beyond the Basic Multilingual Plane",
    "².5 is no decimal digit",
    "%s of it",
    ".5 of it",
    ",5 of it",
    "A list of three:",
    "Too short:",
    "No colon at all here",
    'He said "it is over."',
    'He said "it is over"',
    "It ends in brackets (really!)",
    "»«",
    "a b c x",
    "a b d x",  # the same length, first and last character as the line before
    "a b c x",
    "Three words here",
    "Three words here",
    "Three words here.",
    "x",
    "\U0001f600 \U0001f600 \U0001f600",
    "\U0001f600 \U0001f600 \U0001f600",
    "\ud800 lone surrogate here",
    "\ud800 lone surrogate here",
    "末尾に句点。",
    "読点で終わる、",
    "ends in a comma,",
    "词 语 在 这里",
]


def _random_lines(rng: random.Random) -> list[str]:
    pool = EDGE_LINES + HEADLINES + LABELS + CELLS + WRAPPED + PROSE_EN[:2]
    return [rng.choice(pool) for _ in range(rng.randint(1, 40))]


@pytest.mark.parametrize("seed", range(20))
def test_line_marks_agree_with_their_definitions(seed: int) -> None:
    rng = random.Random(seed)
    texts = EDGE_LINES if seed == 0 else _random_lines(rng)
    number_start, next_copy = _marks(texts)
    for text, starts_like_a_number in zip(texts, number_start, strict=True):
        # a character beyond the Basic Multilingual Plane is left to the regular expressions to judge
        looks = _NUMBER_START.match(text) is not None or ord(text[0]) > 0xFFFF
        assert starts_like_a_number == looks, text
    assert next_copy.tolist() == _plain_next_copy(texts)


def test_line_marks_of_the_dev_slice_agree_with_their_definitions() -> None:
    for text in _dev_pages():
        texts = [b.text for b in segment(text)]
        number_start, next_copy = _marks(texts)
        expected = [_NUMBER_START.match(t) is not None or ord(t[0]) > 0xFFFF for t in texts]
        assert number_start.tolist() == expected
        assert next_copy.tolist() == _plain_next_copy(texts)


def test_numbered_lists_find_the_same_lists_with_the_lines_keep_marks() -> None:
    rng = random.Random(7)
    for _ in range(200):
        blocks = _random_page(rng)
        starts = np.flatnonzero(_marks([b.text for b in blocks])[0]).tolist()
        expected = _plain_numbered_lists(blocks).tolist()
        assert numbered_lists(blocks).tolist() == numbered_lists(blocks, starts).tolist() == expected


@pytest.mark.parametrize("seed", range(4))
def test_wrapped_sentences_are_found_as_their_plain_definition_finds_them(seed: int) -> None:
    """On lines wrapped at their commas with mean scores about WHOLE_SENTENCE_LEVEL, where the
    decisions of whole pages rarely fall."""
    rng = random.Random(seed)
    pool = [*WRAPPED, "短い、", "a short line,", PROSE_EN[0], "Menu", "A sentence that is not long."]
    for _ in range(300):
        texts = [rng.choice(pool) for _ in range(rng.randint(1, 12))]
        evidence = np.array([rng.choice((0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)) for _ in texts])
        _, marks, _, _ = _keep_marks(_code_points(texts), len(texts), *char_tables()[:2])
        chars = np.array([len(t) for t in texts], dtype=np.int64)
        for i in range(len(texts)):
            expected = _plain_wrapped_sentence(texts, evidence, i)
            assert _wrapped_sentence(i, evidence, chars, marks) == (-1 if expected is None else expected)
