"""The shortcuts workers.metadata takes to find a page's title, date and byline quickly, each checked
against the plain definition it stands for."""

from __future__ import annotations

import pytest

from workers.blocks import Block
from workers.metadata import (
    _COPYRIGHT_YEAR,
    _copyright_year,
    find_byline,
    find_date_line,
    parse_byline,
    parse_date,
)


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


def test_a_date_with_korean_separators_is_read() -> None:
    assert parse_date("2023년 6월 18일") == "2023-06-18"


def test_the_nearest_eligible_line_that_reads_is_found() -> None:
    blocks = _blocks(["Headline of the story here", "By Jane Roe", "Body", "By John Doe", "Nov 18, 2019"])
    assert find_byline(blocks, [0], lambda i: True) == (1, "Jane Roe")
    assert find_byline(blocks, [0], lambda i: i != 1) == (3, "John Doe")
    assert find_date_line(blocks, [0], lambda i: i != 4) is None
