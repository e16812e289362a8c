"""Language identification answers with ISO 639-1 codes, the ones the API documents and the word lists
are keyed by, even where py3langid's own first answer is an ISO 639-3 code."""

from __future__ import annotations

import random

import pytest
from prose import PROSE_DE, PROSE_EN, PROSE_FR

from workers.language import identify


@pytest.mark.parametrize(("prose", "code"), [(PROSE_EN, "en"), (PROSE_DE, "de"), (PROSE_FR, "fr")])
def test_prose_is_identified_by_its_two_letter_code(prose: list[str], code: str) -> None:
    assert identify(" ".join(prose)[:400]) == code


@pytest.mark.parametrize(
    "sample",
    [
        # English as Nigerian Pidgin writes it, which py3langid 0.4 answers as "pcm"
        "Lol dis na wetin dem talk for market yesterday, na so e be.",
        # mis-decoded bytes, which it answers as "gcf" (Guadeloupean Creole)
        " ".join(random.Random(1).randbytes(900).decode("utf-8", errors="replace").split())[:400],
    ],
)
def test_the_answer_is_always_a_two_letter_code(sample: str) -> None:
    code = identify(sample)
    assert len(code) == 2 and code.isalpha() and code.islower()
