"""The fast paths of the furniture rules (workers.furniture) against their plain definitions: each page-level
search must find exactly the lines that asking the rule about every line finds, and each shortcut must read
a line as the rule's regular expressions do."""

from __future__ import annotations

import gzip
import json
import re
import sys
from functools import cache
from itertools import pairwise, product
from pathlib import Path

import numpy as np
import pytest

from workers.blocks import LETTERS, Block, block_features, detect_language, final_stop, segment, stop_words
from workers.furniture import (
    _COMMON_PUNCTUATION,
    _CREDIT_WORD,
    _CREDIT_WORD_OPENINGS,
    _CREDIT_WORD_PIECE,
    _PHOTO_LABEL,
    _glued_at,
    _lines_holding,
    alphabetical_list,
    furniture,
    photo_credit,
    photo_credits,
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
    """The lines of the dev slice's pages and of the seed pages, with CREDIT_LINES as one more page."""
    with gzip.open(DATA / "dev-slice.jsonl.gz", "rt", encoding="utf-8") as rows:
        raws = [json.loads(row)["text"] for row in rows]
    raws += [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))]
    raws.append("\n".join(CREDIT_LINES))
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
        assert photo_credits(texts, features) == expected
        found += len(expected)
    assert found >= 20


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
    for word in words:
        for spelling in _spellings(word):
            assert re.fullmatch(_CREDIT_WORD, spelling), spelling
            assert _CREDIT_WORD_PIECE.search(spelling.lower()), spelling
            assert spelling[:2] in _CREDIT_WORD_OPENINGS, spelling


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
    for line in CREDIT_LINES:
        if _PHOTO_LABEL.match(line):
            assert line[:2] in _CREDIT_WORD_OPENINGS


def _lines_holding_plainly(texts: list[str], marks: tuple[str, ...]) -> set[int]:
    return {i for i, text in enumerate(texts) if any(mark in text for mark in marks)}


@pytest.mark.parametrize("marks", [(":", "...", "…"), ("via",)])
def test_lines_holding_finds_every_line_with_a_mark(marks: tuple[str, ...]) -> None:
    texts = [
        "Photo: AFP",
        "Wait.",
        "..",
        "Credit... Jane Roe",
        "via",
        "v",
        "ia",
        "Trivia night",
        "nothing here",
    ]
    ends = list(np.cumsum([len(t) for t in texts]))
    holding = _lines_holding("".join(texts), ends, marks)
    # a mark found across two lines ("." + ".." makes "...", "v" + "ia" makes "via") adds a line, never
    # loses one
    assert _lines_holding_plainly(texts, marks) <= holding <= _lines_holding_plainly(texts, marks) | {1, 5}


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


def test_glued_at_finds_the_junctions_of_its_plain_definition() -> None:
    lines = [text for blocks, _ in _pages_with_features() for text in (b.text for b in blocks)]
    lines += [
        "Title Run Here NowDenny Hamlin wins the race at last",
        "Title Run HereNow Denny wins the race",  # four spaces after the junction, six in all
        "Big Stock Car RaceThe driver won a b c",
        "One TwoThree four five six seven",
        "A\u00a0B\u00a0C DoneThen one two three four",
    ]
    assert sum(map(bool, map(_glued_at_plainly, lines))) >= 2
    for line in lines:
        assert _glued_at(line) == _glued_at_plainly(line), line


def test_furniture_on_a_page_without_furniture_finds_none() -> None:
    blocks = [Block(0, "Night buses will run to the northern suburbs from May.", True, True)] * 2
    assert furniture(blocks, block_features(blocks, frozenset())) == {}
