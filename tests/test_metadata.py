"""The shortcuts workers.metadata takes to find a page's title, date and byline quickly, each checked
against the plain definition it stands for."""

from __future__ import annotations

import pytest

from workers.blocks import Block
from workers.metadata import find_byline, find_date_line, parse_byline


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


def test_the_nearest_eligible_line_that_reads_is_found() -> None:
    blocks = _blocks(["Headline of the story here", "By Jane Roe", "Body", "By John Doe", "Nov 18, 2019"])
    assert find_byline(blocks, [0], lambda i: True) == (1, "Jane Roe")
    assert find_byline(blocks, [0], lambda i: i != 1) == (3, "John Doe")
    assert find_date_line(blocks, [0], lambda i: i != 4) is None
