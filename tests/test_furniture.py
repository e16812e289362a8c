"""The fast paths of the furniture rules (workers.furniture) against their plain definitions: each page-level
search must find exactly the lines that asking the rule about every line finds, and each shortcut must read
a line as the rule's regular expressions do."""

from __future__ import annotations

import gzip
import json
import random
import re
import sys
from collections import Counter
from functools import cache
from itertools import pairwise, product
from pathlib import Path

import numpy as np
import pytest

from workers.blocks import (
    LETTERS,
    LOCAL_FEATURES,
    Block,
    block_features,
    detect_language,
    final_stop,
    has_digit,
    segment,
    stop_words,
)
from workers.furniture import (
    _AGENCY,
    _COMMON_PUNCTUATION,
    _CREDIT_WORD,
    _PHOTO_LABEL,
    ALPHABETICAL_LIST_WORDS,
    ASK_LABEL,
    ASK_WORD_LIST,
    LABEL,
    MAY_CREDIT,
    MAY_GLUE,
    MAY_NAME_AGENCY,
    REPEATED_LABEL_MIN,
    WORD_LIST,
    _copies,
    _glued_at,
    _text_hashes,
    _words_in_order,
    alphabetical_list,
    furniture,
    gallery_captions,
    glued_teasers,
    photo_credit,
    photo_credits,
    repeated_labels,
    rule_marks,
    word_lists,
)

DATA = Path(__file__).resolve().parent / "data"

# Lines that are credits or labels, or come close: the rule's own test lines, in other cases and scripts.
CREDIT_LINES = [
    "Image copyright Getty Images",
    "IMAGE CAPTION The new depot on the northern ring road opens in the spring",
    "ımage caption The new depot on the northern ring road opens in the spring",
    "İmage 2 of 5",
    "Bıld 3 / 7",
    "Фото source Reuters",
    "Natalie Naccache | Bloomberg | Getty Images",
    "J. Scott Applewhite / AP file",
    "A night bus at the depot last week. Credit... Jane Roe/The Example Gazette",
    "A night bus at the depot last week. CREDIT… Jane Roe/The Example Gazette",
    "The new depot on the ring road opened last week. Photograph by Jane Roe/AFP/Getty Images",
    "John Locher via AP",
    "The new depot on the ring road where the night buses are kept Credit: AFP or licensors",
    "Die Busse im neuen Depot am Ring Foto: Max Mustermann",
    "Автобусы в новом депо (ФОТО: Иван Петров)",
    "The depot at night (Picture: Jane Roe)",
    "The depot at night. Crédito: Jane Roe",
    "Its statement went out via AP",
    "How families can claim the new Child Tax Credit: a step-by-step guide",
    "The picture is clearer now (the figures came in on Monday).",
    "Contact us: newsroom@example.org | Tips / corrections",
]


def _pages() -> list[list[str]]:
    """The lines of the dev slice's pages and of the seed pages, with CREDIT_LINES as one more page, and
    WORD_LISTS as one more and each as a page of its own."""
    with gzip.open(DATA / "dev-slice.jsonl.gz", "rt", encoding="utf-8") as rows:
        raws = [json.loads(row)["text"] for row in rows]
    raws += [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))]
    raws += ["\n".join(CREDIT_LINES), "\n".join(WORD_LISTS), *WORD_LISTS]
    return [[b.text for b in segment(raw)] for raw in raws if raw.strip()]


@cache
def _pages_with_features() -> list[tuple[list[Block], np.ndarray]]:
    pages = []
    for texts in _pages():
        blocks = [Block(i, text, True, True) for i, text in enumerate(texts)]
        pages.append((blocks, block_features(blocks, stop_words(detect_language(blocks)))))
    return pages


def test_photo_credits_finds_the_lines_photo_credit_takes_for_credits() -> None:
    found = 0
    for blocks, features in _pages_with_features():
        texts = [b.text for b in blocks]
        expected = [i for i, text in enumerate(texts) if photo_credit(text)]
        assert photo_credits(texts, rule_marks(texts, features)) == expected
        found += len(expected)
    assert found >= 20


def _labels_plainly(texts: list[str]) -> list[int]:
    """repeated_labels as first written: the lines of at most two words, no digit and a letter whose text
    the page has REPEATED_LABEL_MIN times or more, counted with a Counter."""
    counts = Counter(texts)
    return [
        i
        for i, text in enumerate(texts)
        if counts[text] >= REPEATED_LABEL_MIN
        and text.count(" ") <= 1
        and not has_digit(text)
        and LETTERS.search(text) is not None
    ]


def test_repeated_labels_finds_the_labels_a_counter_finds() -> None:
    found = 0
    for blocks, features in _pages_with_features():
        texts = [b.text for b in blocks]
        expected = _labels_plainly(texts)
        assert repeated_labels(texts, rule_marks(texts, features)) == expected
        found += len(expected)
    assert found >= 20


def test_copies_counts_the_lines_of_each_text_whatever_the_keys() -> None:
    """_copies with the lines' hashes, and with keys that collide (all equal, or equal for lines of
    different text), counts as a Counter does."""
    rng = random.Random(7)
    for _ in range(200):
        texts = ["".join(rng.choices("ab", k=rng.randint(1, 3))) for _ in range(rng.randint(1, 30))]
        starts = np.cumsum([0] + [len(text) for text in texts[:-1]])
        lengths = np.array([len(text) for text in texts])
        cp = np.array([ord(ch) for ch in "".join(texts)], dtype=np.uint32)
        counts = Counter(texts)
        expected = [counts[text] for text in texts]
        for keys in (
            _text_hashes(cp, starts, lengths),
            np.zeros(len(texts), dtype=np.uint64),
            (lengths % 2).astype(np.uint64),
        ):
            assert _copies(cp, starts, lengths, keys).tolist() == expected


@cache
def _every_character() -> str:
    return "".join(map(chr, range(sys.maxunicode + 1)))


def _cases(letter: str) -> list[str]:
    """Every character re's case-insensitive matching takes for letter."""
    return re.findall(f"(?i:{re.escape(letter)})", _every_character())


def _spellings(word: str) -> list[str]:
    """The word in every mix of cases re's case-insensitive matching accepts."""
    return ["".join(letters) for letters in product(*map(_cases, word))]


def test_every_case_of_a_credit_word_holds_a_credit_piece_and_opens_a_label() -> None:
    words = _credit_word_letters()
    assert {"photo", "фото", "immagine", "crédito", "bild"} <= set(words)
    spellings = [spelling for word in words for spelling in _spellings(word)]
    for spelling in spellings:
        assert re.fullmatch(_CREDIT_WORD, spelling), spelling
    # after a colon, a credit word is looked for anywhere in the line; at its start, only after its first
    # two letters are found to open a credit word
    marks = _marks_asking_everything([f"{spelling}: Jane Roe" for spelling in spellings])
    assert all(marks.get(i, 0) & MAY_CREDIT for i in range(len(spellings)))
    marks = _marks_asking_everything([f"{spelling} caption" for spelling in spellings])
    assert all(marks.get(i, 0) & MAY_CREDIT for i in range(len(spellings)))


def _credit_word_letters() -> list[str]:
    """The words _CREDIT_WORD names, a class such as [eé] written out once with each of its letters."""
    alternatives = re.search(r"\(\?i:([^)]*)\)", _CREDIT_WORD)
    assert alternatives is not None
    words = []
    for word in alternatives[1].split("|"):
        options = [group or single for group, single in re.findall(r"\[(\w+)\]|(\w)", word)]
        words += ["".join(letters) for letters in product(*options)]
    return words


def test_a_photo_label_opens_with_a_credit_word() -> None:
    openings = _credit_word_openings()
    for line in CREDIT_LINES:
        if _PHOTO_LABEL.match(line):
            assert line[:2] in openings


def _alphabetical_list_plainly(text: str) -> bool:
    """alphabetical_list as first written: LETTERS' words, compared casefolded until too many are out of
    order."""
    if text.count(" ") < 7 or final_stop(text):
        return False
    words = [item.strip() for item in text.split(",")] if text.count(",") >= 7 else LETTERS.findall(text)
    if len(words) < 8:
        return False
    pairs = len(words) - 1
    in_order_at_most = pairs
    for a, b in pairwise(words):
        in_order_at_most -= a.casefold() > b.casefold()
        if in_order_at_most < 0.9 * pairs:
            return False
    return True


WORD_LISTS = [
    "Agricultura Campanha Capacitação Combustíveis Comunicado Concurso Cultura Defesa",
    "Abend Bühne Dorf Straße Strasse Stunde Tag Uhr Zeit",  # "ß" casefolds to "ss"
    "Ankara Bursa İzmir Istanbul Kayseri Konya Mersin Ordu",
    "Agenda – Business – Culture – Energy – Health – Politics – Science – Sport",
    "Agenda “Business” Culture… Energy • Health · Politics © Science « Sport »",
    "Ann’s Bob’s Cat’s Dan’s Eve’s Fay’s Guy’s Hal’s",  # LETTERS' words: "Ann", "s", "Bob", "s", …
    "alpha beta gamma delta epsilon zeta eta theta iota kappa",
    "apple Banana cherry Date elderberry Fig grape Honeydew",  # in order only once folded
    "Alpha2 Beta3 Delta² Epsilon³ Eta Gamma Iota Kappa",  # "²" is a word character and no digit
    "apple, banana, cherry, date, elderberry, fig, grape, honeydew",
    "Aaron Abbey Acorn Adobe Alpha Amber Apple Azure",
    "Azure Apple Amber Alpha Adobe Acorn Abbey Aaron",  # initials in order, words not
    "Alpha Beta Delta Gamma Iota Kappa Lambda Mu Nu Omicron Pi Rho Sigma Tau Upsilon Zeta Eta",  # one back
    "Alpha Beta Delta Gamma Iota Kappa Eta Lambda Mu Nu Omicron Pi Rho Sigma Tau Upsilon Zeta Beta",  # two
]


def test_alphabetical_list_reads_the_words_letters_finds() -> None:
    lines = [text for blocks, _ in _pages_with_features() for text in (b.text for b in blocks)]
    lines += WORD_LISTS
    assert sum(map(_alphabetical_list_plainly, lines)) >= 6
    for line in lines:
        assert alphabetical_list(line) == _alphabetical_list_plainly(line), line


def test_common_punctuation_is_no_letter() -> None:
    characters = _COMMON_PUNCTUATION.pattern.strip("[]")
    assert not any(ch.isascii() for ch in characters)
    assert LETTERS.search(characters) is None


def _glued_at_plainly(text: str) -> list[str]:
    words = []
    for m in re.finditer(r"(?<=[a-z]{2})[A-Z]", text):
        at = m.start()
        if text.count(" ", 0, at) >= 20:
            break
        head = text[:at].split()
        capitalised = sum(not w[0].islower() for w in head)
        if len(head) >= 3 and capitalised >= 0.6 * len(head) and text.count(" ", at) >= 4:
            words.append(head[-1] + text[at:].split(" ", 1)[0])
    return words


GLUED_LINES = [
    "Title Run Here NowDenny Hamlin wins the race at last",
    "Title Run HereNow Denny wins the race",  # four spaces after the junction, six in all
    "Big Stock Car RaceThe driver won a b c",
    "One TwoThree four five six seven",
    "A\u00a0B\u00a0C DoneThen one two three four",
    "a b c d e f g h i j k l m n o p q r s t uvWord one two three four",  # 20 spaces before
    "ab cd ef Gh IjKl m n o p",
]


def test_glued_at_finds_the_junctions_of_its_plain_definition() -> None:
    lines = [text for blocks, _ in _pages_with_features() for text in (b.text for b in blocks)]
    lines += GLUED_LINES
    assert sum(map(bool, map(_glued_at_plainly, lines))) >= 2
    for line in lines:
        assert _glued_at(line) == _glued_at_plainly(line), line


def _furniture_asking_every_rule(blocks: list[Block], features: np.ndarray) -> dict[int, str]:
    """furniture as first written: every rule asked on every page, whatever the lines are marked for."""
    texts = [b.text for b in blocks]
    marks = rule_marks(texts, features)
    found = dict.fromkeys(word_lists(texts, marks), "word_list")
    found.update(dict.fromkeys(glued_teasers(texts, marks), "teaser"))
    found.update(dict.fromkeys(photo_credits(texts, marks), "caption"))
    found.update((i, "caption") for i in gallery_captions(blocks, found))
    found.update(dict.fromkeys(repeated_labels(texts, marks), "label"))
    return found


def test_furniture_finds_what_asking_every_rule_finds() -> None:
    reasons: Counter[str] = Counter()
    for blocks, features in _pages_with_features():
        expected = _furniture_asking_every_rule(blocks, features)
        assert list(furniture(blocks, features).items()) == list(expected.items())
        reasons.update(expected.values())
    assert min(reasons[reason] for reason in ("word_list", "teaser", "caption", "label")) >= 1, reasons


def test_furniture_on_a_page_without_furniture_finds_none() -> None:
    blocks = [Block(0, "Night buses will run to the northern suburbs from May.", True, True)] * 2
    assert furniture(blocks, block_features(blocks, frozenset())) == {}


def test_only_dotted_capital_i_lowers_to_several_characters() -> None:
    """What _holds_credit_piece and _entry take for granted about lower()."""
    assert [c for c in range(0x10000) if len(chr(c).lower()) != 1] == [0x130]
    beyond = (chr(c) for c in range(0x10000, sys.maxunicode + 1))
    assert all(len(lower := ch.lower()) == 1 and ord(lower) > 0xFFFF for ch in beyond)


# The plain definition of the credit word pieces rule_marks looks for (_holds_credit_piece): what a line
# lower-cased holds when _CREDIT_WORD can match in it, in whatever case: a piece of each credit word whose
# letters lower() folds as re's case-insensitive matching does ("mag" of "image" and "immagine", "ctur" of
# "picture", "cred" of "credit" and "credito"), "bild" with each "i" re accepts ("İ" lowers to "i" and a
# combining dot, "ı" stays), and the "ф" of "фото" (whose "о" and "т" re also accepts as "ᲂ", "ᲄ" and
# "ᲅ", which lower() leaves).
_CREDIT_WORD_PIECE = re.compile("photo|foto|ф|mag|b(?:i\u0307?|ı)ld|ctur|cr[eé]d")


@cache
def _credit_word_openings() -> frozenset[str]:
    """The first two letters of the credit words in every case re's case-insensitive matching accepts."""
    return frozenset(spelling for word in _credit_word_letters() for spelling in _spellings(word[:2]))


def _may_credit_plainly(text: str) -> bool:
    may_end_in_credit = text[-1] == ")" or (
        text[-1] not in ".!?" and (":" in text or "..." in text or "…" in text)
    )
    may_open_with_label = text[:2] in _credit_word_openings()
    return (may_end_in_credit or may_open_with_label) and _CREDIT_WORD_PIECE.search(text.lower()) is not None


def _marks_asking_everything(lines: list[str]) -> dict[int, int]:
    """rule_marks of lines that the feature matrix says do not end like a sentence, have enough words for a
    word list, a camel-cased word and the text of another line: each is read by every rule."""
    features = np.zeros((len(lines), len(LOCAL_FEATURES)))
    features[:, LOCAL_FEATURES.index("log_words")] = np.log1p(ALPHABETICAL_LIST_WORDS)
    features[:, LOCAL_FEATURES.index("camel")] = 1.0
    features[:, LOCAL_FEATURES.index("repeated")] = 1.0
    return rule_marks(lines, features)


MARKED_LINES = [
    "Bİld: Jane Roe",
    "Bi\u0307ld: Jane Roe",
    "Bi\u0307\u0307ld: Jane Roe",
    "BıLD: Jane Roe",
    "Ѳото: Jane Roe",
    "ФОТО: Jane Roe",
    "CRÉDITO: Jane Roe",
    "CRE\u0301DITO: Jane Roe",
    "The depot at night (PİCTURE Jane Roe)",
    "The 😀 depot at night (Picture: Jane Roe)",
    "Photo",
    "Ph",
    ")",
    "via",
    "vi",
    "Trivia night",
    "Big Stock Car RaceThe driver won a b c",
    "Big 😀 Stock Car RaceThe driver won a b c d",
    "𝐁ig 𝐬tock 𝐜ar RaceThe driver won a b c d",
    "Alpha Beta Delta Epsilon Eta Gamma Iota Kappa 😀",
    "Ϲ Ϲa Ϲb Ϲc Ϲd Ϲe Ϲf Ϲg",  # lunate sigmas: casefold() as lower()
    "ſa ſb ſc sd se sf sg sh",  # "ſ" folds to "s" and lower() keeps it
    "µa µb µc µd µe µf µg µh",  # "µ" folds to "μ"
    "Abend Bühne Dorf Strasse Straße Tag Uhr Zeit",  # "ß" folds to "ss": the two words are equal
    "b a, c a, d a, e a, f a, g a, h a, i a",  # a list of tags in order, its words not
    "Alpha Alpha Beta Delta Gamma Iota Kappa Lambda",
    "Alpha Beta Delta_Aaa Gamma Iota Kappa Lambda Mu",  # "_" parts words
    "A B C D E F G H I J K L M N O P Q R S T UvwWord one two three four",  # 20 spaces before
    "Photo: Jane Roe / iStock",
    "EPA/Jane Roe",
    "Jane Roe | Getty Image",  # no agency's name
    "Jane Roe/dp a",
    "via Xinhua",
    *["Advertisement"] * 3,
    *["Watch video"] * 3,
    *["Watch the video"] * 3,  # three words
    *["Anzeige 2"] * 3,  # a digit
    *["Anzeige ٢"] * 3,  # a digit, but not ASCII
    *["𝐀𝐝 𝐬𝐥𝐨𝐭"] * 3,  # letters beyond the Basic Multilingual Plane
    *["😀 😀"] * 3,  # no letter
    *["— ·"] * 3,
    *["Video"] * 2,  # twice only
    "(Photo Jane Roe)\x00",  # last: a NUL at the page's end stays among its code points
]


def test_line_marks_read_each_line_as_the_rules_do() -> None:
    lines = [text for blocks, _ in _pages_with_features() for text in (b.text for b in blocks)]
    lines += WORD_LISTS + GLUED_LINES + MARKED_LINES
    marks = _marks_asking_everything(lines)
    labels = set(_labels_plainly(lines))
    for i, line in enumerate(lines):
        mark = marks.get(i, 0)
        assert bool(mark & MAY_CREDIT) == _may_credit_plainly(line), line
        assert bool(mark & MAY_NAME_AGENCY) == _names_agency_plainly(line), line
        if not final_stop(line):
            word_list = bool(mark & WORD_LIST) or bool(mark & ASK_WORD_LIST and _words_in_order(line))
            assert word_list == _alphabetical_list_plainly(line), line
        if mark & ASK_WORD_LIST:
            assert line.count(",") >= 7 or _unfolded(line), line
        glued = bool(_glued_at_plainly(line))
        assert bool(mark & MAY_GLUE) == glued or (mark & MAY_GLUE and max(line) > "\uffff"), line
        label = bool(mark & LABEL) or bool(mark & ASK_LABEL and LETTERS.search(line))
        assert label == (i in labels), line
        assert not mark & ASK_LABEL or max(line) > "\uffff", line
    assert sum(bool(mark & WORD_LIST) for mark in marks.values()) >= 6
    assert sum(bool(mark & MAY_GLUE) for mark in marks.values()) >= 4
    assert sum(bool(mark & MAY_CREDIT) for mark in marks.values()) >= 30
    assert sum(bool(mark & MAY_NAME_AGENCY) for mark in marks.values()) >= 5
    assert sum(bool(mark & ASK_LABEL) for mark in marks.values()) >= 3
    assert sum(bool(mark & LABEL) for mark in marks.values()) >= 20


def _names_agency_plainly(line: str) -> bool:
    """Whether _agency_credit searches line for an agency's credit, final_stop aside."""
    return ("|" in line or "/" in line or "via" in line) and _AGENCY.search(line) is not None


def _unfolded(line: str) -> bool:
    """Whether line holds a character beyond the Basic Multilingual Plane or a letter that casefold() makes
    several characters: the lines rule_marks leaves to _words_in_order."""
    return any(ch > "\uffff" or (ch.isalpha() and len(ch.casefold()) > 1) for ch in line)


def test_line_marks_read_only_the_lines_the_feature_matrix_picks() -> None:
    for blocks, features in _pages_with_features():
        texts = [b.text for b in blocks]
        marks = rule_marks(texts, features)
        unended = features[:, LOCAL_FEATURES.index("final_stop")] == 0
        wordy = features[:, LOCAL_FEATURES.index("log_words")] >= np.log1p(ALPHABETICAL_LIST_WORDS)
        camel = features[:, LOCAL_FEATURES.index("camel")] > 0
        repeated = features[:, LOCAL_FEATURES.index("repeated")] > 0
        for i, text in enumerate(texts):
            mark = marks.get(i, 0)
            assert bool(mark & MAY_NAME_AGENCY) == (unended[i] and _names_agency_plainly(text))
            assert not mark & (WORD_LIST | ASK_WORD_LIST) or (unended[i] and wordy[i])
            assert not mark & MAY_GLUE or camel[i]
            assert not mark & (LABEL | ASK_LABEL) or repeated[i]


def test_line_marks_refuses_a_line_with_a_newline() -> None:
    with pytest.raises(ValueError, match="newline"):
        _marks_asking_everything(["one\ntwo", "three"])
