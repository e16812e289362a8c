"""Page furniture cut by rule, whatever the block classifier says.

Some furniture reads to the line features like prose and is too rare on the training pages, or too
varied, for the classifier to learn: alphabetical tag clouds and menus, story cards whose headline runs
into the summary, photo captions and credits, short labels a page repeats (an ad slot's "Advertisement").
Each rule here is a shape that no sentence of an article has, checked on the dev articles' own text;
``workers.clean`` sets the scores of the lines it finds to 0 and reports each with the rule's name.
"""

from __future__ import annotations

import re
from functools import cache, reduce
from operator import attrgetter, gt, itemgetter, or_

import numpy as np
from numba import njit

from workers.blocks import LETTERS, LOCAL_FEATURES, Block, _same_text, final_stop
from workers.line_features import (
    C_LOWER,
    C_RE_DIGIT,
    C_RE_WORD,
    F_SPACE,
    HASH_BASE,
    _starts_with,
    char_tables,
)

# Columns of the feature matrix that the rules read.
_FINAL_STOP = LOCAL_FEATURES.index("final_stop")
_LOG_WORDS = LOCAL_FEATURES.index("log_words")
_REPEATED = LOCAL_FEATURES.index("repeated")
_CAMEL = LOCAL_FEATURES.index("camel")

# An alphabetical word list (alphabetical_list): at least this many words, this share of neighbouring
# pairs in order (a list's entry may hold two words, "Defesa Civil").
ALPHABETICAL_LIST_WORDS = 8
ALPHABETICAL_SHARE = 0.9
ALPHABETICAL_LIST_TAGS = 8
# The feature matrix's log_words of a line of ALPHABETICAL_LIST_WORDS words.
_WORD_LIST_LOG_WORDS = np.log1p(ALPHABETICAL_LIST_WORDS)
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


def glued_teasers(texts: list[str], marks: dict[int, int]) -> list[int]:
    """Lines (a page's ``texts``) where a teaser's headline runs into its summary ("...Title RunDenny
    Hamlin's ..."): a scraper that flattens a list of story cards drops the break between the two. The
    junction is a lower-case letter followed by an upper-case one inside a word the page has once, after
    at least three mostly capitalised words and before at least five more; a camel-cased name in an
    article ("MacBook", "CarMax") mostly recurs on its page, or stands in no list of such lines. Only a
    list counts: GLUED_TEASERS_MIN on one page, each within GLUED_TEASERS_GAP blocks of another (no page
    of the 790 dev articles' own text has more than two such lines, and an article's two stay in it when
    a teaser list sits beside it). Only the lines rule_marks marks MAY_GLUE (none on most pages) are
    searched for a junction."""
    shaped = {i: words for i, mark in marks.items() if mark & MAY_GLUE and (words := _glued_at(texts[i]))}
    if len(shaped) < GLUED_TEASERS_MIN:
        return []
    page = "\n".join(texts)
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


def photo_credits(texts: list[str], marks: dict[int, int]) -> list[int]:
    """The lines (a page's ``texts``, with their rule_marks) that photo_credit takes for a credit or a
    picture's label. Its two halves are asked only about the lines that each can accept, which spares
    them about 29 lines in 30: _credit_or_label about those marked MAY_CREDIT, _agency_credit about those
    marked MAY_NAME_AGENCY."""
    return [
        i
        for i, mark in marks.items()
        if (mark & MAY_CREDIT and _credit_or_label(texts[i]))
        or (mark & MAY_NAME_AGENCY and _agency_credit(texts[i]))
    ]


# The reasons of furniture (see furniture) that sits inside articles, between their paragraphs: it
# weighs nothing when the article's run is chosen (see Smoothing.keep).
INLINE_FURNITURE = frozenset({"caption", "label"})


def furniture(blocks: list[Block], features: np.ndarray) -> dict[int, str]:
    """Blocks that are page furniture whatever the scorer says, each with its reason: alphabetical word
    lists ("word_list"), glued teaser cards ("teaser"), photo credits ("caption") and labels the page
    repeats ("label", see repeated_labels). They read to the features like prose, and are too rare on
    the training pages (or too varied) for the scorer to learn otherwise. ``features`` is the page's
    feature matrix (``workers.blocks.block_features``): word lists are looked for only on long unended
    lines, glued teasers only on lines with a camel-cased word, labels only on repeated ones; one
    compiled pass over the page (rule_marks) reads the word lists and the labels and picks the few lines
    each other rule has to read."""
    texts = list(map(attrgetter("text"), blocks))
    marks = rule_marks(texts, features)
    # the marks that some line has: the rules that no line is marked for are not asked (most pages have
    # no word list, no glued teaser and no credit), which saves 5 us per page
    present = reduce(or_, marks.values(), 0)
    found: dict[int, str] = {}
    if present & (WORD_LIST | ASK_WORD_LIST):
        found.update(dict.fromkeys(word_lists(texts, marks), "word_list"))
    if present & MAY_GLUE:
        found.update(dict.fromkeys(glued_teasers(texts, marks), "teaser"))
    if present & (MAY_CREDIT | MAY_NAME_AGENCY):
        found.update(dict.fromkeys(photo_credits(texts, marks), "caption"))
        found.update((i, "caption") for i in gallery_captions(blocks, found))
    if present & (LABEL | ASK_LABEL):
        found.update(dict.fromkeys(repeated_labels(texts, marks), "label"))
    return found


def word_lists(texts: list[str], marks: dict[int, int]) -> list[int]:
    """The lines (a page's ``texts``, with their rule_marks) that alphabetical_list takes for a word list:
    those the compiled pass found one in (WORD_LIST), and those it left to _words_in_order
    (ASK_WORD_LIST) that it finds one in."""
    return [
        i
        for i, mark in marks.items()
        if mark & WORD_LIST or (mark & ASK_WORD_LIST and _words_in_order(texts[i]))
    ]


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


def repeated_labels(texts: list[str], marks: dict[int, int]) -> list[int]:
    """The lines (a page's ``texts``, with their rule_marks) that are labels of at most two words and no
    digit that the page repeats at least REPEATED_LABEL_MIN times: ad slots ("Advertisement",
    "Anzeige"), video buttons, a section's tag on every teaser. Repeated lines that are more than a label
    (a quote, a table's cells) are left to the scorer. The compiled pass reads each repeated line's shape
    and counts its copies (LABEL), but for a label that holds no letter of the Basic Multilingual Plane
    (ASK_LABEL), which LETTERS reads: a Counter of the repeated lines here took 20 us per page in the
    pipeline, the count 3 and this 2."""
    return [
        i
        for i, mark in marks.items()
        if mark & LABEL or (mark & ASK_LABEL and LETTERS.search(texts[i]) is not None)
    ]


# What rule_marks tells of a line (bits): MAY_CREDIT, _credit_or_label may take it for a credit or a label
# (see _credit_marks); MAY_NAME_AGENCY, it does not end like a sentence and holds "|", "/" or "via" and a
# picture agency's name (_AGENCY), as a line _agency_credit accepts does; MAY_GLUE, _glued_at may find a
# junction in it (see _may_glue); WORD_LIST, its words are in alphabetical order (_words_in_order);
# ASK_WORD_LIST, _words_in_order must read it (see _word_list_mark); LABEL, it is a label the page repeats
# (see repeated_labels); ASK_LABEL, it is one if LETTERS finds a letter in it (see _label_shape).
MAY_CREDIT, MAY_NAME_AGENCY, MAY_GLUE, WORD_LIST, ASK_WORD_LIST, LABEL, ASK_LABEL = (1 << k for k in range(7))

# The fields of a character's entry in _char_table: its lower() and casefold() code points, then flags.
_CODE_BITS = 21
_CODE_MASK = (1 << _CODE_BITS) - 1
_SPACE, _LOWER_CASE, _LETTER, _FOLDS_TO_MANY, _MARKED, _CREDIT_INITIAL, _PIECE_INITIAL, _AGENCY_INITIAL = (
    1 << k for k in range(2 * _CODE_BITS, 2 * _CODE_BITS + 8)
)

# The first two characters of the credit words in every case re's case-insensitive matching accepts (it
# pairs "i" with "İ" and "ı", and Cyrillic "о" with "ᲂ"), each pair as one number: a line _PHOTO_LABEL
# matches opens with one.
_CASES = {"i": "iIİı", "о": "оОᲂ"}
_CREDIT_WORD_OPENINGS = np.array(
    sorted(
        ord(a) << _CODE_BITS | ord(b)
        for first, second in ("ph", "fo", "фо", "im", "bi", "pi", "cr")
        for a in _CASES.get(first, first + first.upper())
        for b in _CASES.get(second, second + second.upper())
    ),
    dtype=np.int64,
)
# Code points the compiled pass compares characters with: marks, and the letters of credit words and "via".
_NEWLINE, _SPACE_CHAR, _COMMA, _COLON, _DOT, _ELLIPSIS, _EXCLAMATION, _QUESTION = map(ord, "\n ,:.…!?")
_BAR, _SLASH, _PAREN = map(ord, "|/)")
_B, _C, _D, _E, _E_ACUTE, _F, _I, _M, _P, _R, _V, _EF = map(ord, "bcdeéfimprvф")
_DOTLESS_I, _DOTTED_CAPITAL_I, _COMBINING_DOT = 0x131, 0x130, 0x307
_CAPITAL_A, _CAPITAL_Z, _SMALL_A, _SMALL_Z, _ZERO, _NINE = map(ord, "AZaz09")
# The picture agencies' names (_PICTURE_AGENCIES) as code points, one after another, and where each ends.
_AGENCY_NAMES = _PICTURE_AGENCIES.split("|")
_AGENCY_NAME_CODES = np.array([ord(c) for c in "".join(_AGENCY_NAMES)], dtype=np.int64)
_AGENCY_NAME_ENDS = np.cumsum([len(name) for name in _AGENCY_NAMES])
# The rest of the pieces of credit words that _holds_credit_piece looks for after their first letter.
_HOTO, _OTO, _AG, _TUR, _LD = (
    np.array([ord(c) for c in rest], dtype=np.int64) for rest in ("hoto", "oto", "ag", "tur", "ld")
)


@cache
def _char_table() -> np.ndarray:
    """The entry of every character of the Basic Multilingual Plane for rule_marks (int64): its lower()
    (itself when that is several characters: only "İ", see _holds_credit_piece), its casefold() (0 when
    that is several characters, which _FOLDS_TO_MANY flags), and whether it is whitespace (str.split's
    separators), lower-case (str.islower), a letter of LETTERS' words ([^\\W\\d_]), a character
    _rule_marks reads (_MARKED: a newline or the first of a mark), the first of a credit word's first
    two letters (_CREDIT_INITIAL), one that lower() makes the first letter of a piece of a credit word
    (_PIECE_INITIAL, see _holds_credit_piece) and the first letter of a picture agency's name
    (_AGENCY_INITIAL)."""
    kinds, case, lower = char_tables()
    folded = [chr(c).casefold() for c in range(0x10000)]
    table = lower.astype(np.int64)
    table |= np.fromiter((ord(f) if len(f) == 1 else 0 for f in folded), np.int64, 0x10000) << _CODE_BITS
    table[(kinds & F_SPACE) != 0] |= _SPACE
    table[(case & C_LOWER) != 0] |= _LOWER_CASE
    table[((case & C_RE_WORD) != 0) & ((case & C_RE_DIGIT) == 0)] |= _LETTER
    table[ord("_")] &= ~_LETTER
    table[np.fromiter(map(len, folded), np.int64, 0x10000) != 1] |= _FOLDS_TO_MANY
    table[[ord(c) for c in "\n:….|/v"]] |= _MARKED
    table[_CREDIT_WORD_OPENINGS >> _CODE_BITS] |= _CREDIT_INITIAL
    table[np.isin(lower, [_P, _F, _EF, _M, _C, _B])] |= _PIECE_INITIAL
    table[[ord(name[0]) for name in _AGENCY_NAMES]] |= _AGENCY_INITIAL
    return table


def rule_marks(texts: list[str], features: np.ndarray) -> dict[int, int]:
    """The lines of a page (``texts``, with its feature matrix) that the rules have to read, with their
    marks (see MAY_CREDIT), found in one compiled pass over the page's characters. Only the lines that
    do not end like a sentence and have ALPHABETICAL_LIST_WORDS words or more are read for a word list,
    only those with a camel-cased word for a glued teaser, only the unended ones for an agency's credit,
    and only the repeated ones for a label (the feature matrix's final_stop, log_words, camel and
    repeated columns). The lines are segment's, which hold no newline."""
    # a numpy str array holds the page's code points (UCS-4): made in half the time encode("utf-32") takes
    cp = np.frombuffer(np.array("\n".join(texts)), dtype=np.uint32)
    return dict(_rule_marks(cp, _char_table(), features).tolist())


@njit(cache=True, nogil=True)
def _rule_marks(cp: np.ndarray, table: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The marked lines of the page whose code points, lines separated by newlines, are cp, as rows of a
    line and its marks. Each character is looked up once, and passed over unless the table flags it
    _MARKED (most characters are letters): a branch for each of the marks on every character would take
    three times as long."""
    n = len(features)
    marks = np.zeros(n, dtype=np.uint8)
    line = start = 0
    if n == 0:  # cp is then one character (an empty str array is one character long)
        return np.empty((0, 2), dtype=np.int64)
    # the repeated lines shaped like labels: their lines, starts and lengths
    labels = np.empty(n, dtype=np.int64)
    label_starts = np.empty(n, dtype=np.int64)
    label_lengths = np.empty(n, dtype=np.int64)
    n_labels = 0
    colon_or_ellipsis = names_agency = False
    for p in range(len(cp) + 1):
        c = cp[p] if p < len(cp) else _NEWLINE
        if c > 0xFFFF or not table[c] & _MARKED:
            continue
        if c == _NEWLINE:
            if line == n:
                raise ValueError("more lines than rows of features: a line holds a newline")
            if p > start:
                unended = features[line, _FINAL_STOP] == 0
                marks[line] = _credit_marks(cp, start, p, table, colon_or_ellipsis, names_agency and unended)
                if unended and features[line, _LOG_WORDS] >= _WORD_LIST_LOG_WORDS:
                    marks[line] |= _word_list_mark(cp, start, p, table)
                if features[line, _CAMEL] > 0 and _may_glue(cp, start, p, table):
                    marks[line] |= MAY_GLUE
                label = _label_shape(cp, start, p, table) if features[line, _REPEATED] > 0 else 0
                if label:
                    labels[n_labels], label_starts[n_labels], label_lengths[n_labels] = line, start, p - start
                    marks[line] |= label
                    n_labels += 1
            line, start = line + 1, p + 1
            colon_or_ellipsis = names_agency = False
        elif c in (_COLON, _ELLIPSIS) or (
            c == _DOT and p + 2 < len(cp) and cp[p + 1] == _DOT and cp[p + 2] == _DOT
        ):
            colon_or_ellipsis = True
        elif c in (_BAR, _SLASH) or (
            c == _V and p + 2 < len(cp) and cp[p + 1] == _I and cp[p + 2] == _SMALL_A
        ):
            names_agency = True
    label_starts, label_lengths = label_starts[:n_labels], label_lengths[:n_labels]
    copies = _copies(cp, label_starts, label_lengths, _text_hashes(cp, label_starts, label_lengths))
    for k in range(n_labels):
        if copies[k] < REPEATED_LABEL_MIN:
            marks[labels[k]] &= ~(LABEL | ASK_LABEL)
    marked = np.nonzero(marks)[0]
    rows = np.empty((len(marked), 2), dtype=np.int64)
    rows[:, 0] = marked
    rows[:, 1] = marks[marked]
    return rows


@njit(cache=True, nogil=True)
def _entry(table: np.ndarray, c: int) -> int:
    """Code point c's entry in _char_table; beyond the Basic Multilingual Plane, c as its own lower()
    (as it is: none of those characters changes into one of the plane) with no flag."""
    return table[c] if c <= 0xFFFF else c


@njit(cache=True, nogil=True)
def _lower(cp: np.ndarray, p: int, table: np.ndarray) -> int:
    return _entry(table, cp[p]) & _CODE_MASK


@njit(cache=True, nogil=True)
def _credit_marks(
    cp: np.ndarray, start: int, end: int, table: np.ndarray, colon_or_ellipsis: bool, names_agency: bool
) -> int:
    """MAY_CREDIT and MAY_NAME_AGENCY of the line cp[start:end], given whether it holds a colon or an
    ellipsis and whether it may name an agency (does not end like a sentence and holds "|", "/" or
    "via"), which it does when it holds an agency's name (_names_agency). A line _credit_or_label
    accepts holds a piece of a credit word (_holds_credit_piece), and ends in ")", or holds a colon or an
    ellipsis and does not end in ".", "!" or "?", or opens with a credit word's first two letters."""
    last = cp[end - 1]
    may_end_in_credit = last == _PAREN or (colon_or_ellipsis and last not in (_DOT, _EXCLAMATION, _QUESTION))
    may_open_with_label = False
    if end - start >= 2 and _entry(table, cp[start]) & _CREDIT_INITIAL:
        opening = np.int64(cp[start]) << _CODE_BITS | np.int64(cp[start + 1])
        k = np.searchsorted(_CREDIT_WORD_OPENINGS, opening)
        may_open_with_label = bool(k < len(_CREDIT_WORD_OPENINGS) and _CREDIT_WORD_OPENINGS[k] == opening)
    marks = MAY_NAME_AGENCY if names_agency and _names_agency(cp, start, end, table) else 0
    if (may_end_in_credit or may_open_with_label) and _holds_credit_piece(cp, start, end, table):
        marks |= MAY_CREDIT
    return marks


@njit(cache=True, nogil=True)
def _names_agency(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> bool:
    """Whether the line cp[start:end] holds a picture agency's name, as _AGENCY finds one. Only the first
    letters of names (_AGENCY_INITIAL) are looked at further. Asked only about the lines that
    _agency_credit would search with _AGENCY (three a page, one in ten of which holds a name), it spares
    _agency_credit 4 us per page."""
    for p in range(start, end):
        if not _entry(table, cp[p]) & _AGENCY_INITIAL:
            continue
        name_start = 0
        for name_end in _AGENCY_NAME_ENDS:
            if _starts_with(cp, p, end, _AGENCY_NAME_CODES[name_start:name_end]):
                return True
            name_start = name_end
    return False


@njit(cache=True, nogil=True)
def _holds_credit_piece(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> bool:
    """Whether the line cp[start:end] lower-cased holds a piece of a credit word that re's case-insensitive
    matching finds in every case of it: "photo", "foto", "ф", "mag" (of "image" and "immagine"), "ctur",
    "cred" or "créd", or "bild" with "i", "i" and a combining dot, or "ı". The line is read as lower()
    reads it, one character for one but for "İ", which lower() makes "i" and a combining dot. Only the
    characters that lower() makes the first letter of a piece (_PIECE_INITIAL) are looked at further."""
    for p in range(start, end):
        entry = _entry(table, cp[p])
        if not entry & _PIECE_INITIAL:
            continue
        c = entry & _CODE_MASK
        if c == _EF:
            return True
        if c == _P:
            found = _lower_starts_with(cp, p + 1, end, table, _HOTO)
        elif c == _F:
            found = _lower_starts_with(cp, p + 1, end, table, _OTO)
        elif c == _M:
            found = _lower_starts_with(cp, p + 1, end, table, _AG)
        elif c == _C:
            found = _lower_starts_with(cp, p + 1, end, table, _TUR) or (
                p + 3 < end
                and _lower(cp, p + 1, table) == _R
                and (_lower(cp, p + 2, table) == _E or _lower(cp, p + 2, table) == _E_ACUTE)
                and _lower(cp, p + 3, table) == _D
            )
        else:
            found = _continues_bild(cp, p + 1, end, table)
        if found:
            return True
    return False


@njit(cache=True, nogil=True)
def _continues_bild(cp: np.ndarray, at: int, end: int, table: np.ndarray) -> bool:
    """Whether the line lower-cased goes on at cp[at] (after a "b") as "ild" or "ıld", with a combining dot
    maybe after the "i"."""
    if at == end:
        return False
    if cp[at] == _DOTTED_CAPITAL_I:  # lower() makes it "i" and a combining dot
        at += 1
    elif _lower(cp, at, table) == _I:
        at += 1
        if at < end and cp[at] == _COMBINING_DOT:
            at += 1
    elif _lower(cp, at, table) == _DOTLESS_I:
        at += 1
    else:
        return False
    return _lower_starts_with(cp, at, end, table, _LD)


@njit(cache=True, nogil=True)
def _lower_starts_with(cp: np.ndarray, at: int, end: int, table: np.ndarray, rest: np.ndarray) -> bool:
    """Whether cp[at:end] lower-cased starts with the code points of rest (which holds no "i")."""
    if end - at < len(rest):
        return False
    for k in range(len(rest)):  # noqa: SIM110 - numba compiles no generator into all()
        if _lower(cp, at + k, table) != rest[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _word_list_mark(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> int:
    """WORD_LIST when _words_in_order takes the line cp[start:end] for a word list, ASK_WORD_LIST when
    it must read the line itself, 0 otherwise. The words are LETTERS' (runs of letters), compared
    case-folded as strings are; a line of ALPHABETICAL_LIST_TAGS items (read by its commas), with a
    character beyond the Basic Multilingual Plane or with a letter whose casefold() is several
    characters ("ß", "ŉ") is left to _words_in_order.

    A first pass counts the spaces, commas and words, and the words whose first letter comes before the
    previous word's (descents): each is out of order whatever its other letters, so a line with more of
    them than a word list may have out of order (most lines of prose) is not read again. The pass takes
    no branch on a character (a space or a word's start would be mispredicted every few characters):
    480 -> 245 ns per line (the AEB pages' unended lines of eight words or more), 3 to 5 us per page."""
    # (in_word is an int: as a bool, the loop takes a sixth longer)
    spaces = commas = words = descents = previous_initial = in_word = 0
    beyond_plane = False
    letter_flags = 0
    for p in range(start, end):
        c = cp[p]
        if c > 0xFFFF:
            beyond_plane = True
            continue
        entry = table[c]
        spaces += c == _SPACE_CHAR
        commas += c == _COMMA
        letter = (entry & _LETTER) != 0
        letter_flags |= entry * letter  # the flags of its letters, or-ed
        word_start = letter > in_word
        initial = entry >> _CODE_BITS & _CODE_MASK  # casefold()
        words += word_start
        descents += word_start & (initial < previous_initial)
        previous_initial = initial if word_start else previous_initial
        in_word = letter
    if spaces < ALPHABETICAL_LIST_WORDS - 1:
        return 0
    if commas >= ALPHABETICAL_LIST_TAGS - 1 or beyond_plane or letter_flags & _FOLDS_TO_MANY:
        return ASK_WORD_LIST
    pairs = words - 1
    if words < ALPHABETICAL_LIST_WORDS or pairs - descents < ALPHABETICAL_SHARE * pairs:
        return 0
    out_of_order = 0
    previous = previous_end = -1
    p = start
    while p < end:
        if not table[cp[p]] & _LETTER:
            p += 1
            continue
        word = p
        while p < end and table[cp[p]] & _LETTER:
            p += 1
        out_of_order += previous >= 0 and _folded_after(cp, previous, previous_end, word, p, table)
        previous, previous_end = word, p
    return WORD_LIST if pairs - out_of_order >= ALPHABETICAL_SHARE * pairs else 0


@njit(cache=True, nogil=True)
def _folded_after(cp: np.ndarray, a: int, a_end: int, b: int, b_end: int, table: np.ndarray) -> bool:
    """Whether the word cp[a:a_end] case-folded comes after cp[b:b_end] case-folded, as str's ">" orders
    them (each of their letters folds to one character)."""
    for k in range(min(a_end - a, b_end - b)):
        x = table[cp[a + k]] >> _CODE_BITS & _CODE_MASK
        y = table[cp[b + k]] >> _CODE_BITS & _CODE_MASK
        if x != y:
            return x > y
    return a_end - a > b_end - b


@njit(cache=True, nogil=True)
def _may_glue(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> bool:
    """Whether _glued_at may find a junction in the line cp[start:end]: it reads the line as _glued_at does
    (an upper-case ASCII letter after two lower-case ones, with fewer than GLUED_HEADLINE_MAX_WORDS
    spaces before it, four or more after it, and a headline's shape before it, _headline_shaped), but
    takes a character beyond the Basic Multilingual Plane for one that is not lower-case, so that it may
    mark more lines than _glued_at accepts, never fewer. The loop over the line takes a branch only at a
    junction, not at each space (which was mispredicted every few characters): 420 -> 310 ns per line
    with a camel-cased word."""
    spaces = 0
    for p in range(start, end):
        spaces += cp[p] == _SPACE_CHAR
    if spaces < 4:
        return False
    before = 0  # spaces before p
    lower_run = 0  # lower-case ASCII letters right before p
    for p in range(start, end):
        c = cp[p]
        if (c >= _CAPITAL_A) & (c <= _CAPITAL_Z) & (lower_run >= 2):
            if before >= GLUED_HEADLINE_MAX_WORDS:
                return False
            if spaces - before >= 4 and _headline_shaped(cp, start, p, table):
                return True
        before += c == _SPACE_CHAR
        lower_run = (lower_run + 1) * ((c >= _SMALL_A) & (c <= _SMALL_Z))
    return False


@njit(cache=True, nogil=True)
def _headline_shaped(cp: np.ndarray, start: int, at: int, table: np.ndarray) -> bool:
    """Whether cp[start:at] has three words or more (split at whitespace), of which at least 0.6 start
    with a character that is not lower-case."""
    words = capitalised = 0
    in_word = False
    for p in range(start, at):
        entry = _entry(table, cp[p])
        if entry & _SPACE:
            in_word = False
        elif not in_word:
            in_word = True
            words += 1
            capitalised += not entry & _LOWER_CASE
    return words >= 3 and capitalised >= 0.6 * words


@njit(cache=True, nogil=True)
def _label_shape(cp: np.ndarray, start: int, end: int, table: np.ndarray) -> int:
    """LABEL when the line cp[start:end] has a label's shape (at most one space, no ASCII digit, a letter:
    see repeated_labels), ASK_LABEL when it has one if a character beyond the Basic Multilingual Plane
    that it holds is a letter, 0 otherwise."""
    spaces = 0
    letter = beyond_plane = False
    for p in range(start, end):
        c = cp[p]
        if c == _SPACE_CHAR:
            spaces += 1
            if spaces > 1:
                return 0
        elif _ZERO <= c <= _NINE:
            return 0
        elif c > 0xFFFF:
            beyond_plane = True
        elif table[c] & _LETTER:
            letter = True
    return LABEL if letter else ASK_LABEL if beyond_plane else 0


@njit(cache=True, nogil=True)
def _copies(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """How many of the lines cp[starts[k]:starts[k] + lengths[k]] have the text of each, given keys that
    lines of equal text share (_text_hashes). The lines are grouped by their keys, and each group's lines
    compared with its first: those of a group whose lines differ (their hashes collide) are compared pair
    by pair."""
    k = len(starts)
    order = np.argsort(keys)
    copies = np.zeros(k, dtype=np.int64)
    group = 0  # where the group of equal keys that the j-th line in that order belongs to starts
    for j in range(1, k + 1):
        if j < k and keys[order[j]] == keys[order[group]]:
            continue
        members = order[group:j]
        alike = True
        for b in members[1:]:
            alike &= _same_line(cp, starts, lengths, members[0], b)
        if alike:
            copies[members] = len(members)
        else:
            for a in members:
                for b in members:
                    copies[a] += _same_line(cp, starts, lengths, a, b)
        group = j
    return copies


@njit(cache=True, nogil=True)
def _text_hashes(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A hash of the text of each of the lines cp[starts[k]:starts[k] + lengths[k]]."""
    keys = np.empty(len(starts), dtype=np.uint64)
    for k in range(len(starts)):
        h = np.uint64(lengths[k])
        for p in range(starts[k], starts[k] + lengths[k]):
            h = h * np.uint64(HASH_BASE) + np.uint64(cp[p])
        keys[k] = h
    return keys


@njit(cache=True, nogil=True)
def _same_line(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray, a: int, b: int) -> bool:
    """Whether lines a and b (see _copies) have the same text."""
    return lengths[a] == lengths[b] and _same_text(cp, starts[a], starts[b], lengths[a])
