"""The article's text, headline and date from a page's HTML, for ``workers.clean.clean_html``.

trafilatura finds the article; what is done around it was each measured on the AEB dev pages
(``python -m bench.extraction``):

- its fast mode (no comparison with the readability and jusText fallbacks) with ``favor_recall``: as
  accurate as its default and about 40% faster, which pays for the work below;
- of its metadata only the title and date are read, from the same parsed tree (its full metadata pass
  also looks for authors, site names, categories and licences, and costs a third of the extraction);
- when its text starts with the page's <h1>, that line is the headline: <title> and og:title often
  carry the site's name or an SEO variant, and the headline must be recognised to be cut from the body;
- when it returns one fragment of a body that the page splits into several containers (ads between
  sections), the paragraphs of the same kind of container are added back;
- its lines that are mostly link text in the page (related-story links, "read more" teasers, tag lists)
  and the headings above its first paragraph (kicker, standfirst) are marked for ``clean_html`` to cut.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document
from trafilatura.utils import load_html

# trafilatura returned a fragment when the page holds at least this many times its word count again in
# other paragraphs of the containers its paragraphs came from. On the dev pages the two split bodies
# have 1.2 and 1.7 times as much such text; where it chose well there is at most 0.85 times as much
# (related stories and footers that share the body's markup; most pages have under 0.5).
FRAGMENT_MIN_SHARE = 1.0
# A line more than this share of whose letters are link text in the page is a link, not prose. On the dev
# pages 0.5 to 0.9 measure alike (F1 +0.002); at 0.3 real lines with a link in them go.
LINK_SHARE_MAX = 0.5
# Elements whose text can make one line of trafilatura's output (<h1> is the headline, handled apart).
_LINE_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption")

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class HtmlArticle:
    """What trafilatura found: the article text, one paragraph, heading, list item or table row a line,
    and the page's headline and publication date (ISO) when its markup gives them."""

    text: str
    title: str | None
    date: str | None
    # Keys (see _key) of the lines that are mostly link text in the page.
    links: frozenset[str]
    # Keys of the headings above the first paragraph.
    lead_headings: frozenset[str]

    def mostly_link(self, line: str) -> bool:
        """Whether the line is, in the page, mostly the text of links (see LINK_SHARE_MAX)."""
        return _key(line) in self.links

    def lead_heading(self, line: str) -> bool:
        """Whether the line is one of the headings above the first paragraph: kicker, headline and
        standfirst, which introduce the article and are not part of its body."""
        return _key(line) in self.lead_headings


@dataclass(frozen=True)
class _Element:
    """A paragraph, list item, heading or caption of the page, read once for the checks below: its text,
    that text's key (see _key), whether it is mostly link text, and for a <p> the markup of its container
    (paragraphs of one article body share it)."""

    text: str
    key: str
    mostly_link: bool
    container: tuple[str, str | None, str | None] | None


def extract(html: str) -> HtmlArticle | None:
    """The article of the page, or None when the HTML cannot be parsed or trafilatura finds no text."""
    tree = load_html(html)
    if tree is None:
        return None
    headings = {_key("".join(h1.itertext())) for h1 in tree.iter("h1")}
    title, date = _title_and_date(tree)
    doc = trafilatura.bare_extraction(tree, fast=True, favor_recall=True, include_comments=False)
    if not isinstance(doc, Document) or not doc.text or not doc.text.strip():
        return None
    text = doc.text
    first_line = next(line for line in text.splitlines() if line.strip()).strip()
    if _key(first_line) in headings:
        title = first_line
    elements = _elements(tree, {_key(line) for line in text.splitlines()})
    text = _complete_fragment(text, [e for e in elements if e.container is not None])
    return HtmlArticle(text, title, date, _link_keys(elements), _lead_headings(doc.body))


def table_row(line: str) -> bool:
    """A table row with words as trafilatura renders it ("| cell | cell |"; not its "|---|" rule under
    a header). Rows of a data table in the article (results, statistics) have none of the prose shape the
    classifier looks for, and trafilatura keeps only the tables inside the article, so they are not the
    classifier's to drop (on the dev pages it cut a third of one article that way)."""
    stripped = line.strip()
    return stripped.startswith("|") and stripped.endswith("|") and _WORD.search(stripped) is not None


def _title_and_date(tree: HtmlElement) -> tuple[str | None, str | None]:
    """Title from the page's meta tags and JSON-LD, else its <title> or <h1>; date by htmldate's quick
    search (meta tags, JSON-LD, URL, time elements), as trafilatura's metadata pass does."""
    meta = examine_meta(tree)
    # trafilatura guards this call the same way: its JSON-LD reader raises on malformed page data, and
    # the meta tags already read are still good.
    with contextlib.suppress(Exception):
        meta = extract_meta_json(tree, meta)
    title = meta.title or extract_title(tree)
    date = find_date(tree, extensive_search=False, original_date=True, url=meta.url or extract_url(tree))
    return (" ".join(title.split()) or None) if title else None, date


def _elements(tree: HtmlElement, line_keys: set[str]) -> list[_Element]:
    """The page's elements that can make a line; link text is only measured for those that made one of
    trafilatura's lines (``line_keys``), because measuring it for every menu item is most of the cost."""
    found = []
    for element in tree.iter(*_LINE_TAGS):
        text = "".join(element.itertext())
        words = _WORD.findall(text.casefold())
        if not words:
            continue
        key = " ".join(words)
        mostly_link = False
        if key in line_keys:
            letters = sum(map(len, words))
            linked = sum(len(w) for a in element.iter("a") for w in _WORD.findall("".join(a.itertext())))
            mostly_link = linked > LINK_SHARE_MAX * letters
        parent = element.getparent()
        container = None
        if element.tag == "p" and parent is not None:
            container = (str(parent.tag), parent.get("class"), element.get("class"))
        found.append(_Element(" ".join(text.split()), key, mostly_link, container))
    return found


def _link_keys(elements: list[_Element]) -> frozenset[str]:
    """Keys of the lines that are mostly link text wherever they occur in the page (a paragraph of the
    article may also appear elsewhere as the text of a teaser link)."""
    linked = {e.key for e in elements if e.mostly_link}
    return frozenset(linked - {e.key for e in elements if not e.mostly_link})


def _lead_headings(body: HtmlElement) -> frozenset[str]:
    """Keys of the headings that open trafilatura's article, before its first paragraph or list."""
    found = set()
    for element in body:
        if element.tag != "head":
            break
        found.add(_key("".join(element.itertext())))
    return frozenset(found)


def _key(text: str) -> str:
    """Words only, so that a line of trafilatura's text matches the element it came from (as in
    _elements)."""
    return " ".join(_WORD.findall(text.casefold()))


def _complete_fragment(text: str, paragraphs: list[_Element]) -> str:
    """Add the page's other paragraphs from the containers of trafilatura's paragraphs when they hold more
    text than it returned (see FRAGMENT_MIN_SHARE), each in its page order among trafilatura's lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    keys = [_key(line) for line in lines]
    first_index: dict[str, int] = {}
    for i, paragraph in enumerate(paragraphs):
        first_index.setdefault(paragraph.key, i)
    positions = [first_index.get(key) for key in keys]
    taken = {i for i in positions if i is not None}
    containers = {paragraphs[i].container for i in taken}
    present = set(keys)
    missing = [
        i
        for i, paragraph in enumerate(paragraphs)
        if i not in taken and paragraph.container in containers and paragraph.key not in present
    ]
    extracted_words = sum(len(_WORD.findall(line)) for line in lines)
    missing_words = sum(len(_WORD.findall(paragraphs[i].text)) for i in missing)
    if not missing or missing_words < FRAGMENT_MIN_SHARE * extracted_words:
        return text
    merged: list[str] = []
    for line, position in zip(lines, positions, strict=True):
        while position is not None and missing and missing[0] < position:
            merged.append(paragraphs[missing.pop(0)].text)
        merged.append(line)
    merged.extend(paragraphs[i].text for i in missing)
    return "\n".join(merged)
