"""HTML mode (workers.clean.clean_html and workers.html_extract): what is done around trafilatura.

Each page here is small and made up, built to show one thing trafilatura gets wrong or lets through
next to ordinary article prose.
"""

from __future__ import annotations

from workers import html_extract
from workers.clean import clean_html

PROSE = [
    "The city council voted on Tuesday to extend the night bus service to the northern suburbs, a "
    "decision that residents of the area had been requesting for almost three years.",
    "Under the plan, which will cost about four million dollars a year, buses will run every twenty "
    "minutes between midnight and five in the morning on the three busiest routes.",
    "Supporters said the change would help shift workers at the hospital and the distribution centres "
    "who currently have no way to get home after their shifts end.",
    "Opponents on the council argued that the money would be better spent on repairing roads, and "
    "several of them questioned whether enough people would use the buses at night.",
    "The transport department said it would publish ridership figures every quarter and that the "
    "service could be reviewed after the first full year of operation.",
    "The first night buses are expected to start running in the spring, once the new drivers have "
    "been hired and trained for the routes.",
]
PROSE_DE = [
    "Der Stadtrat hat am Dienstag beschlossen, den Nachtbusverkehr in die nördlichen Vororte "
    "auszuweiten, nachdem die Anwohner dies seit fast drei Jahren gefordert hatten.",
    "Nach dem Plan, der jährlich etwa vier Millionen Euro kosten wird, sollen die Busse zwischen "
    "Mitternacht und fünf Uhr morgens alle zwanzig Minuten auf den drei wichtigsten Linien fahren.",
    "Die Befürworter sagten, dass die Änderung vor allem den Beschäftigten im Krankenhaus und in den "
    "Logistikzentren helfen werde, die nach dem Ende ihrer Schicht bisher nicht nach Hause kommen.",
    "Die Gegner im Rat hielten dagegen, dass das Geld besser für die Reparatur der Straßen ausgegeben "
    "werden sollte, und bezweifelten, dass die Busse in der Nacht genug genutzt würden.",
    "Die Verkehrsbehörde kündigte an, dass sie die Fahrgastzahlen jedes Quartal veröffentlichen und "
    "den Dienst nach dem ersten vollen Betriebsjahr überprüfen werde.",
    "Die ersten Nachtbusse sollen im Frühjahr fahren, sobald die neuen Fahrer eingestellt und für die "
    "Linien geschult worden sind.",
]
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
            f"{_paragraphs(PROSE)}</article>"
        )
    )
    assert article.title == HEADLINE
    assert HEADLINE not in article.body
    assert "Residents had asked" not in article.body
    assert article.body.split("\n\n") == PROSE


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
    with_link = PROSE[2].replace("the hospital", "<a href='/hospital'>the hospital</a>")
    related = "Related: <a href='/trams'>Trams to run later on weekends from next month</a>"
    html = _page(
        f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE[:2])}<p>{with_link}</p><p>{related}</p>"
        f"{_paragraphs(PROSE[3:])}</article>"
    )
    extracted = html_extract.extract(html)
    assert extracted is not None
    assert extracted.mostly_link("Related: Trams to run later on weekends from next month")
    assert not extracted.mostly_link(PROSE[2])
    assert clean_html(html).body.split("\n\n") == PROSE


def test_rows_of_a_data_table_in_the_article_are_kept() -> None:
    table = (
        "<table><tr><th>Route</th><th>Buses</th></tr><tr><td>N1</td><td>12</td></tr>"
        "<tr><td>N2</td><td>9</td></tr></table>"
    )
    body = clean_html(_page(f"<article><h1>{HEADLINE}</h1>{_paragraphs(PROSE)}{table}</article>")).body
    for row in ("| Route | Buses |", "| N1 | 12 |", "| N2 | 9 |"):
        assert row in body.split("\n\n")


def test_dateline_stating_the_pages_date_is_cut_and_gives_the_date() -> None:
    meta = '<meta property="article:published_time" content="2023-06-18T10:24:00Z">'
    article = clean_html(
        _page(f"<article><h1>{HEADLINE}</h1><p>June 18, 2023</p>{_paragraphs(PROSE)}</article>", meta)
    )
    assert article.published_at == "2023-06-18"
    assert article.body.split("\n\n") == PROSE
    undated = clean_html(
        _page(f"<article><h1>{HEADLINE}</h1><p>18.06.2023</p>{_paragraphs(PROSE)}</article>")
    )
    assert undated.published_at == "2023-06-18"
    assert undated.body.split("\n\n") == PROSE
