"""HTML mode (workers.clean.clean_html and workers.html_extract): what is done around trafilatura.

Each page here is small and made up, built to show one thing trafilatura gets wrong or lets through
next to ordinary article prose.
"""

from __future__ import annotations

import pytest
from prose import PROSE_DE, PROSE_EN

from workers import html_extract
from workers.clean import RemovedBlock, clean_html

HEADLINE = "Council extends night buses to the northern suburbs"


def _page(article: str, head: str = "") -> str:
    return (
        f"<html><head><title>Night buses | The Example Gazette</title>{head}</head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        f"{article}"
        "<footer><p>\u00a9 2023 The Example Gazette</p><a href='/privacy'>Privacy policy</a></footer>"
        "</body></html>"
    )


def _paragraphs(texts: list[str], css: str = "") -> str:
    return "".join(f"<p{css}>{text}</p>" for text in texts)


def test_headline_is_the_h1_not_the_page_title_and_the_standfirst_is_not_body() -> None:
    article = clean_html(
        _page(
            f"<article><h1>{HEADLINE}</h1><h2>Residents had asked for the service for three years</h2>"
            f"{_paragraphs(PROSE_EN)}</article>"
        )
    )
    assert article.title == HEADLINE
    assert HEADLINE not in article.body
    assert "Residents had asked" not in article.body
    assert article.body.split("\n\n") == PROSE_EN


def test_body_split_into_containers_is_completed() -> None:
    section = "<div class='section'><div class='inner'>{}</div></div>"
    first, rest = PROSE_DE[:2], PROSE_DE[2:]
    html = _page(
        f"<article class='post'><h1>Nachtbusse fahren bald bis in die Vororte</h1>"
        f"{section.format(_paragraphs(first, ' class=para'))}</article>"
        "<div class='ad'><span>Anzeige</span></div>"
        f"<div class='post-body'>{section.format(_paragraphs(rest, ' class=para'))}</div>"
    )
    assert clean_html(html).body.split("\n\n") == PROSE_DE


def test_lines_that_are_mostly_links_are_cut_and_prose_with_a_link_is_kept() -> None:
    with_link = PROSE_EN[2].replace("the hospital", "<a href='/hospital'>the hospital</a>")
    related = "Related: <a href='/trams'>Trams to run later on weekends from next month</a>"
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN[:2])}<p>{with_link}</p><p>{related}</p>"
        f"{_paragraphs(PROSE_EN[3:])}</article>"
    )
    extracted = html_extract.extract(html)
    assert extracted is not None
    assert extracted.mostly_link("Related: Trams to run later on weekends from next month")
    assert not extracted.mostly_link(PROSE_EN[2])
    assert clean_html(html).body.split("\n\n") == PROSE_EN


def test_rows_of_a_data_table_in_the_article_are_kept() -> None:
    table = (
        "<table><tr><th>Route</th><th>Buses</th></tr><tr><td>N1</td><td>12</td></tr>"
        "<tr><td>N2</td><td>9</td></tr></table>"
    )
    body = clean_html(_page(f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN)}{table}</article>")).body
    for row in ("| Route | Buses |", "| N1 | 12 |", "| N2 | 9 |"):
        assert row in body.split("\n\n")


def test_dateline_stating_the_pages_date_is_cut_and_gives_the_date() -> None:
    meta = '<meta property="article:published_time" content="2023-06-18T10:24:00Z">'
    article = clean_html(
        _page(f"<article><h1>{HEADLINE}</h1><p>June 18, 2023</p>{_paragraphs(PROSE_EN)}</article>", meta)
    )
    assert article.published_at == "2023-06-18"
    assert article.body.split("\n\n") == PROSE_EN
    undated = clean_html(
        _page(f"<article><h1>{HEADLINE}</h1><p>18.06.2023</p>{_paragraphs(PROSE_EN)}</article>")
    )
    assert undated.published_at == "2023-06-18"
    assert undated.body.split("\n\n") == PROSE_EN


def test_layout_table_gives_the_article_column_line_by_line() -> None:
    teasers = "".join(
        f"<div class='teaser'>{text}</div>"
        for text in (
            "Storm closes the harbour road for two days while crews clear fallen trees and repair it.",
            "The library reopens after a year of renovation with a new reading room and longer hours.",
        )
    )
    html = _page(
        f"<table><tr><td class='main'><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN)}</td>"
        f"<td class='side'><h3>Top stories</h3>{teasers}</td></tr></table>"
    )
    article = clean_html(html)
    assert article.title == HEADLINE
    assert article.body.split("\n\n") == PROSE_EN


@pytest.mark.parametrize("kicker", ["", "<h2>Transport</h2>"], ids=["no kicker", "kicker word in the text"])
def test_first_paragraph_standing_as_bare_text_is_added_back_below_any_kicker(kicker: str) -> None:
    first = PROSE_EN[0].replace("night bus service", "<a href='/buses'>night bus service</a>")
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{kicker}<section class='body'>{first}<p></p>"
        f"{_paragraphs(PROSE_EN[1:])}</section></article>"
    )
    assert clean_html(html).body.split("\n\n") == PROSE_EN


def test_bare_text_of_a_container_around_the_article_is_not_added() -> None:
    notice = "We use cookies to remember your settings and to count visits, and you can refuse them here."
    html = _page(
        f"<div id='page'>{notice}<div class='menu'><a href='/'>Home</a></div>"
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN)}</article></div>"
    )
    assert clean_html(html).body.split("\n\n") == PROSE_EN


def test_embedded_post_between_paragraphs_is_added_back() -> None:
    post = "Finally night buses to the northern suburbs, three years after we first asked the council"
    embed = (
        f"<div class='social-embed'><blockquote class='twitter-tweet'><p>{post}</p>&mdash; A resident "
        "<a href='https://example.com/status/1'>June 18, 2023</a></blockquote></div>"
    )
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN[:3])}{embed}{_paragraphs(PROSE_EN[3:])}</article>"
    )
    assert clean_html(html).body.split("\n\n") == [*PROSE_EN[:3], post, *PROSE_EN[3:]]


def test_paragraph_inside_a_link_is_link_text() -> None:
    teaser = (
        "Storm closes the harbour road for two days while crews clear fallen trees and repair the damage."
    )
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN[:3])}<a href='/storm'><p>{teaser}</p></a>"
        f"{_paragraphs(PROSE_EN[3:])}</article>"
    )
    extracted = html_extract.extract(html)
    assert extracted is not None
    assert extracted.mostly_link(teaser)
    article = clean_html(html)
    assert article.body.split("\n\n") == PROSE_EN
    assert RemovedBlock(teaser, "link") in article.removed


def test_cut_lines_are_reported_with_the_rule_that_cut_them() -> None:
    standfirst = "Residents had asked for the service for three years"
    related = "Related: <a href='/trams'>Trams to run later on weekends from next month</a>"
    html = _page(
        f"<article><h1>{HEADLINE}</h1><h2>{standfirst}</h2><p>18.06.2023</p>{_paragraphs(PROSE_EN[:3])}"
        f"<p>{related}</p>{_paragraphs(PROSE_EN[3:])}</article>"
    )
    article = clean_html(html)
    assert article.body.split("\n\n") == PROSE_EN
    reasons = {r.text: r.reason for r in article.removed}
    assert reasons[standfirst] == "lead_heading"
    assert reasons["18.06.2023"] == "dateline"
    assert reasons["Related: Trams to run later on weekends from next month"] == "link"


def test_a_long_paragraph_inside_a_link_is_cut_whole() -> None:
    """Lines over 700 characters are scored in pieces (workers.blocks._pieces); the link rule must still
    judge each piece by its whole line."""
    teasers = " ".join(f"{sentence.rstrip('.')} and more." for sentence in PROSE_DE)
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE_EN[:3])}<a href='/more'><p>{teasers}</p></a>"
        f"{_paragraphs(PROSE_EN[3:])}</article>"
    )
    article = clean_html(html)
    assert len(teasers) > 700
    assert article.body.split("\n\n") == PROSE_EN
    assert {r.reason for r in article.removed if r.text in teasers} == {"link"}


@pytest.mark.parametrize(
    ("site", "title"),
    [
        ("The Example Gazette", "Night buses"),
        ("@examplegazette", "Night buses | The Example Gazette"),  # not the name the title gives
    ],
)
def test_the_sites_name_is_cut_from_the_page_title(site: str, title: str) -> None:
    """Without an <h1>, the headline is the page's title as its meta tags give it, where sites add their
    name ("Night buses | The Example Gazette"); it goes when the page's own meta tags name the site so."""
    head = (
        '<meta property="og:title" content="Night buses | The Example Gazette">'
        f'<meta property="og:site_name" content="{site}">'
    )
    article = clean_html(_page(f"<article>{_paragraphs(PROSE_EN)}</article>", head))
    assert article.title == title
