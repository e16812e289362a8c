"""What each line of a page counts: its characters by kind and its words by shape, in one compiled pass.

The block classifier's local features (``workers.blocks``) are ratios of these counts. Computed with
numpy over the page's code points they took some sixty array operations per page, each on a few
thousand characters, and the calls cost more than the arithmetic: 0.45 ms per 6 KB of text, a quarter
of text mode's time. The same counts as one loop over the characters, compiled by numba (cached on disk
after the first run of a process, see ``warm_up``), take 0.04 ms. The counts are integers and the word
hashes wrap modulo 2**64 exactly as before, so the features are bit for bit those the model was trained
on.

Characters are looked up in tables over the Basic Multilingual Plane (every character they describe lies
in it; a character beyond it is looked up as U+FFFF, which has no flag), built once per process from
Python's own notion of case, letters and whitespace.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import NamedTuple

import numpy as np
from numba import njit

# Kinds of character (bits of the first table).
F_DIGIT, F_COMMA, F_SEP, F_QUOTE, F_CJK, F_EDGE, F_SPACE, F_BULLET = (1 << k for k in range(8))
# Case and class (bits of the second table): changes under lower() / upper(); str.isalpha, str.isupper,
# str.islower or title case, \d (Unicode decimal digit).
C_TO_LOWER, C_TO_UPPER, C_ALPHA, C_UPPER, C_NOT_UPPER, C_DECIMAL = (1 << k for k in range(6))

DIGITS = "0123456789"
SEPARATOR_CHARS = "|•·»›/"
QUOTES = '"“”«»„'
BULLET_CHARS = "•·▪►▸‣◦*–—-"
# Characters stripped from the edges of whitespace-separated words before they are counted or looked up.
EDGE_PUNCT = "\"'“”‘’«»„()[]{}.,;:!?…-–—|/*•·"
# Japanese kana, Chinese characters and Korean syllables: scripts whose characters count as words.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF))

# Multiplier of the polynomial hash of words (odd, hence invertible: distinct words rarely collide in
# 64 bits). Words are hashed so that looking up stop words and comparing neighbouring lines' words needs
# no Python string per word.
HASH_BASE = 0x100000001B3


def _title_case(ch: str) -> bool:
    return unicodedata.category(ch) == "Lt"


@cache
def char_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two flag tables (kinds of character, case and class) and the lower-case code point of every
    character (itself when lower() makes it several characters), indexed by code point."""
    chars = list(map(chr, range(0x10000)))

    def test(predicate: object) -> np.ndarray:
        return np.fromiter(map(predicate, chars), bool, 0x10000)  # type: ignore[call-overload]

    kinds = np.zeros(0x10000, dtype=np.uint8)
    for members, flag in (
        (DIGITS, F_DIGIT),
        (",", F_COMMA),
        (SEPARATOR_CHARS, F_SEP),
        (QUOTES, F_QUOTE),
        (EDGE_PUNCT, F_EDGE),
        (BULLET_CHARS, F_BULLET),
    ):
        for ch in members:
            kinds[ord(ch)] |= flag
    for lo, hi in CJK_RANGES:
        kinds[lo : hi + 1] |= F_CJK
    kinds[test(str.isspace)] |= F_SPACE
    case = np.zeros(0x10000, dtype=np.uint8)
    case[np.fromiter(map(str.__ne__, map(str.lower, chars), chars), bool, 0x10000)] |= C_TO_LOWER
    case[np.fromiter(map(str.__ne__, map(str.upper, chars), chars), bool, 0x10000)] |= C_TO_UPPER
    case[test(str.isalpha)] |= C_ALPHA
    case[test(str.isupper)] |= C_UPPER
    case[test(str.islower) | test(_title_case)] |= C_NOT_UPPER
    case[test(str.isdecimal)] |= C_DECIMAL
    lowered = map(str.lower, chars)
    lower = np.fromiter((ord(lo) if len(lo) == 1 else c for c, lo in enumerate(lowered)), np.uint64, 0x10000)
    return kinds, case, lower


def word_hash(word: str) -> int:
    """The hash count_lines gives a word: the sum of lower(c) · HASH_BASE^k over its characters."""
    lower = char_tables()[2]
    codes = (int(lower[ord(ch)]) if ord(ch) <= 0xFFFF else ord(ch) for ch in word)
    return sum(code * pow(HASH_BASE, k, 1 << 64) for k, code in enumerate(codes)) % (1 << 64)


@cache
def stop_hashes(stops: frozenset[str]) -> np.ndarray:
    """The sorted hashes of a language's stop words."""
    return np.array(sorted(set(map(word_hash, stops))), dtype=np.uint64)


@cache
def cjk_stop_chars(stops: frozenset[str]) -> np.ndarray:
    """Sorted code points of the language's one-character CJK stop words (counted wherever they occur,
    since those scripts put no space around them)."""
    single = (ord(w) for w in stops if len(w) == 1)
    return np.array(sorted(c for c in single if any(lo <= c <= hi for lo, hi in CJK_RANGES)), dtype=np.uint32)


class LineCounts(NamedTuple):
    """Per line of the page (int64 arrays), and the hashes of its words that keep a character once
    stripped of EDGE_PUNCT, each with the line it is on."""

    digits: np.ndarray  # ASCII digits
    commas: np.ndarray
    separators: np.ndarray  # SEPARATOR_CHARS
    quotes: np.ndarray  # QUOTES
    cjk: np.ndarray  # characters in CJK_RANGES
    words: np.ndarray  # whitespace-separated words that keep a character once stripped of EDGE_PUNCT
    stops: np.ndarray  # of those, the stop words; plus the CJK characters that are one
    alpha: np.ndarray  # words (so stripped) of letters only
    first_upper: np.ndarray  # words (so stripped) starting with an upper-case letter
    camel: np.ndarray  # words with a character past the first that lower() changes, and one upper() does
    upper: np.ndarray  # words (so stripped) with an upper-case letter and no lower-case or title-case one
    word_chars: np.ndarray  # characters of the stripped words
    raw_words: np.ndarray  # whitespace-separated words, edge punctuation only or not
    marked: np.ndarray  # characters neither letters nor whitespace
    word_hash: np.ndarray  # uint64, lower-cased
    word_line: np.ndarray


def count_lines(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray, stops: frozenset[str]) -> LineCounts:
    """Counts of the lines of a page, given as its code points (uint32) with each line's start and
    length among them; ``stops`` are the page language's stop words."""
    kinds, case, lower = char_tables()
    counts, hashes, lines = _count(
        cp, starts, lengths, kinds, case, lower, stop_hashes(stops), cjk_stop_chars(stops)
    )
    return LineCounts._make([*counts, hashes, lines])


def warm_up() -> None:
    """Build the tables and compile the counting loop (about a second, or a tenth of one when numba's
    on-disk cache holds it), so that the first page a process extracts is not charged for it."""
    count_lines(
        np.array([ord("a")], dtype=np.uint32), np.zeros(1, np.int64), np.ones(1, np.int64), frozenset()
    )


_N_COUNTS = len(LineCounts._fields) - 2


@njit(cache=True, nogil=True)
def _in_sorted(table: np.ndarray, value: np.integer) -> bool:  # pragma: no cover - compiled
    lo, hi = 0, len(table)
    while lo < hi:
        mid = (lo + hi) >> 1
        if table[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(table) and table[lo] == value


@njit(cache=True, nogil=True)
def _count(  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    cp, starts, lengths, kinds, case, lower, stop_hashes, cjk_stops
):
    """The counts of LineCounts as rows of one matrix, in its order, then the word hashes and lines."""
    n = len(starts)
    counts = np.zeros((_N_COUNTS, n), dtype=np.int64)
    hashes = np.empty(len(cp) // 2 + 1, dtype=np.uint64)  # a word and the space after it: 2 characters
    hash_lines = np.empty(len(cp) // 2 + 1, dtype=np.int64)
    n_hashes = 0
    base = np.uint64(HASH_BASE)
    for line in range(n):
        start, end = starts[line], starts[line] + lengths[line]
        for p in range(start, end):
            c = cp[p]
            kind = kinds[min(c, 0xFFFF)]
            counts[0, line] += (kind & F_DIGIT) != 0
            counts[1, line] += (kind & F_COMMA) != 0
            counts[2, line] += (kind & F_SEP) != 0
            counts[3, line] += (kind & F_QUOTE) != 0
            if kind & F_CJK:
                counts[4, line] += 1
                if len(cjk_stops) and _in_sorted(cjk_stops, np.uint32(c)):
                    counts[6, line] += 1
            counts[13, line] += (kind & F_SPACE) == 0 and (case[min(c, 0xFFFF)] & C_ALPHA) == 0
        p = start
        while p < end:
            if kinds[min(cp[p], 0xFFFF)] & F_SPACE:
                p += 1
                continue
            word_start = p
            while p < end and not kinds[min(cp[p], 0xFFFF)] & F_SPACE:
                p += 1
            counts[12, line] += 1
            # the word's first and last character that is not edge punctuation; upper() changing any
            # of its characters and lower() changing one past the first make it camel case
            first, last = -1, -1
            to_upper = to_lower = False
            for q in range(word_start, p):
                b = min(cp[q], 0xFFFF)
                to_upper |= (case[b] & C_TO_UPPER) != 0
                to_lower |= q > word_start and (case[b] & C_TO_LOWER) != 0
                if not kinds[b] & F_EDGE:
                    if first < 0:
                        first = q
                    last = q
            counts[9, line] += to_upper and to_lower
            if first < 0:
                continue
            counts[11, line] += last - first + 1
            not_alpha = is_upper = not_upper = False
            h = np.uint64(0)
            power = np.uint64(1)
            for q in range(first, last + 1):
                c = cp[q]
                flags = case[min(c, 0xFFFF)]
                not_alpha |= (flags & C_ALPHA) == 0
                is_upper |= (flags & C_UPPER) != 0
                not_upper |= (flags & C_NOT_UPPER) != 0
                h += (lower[c] if c <= 0xFFFF else np.uint64(c)) * power
                power *= base
            counts[5, line] += 1
            counts[6, line] += _in_sorted(stop_hashes, h)
            counts[7, line] += not not_alpha
            counts[8, line] += (case[min(cp[first], 0xFFFF)] & C_UPPER) != 0
            counts[10, line] += is_upper and not not_upper
            hashes[n_hashes] = h
            hash_lines[n_hashes] = line
            n_hashes += 1
    return counts, hashes[:n_hashes], hash_lines[:n_hashes]
