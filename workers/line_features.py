"""What each line of a page looks like on its own: the block classifier's shape features, computed in
one compiled pass over the page's characters.

With numpy over the page's code points these features took some ninety array operations per page, each
on a few hundred lines or a few thousand characters, and the calls cost more than the arithmetic: 0.49
ms per 6 KB of text, a quarter of text mode's time. The same definitions as one loop over the lines and
their characters, compiled by numba (cached on disk after a process's first run, see
``workers.blocks.load_model``), take a fraction of that. Counts are integers, word hashes wrap modulo
2**64, and every ratio and logarithm is the floating-point operation numpy did, so the features are bit
for bit those the model was trained on. ``workers.blocks`` fills in the columns that need regular
expressions or the rest of the page.

Characters are looked up in tables over the Basic Multilingual Plane (every character they describe lies
in it; a character beyond it is looked up as U+FFFF, which has no flag), built once per process from
Python's own notion of case, letters and whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import NamedTuple

import numpy as np
from numba import njit

SHAPE_FEATURES = (
    "log_chars",
    "log_words",
    "sentence_end",
    "final_stop",
    "truncated",
    "bullet",
    "stop_ratio",
    "cap_ratio",
    "digit_ratio",
    "date_shape",  # the date, clock and year shapes: see _date_shapes
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
    "ends_colon",
    "head_colon",
    "ends_paren",
)
# Each feature's column, as the constants the compiled loop writes to.
(
    LOG_CHARS,
    LOG_WORDS,
    SENTENCE_END,
    FINAL_STOP,
    TRUNCATED,
    BULLET,
    STOP_RATIO,
    CAP_RATIO,
    DIGIT_RATIO,
    DATE_SHAPE,
    CLOCK,
    YEAR,
    SHORT_WITH_NUMBER,
    CAMEL,
    SEPARATORS,
    LINKISH,
    ALL_CAPS,
    COMMAS_PER_WORD,
    MEAN_WORD_LEN,
    PUNCT_RATIO,
    SHORT,
    PROSE_LIKE,
    LONG_PROSE,
    QUOTE,
    STARTS_LOWER,
    CJK_RATIO,
    CAPS_WORDS,
    ENDS_COLON,
    HEAD_COLON,
    ENDS_PAREN,
) = range(len(SHAPE_FEATURES))

# The columns that hold a count's logarithm, log(1 + count), looked up in count_logs.
LOG_COLUMNS = [LOG_CHARS, LOG_WORDS, CAMEL, SEPARATORS]

# Only lines shorter than this are looked at for dates, clock times and years (see _date_shapes): longer
# ones are paragraphs, in which a date says nothing about the line's shape.
DATE_LINE_MAX_CHARS = 200

# A colon this close to the start of a line makes it a labelled line ("Related: …", "Photo: …", a
# commenter's name before what they wrote), rarely a sentence of the article.
HEAD_COLON_CHARS = 25

# Kinds of character (bits of the first table).
(
    F_DIGIT,
    F_COMMA,
    F_SEP,
    F_QUOTE,
    F_CJK,
    F_EDGE,
    F_SPACE,
    F_BULLET,
    F_SENTENCE_END,
    F_FINAL_STOP,
    F_CLOSER,
    F_PRINTABLE,
    F_MARK,
) = (1 << k for k in range(13))
# Case and class (bits of the second table): changes under lower() / upper(); not str.isalpha, str.isupper,
# str.islower or title case, \d (Unicode decimal digit), str.islower; and what the re module's \w and \d
# match (see regex_classes).
C_TO_LOWER, C_TO_UPPER, C_NOT_ALPHA, C_UPPER, C_NOT_UPPER, C_DECIMAL, C_LOWER, C_RE_WORD, C_RE_DIGIT = (
    1 << k for k in range(9)
)
# The kinds of character that the compiled pass counts or looks at one by one (F_MARK: the colon and the
# characters that may start a link mark, "@" and the "w" of "www."), which most words hold none of.
F_COUNTED = F_DIGIT | F_COMMA | F_SEP | F_QUOTE | F_CJK | F_MARK
MARK_CHARS = ":@w"

DIGITS = "0123456789"
SEPARATOR_CHARS = "|•·»›/"
QUOTES = '"“”«»„'
BULLET_CHARS = "•·▪►▸‣◦*–—-"
# Characters stripped from the edges of whitespace-separated words before they are counted or looked up.
EDGE_PUNCT = "\"'“”‘’«»„()[]{}.,;:!?…-–—|/*•·"
# What a line ends on, closing quotes and brackets (CLOSERS) aside: a sentence's end, and among those a
# full stop (not a colon, a semicolon or an ellipsis).
SENTENCE_ENDERS = ".!?。！？…:;"
FINAL_STOPS = ".!?。！？"
CLOSERS = "\"'”’»)]"
# Japanese kana, Chinese characters and Korean syllables: scripts whose characters count as words.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF))

# Codes of the character classes in a line's skeleton (see LineShapes.skeleton): other characters are
# coded as their code point plus SK_OTHER, so that each punctuation mark keeps its identity.
SK_UPPER, SK_LETTER, SK_DIGIT, SK_SPACE, SK_OTHER = 1, 2, 3, 4, 16

# Where the fields of a character's entry in the packed table (see packed_char_table) start: its lower-case
# code point in the lowest bits, then its skeleton class (0 for SK_OTHER), its kind and its case.
SKELETON_SHIFT, KIND_SHIFT, CASE_SHIFT = 21, 24, 40
LOWER_MASK = (1 << SKELETON_SHIFT) - 1

# Multiplier of the polynomial hash of words (odd, hence invertible: distinct words rarely collide in
# 64 bits). Words are hashed so that looking up stop words and comparing neighbouring lines' words needs
# no Python string per word; skeletons are hashed with it too.
HASH_BASE = 0x100000001B3


def _title_case(ch: str) -> bool:
    return unicodedata.category(ch) == "Lt"


@cache
def char_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two flag tables (kinds of character; case and class) and the lower-case code point of every
    character (itself when lower() makes it several characters), indexed by code point."""
    chars = list(map(chr, range(0x10000)))

    def test(predicate: object) -> np.ndarray:
        return np.fromiter(map(predicate, chars), bool, 0x10000)  # type: ignore[call-overload]

    kinds = np.zeros(0x10000, dtype=np.uint16)
    for members, flag in (
        (DIGITS, F_DIGIT),
        (",", F_COMMA),
        (SEPARATOR_CHARS, F_SEP),
        (QUOTES, F_QUOTE),
        (EDGE_PUNCT, F_EDGE),
        (BULLET_CHARS, F_BULLET),
        (SENTENCE_ENDERS, F_SENTENCE_END),
        (FINAL_STOPS, F_FINAL_STOP),
        (CLOSERS, F_CLOSER),
    ):
        for ch in members:
            kinds[ord(ch)] |= flag
    for lo, hi in CJK_RANGES:
        kinds[lo : hi + 1] |= F_CJK
    kinds[test(str.isspace)] |= F_SPACE
    kinds[test(str.isprintable)] |= F_PRINTABLE
    for ch in MARK_CHARS:
        kinds[ord(ch)] |= F_MARK
    case = np.zeros(0x10000, dtype=np.uint16)
    case[np.fromiter(map(str.__ne__, map(str.lower, chars), chars), bool, 0x10000)] |= C_TO_LOWER
    case[np.fromiter(map(str.__ne__, map(str.upper, chars), chars), bool, 0x10000)] |= C_TO_UPPER
    case[~test(str.isalpha)] |= C_NOT_ALPHA
    case[test(str.isupper)] |= C_UPPER
    case[test(str.islower) | test(_title_case)] |= C_NOT_UPPER
    case[test(str.isdecimal)] |= C_DECIMAL
    case[test(str.islower)] |= C_LOWER
    bmp = np.arange(0x10000)
    for bounds, flag in zip(regex_classes(), (C_RE_WORD, C_RE_DIGIT), strict=True):
        case[np.searchsorted(bounds, bmp, side="right") % 2 == 1] |= flag
    lowered = map(str.lower, chars)
    lower = np.fromiter((ord(lo) if len(lo) == 1 else c for c, lo in enumerate(lowered)), np.uint64, 0x10000)
    return kinds, case, lower


@cache
def packed_char_table() -> np.ndarray:
    """Every field of char_tables' three tables that the compiled pass reads, and each character's class
    in a skeleton, in one int64 per code point (see SKELETON_SHIFT), so that the pass looks a character
    up once."""
    kinds, case, lower = char_tables()
    skeleton_class = np.select(
        [(case & C_NOT_ALPHA) == 0, (case & C_DECIMAL) != 0, (kinds & F_SPACE) != 0],
        [np.where(case & C_UPPER, SK_UPPER, SK_LETTER), SK_DIGIT, SK_SPACE],
        0,
    )
    return (
        lower.astype(np.int64)
        | skeleton_class.astype(np.int64) << SKELETON_SHIFT
        | kinds.astype(np.int64) << KIND_SHIFT
        | case.astype(np.int64) << CASE_SHIFT
    )


def word_hash(word: str) -> int:
    """The hash line_shapes gives a word: the sum of lower(c) · HASH_BASE^k over its characters."""
    lower = char_tables()[2]
    codes = (int(lower[ord(ch)]) if ord(ch) <= 0xFFFF else ord(ch) for ch in word)
    return sum(code * pow(HASH_BASE, k, 1 << 64) for k, code in enumerate(codes)) % (1 << 64)


@cache
def regex_classes() -> tuple[np.ndarray, np.ndarray]:
    """The code points that the re module's ``\\w`` and ``\\d`` match in a str pattern, each as the sorted
    bounds of their runs (the start of each run, then the end past it): a code point is in the class when
    an odd number of bounds are at or below it. Found by the regular expressions themselves over every
    code point, so that _date_shapes reads words and digits exactly as they do, in every script and
    beyond the Basic Multilingual Plane."""
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")

    def bounds(pattern: str) -> np.ndarray:
        spans = [m.span() for m in re.finditer(pattern, every)]
        return np.array(spans, dtype=np.int64).ravel()

    return bounds(r"\w+"), bounds(r"\d+")


@cache
def stop_table(stops: frozenset[str]) -> tuple[np.ndarray, np.uint64]:
    """The hashes of a language's stop words as an open-addressing hash table, and the value that marks
    its free slots (one no stop word hashes to): each hash lies in the slot hash_slot gives it or in the
    first free one after it, wrapping around. Three quarters of the slots or more are free, so that most
    words are looked up in one probe: a page's words in a fourth of the time a binary search over the
    sorted hashes took (2 µs against 8 on the median page)."""
    hashes = sorted(set(map(word_hash, stops)))
    free = min(set(range(len(hashes) + 1)) - set(hashes))
    size = 2
    while size < 4 * len(hashes):
        size *= 2
    table = np.full(size, free, dtype=np.uint64)
    for h in hashes:
        slot = hash_slot(np.uint64(h), np.uint64(size - 1))
        while table[slot] != free:
            slot = (slot + 1) % size
        table[slot] = h
    return table, np.uint64(free)


# The longest count_logs table kept between pages (512 KB): enough for any line of a page of 64 K characters.
CACHED_COUNTS = 1 << 16


def count_logs(most: int) -> np.ndarray:
    """numpy's log(1 + k) of every count k from 0 to at least ``most``, for the compiled loops to look
    the logarithms of counts up in rather than take them: numpy's log1p may differ from the C library's
    (which numba calls) in the last bit (numpy has vectorised versions of its own on some processors),
    and the features stay the values the model was trained on (its bin edges lie between them, see
    bench/train_blocks._between_values). Looking them up spares the feature stage a numpy call per page
    for each matrix of logarithms. The tables are a power of two of at least 1,024 counts long, and kept
    up to CACHED_COUNTS: a page of 2 MB (SAMESTORY_MAX_ARTICLE_BYTES) needs a table of 16 MB, which a
    worker would otherwise hold from then on."""
    bits = max(most, 1023).bit_length()
    return _cached_count_logs(bits) if 1 << bits <= CACHED_COUNTS else _count_logs(bits)


@cache
def _cached_count_logs(bits: int) -> np.ndarray:
    return _count_logs(bits)


def _count_logs(bits: int) -> np.ndarray:
    return np.log1p(np.arange(float(1 << bits)))


@cache
def cjk_stop_chars(stops: frozenset[str]) -> np.ndarray:
    """Sorted code points of the language's one-character CJK stop words (counted wherever they occur,
    since those scripts put no space around them)."""
    single = (ord(w) for w in stops if len(w) == 1)
    return np.array(sorted(c for c in single if any(lo <= c <= hi for lo, hi in CJK_RANGES)), dtype=np.uint32)


class LineShapes(NamedTuple):
    """What ``workers.blocks`` needs besides the shape features (written into the page's feature
    matrix) to compute the rest of the local features."""

    starts: np.ndarray  # per line: where it starts among the page's code points
    lengths: np.ndarray  # per line: its length in code points
    words: np.ndarray  # per line: words (see line_shapes), as a float like the features
    marked: np.ndarray  # per line: whether a character is neither a letter nor whitespace
    # per line, a hash of its shape: every character replaced by its class (upper-case letter, other
    # letter, digit, space; other characters stay themselves) and each run of one class collapsed to
    # one, so that "anna says:" and "jbaxt says:", or "November 19, 2019 at 6:34 am" and "December 2,
    # 2019 at 11:05 pm", look the same (uint64)
    skeleton: np.ndarray
    word_hash: np.ndarray  # uint64 hashes of the words, lower-cased and stripped of EDGE_PUNCT
    word_line: np.ndarray  # the line of each


def line_shapes(cp: np.ndarray, stops: frozenset[str], features: np.ndarray) -> LineShapes:
    """Shape features of the lines of a page, given as its code points (uint32, lines separated by a
    newline, which no line holds), written into the first len(SHAPE_FEATURES) columns of ``features``
    (a row per line, zero where they are written: the date, clock and year columns are written only
    when they are set); ``stops`` are the page language's stop words. The shapes are written straight
    into the page's feature matrix, the logarithms of counts looked up in count_logs, and the lines
    found by the compiled pass: the slicing, the numpy logarithm and the cumulative sum that did these
    cost more than the pass over the characters.

    A word is a run of non-space characters stripped of EDGE_PUNCT, when any character is left; a
    Chinese, Japanese or Korean character counts as a word too (those scripts put no spaces between
    words), and as a stop word when it is a one-character stop word of the language."""
    return LineShapes._make(
        _line_shapes(
            cp,
            features,
            count_logs(len(cp)),
            packed_char_table(),
            *stop_table(stops),
            cjk_stop_chars(stops),
            *regex_classes(),
        )
    )


@njit(cache=True, nogil=True)
def hash_slot(h: np.uint64, mask: np.uint64) -> np.uint64:
    """The slot of a hash table of 2**k slots (mask: 2**k - 1) where the search for a 64-bit hash
    starts: bits of the hash multiplied by a large odd constant (Fibonacci hashing), so that
    neighbouring hashes spread over the table. stop_table and workers.blocks._neighbour_overlaps
    use it."""
    return (h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32) & mask


@njit(cache=True, nogil=True)
def _in_stop_table(table: np.ndarray, free: np.uint64, h: np.uint64) -> bool:
    """Whether h is one of the hashes in stop_table (the value marking a free slot is none of them)."""
    mask = np.uint64(len(table) - 1)
    slot = hash_slot(h, mask)
    while table[slot] != free:
        if table[slot] == h:
            return True
        slot = (slot + np.uint64(1)) & mask
    return False


@njit(cache=True, nogil=True)
def _in_sorted(table: np.ndarray, value: np.integer) -> bool:
    lo, hi = 0, len(table)
    while lo < hi:
        mid = (lo + hi) >> 1
        if table[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(table) and table[lo] == value


@njit(cache=True, nogil=True)
def _entry(table: np.ndarray, c: int) -> int:
    """Code point c's entry in packed_char_table: beyond the Basic Multilingual Plane, that of U+FFFF
    (no flag) with c as its own lower case."""
    return table[c] if c <= 0xFFFF else (table[0xFFFF] & ~LOWER_MASK) | c


@njit(cache=True, nogil=True)
def _hash_and_flags(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> tuple[np.uint64, int]:
    """The hash of the characters cp[start:end] (see word_hash), and their case flags or-ed."""
    h, power, flags = np.uint64(0), np.uint64(1), 0
    for p in range(start, end):
        t = _entry(table, cp[p])
        h += np.uint64(t & LOWER_MASK) * power
        power *= np.uint64(HASH_BASE)
        flags |= t >> CASE_SHIFT
    return h, flags


@njit(cache=True, nogil=True)
def _starts_with(cp: np.ndarray, at: int, end: int, text: np.ndarray) -> bool:
    """Whether the characters cp[at:end] start with the code points of text."""
    if end - at < len(text):
        return False
    for k in range(len(text)):  # noqa: SIM110 - numba compiles no generator into all()
        if cp[at + k] != text[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _line_bounds(cp: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of the page's n lines starts among its code points (lines separated by a newline), and
    its length."""
    starts = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    if not n:
        return starts, lengths
    line = 0
    for p in range(len(cp)):
        if cp[p] == 10:
            if line == n - 1:
                raise ValueError("a line holds a newline")
            lengths[line] = p - starts[line]
            line += 1
            starts[line] = p + 1
    if line != n - 1:
        raise ValueError("fewer lines than rows")
    lengths[line] = len(cp) - starts[line]
    return starts, lengths


_WWW = np.array([ord(c) for c in "www."], dtype=np.uint32)
_SCHEME = np.array([ord(c) for c in "://"], dtype=np.uint32)
_DOTS = np.array([ord(c) for c in "..."], dtype=np.uint32)


@njit(cache=True, nogil=True)
def _line_shapes(
    cp: np.ndarray,
    features: np.ndarray,
    logs: np.ndarray,
    table: np.ndarray,
    stop_slots: np.ndarray,
    free_slot: np.uint64,
    cjk_stops: np.ndarray,
    word_bounds: np.ndarray,
    digit_bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """line_shapes' results as a tuple, LineShapes' fields in order; ``logs`` is count_logs' table.

    Most characters are letters inside a word, and the loop over a word's characters is kept to what
    they need, so that the compiler keeps its few variables in registers: look the character up once
    (see packed_char_table), add it to the skeleton when its class changes, or its flags into the word's
    and add it to the word's hash. What only some characters need (F_COUNTED) is read after the word,
    in the words that hold such characters; spaces, which end words, are read by the loop over the line;
    and the words that end in edge punctuation are hashed anew without it."""
    n = len(features)
    starts, lengths = _line_bounds(cp, n)
    words_out = np.zeros(n)
    marked_out = np.zeros(n, dtype=np.bool_)
    skeletons = np.zeros(n, dtype=np.uint64)
    hashes = np.empty(len(cp) // 2 + 1, dtype=np.uint64)  # a word and the space after it: 2 characters
    hash_lines = np.empty(len(cp) // 2 + 1, dtype=np.int64)
    n_hashes = 0
    base = np.uint64(HASH_BASE)
    for line in range(n):
        start, length = starts[line], lengths[line]
        end = start + length
        digits = commas = separators = quotes = cjk = stops = 0
        linkish = False
        colon = -1
        skeleton, skeleton_power, previous_code = np.uint64(0), np.uint64(1), 0
        words = alpha = first_upper = camel = upper = word_chars = raw_words = 0
        line_flags = 0  # the flags of the line's characters but spaces, or-ed
        p = start
        while p < end:
            # (cp is indexed by unsigned positions, which spares numba's test for a negative index)
            t = _entry(table, cp[np.uint64(p)])
            if (t >> KIND_SHIFT) & F_SPACE:
                if previous_code != SK_SPACE:
                    skeleton += np.uint64(SK_SPACE) * skeleton_power
                    skeleton_power *= base
                    previous_code = SK_SPACE
                p += 1
                continue
            # a word, up to the next space: the characters from the first that is no edge punctuation on
            # are hashed, and the flags of those after it or-ed (seen); rest or-s the flags of all the
            # characters after the word's first, which say whether it is camel case (edge punctuation
            # before the first character kept adds nothing to them: its one flag, C_NOT_ALPHA, is that
            # of the word's first character)
            word_start, word_first, rest = p, t >> CASE_SHIFT, 0
            first, first_flags, seen, h, power = -1, 0, 0, np.uint64(0), np.uint64(0)
            kinds = 0  # the kinds of the word's characters, or-ed
            while p < end:
                c = cp[np.uint64(p)]
                t = _entry(table, c)
                kind = t >> KIND_SHIFT
                if kind & F_SPACE:
                    break
                code = (t >> SKELETON_SHIFT) & 7
                if code == 0:
                    code = c + SK_OTHER
                if code != previous_code:
                    skeleton += np.uint64(code) * skeleton_power
                    skeleton_power *= base
                previous_code = code
                kinds |= kind
                flags = t >> CASE_SHIFT
                if first >= 0:
                    seen |= flags
                    h += np.uint64(t & LOWER_MASK) * power
                    power *= base
                elif not kind & F_EDGE:
                    first, first_flags, h, power = p, flags, np.uint64(t & LOWER_MASK), base
                p += 1
            raw_words += 1
            # the characters counted one by one, in the words that hold any (a sixth of them)
            if kinds & F_COUNTED:
                for q in range(word_start, p):
                    c = cp[q]
                    kind = _entry(table, c) >> KIND_SHIFT
                    digits += (kind & F_DIGIT) != 0
                    commas += (kind & F_COMMA) != 0
                    separators += (kind & F_SEP) != 0
                    quotes += (kind & F_QUOTE) != 0
                    cjk += (kind & F_CJK) != 0
                    if c == 58 and colon < 0:  # ":"
                        colon = q - start
                    linkish |= (
                        c == 64  # "@"
                        or (c == 119 and _starts_with(cp, q, end, _WWW))
                        or (c == 58 and _starts_with(cp, q, end, _SCHEME))
                    )
            if first >= 0:
                # edge punctuation that ends the word is stripped: what it follows is hashed anew (a
                # tenth of the words end so, in a comma or a full stop)
                last = p - 1
                if (_entry(table, cp[last]) >> KIND_SHIFT) & F_EDGE:
                    while (_entry(table, cp[last]) >> KIND_SHIFT) & F_EDGE:
                        last -= 1
                    h, kept = _hash_and_flags(cp, first, last + 1, table)
                else:
                    kept = first_flags | seen
                words += 1
                word_chars += last - first + 1
                stops += _in_stop_table(stop_slots, free_slot, h)
                alpha += (kept & C_NOT_ALPHA) == 0
                first_upper += (first_flags & C_UPPER) != 0
                upper += ((kept & C_UPPER) != 0) & ((kept & C_NOT_UPPER) == 0)
                hashes[n_hashes] = h
                hash_lines[n_hashes] = line
                n_hashes += 1
                rest |= seen | (first_flags if first > word_start else 0)
            # upper() changing any of the word's characters and lower() changing one past the first
            # make it camel case (these tests are and-ed with &, which unlike "and" takes no branch)
            word_flags = word_first | rest
            camel += ((word_flags & C_TO_UPPER) != 0) & ((rest & C_TO_LOWER) != 0)
            line_flags |= word_flags
        if cjk and len(cjk_stops):
            for p in range(start, end):
                stops += _in_sorted(cjk_stops, cp[p])
        # the line's end, closing quotes and brackets aside
        stripped_end = end
        while stripped_end > start and (_entry(table, cp[stripped_end - 1]) >> KIND_SHIFT) & F_CLOSER:
            stripped_end -= 1
        end_char = cp[stripped_end - 1] if stripped_end > start else 0
        end_kind = _entry(table, end_char) >> KIND_SHIFT if stripped_end > start else 0
        sentence_end = (end_kind & F_SENTENCE_END) != 0
        # "…" or "..." ("[…]" and "[...]" have lost their bracket with the closers)
        truncated = end_char == 0x2026 or (
            stripped_end - start >= 3 and _starts_with(cp, stripped_end - 3, stripped_end, _DOTS)
        )
        # a bullet sign, or one or two decimal digits and "." or ")", then a space
        c0 = cp[start]
        c1 = cp[start + 1] if length > 1 else 0
        c2 = cp[start + 2] if length > 2 else 0
        c3 = cp[start + 3] if length > 3 else 0
        flags0 = _entry(table, c0) >> CASE_SHIFT
        decimal0 = (flags0 & C_DECIMAL) != 0
        decimal1 = ((_entry(table, c1) >> CASE_SHIFT) & C_DECIMAL) != 0
        bullet = (
            (((_entry(table, c0) >> KIND_SHIFT) & F_BULLET) != 0 and c1 == 32)
            or (decimal0 and (c1 == 46 or c1 == 41) and c2 == 32)
            or (decimal0 and decimal1 and (c2 == 46 or c2 == 41) and c3 == 32)
        )
        last_char = cp[end - 1]
        n_chars = float(length)
        n_words = float(words + cjk)
        safe_words = max(n_words, 1.0)
        safe_alpha = max(float(alpha), 1.0)
        stop_ratio = stops / safe_words
        row = features[line]
        row[LOG_CHARS] = logs[length]
        row[LOG_WORDS] = logs[words + cjk]
        row[SENTENCE_END] = sentence_end
        row[FINAL_STOP] = (end_kind & F_FINAL_STOP) != 0
        row[TRUNCATED] = truncated
        row[BULLET] = bullet
        row[STOP_RATIO] = stop_ratio
        row[CAP_RATIO] = first_upper / safe_alpha
        row[DIGIT_RATIO] = digits / n_chars
        row[SHORT_WITH_NUMBER] = n_words <= 6 and digits > 0 and not sentence_end
        row[CAMEL] = logs[camel]
        row[SEPARATORS] = logs[separators]
        row[LINKISH] = linkish
        row[ALL_CAPS] = (line_flags & C_UPPER) != 0 and (line_flags & C_NOT_UPPER) == 0
        row[COMMAS_PER_WORD] = commas / safe_words
        row[MEAN_WORD_LEN] = word_chars / safe_words / 10.0
        row[PUNCT_RATIO] = (n_chars - word_chars - raw_words + 1) / n_chars
        row[SHORT] = n_words <= 3
        row[PROSE_LIKE] = n_words >= 10 and stop_ratio >= 0.15
        row[LONG_PROSE] = n_words >= 25 and sentence_end
        row[QUOTE] = quotes > 0
        row[STARTS_LOWER] = (flags0 & C_LOWER) != 0
        row[CJK_RATIO] = cjk / n_chars
        row[CAPS_WORDS] = upper / safe_alpha
        row[ENDS_COLON] = last_char == 58
        row[HEAD_COLON] = 0 <= colon < HEAD_COLON_CHARS and colon < length - 1
        row[ENDS_PAREN] = last_char == 41
        if digits and length < DATE_LINE_MAX_CHARS:
            row[DATE_SHAPE], row[CLOCK], row[YEAR] = _date_shapes(
                cp, start, end, table, word_bounds, digit_bounds
            )
        words_out[line] = n_words
        marked_out[line] = (line_flags & C_NOT_ALPHA) != 0
        skeletons[line] = skeleton
    return (
        starts,
        lengths,
        words_out,
        marked_out,
        skeletons,
        hashes[:n_hashes],
        hash_lines[:n_hashes],
    )


@njit(cache=True, nogil=True)
def _in_class(table: np.ndarray, flag: int, bounds: np.ndarray, c: int) -> bool:
    """Whether code point c is in the class of these bounds (see regex_classes): in the Basic
    Multilingual Plane, whether its entry in packed_char_table has that class's flag."""
    if c <= 0xFFFF:
        return ((table[c] >> CASE_SHIFT) & flag) != 0
    return np.searchsorted(bounds, c, side="right") % 2 == 1


@njit(cache=True, nogil=True)
def _digit_run(cp: np.ndarray, p: int, end: int, table: np.ndarray, digit_bounds: np.ndarray) -> int:
    """How many digits (``\\d``) follow one another from position p of a line ending at end."""
    q = p
    while q < end and _in_class(table, C_RE_DIGIT, digit_bounds, cp[q]):
        q += 1
    return q - p


@njit(cache=True, nogil=True)
def _word_ends(cp: np.ndarray, p: int, end: int, table: np.ndarray, word_bounds: np.ndarray) -> bool:
    """Whether a word ends before position p of a line ending at end (``\\b`` after a word character)."""
    return p == end or not _in_class(table, C_RE_WORD, word_bounds, cp[p])


@njit(cache=True, nogil=True)
def _date_shapes(
    cp: np.ndarray, start: int, end: int, table: np.ndarray, word_bounds: np.ndarray, digit_bounds: np.ndarray
) -> tuple[bool, bool, bool]:
    """Whether the line cp[start:end] holds a date written in figures ("2023-06-18", "18/06/2023",
    "6.18.23"), a clock time ("10:24", "9h30") and a year from 1900 to 2099, each standing alone: a match
    of workers.blocks' NUMERIC_DATE and CLOCK, and of ``(?:19|20)(?<!\\w\\d\\d)\\d{2}\\b``.

    Each of these matches starts at the first digit of a word (a digit after no word character) and
    reads whole runs of digits between single separators, so the runs' lengths decide it: ``\\d{1,2}``
    before a separator is a run of one or two digits, and the last run must end the word. This loop
    reads them off the line instead of running three regular expressions over it, which took a third of
    the feature stage's time."""
    date = clock = year = False
    for s in range(start, end):
        if not _in_class(table, C_RE_DIGIT, digit_bounds, cp[s]) or (
            s > start and _in_class(table, C_RE_WORD, word_bounds, cp[s - 1])
        ):
            continue
        run = _digit_run(cp, s, end, table, digit_bounds)
        after = s + run  # where the run ends
        separator = cp[after] if after < end else 0
        # a year: "19" or "20" and two digits, ending the word
        if run == 4 and ((cp[s] == 49 and cp[s + 1] == 57) or (cp[s] == 50 and cp[s + 1] == 48)):
            year |= _word_ends(cp, after, end, table, word_bounds)
        # a clock time: one or two digits, ":", "h" or ".", two digits ending the word
        if run <= 2 and (separator == 58 or separator == 104 or separator == 46):
            clock |= _digit_run(cp, after + 1, end, table, digit_bounds) == 2 and _word_ends(
                cp, after + 3, end, table, word_bounds
            )
        # a date: four digits, or one or two, then "-", "/" or "." and one or two digits, that again, and
        # one or two digits (after four) or two to four (after one or two) ending the word
        if (run == 4 or run <= 2) and _date_separator(separator):
            middle = _digit_run(cp, after + 1, end, table, digit_bounds)
            second = after + 1 + middle
            if 1 <= middle <= 2 and second < end and _date_separator(cp[second]):
                last = _digit_run(cp, second + 1, end, table, digit_bounds)
                fits = 1 <= last <= 2 if run == 4 else 2 <= last <= 4
                date |= fits and _word_ends(cp, second + 1 + last, end, table, word_bounds)
    return date, clock, year


@njit(cache=True, nogil=True)
def _date_separator(c: int) -> bool:
    """ "-", "/" or "."."""
    return c == 45 or c == 47 or c == 46
