"""Word frequencies and stop words from wordfreq's lists, read once per language and kept small.

wordfreq keeps every list it reads for the life of the process (its readers are `lru_cache`s without a
bound), as Python strings plus a dict of them: 2-6 MB per language for the small lists the IDF prior
reads (`workers.terms`), and 20-85 MB per language for the large lists that `top_n_list` reads whole to
return a language's 100 stop words (`workers.blocks`), and for English's large list that values numbers.
A worker grew from 130 MB to 790 MB over 12,000 articles, by tens of MB with each new language it met.
Here a list is streamed from its file one frequency bucket at a time and only what the product needs is
kept: the top words (read up to them, not beyond), or a table of word hashes and frequency buckets at 10
bytes per word (0.3-0.6 MB per small list, 3.2 MB for English's large list). The values are wordfreq's
own, to the last bit (tests/test_wordlists.py).
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice

import langcodes
import msgpack
import numpy as np
import wordfreq
from wordfreq.numbers import digit_freq, has_digit_sequence, smash_numbers

# wordfreq's floor for a word it does not know: Zipf 0, once per billion words (zipf_frequency's default).
_MIN_FREQUENCY = wordfreq.zipf_to_freq(0.0)


def _list_file(lang: str, wordlist: str) -> str:
    """The file of wordfreq's `wordlist` for `lang`, or for the nearest language it has a list for, chosen
    as wordfreq's `get_frequency_list` chooses it; LookupError if none is near."""
    available = wordfreq.available_languages(wordlist)
    best, _distance = langcodes.closest_match(lang, list(available), max_distance=60)
    if best == "und":
        raise LookupError(f"No wordlist {wordlist!r} available for language {lang!r}")
    return available[best]


def _buckets(path: str) -> Iterator[list[str]]:
    """The buckets of a wordfreq list file (bucket i holds the words of frequency 10**(-i/100)), streamed:
    the file is a gzipped msgpack array of a header and the buckets, which wordfreq's `read_cBpack` reads
    whole."""
    with gzip.open(path, "rb") as infile:
        unpacker = msgpack.Unpacker(infile, raw=False)
        unpacker.read_array_header()
        header = unpacker.unpack()
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"Unexpected header in {path}: {header!r}")
        yield from unpacker


def _key(word: str) -> int:
    """A word's 64-bit hash: Python's hash of its UTF-8 bytes.

    Not Python's hash of the string: that hashes the string's internal bytes, one to four per character
    depending on its widest character, so "eg" collides with "来" (U+6765) in every process. Python salts
    hashes per process, which is harmless since a table only lives in the process that built it.
    """
    return hash(word.encode("utf-8", "surrogatepass"))


class FrequencyTable:
    """One wordfreq list as word -> frequency, in 10 bytes per word instead of wordfreq's ~200.

    Words are kept as 64-bit hashes, sorted, beside their bucket numbers (`_key`); that a word absent
    from the list shares its hash with one of the list's at most 10**6 words has odds below 10**-13.
    """

    def __init__(self, buckets: Iterable[list[str]]) -> None:
        chunks = [np.fromiter(map(_key, bucket), np.int64, len(bucket)) for bucket in buckets]
        hashes = np.concatenate(chunks)
        numbers = np.repeat(np.arange(len(chunks), dtype=np.uint16), [len(chunk) for chunk in chunks])
        # A word listed twice keeps its last (least frequent) bucket, as wordfreq's dict does.
        self._hashes, last = np.unique(hashes[::-1], return_index=True)
        self._buckets = numbers[::-1][last]

    def frequency(self, word: str) -> float:
        """The frequency wordfreq's `get_frequency_dict` gives `word`; 0.0 if it is not listed."""
        key = _key(word)
        i = int(np.searchsorted(self._hashes, key))
        if i < len(self._hashes) and self._hashes[i] == key:
            return wordfreq.cB_to_freq(-int(self._buckets[i]))
        return 0.0


@cache
def frequency_table(lang: str, wordlist: str = "small") -> FrequencyTable:
    """The table of wordfreq's `wordlist` for `lang` (or the nearest language it has), built on first use.

    At most one per language wordfreq has (42) and list asked for, each 0.3-3.2 MB.
    """
    return FrequencyTable(_buckets(_list_file(lang, wordlist)))


def english_zipf(word: str) -> float:
    """wordfreq.zipf_frequency(word, "en"): Zipf value from English's large list, 0.0 if unknown.

    Unlike a plain look-up, wordfreq tokenises the word and models digit sequences (a year near now is
    common, a long number rare), which is how numbers in any language are valued. This is that
    computation (wordfreq's `_word_frequency` for a language without the Chinese segmenter) on the
    compact table.
    """
    table = frequency_table("en", "best")
    inverse_sum = 0.0
    for token in wordfreq.lossy_tokenize(word, "en"):
        smashed = smash_numbers(token)
        freq = table.frequency(smashed)
        if not freq:
            return 0.0
        if smashed != token:
            freq *= digit_freq(token)
        inverse_sum += 1.0 / freq
    if not inverse_sum:
        return 0.0
    freq = max(1.0 / inverse_sum, _MIN_FREQUENCY)
    # wordfreq keeps 3 significant digits of a frequency, then 2 decimals of its Zipf value.
    freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
    return round(wordfreq.freq_to_zipf(freq), 2)


def top_words(lang: str, n: int) -> list[str]:
    """wordfreq.top_n_list(lang, n): the `n` most frequent words of the best list nearest `lang`
    (Luxembourgish gets German's), digit sequences left out; empty if wordfreq has none near.

    Reads the list's file up to those words (a few ms): cache the result rather than call it per page.
    """
    try:
        path = _list_file(lang, "best")
    except LookupError:
        return []
    return list(islice((w for bucket in _buckets(path) for w in bucket if not has_digit_sequence(w)), n))
