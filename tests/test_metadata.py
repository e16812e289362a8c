"""The shortcuts workers.metadata takes to find a page's title, date and byline quickly, each checked
against the plain definition it stands for."""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from workers.blocks import (
    CLOCK,
    HAN_KANA,
    NUMERIC_DATE,
    WORD,
    Block,
    final_mark,
    has_digit,
    segment,
    truncated,
)
from workers.metadata import (
    _BREADCRUMB,
    _COPYRIGHT_YEAR,
    _DIGIT,
    _LINK_MARK,
    _NO_HEADLINE_END,
    MAX_TITLE_WORDS,
    MIN_TITLE_WORDS,
    SIGNED_LINES,
    TITLE_WORD_MIN_CHARS,
    _code_points,
    _copyright_year,
    _date_of_line,
    _is_dateline,
    _line_shape,
    _may_take_the_year,
    _shares,
    _signed,
    _title_lines,
    _title_shaped,
    _word_tables,
    find_byline,
    find_date_line,
    find_title,
    parse_byline,
    parse_date,
)

LINES = [
    "Home",
    "Sign in",
    "U.S.-China trade talks stall again",
    "Trump's Made-for-TV Trade War Keeps World Guessing",
    "snake_case and __dunder__ names",
    "  padded  line  ",
    "...",
    "— 3 things to know —",
    "v2.0 released (beta_1)",
    "Café crème in İstanbul and the Straße",
    "Trump’s “trade war” — the latest",
    "ブログ",
    "よくあるご質問",
    "東京都は新しい交通計画を発表した",
    "Год 2023: Итоги",
    "x²+y² ½ Ⅻ",
    "tab\tseparated\u00a0words",
    "𝐁𝐨𝐥𝐝 letters",
]


def _title_lines_of(texts: list[str]) -> list[tuple[int, int]]:
    lengths, marks = _title_lines(_code_points("\n".join(texts)), *_word_tables())
    assert len(lengths) == len(marks) == len(texts)
    return list(zip(lengths.tolist(), marks.tolist(), strict=True))


def test_title_lines_count_the_runs_of_word_and_mark_what_a_headline_has_not() -> None:
    lines = LINES + SHAPE_LINES  # read all at once, as find_title reads the lines above an article
    for text, (words, marks) in zip(lines, _title_lines_of(lines), strict=True):
        assert words == len(WORD.findall(text)) + len(HAN_KANA.findall(text)) // 4, text
        assert bool(marks & _DIGIT) == has_digit(text), text
        link = "://" in text or "www." in text or any(mark in text for mark in ">»›")
        assert bool(marks & _LINK_MARK) == link, text
        assert bool(marks & _NO_HEADLINE_END) == (truncated(text) or final_mark(text) in (".", "。")), text


def test_title_lines_read_a_single_line_and_empty_lines() -> None:
    assert _title_lines_of(["Trade talks stall again."]) == [(4, _NO_HEADLINE_END)]
    assert _title_lines_of(["", "One two three", ""]) == [(0, 0), (3, 0), (0, 0)]


def _plain_title_shaped_words(text: str) -> int:
    """A line's length in words when it has a headline's shape, else 0: each test as its own function
    or pattern states it."""
    if len(text) > 250 or text[0].islower():
        return 0
    words = len(WORD.findall(text)) + len(HAN_KANA.findall(text)) // 4
    if not MIN_TITLE_WORDS <= words <= MAX_TITLE_WORDS or truncated(text) or final_mark(text) in (".", "。"):
        return 0
    if "://" in text or "www." in text or _BREADCRUMB.search(text):
        return 0
    if has_digit(text) and (NUMERIC_DATE.search(text) or CLOCK.search(text) or parse_date(text)):
        return 0
    return words if parse_byline(text) is None else 0


SHAPE_LINES = [
    *LINES,
    "Trade talks stall again.",
    "Trade talks stall again。",
    "Trade talks stall again...",
    "Trade talks stall again…",
    "Trade talks stall again […]",
    "Trade talks stall again [...]",
    'He said "the talks stall again."',
    "Trade talks (stall again.)",
    "Trade talks stall again?",
    "Trade talks stall again!",
    "Trade talks stall: again",
    "\"'”’»)]",
    "Trade talks stall again ”",
    "Read more at https://example.com now",
    "Visit www.example.com for more",
    "WWW.EXAMPLE.COM is shouting here",
    "Blog > Weight Loss > Tips",
    "Home » Sport » Football news",
    "Page 1 › Page 2 › More pages",
    "Prices > costs for most buyers",
    "Published November 18, 2019 in the morning",
    "Updated 10:24 AM on the website",
    "Report from 18.06.2023 on trade",
    "7 key questions heading into the 2020 Democratic debate",
    "By Ana Swanson and Vivian Wang",
    "- By Ana Swanson",
    "trade talks stall again in lower case",
    "Trade " * 31,
    "Trade talks stall " + "x" * 240,
    "𝐁𝐨𝐥𝐝 letters make a headline",
    "𝐛𝐨𝐥𝐝 letters start in lower case",
    "東京都は新しい交通計画を発表した",
    "Route 9 reopens to traffic",
    "Aww. Cats and dogs get along",
    "Ratio :/ of votes cast here",
    "See http:/ for a broken link",
    "Comments // and other notes",
    "Ends on a bracket]",
    "x",
]


@pytest.mark.parametrize("text", SHAPE_LINES)
def test_title_shape_is_its_plain_definition(text: str) -> None:
    [(words, marks)] = _title_lines_of([text])
    shaped = MIN_TITLE_WORDS <= words <= MAX_TITLE_WORDS and _title_shaped(text, marks)
    assert (words if shaped else 0) == _plain_title_shaped_words(text)


def test_a_dateline_has_a_digit() -> None:
    datelines = [line for line in [*DATELINES, *SHAPE_LINES] if _is_dateline(line)]
    assert len(datelines) >= 6
    assert all(has_digit(line) for line in datelines)  # what _signed reads only such lines for


def test_a_dateline_under_a_headline_signs_it() -> None:
    lines = [
        "Trade talks stall again in Geneva",
        "November 18, 2019",
        "Geneva trade talks stalled on Monday",  # nearer the article, and about it, but not signed
        "Trade talks in Geneva stalled again on Monday as the delegates left the city.",
        "The talks will resume next year, officials said.",
    ]
    assert _title_of(lines, [3, 4], frozenset(["the", "and", "as", "on", "in"])) == 0
    lines[1] = "Updates"
    assert _title_of(lines, [3, 4], frozenset(["the", "and", "as", "on", "in"])) == 2


def test_a_dateline_below_the_start_of_the_article_signs_the_headline_right_above_it() -> None:
    lines = [
        "Geneva trade talks stalled on Monday",
        "Trade talks stall again in Geneva",
        "Trade talks in Geneva stalled again on Monday as the delegates left the city.",
        "The talks will resume next year, officials said.",
        "November 18, 2019",  # SIGNED_LINES below the headline
    ]
    stops = frozenset(["the", "and", "as", "on", "in"])
    assert _title_of(lines, [2, 3], stops, first_line=False) == 1
    lines[4] = "Updates"
    assert _title_of(lines, [2, 3], stops, first_line=False) == 0


def test_the_first_line_of_the_article_is_judged_against_the_lines_after_it() -> None:
    lines = [
        "Geneva trade talks stalled on Monday",
        "Trade talks stall again in Geneva",
        "Delegates left the city of Geneva on Monday as trade talks stalled.",
        "The talks will resume next year, officials said.",
    ]
    stops = frozenset(["the", "and", "as", "on", "in", "of"])
    assert _title_of(lines, [1, 2, 3], stops) == 0
    lines[0] = "Menu"  # the first line shares three of its five words with the lines after it
    assert _title_of(lines, [1, 2, 3], stops) == 1


def test_a_headline_the_page_repeats_beats_a_line_as_headline_like_nearer_the_article() -> None:
    lines = [
        "Trade talks stall again in Geneva",
        "Geneva talks on trade stall again",  # the same words, a line nearer the article
        "Delegates left the city of Geneva on Monday as trade talks stalled again.",
        "The talks will resume next year, officials said.",
        "Related",
        "Trade talks stall again in Geneva",
    ]
    stops = frozenset(["the", "and", "as", "on", "in", "of"])
    assert _title_of(lines, [2, 3], stops) == 0
    lines[-1] = "About us"
    assert _title_of(lines, [2, 3], stops) == 1


def _title_of(
    lines: list[str], article: list[int], stops: frozenset[str], *, first_line: bool = True
) -> int | None:
    """find_title on a page of these lines, told which of them the page writes twice."""
    counts = Counter(lines)
    repeated = np.array([counts[text] > 1 for text in lines])
    return find_title(_blocks(lines), article, stops, repeated, first_line=first_line)


def test_signed_reads_as_datelines_only_the_lines_it_is_told_hold_a_digit() -> None:
    blocks = _blocks(["Trade talks stall again in Geneva", "November 18, 2019", "Body"])
    assert _signed(blocks, {0: 6}, set(), {1}) == {0}
    assert _signed(blocks, {0: 6}, set(), set()) == set()


def _plain_signed(blocks: list[Block], shaped: dict[int, int], decks: set[int], digits: set[int]) -> set[int]:
    """_signed's definition: each title-shaped line's signing line, then the signing lines whose shape no
    other signing line has."""
    signature = {}
    for i in shaped:
        for j in range(i + 1, min(i + 1 + SIGNED_LINES, len(blocks))):
            if j in shaped:
                if len(blocks[j].text) >= len(blocks[i].text):
                    break
                continue
            if parse_byline(blocks[j].text) is not None or (j in digits and _is_dateline(blocks[j].text)):
                signature[i] = j
                break
    shapes = Counter(_line_shape(blocks[j].text) for j in set(signature.values()))
    unique = {i for i, j in signature.items() if shapes[_line_shape(blocks[j].text)] == 1}
    return {i - 1 if i - 1 in decks else i for i in unique}


def test_signed_lines_are_those_of_the_definition_whether_one_line_or_several_sign() -> None:
    rng = random.Random(7)
    headlines = [
        "Trade talks stall again in Geneva",
        "Markets fall",
        "A much longer headline about the talks",
    ]
    signatures = [
        "By Jane Roe",
        "By John Doe and Ann Lee",
        "November 18, 2019",
        "Nov 3, 2019",
        "Updated 10:24 AM",
    ]
    for _ in range(400):
        lines = [rng.choice(headlines + signatures + ["Menu", "Share"]) for _ in range(rng.randint(1, 12))]
        blocks = _blocks(lines)
        shaped = {i: 5 for i, text in enumerate(lines) if text in headlines}
        decks = {i for i in shaped if rng.random() < 0.3}
        digits = {i for i, text in enumerate(lines) if has_digit(text)}
        assert _signed(blocks, shaped, decks, digits) == _plain_signed(blocks, shaped, decks, digits), lines


OPENING = (
    "the trade-talks stall again; trump’s “war” goes on — über die straße, 𝐁𝐨𝐥𝐝 snake_case x² 2019 "
    "東京都 talks trade end"
)
# Lines whose words are in OPENING as words, inside longer ones, at its edges, or not at all.
SHARING_LINES = [
    *LINES,
    "Trade talks stall again",  # each word followed in the opening by words of its length
    "Rade talk stal the end tra",  # inside longer words, and at the opening's edges
    "Trump war über Straße 𝐁𝐨𝐥𝐝 snake_case snake case x² 2019 東京都 東京",
    "Goes goes GOES absent nowhere x t snake_case_too",  # one word three times
    "The end",
    "ΟΔΟΣ STRASSE ﬀ",  # case folding that changes letters or their number
    "",
]


def _plain_shares(texts: list[str], opening: str, stops: frozenset[str]) -> list[float]:
    """_shares' definition: the share of each line's content words (case-folded runs of WORD this long,
    no stop word) that occur in the opening with no word character on either side."""
    shares = []
    for text in texts:
        content = {w for w in WORD.findall(text.casefold()) if len(w) >= TITLE_WORD_MIN_CHARS} - stops
        found = {w for w in content if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", opening)}
        shares.append(len(found) / (len(content) + 1))
    return shares


@pytest.mark.parametrize("stops", [frozenset(["the", "and", "est", "again", "über"]), frozenset()])
@pytest.mark.parametrize("opening", [OPENING, OPENING.casefold(), "", "trade"])
def test_shares_are_the_shares_of_content_words_in_the_opening(opening: str, stops: frozenset[str]) -> None:
    # all lines at once, as find_title asks, and each alone
    assert _shares(SHARING_LINES, opening, stops) == _plain_shares(SHARING_LINES, opening, stops)
    for text in SHARING_LINES:
        assert _shares([text], opening, stops) == _plain_shares([text], opening, stops), text
    assert _shares([], opening, stops) == []


def _blocks(lines: list[str]) -> list[Block]:
    return [Block(i, text, True, True) for i, text in enumerate(lines)]


def _first_notice_of_each_line(blocks: list[Block]) -> int | None:
    """_copyright_year's definition: the latest year of the first notice of each line with a mark."""
    years = [
        int(m.group(1))
        for b in blocks
        if ("©" in b.text or "opyright" in b.text or "OPYRIGHT" in b.text)
        and (m := _COPYRIGHT_YEAR.search(b.text))
    ]
    return max(years, default=None)


@pytest.mark.parametrize(
    "lines",
    [
        ["Home", "News", "An article about 2021."],
        ["© 2019 Cleveland.com", "Home"],
        ["Home", "Copyright © 1996-2019 News Communication"],
        ["© 2015 Old Notice", "Text", "© 2019 New Notice", "More text", "COPYRIGHT 2017 SHOUTING"],
        ["© 2018 Foo. Copyright 2020 Bar", "© 2019 Baz"],  # a line's first notice only
        ["CopyRight 2022 not a mark", "© 2016"],  # "CopyRight" is none of the marks
        ["©", "2019 on the next line"],
        ["Copyright notice without a year", "opyright 2012 cut off"],
    ],
)
def test_copyright_year_is_the_latest_first_notice_of_a_line(lines: list[str]) -> None:
    blocks = _blocks(lines)
    assert _copyright_year(blocks) == _first_notice_of_each_line(blocks)


DATELINES = [
    "Updated Nov 19, 9:41 AM;Posted Nov 18, 8:19 PM",
    "Published November 18, 2019 | Updated November 19, 2019",
    "November 18, 2019 at 2:26 PM HST - Updated November 18 at 4:46 PM",
    "November 12, 2018 | BY: Beachbody",
    "21 Day Fix Hub",
    "Posted 2:45 PM",
    "He was born on 18 June 2023 and died in June 2024 after a long and full life of work.",
    "2023년 6월 18일",
    "2023年6月18日",
    "18.06.2023",
    "2019-11-18T10:24",
    "22 de outubro de 2010",
]


DATA = Path(__file__).resolve().parent / "data"


@cache
def _page_lines() -> list[str]:
    """The lines of the dev slice's pages and of the seed pages."""
    with gzip.open(DATA / "dev-slice.jsonl.gz", "rt", encoding="utf-8") as rows:
        raws = [json.loads(row)["text"] for row in rows]
    raws += [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))]
    return [b.text for raw in raws if raw.strip() for b in segment(raw)]


YEARLESS_DATELINES = [
    "Posted Nov 19, 6:51 AM",
    "19 novembre, 10:24",
    "Updated Nov 19, 9:41 AM;Posted Nov 18, 8:19 PM",
    "November 18, 2019 | Updated Nov 17, 9:41 AM",  # a part without its year, earlier than the whole's
    "Published Wed, Nov 20 20194:29 AM EST",
    "Aktualisiert 19. November um 10:24",
]


def test_a_line_takes_the_year_only_when_it_may() -> None:
    lines = [*_page_lines(), *DATELINES, *SHAPE_LINES, *YEARLESS_DATELINES]
    for text in lines:
        if not _may_take_the_year(text):
            assert _date_of_line(text, 2019) == _date_of_line(text) == _date_of_line(text, 1999), text
    # all but the glued one read otherwise with a year: the lines the test above would catch if not said to
    taking = [text for text in YEARLESS_DATELINES if _date_of_line(text, 2019) != _date_of_line(text)]
    assert len(taking) == 5
    assert all(map(_may_take_the_year, taking))


def test_a_dateline_without_its_year_takes_the_copyright_year() -> None:
    blocks = _blocks(["Headline of the story here", "Posted Nov 19, 6:51 AM", "Body", "© 2018 The Gazette"])
    assert find_date_line(blocks, [0]) == (1, "2018-11-19")
    blocks[3] = Block(3, "The Gazette", True, True)
    assert find_date_line(blocks, [0]) is None


@pytest.mark.parametrize("line", DATELINES)
def test_a_line_is_a_dateline_when_a_date_is_read_in_it(line: str) -> None:
    assert _is_dateline(line) == (_date_of_line(line) is not None)


def test_a_date_with_korean_separators_is_read() -> None:
    assert parse_date("2023년 6월 18일") == "2023-06-18"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("- By Ana Swanson and Vivian Wang", "Ana Swanson and Vivian Wang"),
        ("• Written by Jane Roe", "Jane Roe"),
        ("Written by Jane Roe", "Jane Roe"),
        ("BY: Beachbody", "Beachbody"),
        ("Story and text by Jane Roe", None),  # "and" is no lead word
        ("Home by the sea", None),
        ("By", None),
    ],
)
def test_a_byline_may_open_with_a_bullet_or_lead_words(line: str, names: str | None) -> None:
    assert parse_byline(line) == names


def test_the_nearest_eligible_line_that_reads_is_found() -> None:
    blocks = _blocks(["Headline of the story here", "By Jane Roe", "Body", "By John Doe", "Nov 18, 2019"])
    assert find_byline(blocks, [0], lambda i: True) == (1, "Jane Roe")
    assert find_byline(blocks, [0], lambda i: i != 1) == (3, "John Doe")
    assert find_date_line(blocks, [0], lambda i: i != 4) is None
