"""The article's text, headline and date from a page's HTML, for ``workers.clean.clean_html``.

trafilatura finds the article; what is done around it was each measured on the AEB dev pages
(``python -m bench.extraction``):

- its fast mode (no comparison with the readability and jusText fallbacks) with ``favor_recall``: as
  accurate as its default and about 40% faster, which pays for the work below;
- of its metadata only the title, date and authors in meta tags and JSON-LD are read, from the same
  parsed tree (its full metadata pass also searches the page for authors, site names, categories and
  licences, and costs a third of the extraction);
- when its text starts with the page's <h1>, that line is the headline: <title> and og:title often
  carry the site's name or an SEO variant, and the headline must be recognised to be cut from the body;
- when it returns one fragment of a body that the page splits into several containers (ads between
  sections), the paragraphs of the same kind of container are added back;
- when it returns a layout table (the article in one cell, the sidebar in the next), which it renders as
  one line per row, the article's cell takes its place, one paragraph a line;
- paragraphs it drops that sit in the article's markup are added back: text standing bare at the start of
  a container whose later paragraphs it kept, and block quotes (embedded posts) between two of its
  paragraphs;
- its lines that are mostly link text in the page (related-story links, "read more" teasers, tag lists,
  paragraphs inside a link) and the headings above its first paragraph (kicker, standfirst) are marked
  for ``clean_html`` to cut.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import NamedTuple

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

# trafilatura returned a fragment when the page holds at least this many times its word count again in
# other paragraphs of the containers its paragraphs came from. On the dev pages the two split bodies
# have 1.2 and 1.7 times as much such text; where it chose well there is at most 0.85 times as much
# (related stories and footers that share the body's markup; most pages have under 0.5).
FRAGMENT_MIN_SHARE = 1.0
# A line more than this share of whose letters are link text in the page is a link, not prose. On the dev
# pages 0.5 to 0.9 measure alike (F1 +0.002); at 0.3 real lines with a link in them go.
LINK_SHARE_MAX = 0.5
# A table with a cell holding at least this many paragraphs or headings of its own lays out the page (the
# article in one cell, a sidebar in the next) rather than holding data: data cells hold a value or a phrase.
# On the dev pages one page has such a table in trafilatura's output, and any value from 1 to 10 finds it.
LAYOUT_CELL_MIN_BLOCKS = 2
# Fewest words of bare text at the start of a container that make a paragraph trafilatura dropped (see
# _recover_lead_texts). On the dev pages it adds the first paragraph of two articles (F1 +0.0007) at any
# value from 5 to 40; at 3 it adds a short label, at 80 it misses one.
LEAD_TEXT_MIN_WORDS = 10
# Elements whose text can make one line of trafilatura's output (<h1> is the headline, handled apart).
_LINE_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "figcaption")
# Inline elements: their text continues the text around them (a run of text ends at any other element).
_INLINE_TAGS = {"a", "abbr", "b", "cite", "code", "em", "font", "i", "mark", "q", "s", "small", "span"}
_INLINE_TAGS |= {"strong", "sub", "sup", "time", "u"}
# Elements whose text is part of their container's: inline ones and those that make a line.
_TEXT_TAGS = _INLINE_TAGS | set(_LINE_TAGS)
# Elements that hold the paragraphs of a page's text (not inline, not one line each, not code).
_CONTAINER_TAGS = ("article", "blockquote", "center", "div", "main", "section", "td")
# trafilatura's output elements that make lines of their own (as opposed to inline formatting).
_BLOCK_TAGS = ("p", "head", "list", "quote", "table")

_WORD = re.compile(r"\w+")
# What stands between a headline and the site's name in a page's title.
_SITE_SEPARATORS = "|-–—·:»"
# trafilatura's options (see the module docstring), built once: bare_extraction builds them anew from its
# keyword arguments on every call, reading each setting from its configuration again (0.05 ms a page). It
# copies them before changing any (its recall retry), so one object serves every page. (Their date
# parameters, which hold the day they were built on, are read only by its metadata pass, not run here.)
_TRAFILATURA_OPTIONS = Extractor(output_format="python", fast=True, recall=True, comments=False)


@dataclass(frozen=True)
class HtmlArticle:
    """What trafilatura found: the article text, one paragraph, heading, list item or table row a line,
    and the page's headline, publication date (ISO) and authors when its markup gives them."""

    text: str
    title: str | None
    date: str | None
    author: str | None
    # Keys (see _key) of the lines that are mostly link text in the page.
    links: frozenset[str]
    # Keys of the headings above the first paragraph.
    lead_headings: frozenset[str]

    def mostly_link(self, line: str) -> bool:
        """Whether the line is, in the page, mostly the text of links (see LINK_SHARE_MAX). Two pages in
        three have no such line, and then no line need be keyed."""
        return bool(self.links) and _key(line) in self.links

    def lead_heading(self, line: str) -> bool:
        """Whether the line is one of the headings above the first paragraph: kicker, headline and
        standfirst, which introduce the article and are not part of its body."""
        return _key(line) in self.lead_headings


class _Element(NamedTuple):
    """A paragraph, list item, heading or caption of the page, read once for the checks below: its text,
    that text's key (see _key), whether it is mostly link text, for a <p> the markup of its container
    (paragraphs of one article body share it), its parent element, and whether it is in a block quote.
    A named tuple: a page has ~150 of them, built in 0.04 ms as tuples against 0.13 ms as frozen
    dataclasses."""

    text: str
    key: str
    mostly_link: bool
    container: tuple[str, str | None, str | None] | None
    parent: HtmlElement | None
    quoted: bool


class _Line(NamedTuple):
    """A non-blank line of the article's text and its key (see _key)."""

    text: str
    key: str


class _Article(NamedTuple):
    """The article's text as each step of ``extract`` leaves it, and its non-blank lines with their keys.
    The steps look trafilatura's lines up by their keys: keying them once, not again in every step, saves
    about 0.3 ms a page. A step that adds nothing returns the article as it was, its text as trafilatura
    wrote it (blank lines included)."""

    text: str
    lines: list[_Line]


def _article(text: str) -> _Article:
    """The article of trafilatura's text."""
    return _Article(text, [_Line(line, _key(line)) for line in text.splitlines() if line.strip()])


def _joined(lines: list[_Line]) -> _Article:
    """The article of these lines, after a step added some: one line each."""
    return _Article("\n".join(line.text for line in lines), lines)


def extract(html: str) -> HtmlArticle | None:
    """The article of the page, or None when the HTML cannot be parsed or trafilatura finds no text."""
    tree = load_html(html)
    if tree is None:
        return None
    headings = {_key("".join(h1.itertext())) for h1 in tree.iter("h1")}
    title, date, author = _metadata(tree)
    doc = trafilatura.bare_extraction(tree, options=_TRAFILATURA_OPTIONS)
    if not isinstance(doc, Document) or not doc.text or not doc.text.strip():
        return None
    article = _article(xmltotxt(doc.body, False) if _unwrap_layout_tables(doc.body) else doc.text)
    if article.lines[0].key in headings:
        title = article.lines[0].text.strip()
    elements = _elements(tree, {line.key for line in article.lines})
    article = _complete_fragment(article, [e for e in elements if e.container is not None])
    lead_headings = _lead_headings(doc.body)
    article = _recover_lead_texts(tree, article, lead_headings)
    article = _recover_quotes(article, elements)
    return HtmlArticle(article.text, title, date, author, _link_keys(elements), lead_headings)


def table_row(line: str) -> bool:
    """A table row with words as trafilatura renders it ("| cell | cell |"; not its "|---|" rule under
    a header). Rows of a data table in the article (results, statistics) have none of the prose shape the
    classifier looks for, and trafilatura keeps only the tables inside the article, so they are not the
    classifier's to drop (on the dev pages it cut a third of one article that way)."""
    stripped = line.strip()
    return stripped.startswith("|") and stripped.endswith("|") and _WORD.search(stripped) is not None


def _unwrap_layout_tables(body: HtmlElement) -> bool:
    """Replace each layout table in trafilatura's output (see LAYOUT_CELL_MIN_BLOCKS) by the contents of
    its cell with the most words, the page's article column: trafilatura renders a table row as one line,
    which here holds the article and the columns beside it (navigation, sidebar), and table rows are not
    the classifier's to cut. Whether any table was unwrapped."""
    layout = [
        table
        for table in body.iter("table")
        if any(
            sum(child.tag in _BLOCK_TAGS for child in cell) >= LAYOUT_CELL_MIN_BLOCKS
            for cell in table.iter("cell")
        )
    ]
    for table in layout:
        parent = table.getparent()
        if parent is None:
            continue
        column = max(table.iter("cell"), key=lambda cell: len(_WORD.findall("".join(cell.itertext()))))
        contents: list[HtmlElement] = list(column)
        if column.text and column.text.strip():
            paragraph = column.makeelement("p")
            paragraph.text = column.text
            contents.insert(0, paragraph)
        if contents and table.tail:
            contents[-1].tail = (contents[-1].tail or "") + table.tail
        position = parent.index(table)
        parent.remove(table)
        for offset, element in enumerate(contents):
            parent.insert(position + offset, element)
    return bool(layout)


def _recover_lead_texts(tree: HtmlElement, article: _Article, lead_headings: frozenset[str]) -> _Article:
    """Add the paragraphs trafilatura drops when they stand as bare text at the start of a container whose
    later paragraphs it kept (``<div>First paragraph <a>link</a> ...<br><br>Second paragraph``): such a
    run of text (up to the first element that is not inline, see LEAD_TEXT_MIN_WORDS) goes before the
    first of trafilatura's lines found, as whole words, in the container's own later text (its text between
    elements and that of its paragraphs and inline elements, not that of nested containers: the bare text
    of a wrapper around the whole page is not the article's), unless its text already holds those words.
    The headings above trafilatura's first paragraph (``lead_headings``) are not candidates: a kicker
    such as "Transport" is found in many an article's text, and the paragraph must go below it."""
    extracted = _letters([line.key for line in article.lines])
    additions: dict[int, _Line] = {}
    for container in tree.iter(*_CONTAINER_TAGS):
        own = container.text
        if not own or own.isspace():
            continue
        parts = [own]
        rest: list[HtmlElement] = []
        for child in container:
            if rest or child.tag not in _INLINE_TAGS:
                rest.append(child)
                continue
            parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        lead = " ".join("".join(parts).split())
        lead_key = _key(lead)
        if lead_key.count(" ") + 1 < LEAD_TEXT_MIN_WORDS or _letters([lead_key]) in extracted:
            continue
        later = _key(
            "".join(
                ("".join(child.itertext()) if child.tag in _TEXT_TAGS else "") + (child.tail or "")
                for child in rest
            )
        )
        later = f" {later} "
        found = (
            i
            for i, (_, key) in enumerate(article.lines)
            if key and f" {key} " in later and key not in lead_headings
        )
        first = next(found, None)
        if first is not None and first not in additions:
            additions[first] = _Line(lead, lead_key)
    if not additions:
        return article
    merged: list[_Line] = []
    for i, line in enumerate(article.lines):
        if i in additions:
            merged.append(additions[i])
        merged.append(line)
    return _joined(merged)


def _recover_quotes(article: _Article, elements: list[_Element]) -> _Article:
    """Add the paragraphs of block quotes (embedded posts, quoted statements) that stand in the page
    between two of trafilatura's lines with the same parent element, which it drops with their embed's
    container; a paragraph whose words its text already holds (split differently) is not added again."""
    if not any(element.quoted for element in elements):
        return article
    first_index: dict[str, int] = {}
    for i, element in enumerate(elements):
        first_index.setdefault(element.key, i)
    keys = [line.key for line in article.lines]
    positions = [first_index.get(key) for key in keys]
    extracted = _letters(keys)
    merged: list[_Line] = []
    added = False
    previous: int | None = None
    for line, position in zip(article.lines, positions, strict=True):
        if position is not None:
            if previous is not None and elements[previous].parent is elements[position].parent:
                for element in elements[previous + 1 : position]:
                    letters = _letters([element.key])
                    if element.quoted and letters not in extracted:
                        merged.append(_Line(element.text, element.key))
                        extracted += letters
                        added = True
            previous = position
        merged.append(line)
    return _joined(merged) if added else article


def _metadata(tree: HtmlElement) -> tuple[str | None, str | None, str | None]:
    """Title from the page's meta tags and JSON-LD, else its <title> or <h1>; date by htmldate's quick
    search (meta tags, JSON-LD, URL, time elements), as trafilatura's metadata pass does; authors from the
    same meta tags and JSON-LD."""
    meta = examine_meta(tree)
    # trafilatura guards this call the same way: its JSON-LD reader raises on malformed page data, and
    # the meta tags already read are still good.
    with contextlib.suppress(Exception):
        meta = extract_meta_json(tree, meta)
    title = _without_site_name(_one_line(meta.title or extract_title(tree)), _one_line(meta.sitename))
    date = find_date(tree, extensive_search=False, original_date=True, url=meta.url or extract_url(tree))
    return title, date, _one_line(meta.author)


def _without_site_name(title: str | None, site: str | None) -> str | None:
    """The headline without the site's name that a page's <title> or og:title often puts after or
    before it ("Clymer workshop manual review | MoreBikes", "LinkNaija: BREAKING NEWS: …"), the site's
    name being what its own meta tags call it (og:site_name and the like; "@digg" for a Twitter handle).
    A title whose last part is not the site's name is left whole: "Bubonic plague: … – 'The plague is
    coming'"."""
    if not title or not site or not (name := _letters([_key(site)])):
        return title
    for separator in _SITE_SEPARATORS:
        head, found, tail = title.rpartition(f" {separator} ")
        if found and head.strip() and _letters([_key(tail)]) == name:
            return head.strip()
    if title[-len(site) :].casefold() == site.casefold():  # a site name that holds a separator itself
        head = title[: -len(site)].rstrip()
        if head[-1:] in _SITE_SEPARATORS and head[:-1].strip():
            return head[:-1].strip()
    if title[: len(site)].casefold() == site.casefold():
        rest = title[len(site) :].lstrip()
        if rest[:1] in _SITE_SEPARATORS and rest[1:].strip():
            return rest[1:].strip()
    return title


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


def _elements(tree: HtmlElement, line_keys: set[str]) -> list[_Element]:
    """The page's elements that can make a line; link text is only measured for those that made one of
    trafilatura's lines (``line_keys``), because measuring it for every menu item is most of the cost.
    A paragraph inside a link (a teaser's, in the link to its story) is all link text: on the dev pages
    trafilatura took one from a sidebar for an article's first paragraph."""
    found = []
    quoted = {element for quote in tree.iter("blockquote") for element in quote.iter(*_LINE_TAGS)}
    for element in tree.iter(*_LINE_TAGS):
        text = element.text_content()  # the text of it and its descendants, read in C: twice as fast
        words = _WORD.findall(text.casefold())
        if not words:
            continue
        key = " ".join(words)
        mostly_link = False
        if key in line_keys:
            # the tag is matched in C, not by making an element object of every ancestor: four times faster
            in_link = next(element.iterancestors("a"), None) is not None
            letters = sum(map(len, words))
            linked = sum(len(w) for a in element.iter("a") for w in _WORD.findall("".join(a.itertext())))
            mostly_link = in_link or linked > LINK_SHARE_MAX * letters
        parent = element.getparent()
        container = None
        if element.tag == "p" and parent is not None:
            container = (str(parent.tag), parent.get("class"), element.get("class"))
        found.append(_Element(" ".join(text.split()), key, mostly_link, container, parent, element in quoted))
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


def _letters(keys: list[str]) -> str:
    """The word characters of keys (see _key) run together: a text whose letters are found in another's
    is already there, however the two were split into lines or words (trafilatura joins the text around
    a ``<br>`` without a space, and pages put none between scripts that use no spaces)."""
    return "".join(key.replace(" ", "") for key in keys)


def _complete_fragment(article: _Article, paragraphs: list[_Element]) -> _Article:
    """Add the page's other paragraphs from the containers of trafilatura's paragraphs when they hold more
    text than it returned (see FRAGMENT_MIN_SHARE), each in its page order among trafilatura's lines."""
    keys = [line.key for line in article.lines]
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
    if not missing:
        return article
    extracted_words = sum(len(_WORD.findall(line.text)) for line in article.lines)
    missing_words = sum(len(_WORD.findall(paragraphs[i].text)) for i in missing)
    if missing_words < FRAGMENT_MIN_SHARE * extracted_words:
        return article
    merged: list[_Line] = []
    for line, position in zip(article.lines, positions, strict=True):
        while position is not None and missing and missing[0] < position:
            paragraph = paragraphs[missing.pop(0)]
            merged.append(_Line(paragraph.text, paragraph.key))
        merged.append(line)
    merged.extend(_Line(paragraphs[i].text, paragraphs[i].key) for i in missing)
    return _joined(merged)
