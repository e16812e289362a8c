"""Text-mode chrome stripping: page text → blocks → features → learned keep/drop scores.

A scraped news page is mostly one contiguous region of prose (the article) with page furniture around
and inside it: menus, teasers, share bars, captions, timestamps. No single rule separates them on pages
from unseen sites, so every block gets a vector of language-independent shape features (length,
punctuation, stop-word density for the page's own language, capitalisation, digits, date shapes,
truncation marks, CamelCase share bars) plus context features (neighbours, position, distance to the
densest run of prose, whether the repeated timestamp lines of a comment thread or teaser list enclose
it). A logistic model over the features and their quantile bins (see Additive), trained by
``bench/train_blocks.py`` and shipped as ``workers/data/blocks_model.json``, scores them; smoothing
along the page then keeps the article as one region (the densest run of high scores) and drops stray
high scores outside it. Scoring needs only numpy, so the runtime never imports scikit-learn; the loops
over a page's characters and blocks are compiled by numba (the shape of each line in
``workers.line_features``, the context of each block here). The few shapes of furniture that the model
cannot learn are cut by rule (``workers.furniture``) before the smoothing; ``workers.clean`` puts the
two together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from itertools import compress, islice, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import NamedTuple, cast

import numpy as np
from numba import njit

from workers.language import identify
from workers.line_features import (
    C_DECIMAL,
    CACHED_COUNTS,
    CLOSERS,
    F_CLOSER,
    F_FINAL_STOP,
    F_PRINTABLE,
    F_SPACE,
    FINAL_STOPS,
    HASH_BASE,
    SHAPE_FEATURES,
    LineShapes,
    char_tables,
    count_logs,
    hash_slot,
    line_shapes,
)
from workers.wordlists import top_words

MODEL_PATH = Path(__file__).parent / "data" / "blocks_model.json"

# How many of a language's most frequent words count as its stop words: enough to cover the function
# words that make up ~40 % of running prose in most languages, few enough to leave out content words.
STOP_WORDS_PER_LANGUAGE = 100
# Characters of the page's longest lines fed to language detection: detection cost grows with length and
# a few hundred characters of prose identify the language reliably.
LANGUAGE_SAMPLE_CHARS = 400

# A line of at most TEMPLATE_MAX_WORDS words whose skeleton (see line_features.LineShapes) at least
# TEMPLATE_MIN_LINES lines of the page share is a template line: a commenter's "name says:", a comment's
# or teaser's timestamp, a "Rating: 36 Votes" row.
TEMPLATE_MAX_WORDS = 6
TEMPLATE_MIN_LINES = 3
# How far (in lines, on each side) a line looks for dated template lines enclosing it (see block_features).
TEMPLATE_RADIUS = 3

# Lines longer than this are cut into pieces of about LONG_LINE_PIECE_CHARS (see _pieces). On the dev
# pages 99.9 % of lines are under 930 characters; cutting at 700 changes their F1 by under 0.0002.
LONG_LINE_CHARS = 700
LONG_LINE_PIECE_CHARS = 300
# Where a long line may be cut (see _pieces): the space after a sentence's end in spaced scripts (its
# closing quote or bracket included in the sentence), and right after one in Chinese and Japanese, which
# put no space between sentences. The cut is the pattern's last group; the sentence end before it is
# matched rather than looked behind for, so that the regex engine skips ahead to sentence ends instead
# of trying lookbehinds at every character (four times faster on a long line), and the pattern opens
# with one set of all sentence ends, each branch looking behind at which it found: the engine skips
# ahead to a set that opens the pattern, not to the two that open its branches (35 -> 15 us a line).
SENTENCE_BREAK = re.compile(r"[.!?。！？](?:(?<=[.!?])[\"”’»)]?( )|(?<=[。！？])[」』”’）]?()(?![」』”’）]))")
CJK_SENTENCE_END = re.compile(r"[。！？][」』”’）]?$")

# Characters that take no space on the screen: zero-width space, non-joiner and joiner, word joiner,
# byte-order mark, soft hyphen. Editors leave lines of nothing else between paragraphs, and a scraper
# copies them; such a line is a blank line to the reader, and is one to segment.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE_CODES = np.array([ord(c) for c in INVISIBLE], dtype=np.uint32)
WORD = re.compile(r"\w+")
BULLET = re.compile(r"(?:[•·▪►▸‣◦*–—-]|\d{1,2}[.)]) ")
# Dates and clock times standing alone (after no letter, digit or underscore). Each pattern starts with
# its first digits and only then looks behind them for the word boundary (``\d(?<!\w\d)`` is ``\b\d``),
# so that the regex engine skips ahead to the digits instead of trying the whole pattern at every
# character: two to three times faster on the lines of a page. The line features read the same shapes
# (and years) in their compiled pass, workers.line_features._date_shapes.
NUMERIC_DATE = re.compile(r"\d(?<!\w\d)(?:\d{3}[-/.]\d{1,2}[-/.]\d{1,2}|\d?[-/.]\d{1,2}[-/.]\d{2,4})\b")
CLOCK = re.compile(r"\d(?<!\w\d)\d?[:h.]\d{2}\b(?:[ ]?[aApP]\.?[mM]\.?)?")
# Japanese kana and Chinese characters: the scripts written without spaces between words.
_HAN_KANA_CHARS = r"\u3040-\u30ff\u3400-\u9fff"
HAN_KANA = re.compile(f"[{_HAN_KANA_CHARS}]")
# Chinese and Japanese write no spaces: each Han or Kana character counts as a word, so that length,
# word-count and stop-word features mean roughly the same thing as in spaced scripts.
TOKEN = re.compile(f"[{_HAN_KANA_CHARS}]|[^\\W{_HAN_KANA_CHARS}]+")

# What each line looks like on its own (see workers.line_features), then beside the page's other lines.
LOCAL_FEATURES = (*SHAPE_FEATURES, "blank_before", "blank_after", "repeated", "neighbour_overlap")
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
    "dated_template_enclosed",
)
NEIGHBOUR_FEATURES = ("log_words", "sentence_end", "stop_ratio", "prose_like", "short", "truncated", "camel")


class Block(NamedTuple):
    """One non-empty line of the page; blank lines are kept only as separators (paragraph breaks). A
    named tuple rather than a frozen dataclass because a page has hundreds of them and tuples are built
    several times faster."""

    line_no: int
    text: str
    blank_before: bool
    blank_after: bool


def segment(raw: str) -> list[Block]:
    """Split page text into blocks, one per non-empty line, remembering blank-line separation because
    article paragraphs are usually blank-separated while menus are runs of tight lines. Whitespace
    inside a line is collapsed to single spaces, so a block's word count is its count of spaces + 1.
    A line longer than LONG_LINE_CHARS becomes several blocks (see _pieces) with the same line_no.
    One compiled pass over the page's code points (_line_rows) finds the non-blank lines, their blank
    neighbours and the few lines to tidy or to cut, and the blocks are made from its columns by maps of
    built-in functions rather than by a Python loop over the lines: 105 -> 90 us per 6 KB."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n") if "\r" in raw else raw
    if not text:
        return []  # (an empty str array is one character long)
    lines = text.split("\n")
    # a numpy str array holds the text's code points (UCS-4): made in half the time encode("utf-32") takes
    line_no, blank_before, blank_after, untidy, long = _line_rows(
        np.frombuffer(np.array(text), dtype=np.uint32), char_tables()[0]
    )
    for i in untidy.tolist():
        lines[i] = _tidied(lines[i])
    numbers = line_no.tolist()
    fields = zip(
        numbers, map(lines.__getitem__, numbers), blank_before.tolist(), blank_after.tolist(), strict=True
    )
    # made by tuple.__new__, which is what Block(...) does after a call to a Python function: a page's
    # ~170 blocks in a third of the time
    blocks = cast(list[Block], list(map(tuple.__new__, repeat(Block), fields)))
    # from the last, so that the positions of those before stay where they are
    for k in reversed(long.tolist()):
        number, line, before, after = blocks[k]
        if len(line) > LONG_LINE_CHARS:  # (tidying may have made it shorter)
            pieces = _pieces(line)
            last = len(pieces) - 1
            blocks[k : k + 1] = [
                Block(number, piece, j > 0 or before, j < last or after) for j, piece in enumerate(pieces)
            ]
    return blocks


def _tidied(line: str) -> str:
    """The line with its whitespace collapsed to single spaces and its invisible characters (INVISIBLE)
    dropped at its edges and wherever they stand alone between spaces: "\u200b edge" is "edge", and a
    line of zero-width spaces and spaces is blank."""
    return " ".join(word for word in line.split() if word.strip(INVISIBLE)).strip(INVISIBLE)


@njit(cache=True, nogil=True)
def _line_rows(
    cp: np.ndarray, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The non-blank lines of a page (its code points, lines separated by newlines): the number of each,
    whether a blank line (or the page's edge) comes before it and after it, the numbers of those that
    need tidying (_tidied), and the positions among them of those longer than LONG_LINE_CHARS before
    tidying (which only shortens a line). A line is tidy when its only whitespace is single spaces
    between words (the space is the one printable whitespace character) and it holds no INVISIBLE
    character (none of them is printable); most lines of a page are, and are spared splitting into
    words and joining again. A line is blank when tidying leaves nothing of it: it holds no character
    but whitespace and INVISIBLE ones. A character beyond the Basic Multilingual Plane, which the table
    does not cover, makes a line untidy (tidying a line that was tidy changes nothing) and not blank (no
    such character is either)."""
    n = 1  # lines
    for c in cp:
        n += c == 10
    blank = np.empty(n + 2, dtype=np.bool_)  # by line + 1, after a blank line before the first
    untidy = np.empty(n, dtype=np.bool_)
    long = np.empty(n, dtype=np.bool_)
    blank[0] = blank[n + 1] = True
    line = start = 0
    previous = 10
    line_untidy = visible = False
    for p in range(len(cp) + 1):
        c = cp[p] if p < len(cp) else 10
        if c == 10:
            blank[line + 1] = not visible
            untidy[line] = line_untidy or previous == 32
            long[line] = p - start > LONG_LINE_CHARS
            line, start = line + 1, p + 1
            line_untidy = visible = False
        elif c == 32:
            line_untidy |= previous == 32 or previous == 10
        elif c > 0xFFFF:
            line_untidy = visible = True
        elif kinds[c] & F_PRINTABLE:
            visible = True
        else:
            line_untidy = True
            visible |= not kinds[c] & F_SPACE and c not in _INVISIBLE_CODES
        previous = c
    numbers = np.flatnonzero(~blank[1 : n + 1])
    return (
        numbers,
        blank[numbers],
        blank[numbers + 2],
        numbers[untidy[numbers]],
        np.flatnonzero(long[numbers]),
    )


def _pieces(line: str) -> list[str]:
    """A long line cut after sentence ends into paragraph-sized pieces (about LONG_LINE_PIECE_CHARS,
    a short remainder staying with the piece before it). Such lines are whole articles or sections sent
    without paragraph breaks; the classifier learned from pages where a paragraph is one line, and
    judged by shapes it never saw it dropped them (posted as a headline and one line, 119 of the 120
    dev articles were refused). A line with no sentence end stays whole; ``rejoin`` undoes the cut."""
    starts, ends = [0], []
    for match in SENTENCE_BREAK.finditer(line):
        cut_start, cut_end = match.span(match.lastindex or 0)
        if cut_start - starts[-1] >= LONG_LINE_PIECE_CHARS:
            ends.append(cut_start)
            starts.append(cut_end)
    if ends and len(line) - starts[-1] < LONG_LINE_PIECE_CHARS // 3:
        starts.pop()
        ends.pop()
    return [line[start:end] for start, end in zip(starts, [*ends, len(line)], strict=True)]


def rejoin(text: str, piece: str) -> str:
    """The text of a line again from its pieces (see _pieces), the next piece added to those before it:
    after a space in spaced scripts, directly after a Chinese or Japanese sentence end."""
    return f"{text}{piece}" if CJK_SENTENCE_END.search(text) else f"{text} {piece}"


def detect_language(blocks: list[Block]) -> str:
    """ISO 639-1 code of the page's language, read from its three longest lines that end like a sentence
    and are mostly letters (the prose: not the menus, nor a long line of mis-decoded bytes, which
    py3langid reads as a creole or as Chinese); from its longest lines when none is."""
    texts = sorted(map(attrgetter("text"), blocks), key=len, reverse=True)
    # lazily: the longest lines are mostly prose, so only a few are looked at
    prose = filter(_mostly_letters, compress(texts, _final_stops(texts)))
    longest = list(islice(prose, 3)) or texts[:3]
    sample = " ".join(longest)[:LANGUAGE_SAMPLE_CHARS]
    return identify(sample)


def _mostly_letters(text: str) -> bool:
    """At least half letters: prose in any script, not a line of mis-decoded bytes. Its ASCII letters,
    counted by deleting the other bytes of its UTF-8 (a twentieth of the regular expression's time),
    settle it for prose in Latin script; the expression counts the other letters when they do not."""
    if 2 * len(text.encode(errors="surrogatepass").translate(None, _NOT_ASCII_LETTERS)) >= len(text):
        return True
    return 2 * sum(map(len, LETTERS.findall(text))) >= len(text)


_LOCAL_INDEX = {name: i for i, name in enumerate(LOCAL_FEATURES)}


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The language's most frequent words (wordfreq knows ~40 languages, and lends a close language's
    words to some others); empty when it has none, so the stop-word feature is simply uninformative for
    that page instead of failing. `top_words` opens the list's file, hence the cache: ~1 KB a language."""
    return frozenset(w for w in top_words(lang, STOP_WORDS_PER_LANGUAGE) if w.isalpha())


_FINAL_STOPS = frozenset(FINAL_STOPS)
_TRUNCATIONS = ("...", "…", "[…]", "[...]")
_ASCII_DIGIT = re.compile("[0-9]")
LETTERS = re.compile(r"[^\W\d_]+")
_NOT_ASCII_LETTERS = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalpha())
# A line of prose that Smoothing adds to the article's edge: a whole sentence (ends like one, this long)
# scoring at least WHOLE_SENTENCE_LEVEL (a photo caption with its credit scores less).
WHOLE_SENTENCE_CHARS = 60
WHOLE_SENTENCE_LEVEL = 0.3
# A sentence wrapped over lines that end in a comma (a Japanese blog breaks its lines at "、") joins the
# article after it as a whole sentence does, judged by its lines' mean score, over at most this many lines.
WRAPPED_SENTENCE_LINES = 5
_COMMAS = ",、，"
_COMMA_CODES = np.array([ord(c) for c in _COMMAS], dtype=np.uint32)
# Dated template lines that must follow the first one within what was kept for it to start a comment
# thread there (see _thread_start).
THREAD_MIN_FOLLOWING = 2
# A list announced by a line of the article (introduced_lists): the announcing line ends with a colon,
# has at least LIST_INTRO_WORDS words and scores at least the run level; its items, the tight lines after
# it, have a median score of at least LIST_ITEMS_LEVEL, or are numbers in at least TABLE_NUMBERS_SHARE of
# them (a table flattened one cell per line, whose cells score near 0). On the dev pages the lists so
# announced in articles have median item scores of 0.09 to 0.31, while the link lists that chrome
# announces ("Related coverage from …:", "Follow us on:") score 0.00 to 0.02. A list after which the
# article goes on (the next line scores at least the run level) is the article's whatever its items
# score: models that never saw a site (page-level cross-validation) scored a diet's food list 0.015.
LIST_INTRO_WORDS = 3
LIST_ITEMS_LEVEL = 0.05
TABLE_NUMBERS_SHARE = 0.2
# A table (see _table_lines) has at least this many lines; a cell that is a number has at most this many
# characters.
TABLE_MIN_LINES = 6
NUMBER_CELL_CHARS = 16
_NUMBER_CELL = re.compile(r"[\d.,%]*\d[\d.,%]*")
# A numbered list (see numbered_lists): items that start "1." or "1)", or an ordinal in the languages news
# is most written in ("1st", "1er", "1e", "1a", "1º"), and count up by one, at least NUMBERED_MIN_ITEMS
# of them, each at most NUMBERED_ITEM_GAP lines below the one before.
_NUMBERED_ITEM = re.compile(r"(\d{1,3})(?:[.)]|st|nd|rd|th|er|re|e|ème|a|o|º|ª) ")
NUMBERED_MIN_ITEMS = 3
NUMBERED_ITEM_GAP = 3
# A widget the page shows twice (see repeated_runs): at least REPEATED_RUN_LINES lines in a row, each of
# at least REPEATED_RUN_WORDS words and no sentence end, that the page repeats in the same order.
REPEATED_RUN_LINES = 3
REPEATED_RUN_WORDS = 3


def has_digit(text: str) -> bool:
    """Whether text contains an ASCII digit (one regex scan: on the short lines this is mostly asked
    about, three to six times faster than looking for each of the ten digits)."""
    return _ASCII_DIGIT.search(text) is not None


def final_mark(text: str) -> str:
    """The character text ends on, closing quotes and brackets aside ("" for none)."""
    return text.rstrip(CLOSERS)[-1:]


def final_stop(text: str) -> bool:
    """Whether text ends like a sentence (full stop, question or exclamation mark, maybe quoted)."""
    return final_mark(text) in _FINAL_STOPS


def _final_stops(texts: Iterable[str]) -> Iterator[bool]:
    """final_stop of each text, computed by maps of built-in functions: a third of the cost of calling
    final_stop line by line."""
    ends = map(itemgetter(slice(-1, None)), map(str.rstrip, texts, repeat(CLOSERS)))
    return map(_FINAL_STOPS.__contains__, ends)


def truncated(text: str) -> bool:
    """Whether text ends in a truncation mark ("…", "...", "[…]"), as cut teasers do."""
    return text.rstrip(CLOSERS).endswith(_TRUNCATIONS)


# Mixes a line's word count into its skeleton's hash (an odd 64-bit constant).
_SK_WORDS = 0x9E3779B97F4A7C15


@njit(cache=True, nogil=True)
def _template_lines(skeletons: np.ndarray, marked: np.ndarray, n_words: np.ndarray) -> np.ndarray:
    """Which lines repeat a template of the page: lines of at most TEMPLATE_MAX_WORDS words with a digit
    or a punctuation mark whose skeleton (see line_features.LineShapes) at least TEMPLATE_MIN_LINES such
    lines share. Comment threads, teaser lists and product widgets repeat a line's shape item after item;
    the sentences of an article rarely share one. Letter-only lines are left out: a menu's one- and
    two-word labels share a few skeletons without being a template (``marked`` flags the lines with a
    character that is neither a letter nor whitespace). Compiled: as numpy calls it took 15 µs on the
    median page, this loop 3."""
    n = len(skeletons)
    templates = np.zeros(n, dtype=np.bool_)
    candidates = np.flatnonzero(marked & (n_words <= TEMPLATE_MAX_WORDS))
    if len(candidates) < TEMPLATE_MIN_LINES:
        return templates
    # the word count is mixed in because Chinese and Japanese lines collapse to few runs
    keys = skeletons[candidates] + n_words[candidates].astype(np.uint64) * np.uint64(_SK_WORDS)
    # the candidates in the order of their keys, so that those sharing a key follow one another
    order = np.argsort(keys)
    run = 0  # where the run of equal keys that the k-th candidate in that order belongs to starts
    for k in range(1, len(order) + 1):
        if k < len(order) and keys[order[k]] == keys[order[run]]:
            continue
        if k - run >= TEMPLATE_MIN_LINES:
            templates[candidates[order[run:k]]] = True
        run = k
    return templates


@njit(cache=True, nogil=True)
def _neighbour_overlaps(word_hash: np.ndarray, word_line: np.ndarray, n: int) -> np.ndarray:
    """For each of the n lines, the largest share of its distinct words (hashes of the page's words,
    and the line of each, in the order of the lines) found in the previous or the next line: a photo
    caption shown twice, or a teaser headline followed by its own summary, repeats its neighbour's words.

    Each distinct word of the page has a slot in a hash table (open addressing, at most half full) that
    holds the last line it was seen in, so that one look-up per word says whether the line has had it
    already and whether the line before has it: sorting each line's words and merging them with the next
    line's took 43 µs on the median page, the look-ups take 6."""
    size = 2
    while size < 2 * len(word_hash):
        size *= 2
    mask = np.uint64(size - 1)
    slot_word = np.zeros(size, dtype=np.uint64)
    slot_line = np.full(size, -1, dtype=np.int64)  # -1: a free slot
    distinct = np.zeros(n)  # each line's distinct words
    shared = np.zeros(n + 1)  # shared[line]: distinct words the line shares with the one before it
    for w in range(len(word_hash)):
        word, line = word_hash[w], word_line[w]
        slot = hash_slot(word, mask)
        while slot_line[slot] >= 0 and slot_word[slot] != word:
            slot = (slot + np.uint64(1)) & mask
        if slot_line[slot] == line:
            continue  # already seen in this line
        distinct[line] += 1
        shared[line] += line > 0 and slot_line[slot] == line - 1
        slot_word[slot], slot_line[slot] = word, line
    overlaps = np.zeros(n)
    for line in range(n):
        if distinct[line]:
            overlaps[line] = max(shared[line], shared[line + 1]) / distinct[line]
    return overlaps


@njit(cache=True, nogil=True)
def _text_keys(skeletons: np.ndarray, word_hash: np.ndarray, word_line: np.ndarray) -> np.ndarray:
    """A key per line that lines of equal text share: the hash of its skeleton and its words in order
    (see line_features.LineShapes), which the shape pass computed. Lines of different text share a key
    only when their words differ in case alone, in the same runs of upper- and lower-case letters ("ABc",
    "Abc"), when they differ in runs of one punctuation mark or of whitespace, or when hashes collide.
    Hashing every character of the page instead took 15 µs per page."""
    keys = skeletons.copy()
    for w in range(len(word_hash)):
        line = word_line[w]
        keys[line] = keys[line] * np.uint64(HASH_BASE) + word_hash[w]
    return keys


@njit(cache=True, nogil=True)
def _repeated_lines(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which of the lines of a page (its code points, and each line's start and length among them) have
    the text of another line, given keys that lines of equal text share (_text_keys). Lines are grouped
    by their keys, and a line is compared with the others of its group until one has its text: with
    every line of a group alike, as with all but the rarest keys, one comparison each: 6 µs on the
    median page, where counting the texts with a Counter took 60."""
    n = len(starts)
    repeated = np.zeros(n, dtype=np.bool_)
    order = np.argsort(keys)
    group = 0  # where the group of equal keys that the k-th line in that order belongs to starts
    for k in range(1, n + 1):
        if k < n and keys[order[k]] == keys[order[group]]:
            continue
        for a in order[group:k]:
            for b in order[group:k]:
                if a != b and lengths[a] == lengths[b] and _same_text(cp, starts[a], starts[b], lengths[a]):
                    repeated[a] = True
                    break
        group = k
    return repeated


def local_features(blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
    """Matrix (blocks × LOCAL_FEATURES) of what each line looks like on its own and beside its
    neighbours: the first columns of block_features, which computes the rest with them in the same
    compiled passes."""
    return block_features(blocks, stops)[:, :_N_LOCAL]


@njit(cache=True, nogil=True)
def densest_run(weights: np.ndarray) -> tuple[int, int]:
    """Bounds [start, end] of the contiguous stretch with the largest total weight: with prose weighted
    positive and furniture negative, that stretch is where the article sits. Computed on prefix sums:
    the stretch ending at e is best when it starts after the lowest prefix sum before e. Ties go to the
    earliest end and, for that end, the shortest stretch."""
    n = len(weights)
    if not n:
        return 0, 0
    prefix = np.zeros(n + 1)
    lowest = best_lowest = 0.0  # the lowest prefix sum so far; the one the best stretch starts after
    best, end = -np.inf, 0
    for e in range(n):
        prefix[e + 1] = prefix[e] + weights[e]
        if prefix[e + 1] - lowest > best:
            best, end, best_lowest = prefix[e + 1] - lowest, e, lowest
        lowest = min(lowest, prefix[e + 1])
    start = end
    while prefix[start] != best_lowest:
        start -= 1
    return start, end


_N_LOCAL, _N_CONTEXT, _N_NEIGHBOUR = len(LOCAL_FEATURES), len(CONTEXT_FEATURES), len(NEIGHBOUR_FEATURES)
_NEIGHBOUR_COLUMNS = np.array([_LOCAL_INDEX[name] for name in NEIGHBOUR_FEATURES])
# Where each context feature goes in the feature matrix, as the constants the compiled loop writes to.
_POSITION = _N_LOCAL + CONTEXT_FEATURES.index("position")
_FIRST_TENTH = _N_LOCAL + CONTEXT_FEATURES.index("first_tenth")
_LAST_TENTH = _N_LOCAL + CONTEXT_FEATURES.index("last_tenth")
_LOG_TIGHT_RUN = _N_LOCAL + CONTEXT_FEATURES.index("log_tight_run")
_SHORT_SHARE_W3 = _N_LOCAL + CONTEXT_FEATURES.index("short_share_w3")
_PROSE_SHARE_W1 = _N_LOCAL + CONTEXT_FEATURES.index("prose_share_w1")
_PROSE_SHARE_W3 = _N_LOCAL + CONTEXT_FEATURES.index("prose_share_w3")
_IN_DENSE_RUN = _N_LOCAL + CONTEXT_FEATURES.index("in_dense_run")
_LOG_DIST_DENSE_RUN = _N_LOCAL + CONTEXT_FEATURES.index("log_dist_dense_run")
_BEFORE_DENSE_RUN = _N_LOCAL + CONTEXT_FEATURES.index("before_dense_run")
_AFTER_DENSE_RUN = _N_LOCAL + CONTEXT_FEATURES.index("after_dense_run")
_PROSE_ENCLOSED_3 = _N_LOCAL + CONTEXT_FEATURES.index("prose_enclosed_3")
_PROSE_ENCLOSED_10 = _N_LOCAL + CONTEXT_FEATURES.index("prose_enclosed_10")
_REL_LOG_CHARS = _N_LOCAL + CONTEXT_FEATURES.index("rel_log_chars")
_DATED_TEMPLATE_ENCLOSED = _N_LOCAL + CONTEXT_FEATURES.index("dated_template_enclosed")
_PROSE_LIKE, _SHORT, _LOG_CHARS, _DATE_SHAPE, _CLOCK, _YEAR = (
    _LOCAL_INDEX[name] for name in ("prose_like", "short", "log_chars", "date_shape", "clock", "year")
)
_BLANK_BEFORE, _BLANK_AFTER, _REPEATED, _NEIGHBOUR_OVERLAP = (
    _LOCAL_INDEX[name] for name in ("blank_before", "blank_after", "repeated", "neighbour_overlap")
)
_PREV = _N_LOCAL + _N_CONTEXT  # the previous block's neighbour features, then the next block's
_N_FEATURES = _PREV + 2 * _N_NEIGHBOUR


def block_features(blocks: list[Block], stops: frozenset[str]) -> np.ndarray:
    """Local features of each block, of its two neighbours, and page-context features."""
    return _features_and_thread_lines(blocks, stops)[0]


def _features_and_thread_lines(blocks: list[Block], stops: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """block_features, and which blocks are dated template lines (the timestamps of comments and
    teasers, see Smoothing.keep). The page's lines are read in compiled passes that write their columns
    straight into the matrix: the shapes (line_features.line_shapes), the local columns that depend on
    the rest of the page (_fill_page_columns), then the context (_fill_context). As numpy calls on arrays
    of a few hundred lines, each costing more than its arithmetic, and a Counter of the texts, the same
    took twice the time: 0.45 ms per 6 KB against 0.23."""
    # the blocks' fields as columns, in one pass over them
    line_no, texts, blank_before, blank_after = zip(*blocks, strict=True) if blocks else ((), (), (), ())
    n = len(texts)
    cp = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    features = np.zeros((n, _N_FEATURES))
    shapes = line_shapes(cp, stops, features)
    logs = count_logs(len(cp) + 1)  # a page has at most a line per code point, and one more
    dated_templates, run_weights = _fill_page_columns(
        features,
        cp,
        shapes,
        # bytes() packs the flags into bytes of 0 and 1 in one C loop (a third of np.fromiter's time)
        np.frombuffer(bytes(blank_before), np.bool_),
        np.frombuffer(bytes(blank_after), np.bool_),
        _prose_weights(logs),
    )
    # called from Python as Smoothing.keep calls it, so that load_model's page, whose keep decisions
    # never reach it, compiles it for both
    run_start, run_end = densest_run(run_weights)
    _fill_context(features, dated_templates, np.fromiter(line_no, np.int64, n), run_start, run_end, logs)
    return features, dated_templates


def _prose_weights(logs: np.ndarray) -> np.ndarray:
    """The weight in densest_run of a prose line of k characters, for every k of count_logs' table
    ``logs``: numpy's expm1(log1p(k)), as the model's features hold the line's length. Kept between pages
    as count_logs' tables are (up to CACHED_COUNTS)."""
    return _cached_prose_weights(len(logs)) if len(logs) <= CACHED_COUNTS else np.expm1(logs)


@cache
def _cached_prose_weights(size: int) -> np.ndarray:
    return np.expm1(count_logs(size - 1))


@njit(cache=True, nogil=True)
def _fill_page_columns(
    features: np.ndarray,
    cp: np.ndarray,
    shapes: LineShapes,
    blank_before: np.ndarray,
    blank_after: np.ndarray,
    prose_weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Write the local columns of a page's feature matrix that depend on the rest of the page, its shape
    columns being written (by line_shapes, which read the page's code points ``cp`` into ``shapes``):
    the blank lines around each line, whether its text is repeated and its overlap with its neighbours.
    Returns which lines are dated template lines, and each line's weight in densest_run: prose its
    length (``prose_weights``, see _prose_weights), the rest -40."""
    n = len(features)
    keys = _text_keys(shapes.skeleton, shapes.word_hash, shapes.word_line)
    repeated = _repeated_lines(cp, shapes.starts, shapes.lengths, keys)
    overlaps = _neighbour_overlaps(shapes.word_hash, shapes.word_line, n)
    templates = _template_lines(shapes.skeleton, shapes.marked, shapes.words)
    # template lines with a date or a time in them: the timestamps of comments and teasers; a line with
    # such lines on both sides within TEMPLATE_RADIUS is inside a comment thread or a teaser list, however
    # much its own text reads like the article
    dated_templates = np.zeros(n, dtype=np.bool_)
    run_weights = np.empty(n)
    for i in range(n):
        row = features[i]
        row[_BLANK_BEFORE] = blank_before[i]
        row[_BLANK_AFTER] = blank_after[i]
        row[_REPEATED] = repeated[i]
        row[_NEIGHBOUR_OVERLAP] = overlaps[i]
        dated_templates[i] = templates[i] and row[_DATE_SHAPE] + row[_CLOCK] + row[_YEAR] > 0
        run_weights[i] = prose_weights[shapes.lengths[i]] if row[_PROSE_LIKE] > 0 else -40.0
    return dated_templates, run_weights


@njit(cache=True, nogil=True)
def _fill_context(
    features: np.ndarray,
    dated_templates: np.ndarray,
    line_no: np.ndarray,
    run_start: int,
    run_end: int,
    logs: np.ndarray,
) -> None:
    """Write each block's context columns and its neighbours' columns, the local columns being written:
    where it lies on the page and against the densest run of prose (run_start to run_end, see
    densest_run), the shares of short and of prose lines in windows around it, whether prose or
    ``dated_templates`` enclose it, and the size of the run of tight lines it belongs to (see
    _tight_run_size). The logarithms of counts are looked up in ``logs`` (line_features.count_logs).
    The windows are read off running counts of the flags (_running_counts): summing each window's
    slice took 24 µs on the median page, this loop takes 10 with the logarithms."""
    n = len(features)
    if not n:
        return
    prose = _running_counts(features[:, _PROSE_LIKE] > 0)
    short = _running_counts(features[:, _SHORT] > 0)
    dated = _running_counts(dated_templates)
    log_chars = features[:, _LOG_CHARS]
    tight_run = _tight_run_size(features[:, _BLANK_BEFORE] > 0, line_no)
    longest = log_chars.max()
    for i in range(n):
        row = features[i]
        position = i / max(n - 1, 1)
        row[_POSITION] = position
        row[_FIRST_TENTH] = position < 0.1
        row[_LAST_TENTH] = position > 0.9
        row[_LOG_TIGHT_RUN] = logs[tight_run[i]]
        row[_SHORT_SHARE_W3] = _window_mean(short, i, 3)
        row[_PROSE_SHARE_W1] = _window_mean(prose, i, 1)
        row[_PROSE_SHARE_W3] = _window_mean(prose, i, 3)
        before, after = run_start - i, i - run_end  # positive before the run and after it
        distance = max(before, 0) + max(after, 0)
        row[_IN_DENSE_RUN] = distance == 0
        row[_LOG_DIST_DENSE_RUN] = logs[distance]
        row[_BEFORE_DENSE_RUN] = before > 0
        row[_AFTER_DENSE_RUN] = after > 0
        row[_PROSE_ENCLOSED_3] = _enclosed(prose, i, 3)
        row[_PROSE_ENCLOSED_10] = _enclosed(prose, i, 10)
        row[_REL_LOG_CHARS] = log_chars[i] - longest
        row[_DATED_TEMPLATE_ENCLOSED] = _enclosed(dated, i, TEMPLATE_RADIUS)
        # the previous and the next block's neighbour features (zero beyond the page's ends)
        for k in range(_N_NEIGHBOUR):
            column = _NEIGHBOUR_COLUMNS[k]
            if i > 0:
                row[_PREV + k] = features[i - 1, column]
            if i < n - 1:
                row[_PREV + _N_NEIGHBOUR + k] = features[i + 1, column]


@njit(cache=True, nogil=True)
def _running_counts(flags: np.ndarray) -> np.ndarray:
    """How many of the first k blocks are flagged, for k from 0 to the number of blocks."""
    counts = np.zeros(len(flags) + 1, dtype=np.int64)
    for i in range(len(flags)):
        counts[i + 1] = counts[i] + flags[i]
    return counts


@njit(cache=True, nogil=True)
def _window_mean(counts: np.ndarray, i: int, radius: int) -> float:
    """Share of the blocks within ``radius`` blocks of block i, itself excluded, that are flagged (edges
    truncated; 0 when there are none), from the flags' running counts (_running_counts)."""
    lo, hi = max(i - radius, 0), min(i + radius + 1, len(counts) - 1)
    count = hi - lo - 1
    return (counts[hi] - counts[lo] - (counts[i + 1] - counts[i])) / count if count > 0 else 0.0


@njit(cache=True, nogil=True)
def _enclosed(counts: np.ndarray, i: int, radius: int) -> bool:
    """Whether a block among the ``radius`` blocks before block i and one among the ``radius`` after it
    are flagged (``counts``: the flags' running counts, see _running_counts): true for a list or a short
    line inside the article, which has prose on both sides."""
    return (
        counts[i] > counts[max(i - radius, 0)]
        and counts[min(i + radius + 1, len(counts) - 1)] > counts[i + 1]
    )


@njit(cache=True, nogil=True)
def _tight_run_size(blank_before: np.ndarray, line_no: np.ndarray) -> np.ndarray:
    """Length of the run of lines with no blank line between them that each block belongs to: menus and
    link lists are long tight runs, paragraphs are isolated. Zero on pages with no blank lines at all,
    where tightness says nothing. ``blank_before`` flags the blocks after a blank line."""
    n = len(line_no)
    sizes = np.zeros(n, dtype=np.int64)
    if not blank_before[1:].any():
        return sizes
    run_id = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        run_id[i] = run_id[i - 1] + (blank_before[i] or line_no[i] != line_no[i - 1] + 1)
    counts = np.bincount(run_id)
    for i in range(n):
        sizes[i] = counts[run_id[i]]
    return sizes


def feature_names() -> list[str]:
    """Column names of block_features, for the model file and for inspecting weights."""
    names = list(LOCAL_FEATURES) + list(CONTEXT_FEATURES)
    return names + [f"prev_{n}" for n in NEIGHBOUR_FEATURES] + [f"next_{n}" for n in NEIGHBOUR_FEATURES]


@njit(cache=True, nogil=True)
def _log_odds(
    x: np.ndarray, weights: np.ndarray, base: float, columns: np.ndarray, edges: np.ndarray, steps: np.ndarray
) -> np.ndarray:
    """Additive's log-odds of each row of x: the weighted features, plus ``base``, plus the step of each
    edge its feature reaches, added in that order. As numpy it took a matrix product, a gather of the
    binned columns and a second product: 38 µs on a median page. The loops run over the rows innermost,
    so that each row's sum, added to in the same order as row by row (hence to the same bits), is one of
    many independent sums the processor can add at once rather than one long chain of dependent
    additions; the steps are taken or not without a branch: 24 µs row by row on the median page, 13."""
    n, m = x.shape
    z = np.zeros(n)
    for j in range(m):
        weight = weights[j]
        for i in range(n):
            z[i] += x[i, j] * weight
    for i in range(n):
        z[i] += base
    for k in range(len(columns)):
        column, edge, step = columns[k], edges[k], steps[k]
        for i in range(n):
            total = z[i]
            z[i] = total + step if x[i, column] >= edge else total
    return z


@dataclass(frozen=True)
class Additive:
    """A logistic regression over each feature's value and the quantile bin it falls in:
    p = σ(intercept + Σ_j (weights_j · x_j + table_j[bin_j(x_j)])). The bins let a feature's effect bend
    (a line of three words is not half as article-like as one of six) where a plain linear model can only
    scale it, and the model stays one inspectable curve per feature. On the dev pages (page-level 5-fold
    cross-validation, bench/train_blocks.py) it scores F1 0.896 where the plain logistic model scored
    0.883; gradient-boosted trees scored no better than the bins and cost several times as much to
    evaluate with numpy. With dated_template_enclosed added it scores 0.903 (0.901 without it; in-sample
    0.921 against 0.917). Features tried since and not kept, none above 0.907 and none clear of the
    ±0.005 that shuffling the pages into other folds moves the figure (bench/train_blocks.py has each
    one's figures): a headline glued to its summary ("SteakhouseA") 0.901, the share of template lines
    nearby 0.903, lying between two lines of one template 0.899, a line's share of words that other
    prose lines repeat 0.907 (0.903 averaged over four fold splits, against 0.901), and the distance to
    and overlap with a guessed headline 0.896. ``edges`` holds each feature's ascending bin edges, padded
    with +inf; bin_j(x) is how many of them x reaches, the column of ``table``."""

    weights: np.ndarray
    edges: np.ndarray
    table: np.ndarray
    intercept: float

    @cached_property
    def _steps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every real edge (not the padding) as its feature's column, its value, and what reaching it
        adds to the log-odds: flags and other unbinned features (a third of them) have none."""
        columns, ranks = np.nonzero(np.isfinite(self.edges))
        steps = np.diff(self.table, axis=1)[columns, ranks]
        return columns, self.edges[columns, ranks], steps

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability that each row is article text. The bins are scored as steps over the real edges,
        which is several times faster than looking up each feature's bin (and than one step per edge
        rank, which compares the padding too), in one compiled loop over the rows (see _log_odds)."""
        columns, edges, steps = self._steps
        z = _log_odds(x, self.weights, self.intercept + self.table[:, 0].sum(), columns, edges, steps)
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        """Per feature (in feature_names order): its weight, bin edges and the bins' contributions. Edges
        keep full precision: they lie halfway between neighbouring training values (see
        bench/train_blocks._between_values), and pages produce values next to them."""
        edges = [[float(e) for e in row if np.isfinite(e)] for row in self.edges]
        return {
            "weights": self.weights.round(6).tolist(),
            "edges": edges,
            "table": [row[: len(e) + 1] for row, e in zip(self.table.round(6).tolist(), edges, strict=True)],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, d: dict) -> Additive:
        """Inverse of to_json: pads every feature's edges with +inf (a bin no value reaches)."""
        n_bins = max(len(e) for e in d["edges"])
        edges = np.full((len(d["edges"]), n_bins), np.inf)
        table = np.zeros((len(d["edges"]), n_bins + 1))
        for j, (e, t) in enumerate(zip(d["edges"], d["table"], strict=True)):
            edges[j, : len(e)] = e
            table[j, : len(t)] = t
        return cls(np.array(d["weights"]), edges, table, float(d["intercept"]))


@dataclass(frozen=True)
class Smoothing:
    """How block scores become keep decisions along the page. The article is one region: find the
    stretch of blocks whose scores most exceed ``run_level`` (each block weighted by its length to the
    power ``length_power``, so one long paragraph outweighs a few short teasers), widen it over adjacent
    blocks scoring at least ``edge`` (a closing sentence followed by furniture scores lower than the
    paragraphs before it) or whole sentences scoring at least WHOLE_SENTENCE_LEVEL (after it, also one
    wrapped over lines that end in commas, see WRAPPED_SENTENCE_LINES), keep what scores
    at least ``inside`` within it, and outside it only what scores at least ``outside``. The items of a
    list that a line of the article announces (introduced_lists) never weigh against the article in that
    choice, and are kept whole when the line announcing them is; nor do the lines of numbered lists
    (numbered_lists), kept whole when any of their lines is, nor the cells of tables (see _table_lines),
    kept when they lie inside the article. A widget the page shows twice (repeated_runs) weighs nothing
    either way.

    Lines ``known`` as the stream's boilerplate (seen in many unrelated articles, workers.boilerplate)
    are no evidence of where the article is: they weigh nothing when the region is chosen, so that a
    site's long legal notice cannot outweigh a short article, nor split one it sits inside. Within the
    chosen region they are judged by their score as any line: a quote that several outlets carry stays
    in each article."""

    run_level: float
    length_power: float
    edge: float
    inside: float
    outside: float

    def keep(
        self,
        scores: np.ndarray,
        blocks: list[Block],
        known: np.ndarray | None = None,
        thread_lines: np.ndarray | None = None,
        inline: np.ndarray | None = None,
    ) -> np.ndarray:
        """Boolean keep decision per block; ``known`` flags the blocks known as boilerplate. With
        ``thread_lines`` (dated template lines), the article ends where a comment thread starts inside
        what was kept (see _thread_start). ``inline`` flags the furniture cut by rule that sits inside
        articles, photo captions and credits and repeated labels (see workers.furniture), which weighs
        nothing when the article's run is chosen: a gallery's captions or an ad slot's label between the
        article's paragraphs are no sign that it ended (on a space.com page "Image 1 of 5" … "Image 5 of
        5" would otherwise split it and lose its first half)."""
        n = len(blocks)
        _, texts, _, blank_after = zip(*blocks, strict=True)  # each field of the blocks, as one tuple
        # a numpy str array holds the page's code points (UCS-4): made in half the time encode("utf-32")
        # takes
        code_points = np.frombuffer(np.array("\n".join(texts)), dtype=np.uint32)
        chars, marks, number_starts, next_copy = _keep_marks(code_points, n, *char_tables()[:2])
        # the items of a list that a line of the article announces, of a numbered list one line of
        # which reads like the article, and the cells of tables, weigh nothing against the article: they
        # are short and score low, and would otherwise end it at the list or split it in two (a numbered
        # "most read" menu, none of whose lines does, still ends it)
        starts = number_starts.tolist()
        numbered = numbered_lists(blocks, starts)
        cells = np.array([i for i in starts if _number_cell(texts[i])], dtype=np.int64)
        no_flags = np.zeros(n, dtype=bool)
        return _keep_decisions(
            scores,
            chars,
            chars**self.length_power,
            marks,
            np.frombuffer(bytes(blank_after), dtype=bool),
            cells,
            numbered,
            next_copy,
            no_flags if inline is None else inline,
            no_flags if known is None else known,
            no_flags if thread_lines is None else thread_lines,
            self.run_level,
            self.edge,
            self.inside,
            self.outside,
        )


@njit(cache=True, nogil=True)
def _run_weights(
    scores: np.ndarray,
    length_weights: np.ndarray,
    run_level: float,
    blank_after: np.ndarray,
    marks: np.ndarray,
    cells: np.ndarray,
    numbered: np.ndarray,
    next_copy: np.ndarray,
    inline: np.ndarray,
    known: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """The weight of each block in the choice of the article's run (see Smoothing.keep), the evidence
    of each (its score, 0 for the blocks ``known`` as boilerplate), the block with the most evidence
    (the first of them), and the lists and tables that decide them: each block's announcing line (see
    introduced_lists, given the lines' ``marks``, see _keep_marks) and whether it lies in a table (see
    _table_lines, given the blocks that are numbers alone, ``cells``), both read along the runs of tight
    lines that ``blank_after`` ends. A block's weight is its score's excess over ``run_level`` times
    ``length_weights`` (its length to the smoothing's power); never negative for the items of lists
    (announced ones; ``numbered``, see numbered_lists, when one of the list's lines scores at least
    run_level) and the cells of a table; zero for the lines of repeated runs (see repeated_runs, given
    ``next_copy``), the ``inline`` furniture and the ``known`` boilerplate. One compiled call: as numpy
    and Python, the lists and tables took a dozen calls of several microseconds each on a page's few
    hundred blocks."""
    n = len(scores)
    run = tight_run_ids(blank_after)
    is_cell = np.zeros(n, dtype=np.bool_)
    is_cell[cells] = True
    intro = introduced_lists(scores, run_level, run, blank_after, marks, is_cell)
    table = _table_lines(run, is_cell)
    read = _in_lists_with(numbered, scores >= run_level)
    repeated = repeated_runs(next_copy)
    weights = np.empty(n)
    evidence = np.empty(n)
    best = 0
    for i in range(n):
        weight = (scores[i] - run_level) * length_weights[i]
        if intro[i] >= 0 or table[i] or read[i]:
            weight = max(weight, 0.0)
        if repeated[i] or inline[i] or known[i]:
            weight = 0.0
        weights[i] = weight
        evidence[i] = 0.0 if known[i] else scores[i]
        if evidence[i] > evidence[best]:
            best = i
    return weights, evidence, best, intro, table


@njit(cache=True, nogil=True)
def _keep_decisions(
    scores: np.ndarray,
    chars: np.ndarray,
    length_weights: np.ndarray,
    marks: np.ndarray,
    blank_after: np.ndarray,
    cells: np.ndarray,
    numbered: np.ndarray,
    next_copy: np.ndarray,
    inline: np.ndarray,
    known: np.ndarray,
    thread_lines: np.ndarray,
    run_level: float,
    edge_level: float,
    inside_level: float,
    outside_level: float,
) -> np.ndarray:
    """Smoothing.keep's decisions, given what it read in the lines (their lengths, ``chars``, and
    ``marks``, see _keep_marks; ``cells`` and ``numbered``, see _number_cell and numbered_lists) and
    the weights of their lengths: the article's run is chosen (see _run_weights) and widened (see
    _article_run); kept are what scores at least ``inside_level`` within it, what scores at least
    ``outside_level`` anywhere, the wrapped sentences that joined it and the cells of its tables with
    any evidence; then the items of the lists announced by a kept line and the lines of the numbered
    lists one line of which is kept, but for those with no evidence (cut by rule or known as
    boilerplate); nothing from where a comment thread starts (see _thread_start), nor, before it, the
    lines after the last one that ends like a sentence (the thread's heading and first commenter's
    name). One compiled call where there were three, with the run's choice and widening in Python
    between them: keep 85 -> 74 us per 6 KB."""
    weights, evidence, best, intro, table = _run_weights(
        scores, length_weights, run_level, blank_after, marks, cells, numbered, next_copy, inline, known
    )
    start, end, wrapped = _article_run(weights, evidence, best, run_level, edge_level, chars, marks)
    n = len(scores)
    keep = np.empty(n, dtype=np.bool_)
    for i in range(n):
        inside = start <= i <= end
        keep[i] = (
            (inside and (scores[i] >= inside_level or (table[i] and evidence[i] > 0)))
            or evidence[i] >= outside_level
            or wrapped[i]
        )
    # an announced list follows its announcing line as decided above, not as a list it is an item of
    announced = keep.copy()
    for i in range(n):
        if intro[i] >= 0 and announced[intro[i]] and evidence[i] > 0:
            keep[i] = True
    listed = _in_lists_with(numbered, keep)
    for i in range(n):
        if listed[i] and evidence[i] > 0:
            keep[i] = True
    cut = _thread_start(keep, thread_lines)
    if cut >= 0:
        keep[cut:] = False
        # before the thread's first timestamp, its heading and the first commenter's name
        for i in range(cut - 1, -1, -1):
            if keep[i]:
                if marks[i] & ENDS_SENTENCE:
                    break
                keep[i] = False
    return keep


@njit(cache=True, nogil=True)
def _article_run(
    weights: np.ndarray,
    evidence: np.ndarray,
    best: int,
    run_level: float,
    edge_level: float,
    chars: np.ndarray,
    marks: np.ndarray,
) -> tuple[int, int, np.ndarray]:
    """The article's run (its first and last block) and the wrapped sentences it was widened over: the
    densest run of the ``weights``, widened over the blocks next to it that join it (see _joins) and,
    after it, over sentences wrapped at their commas (see _wrapped_sentence). When no block's evidence
    reaches ``run_level`` (a one-paragraph story at the foot of a portal's menus) every weight is
    negative and the densest run would be the least negative menu label: the article is then taken to
    be where the ``best`` block is."""
    n = len(weights)
    if evidence[best] < run_level:
        start, end = best, best
    else:
        start, end = densest_run(weights)
    while start > 0 and _joins(start - 1, evidence, edge_level, chars, marks):
        start -= 1
    wrapped = np.zeros(n, dtype=np.bool_)
    while end < n - 1:
        if _joins(end + 1, evidence, edge_level, chars, marks):
            end += 1
            continue
        last = _wrapped_sentence(end + 1, evidence, chars, marks)
        if last < 0:
            break
        wrapped[end + 1 : last + 1] = True
        end = last
    return start, end, wrapped


@njit(cache=True, nogil=True)
def _joins(i: int, evidence: np.ndarray, edge_level: float, chars: np.ndarray, marks: np.ndarray) -> bool:
    """Whether block i, next to the article's run, joins it: it scores at least ``edge_level``, or it is a
    whole sentence (ends like one, at least WHOLE_SENTENCE_CHARS long: characters, not words, as a
    script written without spaces has sentences too) that the classifier half believes is part of the
    article (WHOLE_SENTENCE_LEVEL): a short article among teasers has its paragraphs scored below the
    run level."""
    return evidence[i] >= edge_level or (
        evidence[i] >= WHOLE_SENTENCE_LEVEL
        and chars[i] >= WHOLE_SENTENCE_CHARS
        and marks[i] & ENDS_SENTENCE != 0
    )


@njit(cache=True, nogil=True)
def _wrapped_sentence(i: int, evidence: np.ndarray, chars: np.ndarray, marks: np.ndarray) -> int:
    """The last block of a sentence that starts at block i and goes on over lines ending in a comma (a
    blog that wraps its sentences there, see WRAPPED_SENTENCE_LINES), when it would join the article as
    one line would (a whole sentence, its lines' mean evidence at least WHOLE_SENTENCE_LEVEL); -1 for
    none. The sentence is then kept whole."""
    j = i
    while j < min(i + WRAPPED_SENTENCE_LINES, len(evidence)) - 1 and marks[j] & ENDS_IN_COMMA:
        j += 1
    if j == i or chars[i : j + 1].sum() < WHOLE_SENTENCE_CHARS or not marks[j] & ENDS_SENTENCE:
        return -1
    total = 0.0  # summed in order, as numpy sums a few values
    for k in range(i, j + 1):
        total += evidence[k]
    return j if total / (j + 1 - i) >= WHOLE_SENTENCE_LEVEL else -1


@njit(cache=True, nogil=True)
def _in_lists_with(numbered: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Which blocks lie in a numbered list (``numbered``, see numbered_lists) that holds a flagged block."""
    n = len(numbered)
    holds = np.zeros(n, dtype=np.bool_)  # by the index of the list's first item
    for i in range(n):
        if numbered[i] >= 0 and flagged[i]:
            holds[numbered[i]] = True
    listed = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        listed[i] = numbered[i] >= 0 and holds[numbered[i]]
    return listed


@njit(cache=True, nogil=True)
def tight_run_ids(blank_after: np.ndarray) -> np.ndarray:
    """Per block, the number of its run of tight lines (no blank line between them), counted from 0 down
    the page: lists and tables are tight runs. ``blank_after`` flags the blocks a blank line follows."""
    ids = np.zeros(len(blank_after), dtype=np.int64)
    for i in range(1, len(blank_after)):
        ids[i] = ids[i - 1] + blank_after[i - 1]
    return ids


# What _keep_marks tells of a line (bits): MAY_ANNOUNCE, it may announce a list (ends with a colon and
# has LIST_INTRO_WORDS words or more, see introduced_lists); ENDS_SENTENCE, it ends like a sentence
# (final_stop); ENDS_IN_COMMA, it ends in one of _COMMAS (see _wrapped_sentence).
MAY_ANNOUNCE, ENDS_SENTENCE, ENDS_IN_COMMA = (1 << k for k in range(3))


@njit(cache=True, nogil=True)
def _keep_marks(
    code_points: np.ndarray, n: int, kinds: np.ndarray, case: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What Smoothing.keep reads in the n lines of a page, given as its ``code_points`` (the lines
    separated by newlines; segment's lines hold none), with the character tables of
    ``workers.line_features.char_tables`` (``kinds``, ``case``): the length of each line; its marks
    (see MAY_ANNOUNCE); the lines that start like a number (with a decimal digit, a full stop, a comma
    or a percent sign, as the lines that _NUMBERED_ITEM and _NUMBER_CELL match do: only those are
    matched against them; a character beyond the Basic Multilingual Plane, which the tables do not
    cover, is taken to, and the regular expressions that read the lines so marked decide); and, for a
    headline-shaped line (REPEATED_RUN_WORDS words or more, no sentence end), how far down the page the
    next copy of it is (0 for none; see repeated_runs). Copies share their length, first and last
    character: the lines that share those are sorted together and told apart by comparing them. One
    compiled pass: in Python each of these looked at every line, a call or two per line, and the copies
    took a Counter of the page."""
    starts = np.empty(n, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    i = start = 0
    for p in range(len(code_points) + 1):
        if p == len(code_points) or code_points[p] == ord("\n"):
            if i == n:
                raise ValueError("more lines than blocks: a block's text holds a newline")
            starts[i], lengths[i] = start, p - start
            i, start = i + 1, p + 1
    number_start = np.zeros(n, dtype=np.bool_)
    marks = np.zeros(n, dtype=np.uint8)
    headline = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        start = starts[i]
        end = start + lengths[i]
        if end > start:
            first = code_points[start]
            number_start[i] = (
                first > 0xFFFF
                or first == ord(".")
                or first == ord(",")
                or first == ord("%")
                or case[first] & C_DECIMAL != 0
            )
            last = code_points[end - 1]
            if last in _COMMA_CODES:
                marks[i] |= ENDS_IN_COMMA
            # (a line that ends with a colon ends with no final stop)
            if _ends_with_final_stop(code_points, start, end, kinds):
                marks[i] |= ENDS_SENTENCE
            else:
                spaces = _spaces(code_points, start, end, _MOST_SPACES_READ)
                if last == ord(":") and spaces + 1 >= LIST_INTRO_WORDS:
                    marks[i] |= MAY_ANNOUNCE
                headline[i] = spaces >= REPEATED_RUN_WORDS - 1
    lines = np.flatnonzero(headline)
    keys = np.empty(len(lines), dtype=np.uint64)  # length, first and last character (21 bits each)
    for k, line in enumerate(lines):
        first, last = code_points[starts[line]], code_points[starts[line] + lengths[line] - 1]
        keys[k] = (np.uint64(lengths[line]) << np.uint64(42)) | (np.uint64(first) << np.uint64(21)) | last
    # the lines by key, those with one key in the order of the page (the sort is stable)
    by_key = np.argsort(keys, kind="mergesort")
    order, keys = lines[by_key], keys[by_key]
    next_copy = np.zeros(n, dtype=np.int64)
    for a in range(len(order)):
        for b in range(a + 1, len(order)):
            if keys[b] != keys[a]:
                break
            if _same_text(code_points, starts[order[a]], starts[order[b]], lengths[order[a]]):
                next_copy[order[a]] = order[b] - order[a]
                break
    return lengths, marks, np.flatnonzero(number_start), next_copy


@njit(cache=True, nogil=True)
def _ends_with_final_stop(code_points: np.ndarray, start: int, end: int, kinds: np.ndarray) -> bool:
    """final_stop of the line from start to end among the page's ``code_points``."""
    p = end - 1
    while p >= start and code_points[p] <= 0xFFFF and kinds[code_points[p]] & F_CLOSER:
        p -= 1
    return p >= start and code_points[p] <= 0xFFFF and kinds[code_points[p]] & F_FINAL_STOP != 0


# The spaces _keep_marks counts in a line at most: enough to tell whether it has the words that
# LIST_INTRO_WORDS and REPEATED_RUN_WORDS ask for.
_MOST_SPACES_READ = max(LIST_INTRO_WORDS, REPEATED_RUN_WORDS) - 1


@njit(cache=True, nogil=True)
def _spaces(code_points: np.ndarray, start: int, end: int, most: int) -> int:
    """The spaces among the ``code_points`` from start to end, counted up to ``most``."""
    spaces = 0
    for p in range(start, end):
        if code_points[p] == ord(" "):
            spaces += 1
            if spaces == most:
                break
    return spaces


@njit(cache=True, nogil=True)
def _same_text(code_points: np.ndarray, a: int, b: int, length: int) -> bool:
    """Whether the ``length`` code points from a and from b are the same."""
    for k in range(length):  # noqa: SIM110 - numba compiles no generator into all()
        if code_points[a + k] != code_points[b + k]:
            return False
    return True


@njit(cache=True, nogil=True)
def repeated_runs(next_copy: np.ndarray) -> np.ndarray:
    """Which blocks lie in a run of headline-shaped lines (REPEATED_RUN_WORDS words or more, no sentence
    end) that the page repeats line for line: a widget shown twice, such as a related-stories carousel
    rendered once per screen size. Its headlines score like a short article's lines, and would extend
    the article over them; they weigh nothing when the article's run is chosen (see Smoothing.keep), so
    that a meal plan that repeats its recipes inside the article still keeps them by their scores.
    ``next_copy`` is each headline-shaped line's offset to the next copy of it (0 for none, see
    _keep_marks); it is the same along a repeated run (so lines that alternate, or one line repeated in
    a row, count as a run too): a run is at least REPEATED_RUN_LINES lines with one offset, its copy
    the lines that offset further down."""
    n = len(next_copy)
    found = np.zeros(n, dtype=np.bool_)
    start = 0
    for end in range(1, n + 1):
        if end < n and next_copy[end] == next_copy[start]:
            continue
        step = next_copy[start]
        if step and end - start >= REPEATED_RUN_LINES:
            found[start:end] = True
            found[start + step : end + step] = True
        start = end
    return found


@njit(cache=True, nogil=True)
def introduced_lists(
    scores: np.ndarray,
    level: float,
    run: np.ndarray,
    blank_after: np.ndarray,
    marks: np.ndarray,
    cells: np.ndarray,
) -> np.ndarray:
    """Per block, the index of the line that announces the list it is an item of, else -1. "Allowed
    foods:", "Standings after 36 races:" end a sentence of the article with a colon and go on in a list
    or a table: its items are short, end like no sentence and score low, yet belong to the article (see
    LIST_INTRO_WORDS for what qualifies, and when the article goes on after them, whatever they
    score). The list is the run of tight lines (``run``, see tight_run_ids) that starts after the
    announcing line, with or without a blank line before it (``blank_after`` flags the blocks a blank
    line follows). ``marks`` flag MAY_ANNOUNCE the lines that end with a colon and have
    LIST_INTRO_WORDS words or more (see _keep_marks), ``cells`` those that are a number alone (see
    _number_cell)."""
    n = len(scores)
    intro = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if not marks[i] & MAY_ANNOUNCE or scores[i] < level:
            continue
        first = i + 1
        if first == n or (blank_after[i] and blank_after[first]):
            continue  # nothing follows, or one paragraph does
        last = first
        while last + 1 < n and run[last + 1] == run[first]:
            last += 1
        goes_on = last + 1 < n and scores[last + 1] >= level
        if (
            np.median(scores[first : last + 1]) >= LIST_ITEMS_LEVEL
            or cells[first : last + 1].sum() / (last + 1 - first) >= TABLE_NUMBERS_SHARE
            or goes_on
        ):
            intro[first : last + 1] = i
    return intro


def numbered_lists(blocks: list[Block], number_starts: list[int] | None = None) -> np.ndarray:
    """Per block, the index of the first item of the numbered list it lies in (from its first item to its
    last, the lines between items included), else -1. A list article ("1) Lego Star Wars …", each item
    followed by its link or description; a season's calendar, "1a etapa: 10 de março – Interlagos")
    numbers its items in order from 1; the items are short, read like no sentence and score low, yet a
    list the article keeps one line of is the article's (see Smoothing.keep), and may be all of it (see
    workers.clean). Only the lines that start with a digit are matched: ``number_starts``, those that
    start like a number (see _keep_marks), when the caller has them."""
    if number_starts is None:
        number_starts = [i for i, b in enumerate(blocks) if b.text[0].isdigit()]
    lists: list[list[int]] = []  # the block indices of each list's items
    for i in number_starts:
        if (m := _NUMBERED_ITEM.match(blocks[i].text)) is None:
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


@njit(cache=True, nogil=True)
def _table_lines(run: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Which blocks lie in a table flattened one cell per line: a run of at least TABLE_MIN_LINES tight
    lines (``run``, see tight_run_ids) of which at least TABLE_NUMBERS_SHARE are ``cells`` (numbers
    alone, see _number_cell). Sports and business articles go on between their tables (a team's snap
    counts by position, each table followed by a paragraph on it); menus and link lists hold few bare
    numbers."""
    n = len(run)
    n_runs = run[-1] + 1 if n else 0
    lines = np.zeros(n_runs, dtype=np.int64)
    numbers = np.zeros(n_runs, dtype=np.int64)
    for i in range(n):
        lines[run[i]] += 1
        numbers[run[i]] += cells[i]
    table = np.empty(n, dtype=np.bool_)
    for i in range(n):
        table[i] = lines[run[i]] >= TABLE_MIN_LINES and numbers[run[i]] >= TABLE_NUMBERS_SHARE * lines[run[i]]
    return table


def _number_cell(text: str) -> bool:
    """Whether a block is a number alone ("5040", "85%", "1."): a table's cell."""
    return len(text) <= NUMBER_CELL_CHARS and _NUMBER_CELL.fullmatch(text) is not None


@njit(cache=True, nogil=True)
def _thread_start(keep: np.ndarray, thread_lines: np.ndarray) -> int:
    """Where a comment thread starts inside the kept stretch (-1 for nowhere): the first dated template
    line after the first kept block with THREAD_MIN_FOLLOWING more before the last kept block. Comments
    long enough to escape dated_template_enclosed (a reader's six paragraphs between two timestamps) read
    like the article, and the densest run goes on through them; an article's own lines never share a
    dated template three times (no dev page's article does), while a live blog's entries do, and were
    already cut as a thread's."""
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        return -1
    dated = np.flatnonzero(thread_lines[kept[0] + 1 : kept[-1] + 1])
    if len(dated) <= THREAD_MIN_FOLLOWING:
        return -1
    return int(dated[0]) + kept[0] + 1


class PageScores(NamedTuple):
    """A page's block scores, the feature matrix they were computed from (the rules of
    ``workers.furniture`` read it too), and which blocks are dated template lines (comments' and
    teasers' timestamps, see Smoothing.keep)."""

    scores: np.ndarray
    features: np.ndarray
    thread_lines: np.ndarray


@dataclass(frozen=True)
class BlockModel:
    """The trained scorer and the smoothing that turns its scores into decisions."""

    scorer: Additive
    smoothing: Smoothing

    def score(self, blocks: list[Block], stops: frozenset[str]) -> PageScores:
        """Probability that each block is article text, judged block by block."""
        features, thread_lines = _features_and_thread_lines(blocks, stops)
        return PageScores(self.scorer.predict(features), features, thread_lines)

    def to_json(self) -> dict:
        """The shipped form: feature names, the scorer's weights and bins, and smoothing parameters."""
        return {
            "about": "Text-mode block classifier, written by bench/train_blocks.py",
            "features": feature_names(),
            **self.scorer.to_json(),
            "smoothing": asdict(self.smoothing),
        }

    @classmethod
    def from_json(cls, d: dict) -> BlockModel:
        """Inverse of to_json; refuses a file trained with another feature list."""
        if d["features"] != feature_names():
            raise ValueError("blocks model was trained with other features; rerun bench/train_blocks.py")
        return cls(Additive.from_json(d), Smoothing(**d["smoothing"]))


@cache
def load_model(path: Path = MODEL_PATH) -> BlockModel:
    """The shipped model, read once per process. The character tables, py3langid's model and the
    compiled loops it needs are made ready with it, by segmenting a page of two lines and computing its
    language, features (with a stop word, which builds the stop-word table), scores, furniture, keep
    decisions and headline: compiling the loops takes about fifty seconds on a 2-core machine, or two
    when numba's on-disk cache holds them, which the first page a process extracts would otherwise pay."""
    # imported here: both modules import this one
    from workers.furniture import furniture
    from workers.metadata import find_title

    model = BlockModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    page = segment("Ready for the day\n\nReady, the day said.")
    detect_language(page)
    stops = frozenset({"the"})
    scored = model.score(page, stops)
    furniture(page, scored.features)
    model.smoothing.keep(scored.scores, page)
    find_title(page, [1], stops, scored.features[:, _REPEATED] > 0)
    return model
