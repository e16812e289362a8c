"""Language identification answers with ISO 639-1 codes, the ones the API documents and the word lists
are keyed by, even where py3langid's own first answer is an ISO 639-3 code."""

from __future__ import annotations

import itertools
import random

import numpy as np
import py3langid
import pytest
from prose import PROSE_DE, PROSE_EN, PROSE_FR
from py3langid.langid import RAW_FLOOR, LanguageIdentifier, visit_counts

from workers import language
from workers.blocks import LETTERS, _mostly_letters
from workers.language import _model, _raw_scores, identify


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


# Prose in several scripts, for the comparisons with py3langid below (Serbian and Uzbek have a column
# for each of two scripts, which py3langid folds into one).
_SCRIPTS = [
    "Градски савет је у уторак изгласао продужење ноћних аутобуских линија до северних предграђа.",
    "Gradski savet je u utorak izglasao produženje noćnih autobuskih linija do severnih predgrađa.",
    "Shahar kengashi seshanba kuni tungi avtobus qatnovini shimoliy chekkalarga uzaytirishga ovoz berdi.",
    "Шаҳар кенгаши сешанба куни тунги автобус қатновини шимолий чеккаларга узайтиришга овоз берди.",
    "Городской совет во вторник проголосовал за продление ночных автобусных маршрутов до окраин.",
    "Το δημοτικό συμβούλιο ψήφισε την Τρίτη την επέκταση των νυχτερινών λεωφορείων στα βόρεια προάστια.",
    "صوت مجلس المدينة يوم الثلاثاء على تمديد خدمة الحافلات الليلية إلى الضواحي الشمالية.",
    "מועצת העיר הצביעה ביום שלישי על הארכת קווי האוטובוס הלילי לפרברים הצפוניים.",
    "नगर परिषद ने मंगलवार को रात की बस सेवा को उत्तरी उपनगरों तक बढ़ाने के पक्ष में मतदान किया।",
    "市议会周二投票决定将夜间公交服务延伸至北部郊区，居民们为此已经呼吁了将近三年。",
    "市議会は火曜日、夜間バスの運行を北部の郊外まで延長することを決めた。",
    "시의회는 화요일 야간 버스 운행을 북부 교외까지 연장하기로 의결했다.",
    "สภาเมืองลงมติเมื่อวันอังคารให้ขยายบริการรถเมล์กลางคืนไปยังชานเมืองทางเหนือ",
    "Hội đồng thành phố đã bỏ phiếu hôm thứ Ba để mở rộng dịch vụ xe buýt đêm đến các vùng ngoại ô phía bắc.",
    "Lol dis na wetin dem talk for market yesterday, na so e be.",
]


def _varied_samples() -> list[str]:
    """Samples of many kinds: prose in several scripts, whole and cut, in capitals, mixed; random code
    points; mis-decoded bytes; a long sample; and ones with no feature at all."""
    rng = random.Random(7)
    prose = [" ".join(p) for p in (PROSE_EN, PROSE_DE, PROSE_FR)] + _SCRIPTS
    samples = ["", " ", "...", "2024"]
    for text in prose:
        samples += [text[:400], text.upper()[:400], text[: rng.randrange(1, 40)]]
        start = rng.randrange(len(text))
        samples.append(text[start : start + 400])
    for _ in range(60):
        samples.append(" ".join(rng.sample(prose, 3))[rng.randrange(50) :][:400])
        samples.append("".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(400))))
        samples.append(rng.randbytes(rng.randrange(600)).decode("utf-8", errors="replace")[:400])
    samples.append(" ".join(prose) * 3)
    return samples


def _reference_identify(sample: str) -> str:
    """identify's definition: py3langid's answer, or its best-ranked language with a two-letter code."""
    best = str(py3langid.classify(sample)[0])
    return best if len(best) == 2 else next(str(lang) for lang, _ in py3langid.rank(sample) if len(lang) == 2)


def test_identify_answers_as_py3langid_ranks() -> None:
    samples = _varied_samples()
    identifier = py3langid.langid._get_identifier()
    answers = [identify(sample) for sample in samples]
    assert answers == [_reference_identify(sample) for sample in samples]
    assert len(set(answers)) > 15  # the samples do cover many languages
    for sample in samples:
        assert np.array_equal(_raw_scores(sample), identifier._raw_score(identifier._encode(sample))), sample


def test_identify_takes_the_language_py3langid_ranks_first_from_any_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the raw scores, identify answers what py3langid's folding and ranking of them make: for
    no feature, each column alone at the top, and each pair of columns tied at the top (a language's two
    columns, or one of them with a column between them) over random lower scores."""
    classes = len(py3langid.langid._get_identifier().nb_classes)
    rng = np.random.default_rng(11)
    tops = [[], *([column] for column in range(classes)), *itertools.combinations(range(classes), 2)]
    for top in tops:
        scores = np.full(classes, RAW_FLOOR, np.float32)
        if top:
            scores = rng.choice(np.float32([RAW_FLOOR, -3, -2]), size=classes)
            scores[list(top)] = -1
        monkeypatch.setattr(language, "_raw_scores", lambda _sample, scores=scores: scores.copy())
        monkeypatch.setattr(
            LanguageIdentifier, "_raw_score", lambda _self, _text, scores=scores: scores.copy()
        )
        assert identify("") == _reference_identify(""), top


def _walked_texts() -> list[bytes]:
    """The varied samples as py3langid encodes them; every length from 0 to 40 bytes of some (fewer
    bytes than the walk has lanes, and about as many); the Chinese, Japanese and Korean ones after up
    to 47 spaces, which moves their two-character words, the automaton's longest paths (six bytes),
    across the lanes' starts; and random bytes."""
    identifier = py3langid.langid._get_identifier()
    texts = [identifier._encode(sample) for sample in _varied_samples()]
    texts += [text[:length] for text in texts[4:60:5] for length in range(41)]
    texts += [b" " * spaces + identifier._encode(sample) for sample in _SCRIPTS[9:12] for spaces in range(48)]
    rng = random.Random(5)
    texts += [rng.randbytes(rng.randrange(600)) for _ in range(100)]
    return texts


def _feature_counts(text: bytes, context_bytes: int) -> tuple[list[int], list[float]]:
    model = _model()
    features, counts = model.feature_counts(
        text, model.next_state, model.state_row, model.state_feature, context_bytes
    )
    return features.tolist(), counts.tolist()


def test_feature_counts_are_py3langids() -> None:
    """The walk in lanes counts what py3langid's walk over the whole text counts, in the same order."""
    identifier = py3langid.langid._get_identifier()
    for text in _walked_texts():
        visits = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, text) or {}
        assert _feature_counts(text, _model().context_bytes) == (list(visits), list(visits.values())), text


def test_the_automatons_state_needs_all_of_its_context_bytes() -> None:
    """A lane that starts one byte later than context_bytes before its stretch miscounts some text: the
    breadth-first walk measures the automaton's depth, not less (the Japanese sample shows it)."""
    context_bytes = _model().context_bytes
    texts = _walked_texts()
    assert any(
        _feature_counts(text, context_bytes - 1) != _feature_counts(text, context_bytes) for text in texts
    )


def test_widened_rows_are_numpys_float32() -> None:
    halves = np.arange(1 << 16, dtype=np.uint16).reshape(512, 128)
    finite = np.isfinite(halves.view(np.float16)).all(axis=1)
    rows = np.flatnonzero(finite)[::-1]  # in another order than the table's
    widened, _ = _model().widened_rows(halves, rows)
    assert np.array_equal(widened, halves[rows].view(np.float16).astype(np.float32))
    assert np.isfinite(py3langid.langid._get_identifier().nb_ptc).all()


def test_mostly_letters_counts_letters_as_the_regular_expression_does() -> None:
    rng = random.Random(3)
    lines = [*_varied_samples(), "½ ² Ⅻ ٣ ５ _ abc", "a1 b2 c3 d4", "ab 12 cd 34 é", "Ωmega 123", "\ud800x"]
    lines += ["".join(rng.choice("ab1 ,éé€ж") for _ in range(rng.randrange(12))) for _ in range(500)]
    for line in lines:
        assert _mostly_letters(line) == (2 * sum(map(len, LETTERS.findall(line))) >= len(line)), line
