"""Page furniture cut by rule, whatever the block classifier says.

Some furniture reads to the line features like prose and is too rare on the training pages, or too
varied, for the classifier to learn: alphabetical tag clouds and menus, story cards whose headline runs
into the summary, photo captions and credits, short labels a page repeats (an ad slot's "Advertisement").
Each rule here is a shape that no sentence of an article has, checked on the dev articles' own text;
``workers.clean`` sets the scores of the lines it finds to 0 and reports each with the rule's name.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, compress
from operator import attrgetter, gt, itemgetter

import numpy as np

from workers.blocks import LETTERS, LOCAL_FEATURES, Block, final_stop, has_digit

# Columns of the feature matrix that the rules read.
_FINAL_STOP = LOCAL_FEATURES.index("final_stop")
_LOG_WORDS = LOCAL_FEATURES.index("log_words")
_REPEATED = LOCAL_FEATURES.index("repeated")
_CAMEL = LOCAL_FEATURES.index("camel")
_ENDS_PAREN = LOCAL_FEATURES.index("ends_paren")
_SEPARATORS = LOCAL_FEATURES.index("separators")

# An alphabetical word list (alphabetical_list): at least this many words, this share of neighbouring
# pairs in order (a list's entry may hold two words, "Defesa Civil").
ALPHABETICAL_LIST_WORDS = 8
ALPHABETICAL_SHARE = 0.9
ALPHABETICAL_LIST_TAGS = 8
# ASCII text's bytes as alphabetical_list reads its words: letters lower-cased (an ASCII letter's
# casefold()) and every other character a space, so that split() yields the words LETTERS finds ([^\W\d_]
# is [A-Za-z] in ASCII), folded; a line of prose is read so in half the time LETTERS and casefold() take.
_ASCII_FOLDED_WORDS = bytes(
    ord(ch.lower()) if ch.isascii() and ch.isalpha() else 32 for ch in map(chr, range(256))
)
# The punctuation that most often makes a line of Latin script not ASCII (quotes, dashes, the ellipsis,
# bullets, signs): no letter, so a line whose only other characters they are is read as ASCII with spaces
# for them (three lines in five of those that are not ASCII).
_COMMON_PUNCTUATION = re.compile("[‘’“”«»‹›–—…•·©®£€]")


# A label (at most two words, no digit) repeated this many times on a page is furniture (see
# repeated_labels). On the AEB pages: 3 cuts 33 kept lines that are not article text ("Advertisement"
# nine times on one page) and 16 that are (a meal plan's six repeated headings); text F1 0.952 -> 0.953.
REPEATED_LABEL_MIN = 3
# Glued teasers (glued_teasers): lines per page, most blocks between two of a list, and the longest
# headline before the junction.
GLUED_TEASERS_MIN = 3
GLUED_TEASERS_GAP = 3
GLUED_HEADLINE_MAX_WORDS = 20


def alphabetical_list(text: str) -> bool:
    """Whether text is a run of ALPHABETICAL_LIST_WORDS or more words nearly all in alphabetical order
    and not ending like a sentence: a tag cloud, a category menu or an index. Eight words of prose fall
    in order once in 40,320; no line of the 120 AEB articles' or 670 wikinews-dev articles' text does.
    A line of ALPHABETICAL_LIST_TAGS or more comma-separated items is judged by its items' order instead:
    a list of tags of a few words each ("stock car brasil, stock car cascavel, …")."""
    return not final_stop(text) and _words_in_order(text)


def _words_in_order(text: str) -> bool:
    """alphabetical_list of a line known not to end like a sentence (furniture knows it from the
    feature matrix)."""
    if text.count(" ") < ALPHABETICAL_LIST_WORDS - 1:
        return False
    words: list[str] | list[bytes]
    if text.count(",") >= ALPHABETICAL_LIST_TAGS - 1:
        words = [item.strip().casefold() for item in text.split(",")]
    elif (ascii_text := text if text.isascii() else _COMMON_PUNCTUATION.sub(" ", text)).isascii():
        words = ascii_text.encode().translate(_ASCII_FOLDED_WORDS).split()
    else:
        words = list(map(str.casefold, LETTERS.findall(text)))
    if len(words) < ALPHABETICAL_LIST_WORDS:
        return False
    pairs = len(words) - 1
    in_order = pairs - sum(map(gt, words, words[1:]))
    return in_order >= ALPHABETICAL_SHARE * pairs


# An upper-case letter right after two lower-case ones: where a teaser's headline may run into its summary.
# (Written with the look-behind after the upper-case letter: the scan then stops only at capitals, four
# times faster than with the look-behind first.)
_GLUE = re.compile(r"[A-Z](?<=[a-z]{2}[A-Z])")


def glued_teasers(blocks: list[Block], camel: np.ndarray) -> list[int]:
    """Blocks where a teaser's headline runs into its summary ("...Title RunDenny Hamlin's ..."): a
    scraper that flattens a list of story cards drops the break between the two. The junction is a
    lower-case letter followed by an upper-case one inside a word the page has once, after at least
    three mostly capitalised words and before at least five more; a camel-cased name in an article
    ("MacBook", "CarMax") mostly recurs on its page, or stands in no list of such lines. Only a list
    counts: GLUED_TEASERS_MIN on one page, each within GLUED_TEASERS_GAP blocks of another (no page of
    the 790 dev articles' own text has more than two such lines, and an article's two stay in it when a
    teaser list sits beside it). ``camel`` flags the blocks that have a word with a capital after its
    first letter and a small letter (the feature matrix's camel column): only they can hold a junction,
    and only they are searched for one."""
    shaped = {i: words for i in camel.nonzero()[0].tolist() if (words := _glued_at(blocks[i].text))}
    if len(shaped) < GLUED_TEASERS_MIN:
        return []
    page = "\n".join(b.text for b in blocks)
    found = [i for i, words in shaped.items() if any(page.count(word) == 1 for word in words)]
    listed = [i for i in found if any(0 < abs(i - j) <= GLUED_TEASERS_GAP for j in found)]
    return listed if len(listed) >= GLUED_TEASERS_MIN else []


def _glued_at(text: str) -> list[str]:
    """The words of text whose junction has a headline's shape before it and a sentence after it. A line
    with fewer spaces than must follow a junction (a third of those with a camel-cased word: menu items,
    names) is spared the search."""
    words: list[str] = []
    if text.count(" ") < 4:
        return words
    for m in _GLUE.finditer(text):
        at = m.start()
        if text.count(" ", 0, at) >= GLUED_HEADLINE_MAX_WORDS:
            break
        if text.count(" ", at) < 4:
            continue
        head = text[:at].split()
        capitalised = len(head) - sum(map(str.islower, map(itemgetter(0), head)))
        if len(head) >= 3 and capitalised >= 0.6 * len(head):
            words.append(head[-1] + text[at:].split(" ", 1)[0])
    return words


# A word naming a photo or its credit, in the languages news is most written in.
_CREDIT_WORD = r"(?i:photo|foto|фото|image|imagen|immagine|bild|picture|cr[eé]dit|cr[eé]dito)s?\b"
# A credit closing a line: after a sentence, a separator or nothing, a few words with the credit word
# and a colon ("... equivalent. Credit: ESA", "Photo: AFP"), or a parenthesis holding the credit word
# ("... (Image: GETTY)", "(Photo by Adam Berry/Getty Images)"), or, after a sentence or nothing, the
# credit word and an ellipsis ("... last week. Credit... Anna Moneymaker/The New York Times"); what
# follows the credit has no sentence end, so a sentence that only mentions a photo is not one.
_PHOTO_CREDIT = re.compile(
    r"(?:(?<=[.!?)|])\s*|(?<=\s[|/–—-])\s|^)(?:[^\W\d_][\w ]{0,20}\s)?"
    + _CREDIT_WORD
    + r"(?:\s\w+){0,2}\s?:\s*[^.!?]{1,60}$"
    + r"|\(\s*(?:[^\W\d_][\w ]{0,20}\s)?"
    + _CREDIT_WORD
    + r"[^()]{0,60}\)\s*$"
    + r"|(?:(?<=[.!?])\s|^)"
    + _CREDIT_WORD
    + r"(?:\.\.\.|…)\s*[^.!?]{1,60}$"
)


# A credit run on from a caption that ends in no full stop: the caption's last word, a capitalised credit
# or photo word and a colon, then the credit ("... sought treatment Credit: AFP or licensors"); see
# _credit_after_caption for what the words on either side must look like.
_CREDIT_AFTER_CAPTION = re.compile(r"(\S) (?:Photo|Foto|Фото|Cr[eé]dit|Cr[eé]dito)s?:\s*([^.!?]{1,60})$")


# A line that only labels or credits a picture: the labels a screen reader hears before it ("Image
# copyright Getty Images", "Image caption Scooter Braun has managed…"), a gallery's counter ("Image 1 of
# 4"), or a short unended line of names that closes with a picture agency after a separator ("Natalie
# Naccache | Bloomberg | Getty Images", "J. Scott Applewhite / AP file", "… via Getty Images"), alone or
# after a caption's sentences ("… third-quarter earnings. Photograph by Robyn Beck/AFP/Getty Images").
_GALLERY_COUNT = r"\d+\s(?:of|/)\s\d+$"
_PHOTO_LABEL = re.compile(
    _CREDIT_WORD + r"\s(?:(?i:copyright|caption|credit|courtesy|source)\b|" + _GALLERY_COUNT + ")"
)
# A gallery's counter ("Image 2 of 5"): the line after it, up to the picture's credit, is its caption.
_GALLERY_COUNTER = re.compile(_CREDIT_WORD + r"\s" + _GALLERY_COUNT)
_PICTURE_AGENCIES = "Getty Images|AP|AFP|Reuters|EPA|Bloomberg|Shutterstock|Alamy|PA|dpa|ANSA|Xinhua|iStock"
_AGENCY_CREDIT = re.compile(
    rf"(?:[|/]|\bvia)\s*(?:[^\W\d_][\w.'-]*\s){{0,3}}?(?:{_PICTURE_AGENCIES})(?:\s(?i:file|photo|images?))?$"
)
# The longest line (in spaces, i.e. words - 1) read as an agency credit.
AGENCY_CREDIT_SPACES = 13
# A line up to its last sentence end: a caption's sentences, before the credit that closes it.
_LAST_SENTENCE_END = re.compile(r".*[.!?]\s")
# What a line holds when it may end in an agency's credit: an agency's name. _AGENCY_CREDIT takes 2.5
# to 7 µs on a line of a hundred characters (tried at every character), this well under one.
_AGENCY = re.compile(_PICTURE_AGENCIES)


def photo_credit(text: str) -> bool:
    """Whether text ends in a photo's credit or only labels a picture (_PHOTO_LABEL, _AGENCY_CREDIT): a
    caption or a credit line, which reads like prose to the classifier."""
    return _credit_or_label(text) or _agency_credit(text)


def _credit_or_label(text: str) -> bool:
    """Whether text ends in a credit that names itself one (_PHOTO_CREDIT, _credit_after_caption) or
    opens with a picture's label (_PHOTO_LABEL). Only a line ending in ")", or holding a colon or an
    ellipsis and not ending in ".", "!" or "?" (a credit after a colon or an ellipsis has none of them),
    can end in a credit, which spares most lines those regexes."""
    may_end_in_credit = text[-1] == ")" or (
        text[-1] not in ".!?" and (":" in text or "..." in text or "…" in text)
    )
    if may_end_in_credit and (_PHOTO_CREDIT.search(text) is not None or _credit_after_caption(text)):
        return True
    return _PHOTO_LABEL.match(text) is not None


def _agency_credit(text: str) -> bool:
    """Whether text ends in a picture agency's credit (_AGENCY_CREDIT), alone or after a caption's
    sentences. Only a line with a bar, a slash or "via" and an agency's name can, which spares most lines
    _AGENCY_CREDIT."""
    if not ("|" in text or "/" in text or "via" in text) or final_stop(text) or not _AGENCY.search(text):
        return False
    # the line, or what follows its last sentence (a caption, then "Photograph by Name/AFP/Getty Images")
    tail = text[m.end() :] if (m := _LAST_SENTENCE_END.match(text)) else text
    if tail.count(" ") > AGENCY_CREDIT_SPACES or (credit := _AGENCY_CREDIT.search(tail)) is None:
        return False
    # "via" also ends sentences ("Its statement went out via AP"): only names may stand before it
    return credit[0][0] in "|/" or all(word[0].isupper() for word in tail[: credit.start()].split())


def _credit_after_caption(text: str) -> bool:
    """Whether text ends in a credit run on from a caption without a full stop (_CREDIT_AFTER_CAPTION):
    the caption is written as a sentence (some word of it in lower case, unlike a heading in title case)
    and the credit starts with a name (unlike "How to claim the Child Tax Credit: a guide")."""
    m = _CREDIT_AFTER_CAPTION.search(text)
    return m is not None and m[2][0].isupper() and any(word[0].islower() for word in text[: m.end(1)].split())


# What a line lower-cased holds when _CREDIT_WORD can match in it, in whatever case: a piece of each
# credit word whose letters lower() folds as re's case-insensitive matching does ("mag" of "image" and
# "immagine", "ctur" of "picture", "cred" of "credit" and "credito"), "bild" with each "i" re accepts
# ("İ" lowers to "i" and a combining dot, "ı" stays), and the "ф" of "фото" (whose "о" and "т" re also
# accepts as "ᲂ", "ᲄ" and "ᲅ", which lower() leaves).
_CREDIT_WORD_PIECE = re.compile("photo|foto|ф|mag|b(?:i\u0307?|ı)ld|ctur|cr[eé]d")
# The first two letters of the credit words in every case re's case-insensitive matching accepts (it
# pairs "i" with "İ" and "ı", and Cyrillic "о" with "ᲂ"): a line _PHOTO_LABEL matches opens with one.
_CASES = {"i": "iIİı", "о": "оОᲂ"}
_CREDIT_WORD_OPENINGS = frozenset(
    a + b
    for first, second in ("ph", "fo", "фо", "im", "bi", "pi", "cr")
    for a in _CASES.get(first, first + first.upper())
    for b in _CASES.get(second, second + second.upper())
)
_CREDIT_WORD_INITIALS = frozenset(opening[0] for opening in _CREDIT_WORD_OPENINGS)


def photo_credits(texts: list[str], features: np.ndarray) -> list[int]:
    """The lines (a page's ``texts``, with its feature matrix) that photo_credit takes for a credit or a
    picture's label. Its two halves are asked only about the lines that each can accept, found for the
    whole page at once, which spares them about 29 lines in 30: _credit_or_label about those that end in
    ")" (the feature matrix's ends_paren column), or hold a colon or an ellipsis and do not end in ".",
    "!" or "?", or open with a credit word's first two letters, and that hold a credit word
    (_CREDIT_WORD_PIECE); _agency_credit about those that do not end like a sentence and hold a bar or a
    slash (the separators column counts them) or "via"."""
    # joined without separators, so that each line's end is a sum of lengths: a mark found across two
    # lines only asks about one more line
    page = "".join(texts)
    line_ends = list(accumulate(map(len, texts)))
    may_end_in_credit = {
        i for i in _lines_holding(page, line_ends, (":", "...", "…")) if texts[i][-1] not in ".!?"
    }
    may_end_in_credit.update(features[:, _ENDS_PAREN].nonzero()[0].tolist())
    may_open_with_label = (
        i
        for i in compress(
            range(len(texts)), map(_CREDIT_WORD_INITIALS.__contains__, map(itemgetter(0), texts))
        )
        if texts[i][:2] in _CREDIT_WORD_OPENINGS
    )
    found = {
        i
        for i in may_end_in_credit.union(may_open_with_label)
        if _CREDIT_WORD_PIECE.search(texts[i].lower()) and _credit_or_label(texts[i])
    }
    unended = features[:, _FINAL_STOP] == 0
    may_name_agency = set((unended & (features[:, _SEPARATORS] > 0)).nonzero()[0].tolist())
    may_name_agency.update(i for i in _lines_holding(page, line_ends, ("via",)) if unended[i])
    found.update(i for i in may_name_agency - found if _agency_credit(texts[i]))
    return sorted(found)


def _lines_holding(page: str, line_ends: list[int], marks: Iterable[str]) -> set[int]:
    """The lines of page (its texts joined; line_ends: where each ends) that hold any of marks, found by
    str.find, which skips to the next line after each find."""
    lines = set()
    for mark in marks:
        at = page.find(mark)
        while at >= 0:
            line = bisect_right(line_ends, at)
            lines.add(line)
            at = page.find(mark, line_ends[line])
    return lines


# The reasons of furniture (see furniture) that sits inside articles, between their paragraphs: it
# weighs nothing when the article's run is chosen (see Smoothing.keep).
INLINE_FURNITURE = frozenset({"caption", "label"})


def furniture(blocks: list[Block], features: np.ndarray) -> dict[int, str]:
    """Blocks that are page furniture whatever the scorer says, each with its reason: alphabetical word
    lists ("word_list"), glued teaser cards ("teaser"), photo credits ("caption") and labels the page
    repeats ("label", see repeated_labels). They read to the features like prose, and are too rare on
    the training pages (or too varied) for the scorer to learn otherwise. ``features`` is the page's
    feature matrix (``workers.blocks.block_features``): word lists are looked for only on long unended
    lines, glued teasers only on lines with a camel-cased word, labels only on repeated ones, and photo
    credits mostly on lines its columns pick (see photo_credits), which it already counts."""
    texts = list(map(attrgetter("text"), blocks))
    unended = features[:, _FINAL_STOP] == 0
    wordy = features[:, _LOG_WORDS] >= np.log1p(ALPHABETICAL_LIST_WORDS)
    found = {i: "word_list" for i in (unended & wordy).nonzero()[0].tolist() if _words_in_order(texts[i])}
    found.update(dict.fromkeys(glued_teasers(blocks, features[:, _CAMEL] > 0), "teaser"))
    found.update(dict.fromkeys(photo_credits(texts, features), "caption"))
    found.update((i, "caption") for i in gallery_captions(blocks, found))
    repeated = features[:, _REPEATED].nonzero()[0].tolist()
    found.update(dict.fromkeys(repeated_labels(list(map(texts.__getitem__, repeated)), repeated), "label"))
    return found


def gallery_captions(blocks: list[Block], found: dict[int, str]) -> list[int]:
    """The lines between a gallery's counter ("Image 2 of 5") and the picture's credit ("(Image credit:
    Blue Origin)"), both already cut as captions in ``found``: each picture's caption, which reads like
    a sentence of the article ("An artist's concept of Blue Origin's Blue Moon lander.")."""
    return [
        counter + 1
        for counter, reason in found.items()
        if reason == "caption"
        and found.get(counter + 2) == "caption"
        and counter + 1 not in found
        and _GALLERY_COUNTER.match(blocks[counter].text) is not None
    ]


def repeated_labels(texts: list[str], indices: Sequence[int]) -> list[int]:
    """Of the lines (texts, at the given indices) that the page repeats, the labels of at most two words
    and no digit that it repeats at least REPEATED_LABEL_MIN times: ad slots ("Advertisement",
    "Anzeige"), video buttons, a section's tag on every teaser. Repeated lines that are more than a label
    (a quote, a table's cells) are left to the scorer."""
    labels = {
        text
        for text, count in Counter(texts).items()
        if count >= REPEATED_LABEL_MIN
        and text.count(" ") <= 1
        and not has_digit(text)
        and LETTERS.search(text) is not None
    }
    return list(compress(indices, map(labels.__contains__, texts)))
