"""Behaviour of article extraction through its public interface (workers.clean).

The seed pages are real scraped news pages with hand labels; the other pages here are small made-up
ones, each built to show one family of page furniture next to ordinary article prose.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from prose import PROSE_DE, PROSE_EN, PROSE_FR

from workers.blocks import (
    LOCAL_FEATURES,
    TOKEN,
    Block,
    Smoothing,
    block_features,
    local_features,
    numbered_lists,
    segment,
)
from workers.clean import (
    CleanArticle,
    _has_words,
    clean_html,
    clean_text,
    normalise_line,
    score_text,
    shape_reasons,
)
from workers.furniture import alphabetical_list, furniture, photo_credit
from workers.metadata import parse_byline, parse_date

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
NON_BODY = {"chrome", "title", "meta"}

NAV = ["Home", "News", "Politics", "Business", "Sport", "Culture", "Weather", "Subscribe"]
TEASERS = [
    (
        "Harbour bridge to close for two weekends of repairs",
        "Drivers are advised to plan other routes while [\u2026]",
    ),
    ("Local bakery wins national bread award", "The family business beat more than two hundred [\u2026]"),
]


NOTICE = "\u00a9 2023 The Example Gazette"


def _page(title: str, prose: list[str], extra_chrome: list[str] | None = None) -> str:
    """A scraped page: menu, headline, dateline, article paragraphs, related teasers, footer."""
    lines = [*NAV, "", title, "", "Jun 18, 2023, 10:24 AM", ""]
    for paragraph in prose:
        lines += [paragraph, ""]
    lines += extra_chrome or []
    lines += ["", "Related stories"]
    for headline, teaser in TEASERS:
        lines += [headline, teaser, "3 hours ago"]
    lines += ["", "About us", "Contact", "Privacy policy", NOTICE]
    return "\n".join(lines)


def _dated(dateline: str, prose: list[str] = PROSE_EN, notice: str = NOTICE) -> str:
    """The test page (see _page) with another dateline under its headline, and another copyright notice."""
    page = _page("Council extends night buses to the northern suburbs", prose)
    return page.replace("Jun 18, 2023, 10:24 AM", dateline).replace(NOTICE, notice)


def _removed(article: CleanArticle, text: str) -> str | None:
    """The reason text was cut, None when it was not cut."""
    return next((r.reason for r in article.removed if r.text == text), None)


def _paragraphs(article: CleanArticle) -> list[str]:
    return article.body.split("\n\n")


# --- the seed pages --------------------------------------------------------------------------------


def _seed_names() -> list[str]:
    if not SEEDS.is_dir():
        return []
    return sorted(p.name.removesuffix(".labels.tsv") for p in SEEDS.glob("*.labels.tsv"))


def _fold(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed pages not found at {SEEDS}")
@pytest.mark.parametrize("name", _seed_names())
def test_seed_page_is_cleaned_exactly(name: str) -> None:
    raw = (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
    tsv = (SEEDS / f"{name}.labels.tsv").read_text(encoding="utf-8")
    labels = [line.split("\t", 1) for line in tsv.splitlines()]
    expected = json.loads((SEEDS / "expected.json").read_text(encoding="utf-8"))["articles"][name]
    article = clean_text(raw)
    body = _fold(article.body)
    paragraphs = {_fold(p) for p in _paragraphs(article)}
    for kind, text in ((k, t) for k, *rest in labels for t in rest):
        if kind == "body":
            assert _fold(text) in body, f"body line dropped: {text[:80]!r}"
        elif kind in NON_BODY:
            assert _fold(text) not in paragraphs, f"{kind} line kept: {text[:80]!r}"
    if expected["title"] is not None:
        assert article.title == expected["title"]


# --- feature families --------------------------------------------------------------------------------


def test_truncated_teaser_is_dropped() -> None:
    article = clean_text(_page("Council extends night buses to the northern suburbs", PROSE_EN))
    teaser = TEASERS[0][1]
    assert teaser not in _paragraphs(article)
    assert _removed(article, teaser) == "teaser"


def test_relative_timestamp_is_dropped() -> None:
    article = clean_text(_page("Council extends night buses to the northern suburbs", PROSE_EN))
    assert "3 hours ago" not in _paragraphs(article)
    assert _removed(article, "3 hours ago") == "timestamp"


def test_share_bar_is_dropped() -> None:
    share = "FacebookXPinterestEmailShare"
    prose = [*PROSE_EN[:2], share, *PROSE_EN[2:]]
    article = clean_text(_page("Council extends night buses to the northern suburbs", prose))
    assert share not in _paragraphs(article)
    assert _removed(article, share) is not None


# A tag cloud as portals print it under the article or above it: one line of words in alphabetical order.
TAG_CLOUD = (
    "abfall amt ausbildung bahn bau bibliothek bildung bürger feuerwehr finanzen friedhof gesundheit "
    "jugend kultur markt museum musik natur parken polizei rathaus schule senioren sport stadtrat straße "
    "tourismus umwelt verkehr wahlen wasser wirtschaft"
)


@pytest.mark.parametrize("tags_first", [False, True])
def test_a_tag_cloud_is_cut_before_or_after_the_article(tags_first: bool) -> None:
    tags = ["Schlagwörter", TAG_CLOUD]
    article_lines = ["Nachtbusse fahren bald in die Vororte", *PROSE_DE]
    lines = [*tags, *article_lines] if tags_first else [*article_lines, *tags]
    article = clean_text("\n".join(["Startseite", "Rathaus", "Kontakt", *lines, "Impressum"]))
    assert TAG_CLOUD not in _paragraphs(article)
    assert _removed(article, TAG_CLOUD) == "word_list"
    assert all(p in _paragraphs(article) for p in PROSE_DE)


def test_a_sentence_naming_things_in_alphabetical_order_is_kept() -> None:
    sentence = "Barry, Berrien, Calhoun, Cass, Kalamazoo and Van Buren counties reported cases."
    assert not alphabetical_list(sentence)
    assert not alphabetical_list("Barry Berrien Calhoun Cass Kalamazoo Van Buren")  # 7 words
    assert alphabetical_list(
        "Agricultura Campanha Capacitação Combustíveis Comunicado Concurso Cultura Defesa"
    )


def test_a_sorted_list_of_tags_is_a_word_list_and_a_sentence_listing_places_is_not() -> None:
    assert alphabetical_list(
        "calendario stock car 2018, stock car brasil, stock car cascavel, stock car corrida, "
        "stock car interlagos, stock car santa cruz, stock car taruma, stock car velopark"
    )
    assert not alphabetical_list(
        "Night buses will serve Northgate, Ashford, Millbrook, Riverside, Oakwood, Elm Park, Westfield "
        "and Kingsbridge from the spring"
    )


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("Plain line, one space apart.", "Plain line, one space apart."),
        ("  Two  spaces\tand a tab ", "Two spaces and a tab"),
        ("No\xa0break\u2009thin\u3000wide", "No break thin wide"),
        ("\u200bzero width\u00ad", "zero width"),
        ("\u200b edge", "edge"),
        ("a \u200b b", "a b"),
        ("Trailing space ", "Trailing space"),
        (" Leading space", "Leading space"),
        ("\u2028Line separator", "Line separator"),
        ("Beyond the plane 😀 𝐀 stays", "Beyond the plane 😀 𝐀 stays"),
    ],
)
def test_segment_collapses_whitespace_and_strips_invisible_edges(line: str, text: str) -> None:
    # lines already tidy are kept as they are (see blocks._line_rows); the others are split and joined
    assert [b.text for b in segment(line)] == [text]
    assert [b.text for b in segment(f"{text}\n{line}\n \n{text}  x\n{line}")] == [
        text,
        text,
        f"{text} x",
        text,
    ]


def test_a_line_of_zero_width_spaces_separates_paragraphs_like_a_blank_line() -> None:
    blocks = segment(f"{PROSE_EN[0]}\n\u200b\n{PROSE_EN[1]}\n\ufeff \u200b\n{PROSE_EN[2]}")
    assert [b.text for b in blocks] == PROSE_EN[:3]
    assert all(b.blank_before and b.blank_after for b in blocks)


SMOOTHING = Smoothing(run_level=0.5, length_power=0.5, edge=1.01, inside=0.1, outside=1.01)


def _tight_blocks(texts: list[str], tight: set[int]) -> list[Block]:
    """Blocks as segment makes them: blank lines around every line but those in tight, which have
    none between them (a list's items)."""

    def blank(i: int, j: int) -> bool:
        return not (i in tight and j in tight)

    return [Block(i, t, blank(i - 1, i), blank(i, i + 1)) for i, t in enumerate(texts)]


FOODS = [
    "any fish, from the sea or a river",
    "poultry and game",
    "eggs of any kind",
    "hard cheese",
    "all green vegetables",
    "fresh mushrooms",
    "olive oil and butter",
    "herbal tea",
]


def test_a_list_announced_by_the_article_is_kept_and_the_article_goes_on_after_it() -> None:
    """The items score low, as short unended lines do; without the announcement the run of the article
    would end before them and lose the paragraph after."""
    texts = [
        "Menu",
        PROSE_EN[0],
        "The plan allows these foods in its first two weeks:",
        *FOODS,
        PROSE_EN[1],
        "More stories",
        "Contact",
    ]
    items = set(range(3, 3 + len(FOODS)))
    scores = np.array([0.02, 0.95, 0.8, 0.2, 0.1, 0.06, 0.12, 0.3, 0.04, 0.08, 0.15, 0.9, 0.03, 0.01])
    keep = SMOOTHING.keep(scores, _tight_blocks(texts, items))
    assert keep.tolist() == [False, True, True, *[True] * len(FOODS), True, False, False]


def test_a_list_the_article_announces_and_goes_on_after_is_kept_however_low_its_items_score() -> None:
    """A model that never saw the site may score every item near nothing; the paragraph after the list
    still reads like the article, which a link list announced by chrome is not followed by."""
    texts = ["Menu", PROSE_EN[0], "The plan allows these foods in its first two weeks:", *FOODS, PROSE_EN[1]]
    texts += ["More stories", "Contact"]
    items = set(range(3, 3 + len(FOODS)))
    scores = np.array([0.02, 0.95, 0.8, *[0.02] * len(FOODS), 0.9, 0.03, 0.01])
    keep = SMOOTHING.keep(scores, _tight_blocks(texts, items))
    assert keep.tolist() == [False, True, True, *[True] * len(FOODS), True, False, False]


def test_a_table_announced_by_the_article_is_kept_though_its_cells_score_nothing() -> None:
    cells = [
        "Pos.",
        "Driver",
        "Points",
        "1",
        "Kyle Busch",
        "5040",
        "2",
        "Martin Truex Jr.",
        "5035",
        "3",
        "Kevin Harvick",
        "5033",
    ]
    texts = ["Menu", PROSE_EN[0], "The final standings of the series after 36 races:", *cells, "Contact"]
    scores = np.array([0.02, 0.95, 0.8, *[0.01] * len(cells), 0.01])
    keep = SMOOTHING.keep(scores, _tight_blocks(texts, set(range(3, 3 + len(cells)))))
    assert keep.tolist() == [False, True, True, *[True] * len(cells), False]


def test_an_article_goes_on_after_a_table_of_numbers_and_keeps_it() -> None:
    """A table flattened one cell per line, its cells scoring near nothing, sits between paragraphs of
    the article; it must not split the article in two, and is kept with it. A table of market figures
    in the chrome below is not."""
    cells = ["Pos", "Player", "Snaps", "Share"]
    for name, snaps, share in (
        ("Larry Ogunjobi", "63", "85%"),
        ("Myles Garrett", "57", "77%"),
        ("Chad Thomas", "57", "77%"),
        ("Chris Smith", "29", "39%"),
    ):
        cells += ["DL", name, snaps, share]
    markets = ["Dow", "27,934", "-0.4%", "S&P 500", "3,108", "-0.1%", "Nasdaq", "8,570", "+0.2%"]
    texts = ["Menu", PROSE_EN[0], "Defensive line", *cells, PROSE_EN[1], PROSE_EN[2], "Markets", *markets]
    tight = set(range(3, 3 + len(cells))) | set(range(len(texts) - len(markets), len(texts)))
    scores = np.array([0.02, 0.95, 0.2, *[0.01] * len(cells), 0.95, 0.95, 0.01, *[0.02] * len(markets)])
    keep = SMOOTHING.keep(scores, _tight_blocks(texts, tight))
    assert keep.tolist() == [
        False,
        True,
        True,
        *[True] * len(cells),
        True,
        True,
        False,
        *[False] * len(markets),
    ]


def test_links_that_a_line_of_chrome_announces_are_not_kept() -> None:
    """Link lists announced by chrome score near nothing, unlike a list the article announces."""
    links = [
        "How to invest in index funds",
        "How to retire early",
        "How to get health insurance",
        "Newsletter",
        "Facebook",
        "Twitter",
    ]
    texts = ["Menu", PROSE_EN[0], PROSE_EN[1], "Related coverage from our money desk:", *links]
    scores = np.array([0.02, 0.95, 0.9, 0.6, 0.03, 0.02, 0.02, 0.0, 0.0, 0.01])
    keep = SMOOTHING.keep(scores, _tight_blocks(texts, set(range(4, 4 + len(links)))))
    assert not keep[4:].any()


# Story cards flattened by a scraper that drops the break between a card's headline and its summary.
GLUED_CARDS = [
    "Harbour Ferry Fares Rise For The Third Year In A RowCommuters will pay twenty cents more for each "
    "crossing from the first of March.",
    "Library Opens Late On Thursdays This WinterThe central library will stay open until nine in the "
    "evening for a trial period.",
    "School Board Approves New Playground For Eastside ElementaryThe playground will be built over the "
    "summer holidays with money from a state grant.",
    "Local Bakery Wins Regional Bread ContestA family bakery on Mill Street took first prize for its rye "
    "loaf at the county fair.",
]


@pytest.mark.parametrize("cards_first", [False, True])
def test_teasers_whose_headline_runs_into_the_summary_are_cut(cards_first: bool) -> None:
    """The cards read like prose to the classifier; camel-cased names in the article do not count."""
    prose = [
        PROSE_EN[0],
        "The council's chair, Dana McAllister, said the vote showed that the council listens, and the "
        "YouTube recording of the meeting has been watched thousands of times.",
        *PROSE_EN[1:],
    ]
    story = ["Council extends night buses to the northern suburbs", *prose]
    cards = ["More Local News", *GLUED_CARDS]
    lines = [*cards, *story] if cards_first else [*story, *cards]
    paragraphs = _paragraphs(clean_text("\n".join(["Home", "News", "Sport", *lines, "About us"])))
    assert not set(GLUED_CARDS) & set(paragraphs)
    assert all(p in paragraphs for p in prose)


CAPTIONS = [
    "The new night bus depot on the northern ring road, which opens in the spring. (Photo: City Hall)",
    "A night bus on its first test run through the suburbs on Monday. Credit: Transport Department",
    "Der neue Nachtbus auf seiner ersten Probefahrt durch die Vororte am Montag. (Foto: Stadtwerke)",
]


def test_photo_captions_with_their_credit_are_cut_whatever_their_language() -> None:
    prose = [PROSE_EN[0], CAPTIONS[0], PROSE_EN[1], CAPTIONS[1], *PROSE_EN[2:4], CAPTIONS[2], *PROSE_EN[4:]]
    article = clean_text(_page("Council extends night buses to the northern suburbs", prose))
    paragraphs = _paragraphs(article)
    assert paragraphs[: len(PROSE_EN)] == PROSE_EN
    for caption in CAPTIONS:
        assert caption not in paragraphs
        assert _removed(article, caption) == "caption"


@pytest.mark.parametrize(
    "sentence",
    [
        "She showed the council the photo: it had been taken at two in the morning on the ring road.",
        "The picture is clearer now (the figures came in on Monday).",
        "Residents can send a photo of a broken shelter to the transport department.",
        "Image quality on the new night buses' cameras is good enough to identify vandals",
        "The footage was shared with the agency and later sold to Reuters.",
        "She worked for AP and Reuters before joining the council",
        "The bank extended credit... to almost every bus operator in the region",
        "The council met on Tuesday and approved the plan. Its statement went out via AP.",
        "Its statement went out via AP",
        "The council's reply reached the newsroom late on Friday via Reuters",
        "How families can claim the new Child Tax Credit: a step-by-step guide",
    ],
)
def test_a_sentence_that_mentions_a_photo_is_no_credit(sentence: str) -> None:
    assert not photo_credit(sentence)


@pytest.mark.parametrize(
    "line",
    [
        "Image copyright Getty Images",
        "Image caption The new depot on the northern ring road opens in the spring",
        "Image 2 of 5",
        "Natalie Naccache | Bloomberg | Getty Images",
        "J. Scott Applewhite / AP file",
        "Sonu Mehta/Hindustan Times/Getty Images",
        "A night bus at the depot last week. Credit... Jane Roe/The Example Gazette",
        "Credit…Jane Roe for The Example Gazette",
        "The new depot on the ring road opened last week. Photograph by Jane Roe/AFP/Getty Images",
        "John Locher via AP",
        "Photo via Getty Images",
        "The new depot on the ring road opened last week. Jane Roe via AP",
        "The new depot on the ring road where the night buses are kept Credit: AFP or licensors",
        "Die Busse im neuen Depot am Ring Foto: Max Mustermann",
    ],
)
def test_a_line_that_only_labels_or_credits_a_picture_is_a_caption(line: str) -> None:
    assert photo_credit(line)


def test_a_label_the_page_repeats_between_paragraphs_is_cut_and_the_article_kept() -> None:
    prose = [PROSE_EN[0], "Advertisement", *PROSE_EN[1:3], "Advertisement", *PROSE_EN[3:], "Advertisement"]
    article = clean_text(_page("Council extends night buses to the northern suburbs", prose))
    assert _paragraphs(article) == PROSE_EN
    assert _removed(article, "Advertisement") == "label"


def test_a_line_repeated_on_the_page_that_is_more_than_a_label_is_not_cut_for_it() -> None:
    """A two-word label with a number, or a longer line, repeated three times is left to the scorer."""
    texts = [
        "Menu",
        "Top 10",
        "Top 10",
        "Top 10",
        "Night buses run late",
        "Night buses run late",
        "Night buses run late",
        "Contact",
    ]
    assert _labels(texts) == []
    assert _labels(["Menu", "Advertisement", "News", "Advertisement", "Sport", "Advertisement"]) == [1, 3, 5]


def _labels(lines: list[str]) -> list[int]:
    """The lines of a page that the furniture rules cut as repeated labels."""
    blocks = segment("\n".join(lines))
    cut = furniture(blocks, block_features(blocks, frozenset({"the"})))
    return sorted(i for i, reason in cut.items() if reason == "label")


def test_a_gallery_inside_the_article_does_not_split_it() -> None:
    """Its counters and credits are cut, and weigh nothing when the article's run is chosen."""
    gallery = [
        "Image 1 of 3",
        "(Image credit: City Hall)",
        "Image 2 of 3",
        "(Image credit: Transit Authority)",
        "Image 3 of 3",
        "(Image credit: City Hall)",
    ]
    texts = ["Menu", *PROSE_EN[:2], *gallery, *PROSE_EN[2:5], "Contact"]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    scores = np.array([0.02, 0.9, 0.9, *[0.0] * len(gallery), 0.9, 0.9, 0.9, 0.01])
    captions = np.array([False, False, False, *[True] * len(gallery), False, False, False, False])
    keep = SMOOTHING.keep(scores, blocks, inline=captions)
    assert keep.tolist() == [False, True, True, *[False] * len(gallery), True, True, True, False]


def test_a_widget_the_page_shows_twice_does_not_extend_a_short_article_over_it() -> None:
    """A related-stories carousel rendered twice after a short article: its headlines score like the
    article's lines, but a run of them the page repeats line for line is no evidence of the article."""
    related = [
        "Records fall as the city swim team wins its title",
        "Blue Valley wins the state title for a third year",
        "Video: signing day at the high schools",
    ]
    texts = ["Menu", *PROSE_EN[:2], *related, "Sponsored", *related, "About us"]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    scores = np.array([0.02, 0.9, 0.9, 0.7, 0.7, 0.7, 0.1, 0.7, 0.7, 0.7, 0.03])
    keep = SMOOTHING.keep(scores, blocks)
    assert keep.tolist() == [False, True, True, *[False] * 8]


def test_items_an_article_repeats_between_its_paragraphs_are_kept_by_their_scores() -> None:
    """A meal plan that gives the same recipe on two days repeats its lines inside the article."""
    recipe = [
        "Overnight oats with blueberries",
        "One cup of almond milk, warmed",
        "Drink within an hour of waking",
    ]
    texts = ["Menu", PROSE_EN[0], *recipe, PROSE_EN[1], *recipe, PROSE_EN[2], "About us"]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    scores = np.array([0.02, 0.9, 0.3, 0.3, 0.3, 0.9, 0.3, 0.3, 0.3, 0.9, 0.03])
    keep = SMOOTHING.keep(scores, blocks)
    assert keep.tolist() == [False, *[True] * 9, False]


def test_a_numbered_list_the_article_keeps_an_item_of_is_kept_whole() -> None:
    """A list article's items score low, but numbered in order from 1 they are one list, kept with the
    lines between them when the article keeps any of it; another numbered list in the chrome is not."""
    texts = [
        "Menu",
        PROSE_EN[0],
        "1) The night bus to the airport",
        "https://example.com/airport",
        "2) The tram to the stadium",
        "https://example.com/stadium",
        "3) The ferry to the islands",
        "https://example.com/islands",
        PROSE_EN[1],
        "Most read",
        "1. Council budget approved",
        "2. New school opens",
        "3. Weather warning issued",
        "About us",
    ]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    scores = np.array([0.02, 0.9, 0.6, 0.15, 0.05, 0.15, 0.04, 0.15, 0.9, 0.01, 0.02, 0.02, 0.02, 0.01])
    keep = SMOOTHING.keep(scores, blocks)
    assert keep.tolist() == [False, *[True] * 8, *[False] * 5]


def test_a_gallery_caption_is_cut_and_a_paragraph_between_two_credited_captions_kept() -> None:
    """A gallery's captions are sentences; what marks them is the counter above and the credit below. A
    paragraph between two captions that end in their credits is the article's."""
    gallery = [
        "Image 1 of 2",
        "The new depot on the northern ring road, where the night buses will be kept.",
        "(Image credit: City Hall)",
        "Image 2 of 2",
        "A night bus at the airport stop during the trial runs last winter.",
        "(Image credit: Transit Authority)",
    ]
    credited = [
        "The council chamber on Tuesday evening. (Photo: City Hall)",
        PROSE_EN[2],
        "Drivers at the depot before the first night shift. (Photo: Transit Authority)",
    ]
    prose = [*PROSE_EN[:2], *gallery, *credited, *PROSE_EN[3:]]
    article = clean_text(_page("Council extends night buses to the northern suburbs", prose))
    assert _paragraphs(article) == PROSE_EN
    assert _removed(article, gallery[1]) == _removed(article, gallery[4]) == "caption"


def test_where_no_line_reads_like_the_article_the_best_line_is_kept() -> None:
    """One short paragraph at the foot of a portal's menus can score below the level the article's run
    needs; the densest run is then the least bad menu label, and the page would have no article."""
    smoothing = Smoothing(run_level=0.5, length_power=0.5, edge=1.01, inside=0.1, outside=1.01)
    blocks = [Block(i, text, False, False) for i, text in enumerate(["Menu", "Archive", PROSE_EN[0], "Back"])]
    keep = smoothing.keep(np.array([0.02, 0.01, 0.4, 0.03]), blocks)
    assert keep.tolist() == [False, False, True, False]


def test_a_whole_sentence_beside_the_article_joins_it_and_a_label_or_a_caption_does_not() -> None:
    """A short article among teasers has a paragraph scored below the run level; a whole sentence the
    classifier half believes, next to the article, is part of it."""
    smoothing = Smoothing(run_level=0.5, length_power=0.5, edge=1.01, inside=0.1, outside=1.01)
    caption = "The council chamber on Tuesday, where the vote was held. Photo: City Hall press office."
    texts = ["Menu", caption, PROSE_EN[0], PROSE_EN[1], "More stories you may like", "Back"]
    blocks = [Block(i, text, False, False) for i, text in enumerate(texts)]
    keep = smoothing.keep(np.array([0.02, 0.2, 0.9, 0.35, 0.35, 0.03]), blocks)
    assert keep.tolist() == [False, False, True, True, False, False]


@pytest.mark.parametrize(
    ("scores", "joins"),
    [((0.25, 0.2, 0.4, 0.56), True), ((0.05, 0.5, 0.5, 0.5), True), ((0.1, 0.1, 0.2, 0.3), False)],
)
def test_a_closing_sentence_wrapped_at_its_commas_joins_the_article_as_a_whole_sentence_does(
    scores: tuple[float, ...], joins: bool
) -> None:
    """A Japanese blog breaks its lines at "、": no line of its closing sentence is whole, the sentence
    is, and joins the article whole when its lines' mean score is as high as a whole sentence's must be."""
    wrapped = [
        "また、その他にも、",
        "もとの商品に付された商標を剥奪抹消した商品を販売する行為や、",
        "権利者の意思に基づくことなく、もとの商品を小分けにして販売するような行為は、",
        "商標権侵害と判断される場合があります。",
    ]
    texts = ["Menu", PROSE_EN[0], PROSE_EN[1], *wrapped, "関連記事", "Contact"]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    keep = SMOOTHING.keep(np.array([0.02, 0.9, 0.9, *scores, 0.01, 0.01]), blocks)
    assert keep.tolist() == [False, True, True, *[joins] * len(wrapped), False, False]


def test_every_long_sentence_is_kept_and_chrome_is_not() -> None:
    article = clean_text(_page("Council extends night buses to the northern suburbs", PROSE_EN))
    assert _paragraphs(article) == PROSE_EN
    assert "Privacy policy" not in article.body


def test_title_and_date_are_found_and_kept_out_of_the_body() -> None:
    title = "Council extends night buses to the northern suburbs"
    article = clean_text(_page(title, PROSE_EN))
    assert article.title == title
    assert article.published_at == "2023-06-18"
    assert article.language == "en"
    assert title not in article.body
    assert _removed(article, title) == "title"


@pytest.mark.parametrize(
    "title", ["Council extends night buses: “We got there!”", "Will night buses reach the northern suburbs?"]
)
def test_a_headline_may_end_in_a_question_or_an_exclamation_mark_quoted_or_not(title: str) -> None:
    assert clean_text(_page(title, PROSE_EN)).title == title


@pytest.mark.parametrize(
    "dateline",
    ["Veröffentlicht am 18. Juni 2023", "18 giugno 2023", "Publié le 18 juin 2023", "June 18, 2023"],
)
def test_a_dateline_in_words_is_the_date_not_the_headline(dateline: str) -> None:
    title = "Council extends night buses to the northern suburbs"
    page = _page(title, PROSE_EN).replace("Jun 18, 2023, 10:24 AM", dateline)
    article = clean_text(page)
    assert article.title == title
    assert article.published_at == "2023-06-18"
    assert _removed(article, dateline) == "meta"


SHARE_BAR = ["Share", "Tweet", "Email", "Print", "Comments", "Save", "Listen", "Text size", "A+", "A-"]


def test_a_dateline_a_share_bar_away_from_the_headline_is_found() -> None:
    title = "Council extends night buses to the northern suburbs"
    dateline = "Updated 3:27 am PST, Wednesday, November 20, 2019"
    share = "\n".join(SHARE_BAR)
    page = _page(title, PROSE_EN).replace("Jun 18, 2023, 10:24 AM\n", f"{share}\n")
    page = page.replace(f"\n{title}\n", f"\n{dateline}\n{share}\n\n{title}\n")
    article = clean_text(page)
    assert article.published_at == "2019-11-20T11:27:00+00:00"
    assert article.title == title


def test_a_dated_line_inside_the_article_is_its_text_not_its_dateline() -> None:
    title = "Council extends night buses to the northern suburbs"
    post = [
        "Good news for night-shift workers in the north at last!",
        "— Jane Roe (@janeroe) November 18, 2019",
    ]
    page = _page(title, [*PROSE_EN[:2], *post, *PROSE_EN[2:]]).replace("Jun 18, 2023, 10:24 AM\n", "")
    article = clean_text(page)
    assert article.published_at is None
    assert post[1] in _paragraphs(article)


def test_the_headline_is_the_line_about_the_article_not_the_nearest_one() -> None:
    """Lines between the headline and the article (a share bar, a "continue reading" link, a picture's
    credit) have a headline's shape too; the headline is the one whose words the article uses."""
    title = "Council extends night buses to the northern suburbs"
    between = [
        "Share this story on your favourite network",
        "Continue reading the main story",
        "Image Credit",
    ]
    page = _page(title, PROSE_EN).replace("Jun 18, 2023, 10:24 AM\n", "\n\n".join(between) + "\n")
    article = clean_text(page)
    assert article.title == title


# Related videos or stories between a headline and its article, each about the same subject.
PLAYLIST = [
    "Night buses to the northern suburbs: what the council decided",
    "Council votes to spend four million dollars on night routes",
    "Shift workers at the hospital welcome the council's night bus plan",
    "Opponents on the council say the roads need repairing first",
]


def _title_with_header(title: str, header: str, *, keep_dateline: bool = True) -> str | None:
    """The title found on a page whose headline line is replaced by ``header`` (which holds it), its
    dateline kept below or (``keep_dateline=False``) dropped."""
    replaced = f"{title}\n" if keep_dateline else f"{title}\n\nJun 18, 2023, 10:24 AM\n"
    return clean_text(_page(title, PROSE_EN).replace(replaced, header)).title


def test_a_headline_right_above_the_first_paragraph_is_the_title_not_the_articles_first_line() -> None:
    """No byline or dateline between them: the classifier keeps the headline with the article, and it is
    still found, and cut from the body."""
    title = "Night bus service will reach the northern suburbs from spring"
    page = "\n".join([*NAV, "", title, "", *PROSE_EN]).replace("\n", "\n\n")
    article = clean_text(page)
    assert article.title == title
    assert _paragraphs(article)[0] == PROSE_EN[0]
    assert _removed(article, title) == "title"


def test_a_headline_the_client_gives_is_cut_where_the_page_repeats_it_and_no_other_line_is_taken() -> None:
    """With the headline given, the first line of the article stays in the body however headline-shaped
    it is; only the lines that repeat the given headline are cut."""
    given = "Council extends night buses"
    lead = "Night bus service will reach the northern suburbs from spring"
    page = score_text("\n\n".join([*NAV, given, lead, *PROSE_EN]), headline=given)
    article = page.article(page.keep())
    assert article.title == given
    assert _paragraphs(article)[:2] == [lead, PROSE_EN[0]]
    assert _removed(article, given) == "title"


def test_the_pages_own_headline_worded_otherwise_than_the_given_one_is_still_cut() -> None:
    title = "Night bus service will reach the northern suburbs from spring"
    page = score_text(_page(title, PROSE_EN), headline="Council extends night buses")
    article = page.article(page.keep())
    assert article.title == "Council extends night buses"
    assert _paragraphs(article)[0] == PROSE_EN[0]
    assert _removed(article, title) == "title"


def test_the_headline_signed_by_a_byline_beats_related_teasers_nearer_the_article() -> None:
    """A playlist of teasers on the article's subject sits between the headline (with its byline and
    dateline) and the article: the teasers are nearer and share the article's words, but no byline
    signs them."""
    title = "Night bus service will reach the northern suburbs from spring"
    header = f"{title}\nBy Jane Roe, City Desk\nUpdated 10:24 AM, June 18, 2023\n\nMORE VIDEOS\n\n"
    page = _page(title, PROSE_EN).replace(f"{title}\n\nJun 18, 2023, 10:24 AM\n", header)
    page = page.replace("MORE VIDEOS\n", "MORE VIDEOS\n" + "\n\n".join(PLAYLIST) + "\n")
    article = clean_text(page)
    assert article.title == title
    assert article.published_at == "2023-06-18"


def test_dated_teasers_between_the_headline_and_the_article_do_not_sign_themselves() -> None:
    """Related teasers, each with its date under it, between the signed headline and the article: dates
    of one shape under several lines are a list's, and sign none of them."""
    title = "Night bus service will reach the northern suburbs from spring"
    teasers = "\n".join(
        f"{teaser}\nJune {day}, 2023" for teaser, day in zip(PLAYLIST, (14, 15, 16, 17), strict=True)
    )
    header = f"{title}\nBy Jane Roe, City Desk\nUpdated 10:24 AM, June 18, 2023\n\n{teasers}\n\n"
    assert _title_with_header(title, header, keep_dateline=False) == title


def test_another_storys_signed_headline_in_the_chrome_above_is_not_the_title() -> None:
    """The page's header holds another story's headline with its byline and dateline (a previous article,
    a wire copy's wrapper); the article's own headline below it has none, but is about the article."""
    title = "Night buses for the north"
    other = "Council to close the harbour bridge for repairs"
    header = f"{other}\nBy John Doe, Harbour Desk\nJun 17, 2023, 9:00 AM\n\nShare\n\n{title}\n"
    assert _title_with_header(title, header, keep_dateline=False) == title


def test_a_headline_a_long_share_panel_above_the_article_is_found() -> None:
    """Thirty lines of share buttons between the headline and its dateline and the article (a BBC page
    has them): the headline is still the title, not a button nearer the article."""
    title = "Council extends night buses to the northern suburbs"
    panel = "\n".join(f"Share this with {site}" for site in ["Facebook", "Messenger", "Twitter", "Email"] * 8)
    page = _page(title, PROSE_EN).replace("Jun 18, 2023, 10:24 AM\n", f"Jun 18, 2023\n\n{panel}\n")
    article = clean_text(page)
    assert article.title == title
    assert article.published_at == "2023-06-18"


def test_a_breadcrumb_trail_is_not_the_headline() -> None:
    """A trail of sections between the headline and its byline uses more of the article's words than the
    headline does, and sits nearer the article."""
    title = "Riders on the late shift finally have a way to get back after midnight"
    header = f"{title}\n\nCouncil > Night Buses > Northern Suburbs\n\nBy Jane Roe, City Desk\n"
    assert _title_with_header(title, header) == title


def test_a_label_above_the_headline_does_not_take_it_for_its_deck() -> None:
    """A short line above the headline ("Follow City News") shares a word with the article and the
    headline is longer than it, the shape of a headline over its deck: the label must not be credited
    with the headline's words and byline."""
    title = "Night bus service will reach the northern suburbs from spring"
    header = f"Follow Council News\n\n{title}\n\nBy Jane Roe, City Desk\n"
    assert _title_with_header(title, header) == title


def test_a_teaser_above_the_headline_does_not_take_it_for_its_deck() -> None:
    """Another story's teaser, long enough to have a deck, right above the headline: it is about another
    story, so it is not credited with the headline's words and byline."""
    title = "Night bus service will reach the northern suburbs from spring"
    header = f"Harbour ferry fares to rise in the autumn\n\n{title}\n\nBy Jane Roe, City Desk\n"
    assert _title_with_header(title, header) == title


def test_a_headline_in_title_case_is_no_deck_of_the_chrome_line_above_it() -> None:
    """A line of chrome the page repeats above the headline ("Continue reading the main story"), shorter
    than the headline and sharing words with the article, has the shape of a headline over its deck; but
    a deck is written as a sentence, and a line in title case is a headline."""
    title = "Night Bus Service Will Reach The Northern Suburbs From Spring"
    chrome = "Continue reading the council bus story"
    header = f"{chrome}\n\nSupported by\n\n{chrome}\n\n{title}\n\nBy Jane Roe\n"
    assert _title_with_header(title, header) == title


def test_a_photo_caption_with_its_credit_is_never_the_title() -> None:
    """The lead picture's caption and credit under the headline and its deck is title-shaped, nearer the
    byline and uses the article's words; it is cut as a caption, and the headline stays the title."""
    title = "Night Bus Service Will Reach The Northern Suburbs From Spring"
    deck = "The council vote ends a long wait for residents of the northern suburbs, and for shift workers."
    caption = "A night bus at the depot in the northern suburbs last week. Credit... Jane Roe/City News"
    header = f"{title}\n\n{deck}\n\n{caption}\n\nBy Jane Roe\n"
    assert _title_with_header(title, header) == title


def test_a_headline_over_its_deck_is_the_title_when_the_byline_follows_the_deck() -> None:
    """The byline goes under the deck, which is nearer it: it signs the headline all the same."""
    title = "Night buses for the north"
    deck = "Service to the northern suburbs starts in the spring"
    header = f"{title}\n\n{deck}\n\nBy Jane Roe, City Desk\n"
    assert _title_with_header(title, header) == title


def test_a_section_label_naming_the_articles_subject_is_not_its_headline() -> None:
    """A short label above the article ("In the Council") may use the article's words too; the
    headline uses more of them, and a label's few words must not count as a larger share."""
    title = "Council extends night buses to the northern suburbs"
    page = _page(title, PROSE_EN).replace("Jun 18, 2023, 10:24 AM\n", "\nIn the Council\n")
    assert clean_text(page).title == title


def test_a_sentence_of_the_article_is_never_taken_for_a_byline() -> None:
    title = "Council extends night buses to the northern suburbs"
    opening = "By Tuesday, Smith and Jones had left the council chamber."
    article = clean_text(_page(title, [opening, *PROSE_EN]))
    assert article.byline is None
    assert _paragraphs(article) == [opening, *PROSE_EN]


def test_the_byline_is_found_and_kept_out_of_the_body() -> None:
    title = "Council extends night buses to the northern suburbs"
    page = _page(title, PROSE_EN).replace(f"{title}\n", f"{title}\n\n- By Ana Swanson and Vivian Wang\n")
    article = clean_text(page)
    assert article.byline == "Ana Swanson and Vivian Wang"
    assert "Swanson" not in article.body
    assert _paragraphs(article) == PROSE_EN


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Posted by Michael David Smith on November 19, 2019, 6:21 AM EST", "Michael David Smith"),
        (
            "By LISA MASCARO, MARY CLARE JALONICK and ERIC TUCKER",
            "LISA MASCARO, MARY CLARE JALONICK and ERIC TUCKER",
        ),
        ("By Tess Bonn - 11/19/19 06:56 AM EST", "Tess Bonn"),
        ("by Regan December 6, 2017", "Regan"),
        ("Von Max Mustermann und Erika Musterfrau", "Max Mustermann und Erika Musterfrau"),
        ("Par Jean-Pierre Dupont, à Paris", "Jean-Pierre Dupont"),
        ("Por María de la Cruz", "María de la Cruz"),
        ("Autor: Jan Kowalski", "Jan Kowalski"),
        ("by ライトハウス国際特許事務所 ／ 2016.12.01", "ライトハウス国際特許事務所"),
        # not bylines: a consent notice, a menu entry, a photo credit, a sentence, a phrase
        ("By choosing I Accept, you consent to our use of cookies.", None),
        ("By subject", None),
        ("Photo by John Smith/Reuters", None),
        ("By Monday, the company had lost half its value.", None),
        ("By Tuesday, Smith and Jones had left.", None),
        ("Di Maio e Salvini litigano.", None),
        ("Przez Kraków i Warszawę przejdzie marsz.", None),
        ("От Путина ждут решения.", None),
        ("Von A bis Z", None),
        ("Stand by me", None),
    ],
)
def test_a_byline_gives_the_names_it_states(line: str, names: str | None) -> None:
    assert parse_byline(line) == names


@pytest.mark.parametrize(
    ("title", "prose"),
    [
        ("Stadtrat weitet Nachtbusse auf die nördlichen Vororte aus", PROSE_DE),
        ("Le conseil prolonge les bus de nuit vers les banlieues du nord", PROSE_FR),
    ],
)
def test_german_and_french_prose_is_kept(title: str, prose: list[str]) -> None:
    article = clean_text(_page(title, prose))
    for paragraph in prose:
        assert paragraph in _paragraphs(article)
    assert article.title == title


@pytest.mark.parametrize(("prose", "language"), [(PROSE_EN, "en"), (PROSE_DE, "de"), (PROSE_FR, "fr")])
def test_language_of_the_page_is_reported(prose: list[str], language: str) -> None:
    assert clean_text(_page("Night buses for the northern suburbs", prose)).language == language


def test_a_long_line_of_mis_decoded_bytes_does_not_decide_the_language() -> None:
    """A page saved with a binary part decoded as text has its longest line made of junk, which the
    language detector reads as a creole or as Chinese."""
    junk = random.Random(1).randbytes(900).decode("utf-8", errors="replace")
    junk = " ".join(junk.split())
    page = _page("Night buses for the northern suburbs", [*PROSE_EN, junk])
    assert clean_text(page).language == "en"


def test_line_shapes_are_read_the_same_anywhere_on_the_page() -> None:
    """Features are computed for the whole page at once; a line's own shape must not depend on where
    it sits, what surrounds it or how the page's words are split across lines."""
    lines = [
        "• First point of the list",
        "iPhone FacebookXPinterest USA",
        "東京で会議が開かれた。",
        "«Quote» 1)",
    ]
    stops = frozenset({"of", "the"})
    alone = [local_features([Block(0, t, True, True)], stops)[0, :-4] for t in lines]
    together = local_features([Block(i, t, True, True) for i, t in enumerate(lines)], stops)[:, :-4]
    assert np.allclose(np.array(alone), together)
    bullet, camel = LOCAL_FEATURES.index("bullet"), LOCAL_FEATURES.index("camel")
    assert together[0, bullet] == 1.0 and together[1, bullet] == 0.0
    assert together[1, camel] == pytest.approx(np.log1p(2))


def test_labelled_lines_and_stop_words_are_read_from_their_shape() -> None:
    """A colon near the start or at the end, or a closing parenthesis, marks a labelled line (a related
    link, a commenter's name, a photo credit); stop words are counted however they are cased or
    punctuated."""
    lines = [
        "Related: Bridge closes for repairs",
        "Anna says:",
        "The harbour at dawn, from the bridge (Photo: J. Smith)",
        "«The» OF, x",
    ]
    shapes = local_features([Block(i, t, True, True) for i, t in enumerate(lines)], frozenset({"of", "the"}))
    column = {name: shapes[:, LOCAL_FEATURES.index(name)].tolist() for name in LOCAL_FEATURES}
    assert column["head_colon"] == [1.0, 0.0, 0.0, 0.0]
    assert column["ends_colon"] == [0.0, 1.0, 0.0, 0.0]
    assert column["ends_paren"] == [0.0, 0.0, 1.0, 0.0]
    assert column["stop_ratio"][3] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("items", "listed"),
    [
        (["1. Interlagos", "2. Curitiba", "3. Velopark"], True),
        (["1) Interlagos", "2) Curitiba", "3) Velopark"], True),
        (["1a etapa: Interlagos", "2a etapa: Curitiba", "3a etapa: Velopark"], True),
        (["1st round: Interlagos", "2nd round: Curitiba", "3rd round: Velopark"], True),
        (["1º GP: Interlagos", "2º GP: Curitiba", "3º GP: Velopark"], True),
        (["1. Interlagos", "3. Curitiba", "4. Velopark"], False),  # not counted in order
        (["2. Interlagos", "3. Curitiba", "4. Velopark"], False),  # not counted from 1
        (["10 de março: Interlagos", "11 de março: Curitiba", "12 de março: Velopark"], False),
        (["1er tour : Paris", "2e tour : Lyon", "3e tour : Nice"], True),
        (["1D printing", "2D printing", "3D printing"], False),
    ],
)
def test_a_numbered_list_counts_its_items_in_order_from_one_in_any_numbering(
    items: list[str], listed: bool
) -> None:
    blocks = [Block(i, text, False, False) for i, text in enumerate(["Menu", *items, "Contact"])]
    assert numbered_lists(blocks).tolist() == [-1, *[1 if listed else -1] * len(items), -1]


def test_a_numbered_menu_of_stories_on_a_page_without_an_article_is_no_article() -> None:
    """A list is an article on its own only when its lines hold figures (dates, points, times)."""
    stories = ["1. Weather", "2. Sport", "3. Traffic", "4. Puzzles", "5. Horoscopes"]
    page = score_text("\n".join([*NAV, "", "Most read", *stories, "", "About us", "Contact"]))
    with pytest.raises(ValueError, match="no article text"):
        page.article(np.array([b.text in stories for b in page.blocks]))


def test_a_numbered_menu_between_the_article_and_another_story_does_not_join_them() -> None:
    """A numbered list weighs nothing against the article only when one of its lines reads like it."""
    trending = [f"{n}. {title}" for n, title in enumerate(["Weather", "Sport", "Traffic", "Puzzles"], 1)]
    texts = ["Menu", PROSE_EN[0], PROSE_EN[1], "Trending now", *trending, PROSE_DE[0], "Contact"]
    blocks = [Block(i, t, True, True) for i, t in enumerate(texts)]
    keep = SMOOTHING.keep(np.array([0.02, 0.9, 0.9, 0.02, *[0.05] * len(trending), 0.9, 0.01]), blocks)
    assert keep.tolist() == [False, True, True, *[False] * (len(trending) + 3)]


def test_an_article_that_is_all_numbered_list_is_an_article_under_its_headline() -> None:
    """A season's calendar: no line reads like a sentence, yet a list numbered in order is no menu. The
    list is the body (not bylines under the headline), and its first item is not the headline."""
    rounds = [
        f"{n}{suffix} round: {day} March – {track}"
        for n, suffix, day, track in (
            (1, "st", 10, "Interlagos"),
            (2, "nd", 17, "Curitiba"),
            (3, "rd", 24, "Velopark"),
            (4, "th", 31, "Londrina"),
        )
    ]
    raw = "\n".join([*NAV, "", "The stock car calendar for 2018", "", *rounds, "", "About us", "Contact"])
    page = score_text(raw)
    keep = np.array([b.text in rounds for b in page.blocks])
    article = page.article(keep)
    assert _paragraphs(article) == rounds
    assert article.title == "The stock car calendar for 2018"


def test_page_of_menu_labels_has_no_article() -> None:
    with pytest.raises(ValueError, match="no article text"):
        clean_text("\n".join(NAV))


def test_normalised_lines_ignore_case_spacing_and_numbers() -> None:
    assert normalise_line("  3 Hours  ago ") == normalise_line("12 hours ago")
    assert normalise_line("Share |") == normalise_line("share")


# --- HTML mode ------------------------------------------------------------------------------------------


def test_html_mode_extracts_article_title_and_date() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in PROSE_EN)
    html = (
        "<html><head><title>Night buses | The Example Gazette</title>"
        '<meta property="og:title" content="Council extends night buses to the northern suburbs">'
        '<meta property="article:published_time" content="2023-06-18T10:24:00Z"></head><body>'
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        "<article><h1>Council extends night buses to the northern suburbs</h1>"
        f"{paragraphs}</article>"
        "<footer><p>\u00a9 2023 The Example Gazette</p><a href='/privacy'>Privacy policy</a></footer>"
        "</body></html>"
    )
    article = clean_html(html)
    for paragraph in PROSE_EN:
        assert paragraph in article.body
    assert "Privacy policy" not in article.body
    assert article.title == "Council extends night buses to the northern suburbs"
    assert article.published_at == "2023-06-18"
    assert article.byline is None


def test_html_mode_reads_the_authors_from_the_markup_and_cuts_the_byline_line() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in PROSE_EN)
    html = (
        '<html><head><meta name="author" content="Ana Swanson"></head><body><article>'
        "<h1>Council extends night buses to the northern suburbs</h1>"
        f"<p>By Ana Swanson, Washington</p>{paragraphs}</article></body></html>"
    )
    article = clean_html(html)
    assert article.byline == "Ana Swanson"
    assert "Swanson" not in article.body
    assert _paragraphs(article) == PROSE_EN


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   \n\n  \t", "\u2014 \u2022 |"])
def test_text_without_words_raises_value_error(raw: str) -> None:
    with pytest.raises(ValueError, match="nothing to extract"):
        clean_text(raw)


@pytest.mark.parametrize("html", ["", "   ", "<html><body></body></html>"])
def test_html_without_article_raises_value_error(html: str) -> None:
    with pytest.raises(ValueError):
        clean_html(html)


@pytest.mark.parametrize("prose", [PROSE_EN, PROSE_DE, PROSE_FR], ids=["en", "de", "fr"])
def test_article_sent_as_one_long_line_is_kept_whole(prose: list[str]) -> None:
    """Scrapers that drop paragraph breaks send a headline and the article as one line; the classifier,
    which learned from pages with a paragraph per line, must still see paragraphs and keep it all."""
    line = " ".join(prose * 2)
    article = clean_text(f"Council extends night buses\n\n{line}")
    assert article.title == "Council extends night buses"
    assert article.body == line


PROSE_ZH = (
    "市议会周二投票决定将夜间公交服务延伸到北部郊区，这是该地区居民近三年来一直要求的决定。"
    "根据该计划，每年将花费约四百万元，在午夜至凌晨五点之间，三条最繁忙的线路每二十分钟一班。"
    "支持者说，这一变化将帮助医院和配送中心的轮班工人，他们目前下班后没有办法回家。"
    "议会中的反对者认为，这笔钱最好用于修路，其中几位还质疑夜间是否会有足够的人乘坐公交车。"
    "交通部门表示，将每季度公布乘客人数，并在运营满一年后对这项服务进行审查。"
    "第一批夜间公交车预计将在春季开始运行，届时新司机将完成招聘和线路培训。"
)


@pytest.mark.parametrize("repeats", [1, 4], ids=["short page", "cut into pieces"])
def test_chinese_article_under_a_headline_is_kept_whole(repeats: int) -> None:
    """Chinese and Japanese put no space after a sentence's end: a long line must still be cut there, and
    the headline above it, as many "words" as a sentence, is not article text."""
    line = PROSE_ZH * repeats
    assert clean_text(f"市议会延长夜间公交服务\n\n{line}").body == line


@pytest.mark.parametrize(
    ("headline", "shown"),
    [("市议会决定延长夜间公交服务至北部郊区", 1), ("夜間バスが北部の郊外まで延長に！？", 2)],
    ids=["zh", "ja, ending in ！？ and shown twice"],
)
def test_a_chinese_or_japanese_headline_is_the_title_not_a_menu_label(headline: str, shown: int) -> None:
    """Written without spaces, a headline is one "word" to a word count: it is measured by its characters
    instead, enough of them that a menu label of a few characters does not pass for one. A full-width
    question or exclamation mark ends a headline as its ASCII twin does."""
    menu = ["首页", "新闻中心", "よくあるご質問", "お問い合わせ", "联系我们"]
    paragraphs = [sentence + "。" for sentence in PROSE_ZH.split("。") if sentence]
    page = "\n".join([*menu, "", *[headline] * shown, "", "\n\n".join(paragraphs), "", "版权所有"])
    article = clean_text(page)
    assert article.title == headline
    assert article.body == "\n\n".join(paragraphs)


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Jun 18, 2023, 10:24 AM", "2023-06-18"),
        ("18. Juni 2023", "2023-06-18"),
        ("le 18 juin 2023 à 10h24", "2023-06-18"),
        ("18 de junio de 2023", "2023-06-18"),
        ("18 giugno 2023", "2023-06-18"),
        ("18 juni 2023", "2023-06-18"),
        ("18 iunie 2023", "2023-06-18"),
        ("18 Haziran 2023", "2023-06-18"),
        ("18 czerwca 2023", "2023-06-18"),
        ("18. června 2023", "2023-06-18"),
        ("Текст: Анна Иванова · 18 июня 2023", "2023-06-18"),
        ("2023年6月18日", "2023-06-18"),
        ("18.06.2023", "2023-06-18"),
        ("Published Sun, Jun 18 202310:24 AM EDT", "2023-06-18T14:24:00+00:00"),
        ("November 18, 2019 at 2:26 PM HST - Updated November 18 at 4:46 PM", "2019-11-19T00:26:00+00:00"),
        ("Updated 12:05 a.m. EST, Nov 3, 2019", "2019-11-03T05:05:00+00:00"),
        ("18. Juni 2023, 10:24 Uhr MESZ", "2023-06-18"),
        ("June 18, 2023 10:24 IST", "2023-06-18"),
        ("2023.06.18", "2023-06-18"),
        ("by ライトハウス国際特許事務所 ／ 2023.06.18", "2023-06-18"),
        ("2023/06/18 10:24", "2023-06-18"),
        ("By Jane Roe - 6/18/23 10:24 AM EDT", "2023-06-18T14:24:00+00:00"),
        ("18.06.23, 10:24 Uhr", "2023-06-18"),
        ("By Jane Roe - 6/5/23 10:24 AM EDT", "2023-06-05T14:24:00+00:00"),
        ("06/05/2023 10:24 PM EST", "2023-06-06T03:24:00+00:00"),
        ("05/06/2023 10:24 BST", "2023-06-05T09:24:00+00:00"),
        ("in June 2023", None),
        ("Final score 2023:30", None),
        ("Won 6/18/23 on points", None),
        ("Release 2023.6 is out", None),
    ],
)
def test_a_date_is_read_in_the_languages_news_is_written_in(line: str, iso: str | None) -> None:
    assert parse_date(line) == iso


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Updated Nov 19, 6:55 AM;Posted Nov 19, 6:51 AM", "2019-11-19"),
        ("19 novembre, 10:24", "2019-11-19"),
        ("Nov 19, 6:51 AM EST", "2019-11-19T11:51:00+00:00"),
        ("Nov 19 tour dates announced", None),
        ("Posted 2:45 PM", None),
    ],
)
def test_a_date_without_its_year_is_read_only_with_the_year_given_and_a_clock_time(
    line: str, iso: str | None
) -> None:
    assert parse_date(line) is None
    assert parse_date(line, year=2019) == iso


@pytest.mark.parametrize(
    ("dateline", "iso"),
    [
        ("Updated Nov 19, 2019, 9:41 AM;Posted Nov 18, 2019, 8:19 PM", "2019-11-18"),
        ("Published November 18, 2019 | Updated November 19, 2019", "2019-11-18"),
        ("Updated 19.11.2019 / Erstellt 18.11.2019", "2019-11-18"),
        # the update's local day is not before the publication's moment in UTC
        ("November 18, 2019 at 2:26 PM HST - Updated November 18 at 4:46 PM", "2019-11-19T00:26:00+00:00"),
    ],
)
def test_a_dateline_with_an_update_gives_the_first_publication(dateline: str, iso: str) -> None:
    assert clean_text(_dated(dateline)).published_at == iso


FETCHED = datetime(2019, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dateline", "iso"),
    [
        ("Published 22 hours ago", "2019-11-19T14:00:00+00:00"),
        ("an hour ago", "2019-11-20T11:00:00+00:00"),
        ("Aktualisiert vor 3 Stunden", "2019-11-20T09:00:00+00:00"),
        ("il y a 2 jours", "2019-11-18"),
        ("hace 45 minutos", "2019-11-20T11:15:00+00:00"),
        ("há 2 semanas", "2019-11-06"),
        ("3 ore fa", "2019-11-20T09:00:00+00:00"),
        ("2 dagen geleden", "2019-11-18"),
        ("Yesterday 2:45PM", "2019-11-19"),
        ("Gestern, 14:45", "2019-11-19"),
        ("Today 12:01 AM", "2019-11-20"),
    ],
)
def test_a_dateline_relative_to_the_fetch_is_dated_from_the_fetch_time(dateline: str, iso: str) -> None:
    page = score_text(_dated(dateline), fetched_at=FETCHED)
    article = page.article(page.keep())
    assert article.published_at == iso
    assert _removed(article, dateline) == "meta"


def test_a_relative_timestamp_below_the_article_is_a_teasers_not_the_dateline() -> None:
    """The test page's related stories, after the article, are each stamped "3 hours ago"."""
    page = score_text(_dated("", PROSE_EN[:3]), fetched_at=FETCHED)
    assert page.article(page.keep()).published_at is None


def test_a_dateline_without_a_year_takes_the_year_of_the_fetch_without_a_copyright_notice() -> None:
    page = score_text(_dated("Posted Nov 19, 6:51 AM", notice=""), fetched_at=FETCHED)
    assert page.article(page.keep()).published_at == "2019-11-19"


@pytest.mark.parametrize("notice", ["", "\u00a9 2020 The Example Gazette"], ids=["no notice", "this year's"])
def test_a_dateline_without_a_year_is_never_after_the_fetch(notice: str) -> None:
    """Fetched on January 2, a page's "Dec 30" is last year's, whichever year its notice states."""
    page = score_text(
        _dated("Posted Dec 30, 9:15 PM", notice=notice), fetched_at=datetime(2020, 1, 2, tzinfo=UTC)
    )
    assert page.article(page.keep()).published_at == "2019-12-30"


def test_a_dateline_without_a_year_takes_the_year_of_the_pages_copyright_notice() -> None:
    """Sites write this year's dates without the year ("Posted Nov 19, 6:51 AM"); the page's copyright
    notice states the year it was served in."""
    assert clean_text(_dated("Posted Nov 19, 6:51 AM", notice="")).published_at is None
    notice = "Copyright © 2012-2019 Example Media. All rights reserved."
    article = clean_text(_dated("Posted Nov 19, 6:51 AM", notice=notice))
    assert article.published_at == "2019-11-19"
    assert _removed(article, "Posted Nov 19, 6:51 AM") == "meta"


@pytest.mark.parametrize("paragraphs", [1, 2], ids=["one paragraph", "two paragraphs"])
@pytest.mark.parametrize("prose", [PROSE_EN, PROSE_DE, PROSE_FR], ids=["en", "de", "fr"])
def test_a_headline_and_a_paragraph_or_two_are_an_article(prose: list[str], paragraphs: int) -> None:
    """Too short a page for the classifier's view of the layout: the lines that read like sentences are
    the article, the line above them its headline."""
    body = "\n\n".join(prose[:paragraphs])
    article = clean_text(f"Council extends night buses\n\n{body}")
    assert article.title == "Council extends night buses"
    assert article.body == body


@pytest.mark.parametrize("count", [1, 2, 9, 10, 11])
def test_has_words_is_whether_the_line_has_that_many_words(count: int) -> None:
    lines = [*PROSE_EN, *PROSE_DE, *NAV, "", "...", "東京都は新しい交通計画を発表した", "one two three four"]
    for text in lines + [line[:k] for line in lines for k in range(0, len(line), 7)]:
        assert _has_words(text, count) == (len(TOKEN.findall(text)) >= count), text


def _pages_with_repeats() -> list[str]:
    seeds = [(SEEDS / f"{name}.txt").read_text(encoding="utf-8") for name in _seed_names()]
    title = "Council extends night buses"
    short = f"{title}\n\n{PROSE_EN[0]}\n\n{title}"  # too short a page for the classifier
    # the made-up pages write their headline and a label twice
    return [*seeds, _page(title, PROSE_EN, extra_chrome=[title, "Menu", "Menu"]), short]


@pytest.mark.parametrize("raw", _pages_with_repeats())
def test_a_scored_page_knows_which_of_its_lines_it_writes_more_than_once(raw: str) -> None:
    """ScoredText.repeated is read off the feature matrix: it is whether the page writes a line's text on
    another line too."""
    page = score_text(raw)
    counts = Counter(b.text for b in page.blocks)
    assert page.repeated.tolist() == [counts[b.text] > 1 for b in page.blocks]


def test_shape_reasons_name_teasers_and_timestamps_by_their_text() -> None:
    lines = [
        "Read the rest of the story…",
        "Read the rest of the story…”",
        "Ministers met on Tuesday [...]",
        "3 hours ago",
        "Updated 10:24 AM",
        "Jun 18, 2023 at 10:24",
        "one two three four five 6",  # five spaces: short enough
        "one two three four five six 7",  # six spaces: not
        "© 2023 Example Media",
        "Prices rose 3% in May.",
        "Prices rose 3% in May",
        "Menu",
    ]
    expected = [
        "teaser",
        "teaser",
        "teaser",
        "timestamp",
        "timestamp",
        "timestamp",
        "timestamp",
        "classifier",
        "classifier",
        "classifier",
        "timestamp",
        "classifier",
    ]
    blocks = segment("\n".join(lines))
    assert shape_reasons(blocks, local_features(blocks, frozenset())) == expected
