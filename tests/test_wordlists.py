"""The compact word lists (workers/wordlists.py) give wordfreq's values exactly, in far less memory."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Iterator

import pytest
import wordfreq

from workers.blocks import STOP_WORDS_PER_LANGUAGE
from workers.wordlists import FrequencyTable, _buckets, _list_file, english_zipf, frequency_table, top_words

# Languages with large lists, with small lists only, and with other scripts (CJK, Arabic, Cyrillic).
LANGUAGES = ["en", "de", "ru", "zh", "ja", "ar", "ko", "id", "fr"]


@pytest.fixture(autouse=True, scope="module")
def _drop_wordfreq_caches() -> Iterator[None]:
    """wordfreq keeps every list these tests compare against; let them go with the tests."""
    yield
    for cached in (wordfreq.get_frequency_list, wordfreq.get_frequency_dict, wordfreq.top_n_list):
        cached.cache_clear()
    wordfreq._wf_cache.clear()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_frequencies_are_wordfreqs(lang: str) -> None:
    """A sample of every list's words from head to tail, and words it does not list, incl. other
    languages' common words and case variants."""
    listed = wordfreq.get_frequency_dict(lang, "small")
    table = frequency_table(lang)
    sample = random.Random(lang).sample(sorted(listed), 2000)
    assert [table.frequency(w) for w in sample] == [listed[w] for w in sample]
    others = [w for other in LANGUAGES for w in top_words(other, 200)]
    # "来" and "eg" share Python's str hash (same internal bytes), which the table must not use.
    unlisted = ["qzxwv", "Government", "THE", "", "notaword123", "来", "数", *others]
    assert [table.frequency(w) for w in unlisted] == [listed.get(w, 0.0) for w in unlisted]


def test_a_word_listed_twice_keeps_its_last_frequency_as_wordfreqs_dict_does() -> None:
    table = FrequencyTable([["a"], [], ["b", "a"]])
    assert table.frequency("a") == wordfreq.cB_to_freq(-2)
    assert table.frequency("b") == wordfreq.cB_to_freq(-2)
    assert table.frequency("c") == 0.0


NUMBERS = [
    "2024", "1999", "1066", "2150", "7.8", "1800", "3.5", "0.5", "1980's", "1990s", "5pm", "10th", "3.a",
    "1.the", "100m", "007", "1,000", "٣٤", "²", "12345678901234", "9.11", "24/7", "the", "qzxwv", "",
]  # fmt: skip


def test_numbers_are_valued_as_wordfreq_values_them() -> None:
    rng = random.Random(4)
    numbers = NUMBERS + [str(rng.randrange(10 ** rng.randrange(1, 12))) for _ in range(500)]
    numbers += [f"{rng.randrange(100)}.{rng.randrange(100)}" for _ in range(200)]
    assert [english_zipf(n) for n in numbers] == [wordfreq.zipf_frequency(n, "en") for n in numbers]


# Languages py3langid names that wordfreq lacks: some get a near language's list, some none.
@pytest.mark.parametrize("lang", [*LANGUAGES, "lb", "wuu", "tg", "la", "sn", "pcm", "am", "zxx", "xx"])
def test_stop_words_are_wordfreqs_top_words(lang: str) -> None:
    try:
        expected = wordfreq.top_n_list(lang, STOP_WORDS_PER_LANGUAGE)
    except LookupError:
        expected = []
    assert top_words(lang, STOP_WORDS_PER_LANGUAGE) == expected


def test_tables_are_small_and_reading_a_list_holds_little_of_it() -> None:
    """English's large list is 321,000 words: 34 MB in wordfreq's list and dict, 3.2 MB as a table. Stop
    words read only the head of a list, however large."""
    path = _list_file("en", "best")
    tracemalloc.start()
    try:
        table = FrequencyTable(_buckets(path))
        kept, peak = tracemalloc.get_traced_memory()
        assert kept < 4_000_000 and peak < 25_000_000
        tracemalloc.reset_peak()
        assert len(top_words("ru", STOP_WORDS_PER_LANGUAGE)) == STOP_WORDS_PER_LANGUAGE
        assert tracemalloc.get_traced_memory()[1] - kept < 4_000_000
    finally:
        tracemalloc.stop()
    assert table.frequency("the") == wordfreq.get_frequency_dict("en", "best")["the"]
