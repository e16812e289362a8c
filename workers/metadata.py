"""Title and publication date of a page, from its text lines or from its HTML.

In text mode the headline is a title-shaped line shortly before the article starts (often repeated
later in the page, e.g. in a footer or breadcrumb), and the date sits on a short line between the
headline and the article. Dates are parsed here with a few regular shapes rather than htmldate, whose
free-text search goes through dateparser and costs tens of milliseconds per line.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence, Set
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from operator import attrgetter

import numpy as np
from numba import njit

from workers.blocks import (
    CLOCK,
    NUMERIC_DATE,
    Block,
    final_stop,
    has_digit,
)
from workers.dates import to_timestamp
from workers.line_features import C_RE_WORD, F_CLOSER, KIND_SHIFT, _in_class, packed_char_table, regex_classes

# How far above the first article line a headline may sit: pages put share bars, photos with captions
# and bylines between them, sometimes a score of lines.
# On the 120 AEB text pages the headline sat 23 to 35 lines above the article on 4 of them (a share
# panel, a video playlist); at 20 lines the nearest chrome won there. 40 (with SIGNED_BONUS): 89 pages
# agree with the HTML's title, 30: 87, 60: 89.
TITLE_WINDOW = 40
# A headline is signed: a byline or a dateline follows it within SIGNED_LINES lines (with at most shorter
# title-shaped lines, such as a kicker or the byline's names, between them), which adds SIGNED_BONUS
# to its score. Teasers, share buttons and captions above an article are not signed. On the AEB text
# pages, against the title their HTML gives: 79 agree without it, 87 with a bonus of 2, 89 with 3, 88
# with 4; 2 to 4 lines give the same. The five seeds keep their titles.
SIGNED_LINES = 3
SIGNED_BONUS = 3.0
# A signed line scores the bonus only when its share of words the article's opening uses (see
# TITLE_OVERLAP_WEIGHT) is at least this fraction of the best candidate's: on the syndication dev rows,
# wrapped in the header of another page, that page's own headline and byline sit above the article's
# headline. Headlines right against their text (of 1,217 rows that keep it): 807 without the bonus, 745
# with it and no such floor, 778 at 0.3, 789 at 0.4, 795 at 0.5; on the AEB pages 90, 90 and 88 agree.
SIGNED_MIN_SHARE = 0.4
# A headline has a deck (see _is_deck) only when it has at least this many words: "Follow CNN Business"
# or "Mac Pro Shipping in December" above a headline otherwise took the headline for their deck, and
# its words and signature with it. 4: 87 pages agree, 5 and 6: 89.
DECK_HEADLINE_MIN_WORDS = 5
# A headline is credited with the words its deck shares with the opening (see TITLE_OVERLAP_WEIGHT) only
# when it shares at least this fraction of them itself: another story's teaser right above the headline
# ("Mac Pro Shipping in December" over a MacBook headline) has the shape of a headline over its deck but
# is about something else. On the AEB text pages 95 titles agree with the HTML's without the floor, 96
# with 0.3 (two more right, one more wrong) and 0.5; syndication headlines right 1,036, 1,037 and 1,035.
# The pair stays a headline and its deck otherwise (a byline under the deck signs the headline): leaving
# it out of the decks instead made a true headline's deck the title on one page (95).
DECK_OWN_SHARE = 0.3
# A headline is about what its article says: its content words (neither stop words of the page's
# language nor shorter than TITLE_WORD_MIN_CHARS characters) found in the article's first TITLE_BODY_LINES
# lines (the chrome between them aside), as a share of its content words plus one (so that "U.S. news"
# or "Work with us", one word found, do not outscore a headline with most of its words found), add
# TITLE_OVERLAP_WEIGHT times that share to its score; "Share this on WhatsApp" or "Continue reading the
# main story" share none. On the 120 AEB text pages, against the title their HTML gives (meta tags or
# <h1>): 62 right with a 12-line window and no such term, 81 with it and the window at 20. With the
# plain share (no plus one) and the lines right after the article's start, chrome included: 76 (weight
# 2: 71, 3: 76, 4: 76; window 12: 71, 30: 74). With the share plus one and the article's own lines:
# weight 3: 79, 4: 80, 5 and 6: 81, 8: 80 and a seed's deck taken for its headline. Capping the term (a
# little overlap as good as much) scored 64 to 68.
TITLE_BODY_LINES = 8
TITLE_WORD_MIN_CHARS = 3
TITLE_OVERLAP_WEIGHT = 5.0
# How far around the headline and the article start a dateline or a byline is looked for, nearest
# first. On the 120 AEB text pages, against the date the page's HTML metadata gives: 6 lines found the
# same date on 75 pages and none on 32; 12 lines on 81 and 25, with no more that disagree (at 20 one
# more disagrees and none more agrees).
DATE_WINDOW = 12
MIN_TITLE_WORDS, MAX_TITLE_WORDS = 3, 30
# Runs of letters and of digits, written as one character each in a line's shape (see _line_shape).
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_DIGIT_RUN = re.compile(r"\d+")
# A breadcrumb trail ("Blog > Weight Loss > Tips", "Home » Sport »"): two of its separators.
_BREADCRUMB = re.compile(r"(?:^|\s)[>»›](?:\s|$).*[>»›](?:\s|$)")
# What _title_lines marks in a line: an ASCII digit (which a date needs); a link's or a breadcrumb's mark
# ("://", "www.", ">", "»", "›"); an end that no headline has, closing quotes and brackets aside: a full
# stop or a truncation mark ("." or "。"; "...", "…", "[…]" and "[...]" end on "." or "…" once their
# bracket is stripped).
_DIGIT, _LINK_MARK, _NO_HEADLINE_END = 1, 2, 4


def _code_points(text: str) -> np.ndarray:
    """A text's code points, as the compiled loops read it."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _word_tables() -> tuple[np.ndarray, np.ndarray]:
    """What the compiled loops need to tell a word character (``\\w``) from any other, in every script
    (see workers.line_features._in_class)."""
    return packed_char_table(), regex_classes()[0]


@njit(cache=True, nogil=True)
def _title_lines(cp: np.ndarray, table: np.ndarray, word_bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each line's length in words as a headline's is judged, and its marks (_DIGIT, _LINK_MARK,
    _NO_HEADLINE_END), of lines given as their code points separated by newlines. A line's words are its
    runs of WORD, plus one for every four Chinese or Japanese characters (HAN_KANA: scripts that write a
    headline as one run without spaces), so that a headline of a dozen characters counts as a few words
    and a menu label of three to seven ("ブログ", "よくあるご質問") as fewer than MIN_TITLE_WORDS. Read in
    one pass over the lines above an article, which leaves find_title's string tests to the few lines of
    a headline's length: the lines' shapes are judged in three quarters of the time it took to count and
    test each line in Python."""
    lines = 1
    for c in cp:
        lines += c == 10
    words = np.zeros(lines, dtype=np.int64)
    marks = np.zeros(lines, dtype=np.int64)
    line = runs = han = mark = 0
    in_word = False
    last = before = before2 = before3 = 0  # the line's last character that is no closer; the last three
    # characters are written as their code points, which numba compares without calling ord()
    n = len(cp)
    for p in range(n + 1):
        c = cp[p] if p < n else 10
        if c == 10:  # "\n"
            words[line] = runs + han // 4
            if last == 0x2E or last == 0x3002 or last == 0x2026:  # ".", "。", "…"
                mark |= _NO_HEADLINE_END
            marks[line] = mark
            line += 1
            runs = han = mark = 0
            in_word = False
            last = before = before2 = before3 = 0
            continue
        is_word = _in_class(table, C_RE_WORD, word_bounds, c)
        if c > 0xFFFF or not (table[c] >> KIND_SHIFT) & F_CLOSER:
            last = c
        if is_word and not in_word:
            runs += 1
        in_word = is_word
        if c >= 0x3040:
            han += c <= 0x30FF or 0x3400 <= c <= 0x9FFF
        if 0x30 <= c <= 0x39:  # "0" to "9"
            mark |= _DIGIT
        elif (
            c == 0x3E  # ">"
            or c == 0xBB  # "»"
            or c == 0x203A  # "›"
            or (c == 0x2F and before == 0x2F and before2 == 0x3A)  # "://"
            or (c == 0x2E and before == before2 == before3 == 0x77)  # "www."
        ):
            mark |= _LINK_MARK
        before3, before2, before = before2, before, c
    return words, marks


def _title_shaped(text: str, marks: int) -> bool:
    """Whether a line of MIN_TITLE_WORDS to MAX_TITLE_WORDS words (see _title_lines, which rules out the
    menu labels that most lines above an article are) has a headline's shape: no sentence-final full stop,
    truncation, date, links or the shape of a byline. A date in words counts ("Veröffentlicht am 18. Juni
    2023", "18 giugno 2023"): with no clock time beside it such a dateline has a headline's shape
    otherwise, and sits just above the article where the headline is looked for. ``marks``: what
    _title_lines found in the line, which spares most lines the tests for links and dates."""
    if marks & _NO_HEADLINE_END or len(text) > 250 or text[0].islower():
        return False
    if marks & _LINK_MARK and ("://" in text or "www." in text or _BREADCRUMB.search(text)):
        return False
    if marks & _DIGIT and (NUMERIC_DATE.search(text) or CLOCK.search(text) or parse_date(text)):
        return False
    return parse_byline(text) is None  # "By Ana Swanson and Vivian Wang" is no headline


def _shares(texts: list[str], opening: str, stops: frozenset[str]) -> list[float]:
    """Each line's share of words that ``opening`` (case-folded) uses too, as TITLE_OVERLAP_WEIGHT weighs
    it: of its content words, the words that say what it is about (its case-folded runs of WORD at least
    TITLE_WORD_MIN_CHARS long, none of the language's ``stops``), those that are words of the opening,
    over their number plus one."""
    if not texts:
        return []
    lines = _code_points("\n".join(texts).casefold())  # case folding reads no context: line by line alike
    tables = _word_tables()
    content, found = _content_words_in(lines, _code_points(opening), *tables, *_stop_words_by_length(stops))
    return [f / (c + 1) for c, f in zip(content.tolist(), found.tolist(), strict=True)]


@cache
def _stop_words_by_length(stops: frozenset[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A language's stop words as _content_words_in reads them: their code points separated by newlines,
    where each starts, and their order by length (see _by_length)."""
    words = _code_points("\n".join(stops))
    starts, sizes = _separated(words)
    return (words, starts, *_by_length(sizes))


@njit(cache=True, nogil=True)
def _content_words_in(
    lines: np.ndarray,
    opening: np.ndarray,
    table: np.ndarray,
    word_bounds: np.ndarray,
    stops: np.ndarray,
    stop_starts: np.ndarray,
    stop_order: np.ndarray,
    stop_first: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """How many distinct content words (see _shares) each of ``lines`` (code points, the lines separated
    by newlines) has, and how many of them are runs of word characters of ``opening``. The opening's runs
    are read once and each is compared with the content words of its length: the lines' shares come in
    half the time of finding each line's words with a regular expression, then searching the opening for
    each word."""
    count = 1
    for c in lines:
        count += c == 10
    content = np.zeros(count, dtype=np.int64)
    found = np.zeros(count, dtype=np.int64)
    # each content word's start among the lines, its length and its line (room for a word in every
    # TITLE_WORD_MIN_CHARS characters)
    starts = np.empty(len(lines) // TITLE_WORD_MIN_CHARS + 1, dtype=np.int64)
    sizes = np.empty(len(starts), dtype=np.int64)
    word_lines = np.empty(len(starts), dtype=np.int64)
    words = line = line_start = 0  # the content words so far, the line, the line's first content word
    p = 0
    while p < len(lines):
        if lines[p] == 10:
            line += 1
            line_start = words
        q = _run_end(lines, p, table, word_bounds)
        if q - p >= TITLE_WORD_MIN_CHARS and not _is_one_of(
            lines, p, q - p, stops, stop_starts, stop_order, stop_first
        ):
            repeated = False  # the line's own words are few: compared one by one
            for w in range(line_start, words):
                repeated = repeated or (sizes[w] == q - p and _same(lines, p, lines, starts[w], q - p))
            if not repeated:
                starts[words], sizes[words], word_lines[words] = p, q - p, line
                words += 1
                content[line] += 1
        p = max(q, p + 1)
    order, first = _by_length(sizes[:words])
    in_opening = np.zeros(words, dtype=np.bool_)
    p = 0
    while p < len(opening):
        q = _run_end(opening, p, table, word_bounds)
        if q > p and q - p + 1 < len(first):
            for o in range(first[q - p], first[q - p + 1]):
                w = order[o]
                in_opening[w] = in_opening[w] or _same(opening, p, lines, starts[w], q - p)
        p = max(q, p + 1)
    for w in range(words):
        found[word_lines[w]] += in_opening[w]
    return content, found


@njit(cache=True, nogil=True)
def _run_end(cp: np.ndarray, p: int, table: np.ndarray, word_bounds: np.ndarray) -> int:
    """Past the run of word characters (WORD) that starts at position p of cp: p when there is none."""
    while p < len(cp) and _in_class(table, C_RE_WORD, word_bounds, cp[p]):
        p += 1
    return p


@njit(cache=True, nogil=True)
def _separated(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of the newline-separated parts of cp starts, and its length."""
    count = 1
    for c in cp:
        count += c == 10
    starts = np.empty(count, dtype=np.int64)
    sizes = np.empty(count, dtype=np.int64)
    k = start = 0
    for p in range(len(cp) + 1):
        if p == len(cp) or cp[p] == 10:
            starts[k], sizes[k] = start, p - start
            k += 1
            start = p + 1
    return starts, sizes


@njit(cache=True, nogil=True)
def _by_length(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices of ``sizes`` in order of size, and where each size starts among them: those of size L
    are order[first[L] : first[L + 1]]."""
    order = np.argsort(sizes)
    first = np.zeros((sizes.max() if len(sizes) else 0) + 2, dtype=np.int64)
    for size in sizes:
        first[size + 1] += 1
    for length in range(1, len(first)):
        first[length] += first[length - 1]
    return order, first


@njit(cache=True, nogil=True)
def _is_one_of(
    cp: np.ndarray,
    at: int,
    size: int,
    words: np.ndarray,
    starts: np.ndarray,
    order: np.ndarray,
    first: np.ndarray,
) -> bool:
    """Whether cp[at : at + size] is one of ``words`` (their code points, each from its start; see
    _by_length for order and first)."""
    if size + 1 >= len(first):
        return False
    for o in range(first[size], first[size + 1]):  # noqa: SIM110 - numba compiles no generator into any()
        if _same(cp, at, words, starts[order[o]], size):
            return True
    return False


@njit(cache=True, nogil=True)
def _same(a: np.ndarray, at: int, b: np.ndarray, bt: int, size: int) -> bool:
    """Whether a[at : at + size] and b[bt : bt + size] hold the same code points."""
    for m in range(size):  # noqa: SIM110 - numba compiles no generator into all()
        if a[at + m] != b[bt + m]:
            return False
    return True


def _is_deck(blocks: Sequence[Block], i: int, shaped: Mapping[int, int]) -> bool:
    """Whether title-shaped block i + 1 (``shaped`` holds the title-shaped blocks, with their lengths in
    words) is block i's deck: longer than it (a shorter one is more often a byline or a kicker, which
    would make the deck look like the headline), not merely extending it, and below a headline of
    DECK_HEADLINE_MIN_WORDS or more."""
    text, nxt = blocks[i].text, blocks[i + 1].text if i + 1 in shaped else ""
    return (
        len(nxt) > len(text)
        and not nxt.startswith(text)
        and shaped[i] >= DECK_HEADLINE_MIN_WORDS
        and not _title_cased(nxt)
    )


def _title_cased(text: str) -> bool:
    """Whether nearly all the longer words after the first are capitalised: a headline in title case
    ("Trump's Made-for-TV Trade War Keeps World Guessing"), which is no deck of the line above it ("Continue
    reading the main story"); a deck is written as a sentence (German capitalises its nouns, about half of
    a sentence's longer words)."""
    words = [w for w in text.split()[1:] if len(w) >= 4 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def title_score(
    blocks: Sequence[Block],
    i: int,
    body_start: int,
    repeated: bool,
    words: int,
    shared: float,
    deck: bool,
    signed: bool,
) -> float:
    """How headline-like block i (of ``words`` words, see _title_lines) is: closer to the article is
    better, a repeat elsewhere in the page is a strong sign (``repeated``: the page writes the line's
    text on another line too), so are words the article's opening uses
    (``shared``, see TITLE_OVERLAP_WEIGHT), a deck below it and a byline or dateline under it
    (``signed``, see SIGNED_LINES), and a line that the next line merely extends is a photo caption, not
    a headline."""
    text = blocks[i].text
    score = 1.0 - 0.02 * (body_start - i) + TITLE_OVERLAP_WEIGHT * shared
    if deck:
        score += 0.3
    if repeated:
        score += 1.0
    if blocks[i].blank_before and blocks[i].blank_after:
        score += 0.5
    if words >= 5:
        score += 0.5
    if i + 1 < len(blocks) and blocks[i + 1].text.startswith(text):
        score -= 2.0
    if text.isupper():
        score -= 1.0
    if signed:
        score += SIGNED_BONUS
    return score


def find_title(
    blocks: Sequence[Block],
    article: Sequence[int],
    stops: frozenset[str],
    repeated: np.ndarray,
    *,
    first_line: bool = True,
    captions: Set[int] = frozenset(),
) -> int | None:
    """Index of the headline block above the article (the indices of its blocks, in page order), or None
    when there is none. ``blocks``: the page's lines as segment makes them (their texts are read joined by
    newlines, and hold none); ``stops``: the stop words of the page's language; ``repeated``: whether the
    page writes each block's text on another line too (the feature matrix's "repeated" column: counting
    the candidates' texts in the page instead took a tenth of find_title's time, 0.244 against 0.219 ms
    per 6 KB); ``captions``: the blocks cut as photo captions and credits, which are never the headline,
    nor stand between it and its byline (a caption under the headline and its deck, nearer the byline, was
    the title of an AEB page, and some caption was of 28 syndication and 3 wikinews dev rows; with them
    left out, and title-cased lines no decks, 93 AEB titles agree with the HTML's and 1,031 syndication
    headlines are right, against 92 and 1,028). A headline and its deck say together what the article is
    about: the headline is credited with the words its deck shares with the opening, so that the deck,
    which sums up the opening, does not win on them.

    The article's own first line is a candidate too (unless ``first_line`` is False: the client gave the
    headline), judged against the lines after it: a headline right above the first paragraph, with no
    byline or dateline between them, reads to the classifier as the article's start. On the AEB text
    pages 93 titles agree with the HTML's without it, 95 with it; on the syndication dev rows that keep
    their headline, 789 of 1,210 headlines are right without it, 1,036 with it (the headline no longer
    left at the top of the body: wrapped bodies' F1 0.972 -> 0.974)."""
    body_start = article[0]
    top = max(0, body_start - TITLE_WINDOW)
    end = body_start + (first_line and len(article) > 1)  # past the window
    # the window's lines and those below it that may sign the last of them (see _signed)
    texts = list(map(attrgetter("text"), blocks[top : end + SIGNED_LINES]))
    lengths, marks = _title_lines(_code_points("\n".join(texts)), *_word_tables())
    shaped = {}  # title-shaped block -> its length in words
    digits = set()  # the lines with a digit: the only ones that may be datelines
    lines = range(top, top + len(texts))
    for i, text, words, mark in zip(lines, texts, lengths.tolist(), marks.tolist(), strict=True):
        if mark & _DIGIT:
            digits.add(i)
        if (
            i < end
            and MIN_TITLE_WORDS <= words <= MAX_TITLE_WORDS
            and i not in captions
            and _title_shaped(text, mark)
        ):
            shaped[i] = words
    if not shaped:
        return None
    # the opening's lines case-folded once, for the opening and for the first line's own opening
    folded = [blocks[i].text.casefold() for i in article[: TITLE_BODY_LINES + 1]]
    opening = " ".join(folded[:TITLE_BODY_LINES])
    above = [i for i in shaped if i != body_start]
    shared = dict(zip(above, _shares([blocks[i].text for i in above], opening, stops), strict=True))
    if body_start in shaped:
        [shared[body_start]] = _shares([blocks[body_start].text], " ".join(folded[1:]), stops)
    decks = {i for i in shaped if _is_deck(blocks, i, shaped)}
    about = {
        i: max(shared[i], shared[i + 1])
        if i in decks and shared[i] >= DECK_OWN_SHARE * shared[i + 1]
        else shared[i]
        for i in shaped
    }
    # a signature counts for a line about the article: not a share button's or a menu label's, nor
    # another story's headline with its own byline in the chrome above (see SIGNED_MIN_SHARE)
    least = SIGNED_MIN_SHARE * max(about.values())
    signed = {i for i in _signed(blocks, shaped, decks, digits) if about[i] > 0 and about[i] >= least}
    scores = {
        i: title_score(blocks, i, body_start, repeated[i], words, about[i], i in decks, i in signed)
        for i, words in shaped.items()
    }
    best = max(sorted(shaped), key=scores.__getitem__)
    return best if scores[best] > 0 else None


def _signed(
    blocks: Sequence[Block], shaped: Mapping[int, int], decks: set[int], digits: Set[int]
) -> set[int]:
    """The title-shaped blocks (``shaped``) that a byline or a dateline follows within SIGNED_LINES lines,
    with no title-shaped line at least as long between them (a kicker or a line of the byline's names may
    be). A signed deck signs its headline instead (``decks`` holds the headlines that have one), since a
    byline goes under both. Signatures of one shape under several lines ("June 16, 2023" under each of a
    list of related stories) are a list's, and sign none of them. ``digits``: the lines below a title-
    shaped one that hold an ASCII digit, which a dateline does (see _dateline_shaped)."""
    signature: dict[int, int] = {}  # signed line -> the line that signs it
    signs: dict[int, bool] = {}  # whether a line is a dateline or a byline (asked of a line once)
    for i in shaped:
        for j in range(i + 1, min(i + 1 + SIGNED_LINES, len(blocks))):
            if j in shaped:  # no dateline nor byline, or it would not be title-shaped
                if len(blocks[j].text) >= len(blocks[i].text):
                    break
                continue
            if j not in signs:
                text = blocks[j].text
                signs[j] = parse_byline(text) is not None or (j in digits and _is_dateline(text))
            if signs[j]:
                signature[i] = j
                break
    signers = set(signature.values())
    # one signing line's shape is its own: on 116 of the 120 AEB pages one line or none signs, and no
    # shape is read (reading and counting one took 10 us)
    if len(signers) > 1:
        shape = {j: _line_shape(blocks[j].text) for j in signers}
        shapes = Counter(shape.values())
        signature = {i: j for i, j in signature.items() if shapes[shape[j]] == 1}
    return {i - 1 if i - 1 in decks else i for i in signature}


def _line_shape(text: str) -> str:
    """A line with each run of letters written "a" and each run of digits "0": "June 16, 2023" and
    "Nov 3, 2019" have the same shape, "Updated 10:24 AM, June 18, 2023" another."""
    return _DIGIT_RUN.sub("0", _LETTER_RUN.sub("a", text))


# Month names of the languages most news is written in (in the form a date uses: Russian, Polish and
# Czech decline them); a date line in another language is still found when it is numeric (ISO,
# 18.06.2023, 2023年6月18日). Adding a language must not make a prefix ambiguous: the prefix table
# drops prefixes two months share.
MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "januari februari mars april maj juni juli augusti september oktober november december",
    "januar februar marts april maj juni juli august september oktober november december",
    "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie",
    "januari februari maret april mei juni juli agustus september oktober november desember",
    "ocak şubat mart nisan mayıs haziran temmuz ağustos eylül ekim kasım aralık",
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "ledna února března dubna května června července srpna září října listopadu prosince",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
)


def _fold(word: str) -> str:
    """Lower case without accents, so that "Févr." and "fevr" look the same."""
    if word.isascii():  # nothing to decompose: an eighth of the time
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _month_prefixes() -> dict[str, int]:
    """Every prefix of three letters or more of a month name, mapped to its month; prefixes shared by
    two months ("ju" of juin/juillet is too short anyway, "mar" is March everywhere) are dropped."""
    table: dict[str, set[int]] = {}
    for line in MONTH_NAMES:
        for month, name in enumerate(line.split(), start=1):
            folded = _fold(name)
            for k in range(3, len(folded) + 1):
                table.setdefault(folded[:k], set()).add(month)
    return {prefix: months.pop() for prefix, months in table.items() if len(months) == 1}


MONTHS = _month_prefixes()
ANY_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# Year first, with one separator: "2023-06-18", "2023.06.18", "2023/06/18".
ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})([-./])(\d{1,2})\2(\d{1,2})(?!\d)")
CJK_DATE = re.compile(r"((?:19|20)\d{2})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
DMY_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d{2})\b")
DAY_MONTH_YEAR = re.compile(
    r"\b(\d{1,2})(?:\.|º|er|st|nd|rd|th)?\s+(?:de\s+)?([^\W\d_]{3,})\.?,?\s+(?:de\s+)?((?:19|20)\d{2})\b"
)
# A year run into the clock time after it, as scrapers join a page's date and time elements: "Published
# Wed, Nov 20 20194:29 AM EST" (CNBC).
GLUED_CLOCK = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=\d{1,2}:\d{2}(?!\d))")
MONTH_DAY_YEAR = re.compile(r"\b([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})\b")
# What may stand between a date and its clock time: a comma, spaces, a word ("at", "um", "à").
_TO_CLOCK = r",?\s+(?:[^\W\d_]+\s+)?\d{1,2}:\d{2}"
# Dates read only with a clock time after them, which tells them from scores, fractions and versions:
# a numeric date with a two-digit year ("11/19/19 06:56 AM EST", "19.11.19, 06:56 Uhr"), and, when the
# year is known from elsewhere on the page (see _copyright_year), a date without one ("Posted Nov 19,
# 6:51 AM", "19 novembre, 10:24"), as sites write this year's dates.
SHORT_YEAR_NUMERIC = re.compile(r"\b(\d{1,2})([./])(\d{1,2})\2(\d{2})" + _TO_CLOCK)
MONTH_DAY_CLOCK = re.compile(r"\b([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?" + _TO_CLOCK)
DAY_MONTH_CLOCK = re.compile(r"\b(\d{1,2})(?:\.|º|er|st|nd|rd|th)?\s+(?:de\s+)?([^\W\d_]{3,})\.?" + _TO_CLOCK)
# A copyright notice's last year: "© 2019 Cleveland.com", "Copyright © 1996-2019 News Communication".
_COPYRIGHT_YEAR = re.compile(
    r"(?:©|(?i:copyright))[^©]{0,40}?(?:(?:19|20)\d{2}\s*[-–]\s*)?((?:19|20)\d{2})(?!\d)"
)
# Time zones that news pages write after a clock time, by their offset from UTC in hours: only
# abbreviations that name one zone ("IST" is India's, Ireland's and Israel's, "ET" is EST or EDT by the
# date, so neither is read).
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    "HKT": 8, "SGT": 8, "JST": 9, "KST": 9, "AWST": 8, "ACST": 9.5, "AEST": 10, "AEDT": 11,
    "HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
    "EST": -5, "EDT": -4,
}  # fmt: skip
# The zones of the United States, where numeric dates are written month first.
US_ZONES = frozenset(["HST", "AKST", "AKDT", "PST", "PDT", "MST", "MDT", "CST", "CDT", "EST", "EDT"])
# A clock time with its zone: "2:26 PM HST", "11:26 pm EST", "19:14 GMT", "10:24 a.m. EDT".
ZONED_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::\d{2})?\s*(?:([aApP])\.?\s?[mM]\.?)?\s*("
    + "|".join(ZONE_OFFSETS)
    + r")\b"
)


def parse_date(text: str, year: int | None = None) -> str | None:
    """ISO date (YYYY-MM-DD) written in a line such as "Jun 18, 2023, 10:24 AM", "22 de outubro de
    2010", "18.06.2023" or "2023年6月18日"; None when the line holds no complete date. Slash dates
    are read day first unless that is impossible, as most of the world writes them, but month first
    beside a clock time in a US zone ("11/05/19 06:56 AM EST"). When the line also gives the time in a
    known zone ("November 18, 2019 at 2:26 PM HST"), the moment in UTC instead
    (2019-11-19T00:26:00+00:00): a page's local date is another day in UTC for a few hours of each day,
    and the story window is measured in UTC. ``year`` completes a date written without one."""
    # both patterns need a clock time's colon: most lines asked about have none (and few of the others
    # a glued year, which searching for costs a third of replacing)
    if ":" in text:
        if GLUED_CLOCK.search(text):
            text = GLUED_CLOCK.sub(r"\1 ", text)
        clock = ZONED_CLOCK.search(text)
    else:
        clock = None
    month_first = clock is not None and clock.group(4) in US_ZONES
    has_year = ("19" in text or "20" in text) and ANY_YEAR.search(text)  # most lines asked have no year
    day = _parse_day(text, month_first) if has_year else None
    if day is None and ":" in text:
        day = _parse_clocked_day(text, year, month_first)
    if day is None or clock is None:
        return day
    hour, minute = int(clock.group(1)), int(clock.group(2))
    if clock.group(3):
        hour = hour % 12 + (12 if clock.group(3) in "pP" else 0)
    if hour > 23 or minute > 59:
        return day
    local = datetime.combine(date.fromisoformat(day), time(hour, minute))
    return (local - timedelta(hours=ZONE_OFFSETS[clock.group(4)])).replace(tzinfo=UTC).isoformat()


def _parse_day(text: str, month_first: bool) -> str | None:
    """The ISO date of a line that holds a year (see parse_date). Numeric and CJK dates are looked for
    only in a line with their separators, which most datelines ("November 18, 2019") lack."""
    numeric = "/" in text or "." in text
    if (numeric or "-" in text) and (m := ISO_DATE.search(text)):
        return _iso(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    if ("年" in text or "년" in text) and (m := CJK_DATE.search(text)):
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = DAY_MONTH_YEAR.search(text)
    if m and _fold(m.group(2)) in MONTHS:
        return _iso(int(m.group(3)), MONTHS[_fold(m.group(2))], int(m.group(1)))
    m = MONTH_DAY_YEAR.search(text)
    if m and _fold(m.group(1)) in MONTHS:
        return _iso(int(m.group(3)), MONTHS[_fold(m.group(1))], int(m.group(2)))
    if numeric and (m := DMY_NUMERIC.search(text)):
        return _numeric(int(m.group(1)), int(m.group(2)), int(m.group(3)), month_first)
    return None


def _parse_clocked_day(text: str, year: int | None, month_first: bool) -> str | None:
    """The ISO date of a line whose date has a two-digit year or, given ``year``, none, followed by a
    clock time (see SHORT_YEAR_NUMERIC)."""
    if m := SHORT_YEAR_NUMERIC.search(text):
        return _numeric(int(m.group(1)), int(m.group(3)), 2000 + int(m.group(4)), month_first)
    if year is None:
        return None
    m = MONTH_DAY_CLOCK.search(text)
    if m and _fold(m.group(1)) in MONTHS:
        return _iso(year, MONTHS[_fold(m.group(1))], int(m.group(2)))
    m = DAY_MONTH_CLOCK.search(text)
    if m and _fold(m.group(2)) in MONTHS:
        return _iso(year, MONTHS[_fold(m.group(2))], int(m.group(1)))
    return None


def _numeric(first: int, second: int, year: int, month_first: bool) -> str | None:
    """A numeric date read day first, or ``month_first``, unless that order is impossible."""
    month, day = (first, second) if month_first else (second, first)
    if month > 12:
        month, day = day, month
    return _iso(year, month, day)


def _copyright_year(blocks: Sequence[Block]) -> int | None:
    """The last year of the page's copyright notice: the year the page was served in, and so the year of
    a date it writes without one. Of each line with "©", "opyright" or "OPYRIGHT", the first notice;
    those lines are found in the page's text as one string, in a fraction of the time of asking each
    line."""
    page = "\n".join(map(attrgetter("text"), blocks))
    years = []
    for mark in ("©", "opyright", "OPYRIGHT"):
        at = page.find(mark)
        while at >= 0:
            start = page.rfind("\n", 0, at) + 1
            end = page.find("\n", at)
            end = len(page) if end < 0 else end
            if m := _COPYRIGHT_YEAR.search(page[start:end]):
                years.append(int(m.group(1)))
            at = page.find(mark, end)
    return max(years, default=None)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _first_near(
    blocks: Sequence[Block],
    anchors: Sequence[int],
    read: Callable[[str], str | None],
    eligible: Callable[[int], bool] = lambda i: True,
) -> tuple[int, str] | None:
    """The eligible line nearest an anchor (the headline, then the article's start), within DATE_WINDOW
    lines of it, that `read` finds something in, and what it found. Nearest first, the earlier line of
    two as near: a teaser's date a few lines further up loses to the dateline beside the headline."""
    seen: set[int] = set()
    for anchor in anchors:
        for offset in _NEAREST_FIRST:
            i = anchor + offset
            if not 0 <= i < len(blocks) or i in seen:
                continue
            seen.add(i)
            # read before asking whether the line is eligible: reading rejects most lines at once (a
            # byline's length, a dateline's digit), while the caller's test may look at a paragraph's words
            found = read(blocks[i].text)
            if found and eligible(i):
                return i, found
    return None


# The offsets from an anchor within DATE_WINDOW, nearest first and the earlier of two as near first.
_NEAREST_FIRST = sorted(range(-DATE_WINDOW, DATE_WINDOW + 1), key=lambda k: (abs(k), k))


# Where a dateline gives a second date: "Updated Nov 19, 9:41 AM;Posted Nov 18, 8:19 PM", "Published
# November 18, 2019 | Updated November 19, 2019", "Aktualisiert 19.11.2019 / Erstellt 18.11.2019".
_DATELINE_PARTS = re.compile(r";|\s[|/·•–—-]\s")


def _dateline_shaped(text: str) -> bool:
    """A short line with a number, not a sentence: where _date_of_line looks for a date."""
    return len(text) <= 120 and has_digit(text) and not (final_stop(text) and len(text.split()) > 8)


def _is_dateline(text: str) -> bool:
    """Whether _date_of_line finds a date in the line: without reading the date of each of its parts."""
    return _dateline_shaped(text) and parse_date(text) is not None


def _date_of_line(text: str, year: int | None = None) -> str | None:
    """The date of a dateline: a short line with a number, not a sentence (``year``: see parse_date).
    Of a dateline's two dates, the first publication's: the earlier, in whichever order they come. Two
    dates are compared only when both are days or both are moments in UTC: "November 18, 2019 at 2:26 PM
    HST - Updated November 18 at 4:46 PM" is published at 2019-11-19T00:26Z, which the update's local
    day, the 18th, is not before."""
    if not _dateline_shaped(text):
        return None
    if (whole := parse_date(text, year)) is None or len(pieces := _DATELINE_PARTS.split(text)) == 1:
        return whole
    parts = [found for part in pieces if (found := parse_date(part, year))]
    comparable = len(parts) > 1 and len({len(found) for found in parts}) == 1  # ISO days are 10 long
    return min(parts, key=to_timestamp) if comparable else whole


def _may_take_the_year(text: str) -> bool:
    """Whether the page's year may complete a date in the line: a day and month before a clock time (see
    _parse_clocked_day; in the line, of which _date_of_line's parts are pieces, or in a piece). Any other
    line reads the same without it, and so find_date_line looks the year up (a search of the whole page,
    see _copyright_year) only for a line that passes: on 3 of the 120 AEB text pages, where it was
    looked up on every page (find_date_line 0.069 -> 0.061 ms per 6 KB, old and new interleaved page by
    page in one process; 0.86 of the median page's time)."""
    if ":" not in text:
        return False
    return MONTH_DAY_CLOCK.search(text) is not None or DAY_MONTH_CLOCK.search(text) is not None


def find_date_line(
    blocks: Sequence[Block],
    anchors: Sequence[int],
    eligible: Callable[[int], bool] = lambda i: True,
    fetched_at: datetime | None = None,
) -> tuple[int, str] | None:
    """The short line nearest the headline or the article start that parses as a date (among the
    eligible ones); a date written without its year takes the year of the page's copyright notice, else
    the year the page was fetched in, and the year before when that would put it after the fetch
    ("Dec 30, 9:15 PM" fetched on January 2). Given when the page was fetched, a dateline written relative
    to then ("3 hours ago", "Yesterday 2:45 PM") is read too, when no line states the date, and only above
    the article or as its first line (the last anchor): below it such timestamps are the related stories'
    and the comments'."""

    @cache
    def page_year() -> int | None:
        """The year a date written without one takes: looked up once, for the first line that may."""
        return _copyright_year(blocks) or (fetched_at.year if fetched_at else None)

    def read(text: str) -> str | None:
        year = page_year() if _may_take_the_year(text) else None
        found = _date_of_line(text, year)
        if year is None or found is None or fetched_at is None or found[:10] <= fetched_at.date().isoformat():
            return found
        # after the fetch: a year back, if the year is the one completed rather than the line's own
        return found if _date_of_line(text) is not None else _date_of_line(text, year - 1)

    found = _first_near(blocks, anchors, read, eligible)
    if found is not None or fetched_at is None:
        return found
    # the lines up to the article's start only (not read below it, see _first_near)
    above = blocks[: anchors[-1] + 1]
    return _first_near(above, anchors, lambda text: relative_date(text, fetched_at), eligible)


# "N units ago" in the languages news is most written in: the count (a number, or the word for "one")
# and the unit, which _UNIT_SECONDS measures by its stem.
_AGO = re.compile(
    r"(?i:\b(?P<n1>\d+|an?|one)\s+(?P<u1>min(?:ute)?s?|hours?|hrs?|days?|weeks?)\s+ago"  # en
    r"|\bvor\s+(?P<n2>\d+|einer?|einem)\s+(?P<u2>minuten?|stunden?|tag(?:en)?|wochen?)"  # de
    r"|\bil\s+y\s+a\s+(?P<n3>\d+|une?)\s+(?P<u3>minutes?|heures?|jours?|semaines?)"  # fr
    r"|\b(?:hace|há)\s+(?P<n4>\d+|una?|uma?)\s+(?P<u4>minutos?|horas?|d[ií]as?|semanas?)"  # es, pt
    r"|\b(?P<n5>\d+|una?)\s+(?P<u5>minut[oi]|or[ae]|giorn[oi]|settiman[ae])\s+fa"  # it
    r"|\b(?P<n6>\d+|een)\s+(?P<u6>minuut|minuten|uur|dag|dagen|week|weken)\s+geleden)\b"  # nl
)
_UNIT_SECONDS = {
    "min": 60,
    "hour": 3600, "hr": 3600, "stund": 3600, "heure": 3600, "hora": 3600, "or": 3600, "uur": 3600,
    "day": 86_400, "tag": 86_400, "jour": 86_400, "día": 86_400, "dia": 86_400, "giorn": 86_400,
    "dag": 86_400,
    "week": 604_800, "woch": 604_800, "semaine": 604_800, "semana": 604_800, "settiman": 604_800,
    "wek": 604_800,
}  # fmt: skip
# "Yesterday 2:45 PM", "Today 12:01 AM", "Gestern, 14:45", "Hier à 14h45": the day word before a time.
_DAY_WORD = re.compile(
    r"(?i:\b(?P<word>yesterday|today|gestern|heute|hier|aujourd'hui|ayer|hoy|ontem|hoje|ieri|oggi|"
    r"gisteren|vandaag)\b,?\s+(?:\w+\s+)?\d{1,2}[:.h]\d{2})"
)
_YESTERDAY = frozenset(["yesterday", "gestern", "hier", "ayer", "ontem", "ieri", "gisteren"])
# The longest line read as a relative dateline: "Published 22 hours ago", "Updated: vor 3 Stunden".
RELATIVE_MAX_CHARS = 60


def relative_date(text: str, fetched_at: datetime) -> str | None:
    """The date a short line states relative to when the page was fetched: for minutes and hours ago the
    moment in UTC, for days and weeks ago, yesterday and today the day."""
    if len(text) > RELATIVE_MAX_CHARS:
        return None
    if m := _AGO.search(text):
        count, unit = next((m[f"n{k}"], m[f"u{k}"]) for k in range(1, 7) if m[f"n{k}"])
        stem = next(stem for stem in _UNIT_SECONDS if unit.casefold().startswith(stem))
        seconds = (int(count) if count.isdigit() else 1) * _UNIT_SECONDS[stem]
        moment = seconds < _UNIT_SECONDS["day"]
    elif m := _DAY_WORD.search(text):
        seconds = _UNIT_SECONDS["day"] * (m["word"].casefold() in _YESTERDAY)
        moment = False
    else:
        return None
    try:  # counted back past the calendar's start, it is no date
        then = fetched_at - timedelta(seconds=seconds)
        return then.astimezone(UTC).isoformat() if moment else then.date().isoformat()
    except OverflowError:
        return None


# The word that introduces a byline's names, in the languages most news is written in ("By Ana Swanson",
# "Von Max Muster", "Par Jean Dupont", "Por …", "Di …", "Door …", "Av …", "Af …", "Przez …", "Autor: …").
BYLINE_MARKERS = frozenset(
    [
        "by",
        "von",
        "par",
        "por",
        "di",
        "door",
        "av",
        "af",
        "przez",
        "от",
        "autor",
        "author",
        "autora",
        "autorin",
        "auteur",
        "auteurs",
    ]
)
# Words that may come before the marker ("Posted by", "Written by", "Texto por"); any other ("Photo by",
# "Image by") makes the line a credit for something else.
BYLINE_LEADS = frozenset(
    [
        "posted",
        "written",
        "reported",
        "reporting",
        "story",
        "text",
        "words",
        "published",
        "geschrieben",
        "écrit",
        "publié",
        "escrito",
        "publicado",
        "texto",
        "scritto",
        "pubblicato",
    ]
)
# Between names: "A and B", "A, B und C".
BYLINE_JOINERS = frozenset(["and", "und", "et", "y", "e", "en", "och", "og", "i", "ve", "и", "&", ","])
# Lower-case parts of names ("Ursula von der Leyen", "Vincent van Gogh", "Paulo da Silva").
NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "del",
        "della",
        "der",
        "den",
        "di",
        "du",
        "le",
        "la",
        "bin",
        "ibn",
        "al",
        "el",
    ]
)
# Longest line read as a byline: a byline names a few people, maybe with their outlet and a date.
BYLINE_MAX_CHARS = 160


def _name_word(token: str, following: str = "") -> bool:
    """A word of a name: starts with a capital (or a letter of a script without case) and holds no digit;
    a month's name followed by a number starts a date instead ("By Regan December 6, 2017", but "Jan
    Kowalski")."""
    first = token[:1]
    if not first.isalpha() or first.islower() or has_digit(token):
        return False
    return not (has_digit(following) and _fold(token.rstrip(".,;:")) in MONTHS)


def parse_byline(text: str) -> str | None:
    """The names a byline line gives ("- By Ana Swanson and Vivian Wang" → "Ana Swanson and Vivian
    Wang", "Posted by Michael David Smith on November 19, 2019" → "Michael David Smith"), or None when
    the line is not a byline ("By choosing I Accept, you consent…", "By subject", and a sentence such as
    "By Monday, the company had lost half its value.")."""
    if len(text) > BYLINE_MAX_CHARS:
        return None
    if text[:1].isalnum():  # the first word must be the marker or a lead word: most lines fail on it
        first = text.split(None, 1)[0].casefold()
        if first.rstrip(":") not in BYLINE_MARKERS and first not in BYLINE_LEADS:
            return None
    tokens = text.split()
    start = 0
    while start < len(tokens) and not tokens[start][0].isalnum():
        start += 1  # a leading dash, bar or bullet
    # the marker, among the first three words and after lead words only
    for marker in range(start, min(start + 3, len(tokens) - 1)):
        folded = tokens[marker].casefold()
        if folded.rstrip(":") in BYLINE_MARKERS:
            break
        if folded not in BYLINE_LEADS:
            return None
    else:
        return None
    names: list[str] = []
    pending: list[str] = []  # joiners and particles, kept once a name word follows them
    for k in range(marker + 1, len(tokens)):
        token = tokens[k]
        word = token.rstrip(",;")
        following = tokens[k + 1] if k + 1 < len(tokens) else ""
        if not names and not _name_word(word, following):
            return None  # names follow the marker at once
        if _name_word(word, following):
            names += [*pending, token]
            pending = []
        elif token == "," or word.casefold() in BYLINE_JOINERS or word in NAME_PARTICLES:
            pending.append(token)
        else:
            break
    if len(names[0].rstrip(".,;")) < 2 or (final_stop(text) and len(tokens) > marker + 1 + len(names)):
        return None  # "Von A bis Z", or a sentence that starts with "By" and a capitalised word
    return " ".join(names).replace(" ,", ",").rstrip(",;")


def find_byline(
    blocks: Sequence[Block], anchors: Sequence[int], eligible: Callable[[int], bool]
) -> tuple[int, str] | None:
    """First eligible line near the headline or the article start that reads as a byline, and its
    names. The caller rules out the lines a byline cannot be (the headline, the article's sentences)."""
    return _first_near(blocks, anchors, parse_byline, eligible)
