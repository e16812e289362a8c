"""Salient terms: the sparse vector that represents an article for story clustering.

Different outlets' write-ups of one event share few word n-grams but many *salient terms*: names, places,
numbers and rare words. An article is represented by its top-K terms weighted by TF x IDF and
L2-normalised, so that the cosine of two vectors is their similarity.

The IDF starts from wordfreq's frequency list for the article's language, so it needs no warm-up: a word
seen 10**z times per billion words (Zipf value z) appears in a document of ~DOC_LENGTH words with
probability q = DOC_LENGTH * 10**(z - 9), and idf = -ln q. Counts kept as articles arrive refine it for
the words wordfreq lists (`refine_idf`; common words and well-known names): a word the news is full of
right now ("ceasefire" in a war, "gaza" that month) weighs less than its everyday frequency says. Rare
names and words wordfreq does not list keep the prior: their prior is so small that the few articles of
their own story would swamp it, and refining them too halved the weight of every story's own names
(wikinews-dev story ARI 0.51, against 0.54 with listed words only and 0.54 with no counts at all).

Tokenisation is language-agnostic: Unicode letter runs, digit groups, and character bigrams for scripts
written without spaces (Chinese, Japanese, Thai...). No word list is English-only: stop words are simply
the words wordfreq finds very common in the article's language, and a language wordfreq lacks gets a flat
prior.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Mapping
from itertools import repeat
from operator import mul
from typing import TypeVar

import wordfreq

from workers.language import identify
from workers.wordlists import english_zipf, frequency_table

# Top-K terms kept per article (more is better up to about 60, where it levels off); a cluster centroid
# keeps `workers.store.CENTROID_TERMS`.
MAX_TERMS = 60
# Added to the log-TF of a body term that also occurs in the title: headlines name what the story is about.
TITLE_WEIGHT = 1.0
# Weight of the wordfreq prior against the stream's counts, in articles: the refined document frequency is
# (count + PRIOR_ARTICLES * q) / (articles counted + PRIOR_ARTICLES), so counts take over only once they
# come from many more articles than this.
PRIOR_ARTICLES = 1000
# Words at or above this Zipf value (about 1 in 30,000 words) are stop words in any language.
STOP_ZIPF = 5.5
# Words missing from wordfreq's small list (which stops at Zipf 3) get this value: rare, but not so rare
# that a one-off typo outranks a name the article repeats.
UNKNOWN_ZIPF = 1.0
# Prior Zipf value for every word of a language wordfreq has no list for: flat, the counts do the work.
NO_LIST_ZIPF = 3.0
# Typical article length in words, to turn a word frequency into a document frequency.
DOC_LENGTH = 500
# Characters sampled for language detection: enough for py3langid to be reliable, cheap to classify.
LANG_SAMPLE_CHARS = 400

# Apostrophe look-alikes, read as the ASCII apostrophe that wordfreq's lists use ("it’s" is "it's").
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
# Punctuation stripped from the ends of whitespace-separated tokens (the fast path).
_EDGE_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»„‚‹›–—―…·•¡¿、。，：；！？（）「」『』【】《》"
# The slow path, for tokens with punctuation inside: words with inner apostrophes or dots (don't, u.s, 3.5).
_TOKEN_RE = re.compile(r"[^\W_]+(?:['.][^\W_]+)*")
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, CJK ideographs.
_NO_SPACE_RE = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+"
)
_WORDFREQ_LANGS = frozenset(wordfreq.available_languages())
_STOP = -1.0
# Per language: raw whitespace token -> its terms, and term -> prior IDF (-ln q, or _STOP). Each is
# bounded by clearing it when full: a worker's articles keep reusing the same words, and a full token
# cache (~20 MB with its priors) misses ~29 tokens per article, against 20 at twice the size and 52 at
# half (bench corpus, 12,000 articles). Only the languages of the last _CACHE_LANGUAGES articles keep
# theirs: a stream's languages come and go, and a cache per language ever seen would grow with each
# (py3langid tells over a hundred apart).
_TOKEN_CACHE: dict[str, dict[str, tuple[str, ...]]] = {}
_PRIOR_CACHE: dict[str, dict[str, float]] = {}
_CACHE_LIMIT = 100_000
_CACHE_LANGUAGES = 4
_V = TypeVar("_V")


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`'s language, classifying a sample from its middle.

    py3langid costs ~0.6 µs per character, so a whole article would cost milliseconds; the middle of the
    body is the part least likely to be a headline, a byline or leftover page chrome.
    """
    start = max(0, len(text) // 2 - LANG_SAMPLE_CHARS // 2)
    return identify(text[start : start + LANG_SAMPLE_CHARS])


def zipf(term: str, lang: str) -> float:
    """Zipf frequency of a lower-case `term` in `lang` (UNKNOWN_ZIPF if unseen, NO_LIST_ZIPF if no list).

    Looks the word up in wordfreq's small list (words of Zipf >= 3; 10 ms and 0.3-0.6 MB to load per
    language, `workers.wordlists`) directly, which also works for Chinese and Japanese without their
    optional segmenters. Numbers are valued as wordfreq values them in English (`english_zipf`: years
    near now are common, long numbers rare) whatever the language.
    """
    if term[0].isdigit():
        return english_zipf(term) or UNKNOWN_ZIPF
    if lang not in _WORDFREQ_LANGS:
        return NO_LIST_ZIPF
    freq = frequency_table(lang).frequency(term)
    return wordfreq.freq_to_zipf(freq) if freq else UNKNOWN_ZIPF


def _zipf_idf(z: float) -> float:
    """-ln q for a word of Zipf value z (see `prior_idf`), at least 0."""
    return max(0.0, -math.log(DOC_LENGTH * 10.0 ** (z - 9.0)))


# The prior IDF of a word wordfreq does not list; no listed word's IDF comes near it (their Zipf values
# are at least 3).
_UNKNOWN_IDF = _zipf_idf(UNKNOWN_ZIPF)


def prior_idf(term: str, lang: str) -> float:
    """-ln q for the prior probability q that a document contains `term`; _STOP for stop words.

    A word of Zipf value z appears in a document of DOC_LENGTH words with probability about
    DOC_LENGTH * 10**(z - 9). One-letter words and words of Zipf >= STOP_ZIPF carry no story.
    """
    cache = _language_cache(_PRIOR_CACHE, lang)
    value = cache.get(term)
    if value is None:
        z = zipf(term, lang)
        stop = z >= STOP_ZIPF or (len(term) < 2 and not _NO_SPACE_RE.match(term))
        value = _STOP if stop else _zipf_idf(z)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[term] = value
    return value


def _language_cache(caches: dict[str, dict[str, _V]], lang: str) -> dict[str, _V]:
    """`lang`'s cache in `caches`, made the most recent; the least recently used beyond _CACHE_LANGUAGES
    is dropped."""
    cache = caches.pop(lang, None)
    caches[lang] = cache = {} if cache is None else cache
    if len(caches) > _CACHE_LANGUAGES:
        del caches[next(iter(caches))]
    return cache


def split_token(raw: str) -> tuple[str, ...]:
    """The terms of one lower-cased whitespace-separated token.

    Runs of a script without spaces become overlapping character bigrams, the usual unit for such
    scripts when no word segmenter is at hand. Typographic apostrophes become ASCII ones (translate()
    copies even a string it leaves alone, so an ASCII token skips it and its term, cached with it, is the
    same string).
    """
    word = (raw if raw.isascii() else raw.translate(_APOSTROPHES)).strip(_EDGE_PUNCT)
    if word[:1].isdigit():
        word = word.replace(",", "")  # 1,000 and 1000 are one number
    parts = [word] if word.isalnum() else _TOKEN_RE.findall(word)
    out: list[str] = []
    for part in parts:
        if len(part) > 1 and part[0] >= "\u0e00" and _NO_SPACE_RE.fullmatch(part):
            out.extend(part[i : i + 2] for i in range(len(part) - 1))
        elif part:
            out.append(part)
    return tuple(out)


def token_terms(raw: str, lang: str) -> tuple[str, ...]:
    """The terms of one lower-cased whitespace-separated token that are not stop words.

    A word with an apostrophe that wordfreq does not know ("penrose's", "d'israël", "l'assemblée") is
    read as its parts, so that it counts as the name it inflects instead of as a unique, maximally rare
    word; one wordfreq knows ("it's", "don't", "o'brien") stays whole and is judged as such.
    """
    out: list[str] = []
    for term in split_token(raw):
        if "'" in term and zipf(term, lang) == UNKNOWN_ZIPF:
            out.extend(part for part in term.split("'") if part and prior_idf(part, lang) != _STOP)
        elif prior_idf(term, lang) != _STOP:
            out.append(term)
    return tuple(out)


def count_terms(text: str, lang: str) -> dict[str, int]:
    """Term frequencies of `text`, stop words left out.

    Splitting on whitespace and counting with Counter run at C speed; the Python work (punctuation,
    bigrams, prior look-up) is done once per distinct raw token and cached, so an article costs little
    more than one dictionary look-up per distinct token.
    """
    cache = _language_cache(_TOKEN_CACHE, lang)
    counts: dict[str, int] = {}
    for raw, n in Counter(text.lower().split()).items():
        found = cache.get(raw)
        if found is None:
            found = token_terms(raw, lang)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[raw] = found
        for term in found:
            counts[term] = counts.get(term, 0) + n
    return counts


class SalientTerms(dict[str, float]):
    """An article's terms, term -> weight (a plain dict to every reader), and the prior IDF of those that
    wordfreq lists: the terms whose IDF the stream's counts may refine (`refine_idf`)."""

    def __init__(self, weights: Mapping[str, float], listed: Mapping[str, float]) -> None:
        super().__init__(weights)
        self.listed = dict(listed)


def salient_terms(
    body: str,
    title: str | None = None,
    *,
    lang: str | None = None,
    max_terms: int = MAX_TERMS,
    title_weight: float = TITLE_WEIGHT,
) -> SalientTerms:
    """Return the article's top `max_terms` terms, term -> weight, L2-normalised (empty if none).

    Weight = (1 + ln tf, + title_weight if the term is also in the title) x idf, the idf from the wordfreq
    prior (module docstring). Only terms of the body gain from the title: a headline's terms reappear in its
    article, while a wrong "title" (a page's other headline or a share bar, picked up with the chrome) names
    nothing the body is about; counting title-only terms glued articles wrapped in the same chrome together
    (syndication-dev story ARI 0.48, against 0.515 without them). `lang` is detected from the body if absent.
    `.listed` holds the prior IDF of the terms that `refine_idf` may refine.
    """
    lang = lang or detect_language(body)
    tf_weight = {t: 1.0 + math.log(n) for t, n in count_terms(body, lang).items()}
    if title:
        for t in count_terms(title, lang).keys() & tf_weight.keys():
            tf_weight[t] += title_weight
    prior = _PRIOR_CACHE.get(lang, {})
    # get() falls back to the slow path only if the prior cache was cleared since count_terms filled it
    weighted = [(w * (prior.get(t) or prior_idf(t, lang)), t) for t, w in tf_weight.items()]
    top = [(w, t) for w, t in heapq.nlargest(max_terms, weighted) if w > 0]
    norm = math.sqrt(sum(w * w for w, _ in top))
    idfs = ((t, prior_idf(t, lang)) for _, t in top)
    listed = {t: idf for t, idf in idfs if _is_listed(t, lang, idf)}
    return SalientTerms({t: w / norm for w, t in top}, listed)


def _is_listed(term: str, lang: str, idf: float) -> bool:
    """A word wordfreq lists for `lang` (Zipf >= 3), told by its prior `idf` without a second look-up in
    the list; numbers, rare names and rare words are not."""
    return lang in _WORDFREQ_LANGS and not term[0].isdigit() and idf != _UNKNOWN_IDF


def refine_idf(vector: SalientTerms, counts: Mapping[str, int], articles: int) -> dict[str, float]:
    """`vector` with each listed word's IDF lowered to what the stream's counts say, re-normalised.

    counts: term -> articles counted so far that had it among their listed words; articles: how many were
    counted. The prior acts as PRIOR_ARTICLES articles of evidence, so a young stream keeps the prior
    and a word lighter than the prior only once many articles have shown it common. Counts only ever lower
    an IDF: only articles' top terms are counted, so a word rarely among them is under-counted.
    """
    weights = dict(vector)
    for term, prior in vector.listed.items():
        share = (counts.get(term, 0) + PRIOR_ARTICLES * math.exp(-prior)) / (articles + PRIOR_ARTICLES)
        refined = max(0.0, -math.log(share))
        if refined < prior:
            weights[term] *= refined / prior
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items() if w > 0}


def cluster_score(vector: Mapping[str, float], centroid: Mapping[str, float], members: int) -> float:
    """Similarity of an article to a cluster: dot(vector, centroid) / members.

    With the centroid the sum of the members' unit vectors this is the mean cosine to the members
    (exactly, up to the terms the cap dropped). Plain cosine to the centroid divides instead by the
    centroid's length, which is short for a cluster of loosely related articles, so a broad topic cluster
    ("Gaza", "the US election") scored up to twice its members' mean similarity and swallowed every new
    event of its topic: on wikinews-dev, ARI 0.42 with cosine against 0.53 with this. Summed with map
    rather than a generator: a quarter faster, and an article is scored against up to 32 clusters.
    """
    return sum(map(mul, vector.values(), map(centroid.get, vector, repeat(0.0)))) / members


def add_to_centroid(centroid: Mapping[str, float], vector: Mapping[str, float]) -> dict[str, float]:
    """Return centroid + vector: a cluster's centroid with one more article in it, to score against before
    the article's placement is committed (`workers.cluster.clusters_to_fold`).

    The centroid is a plain sum of member vectors (cosine ignores its length). The store caps the centroid
    it keeps to its heaviest terms (`workers.store.CENTROID_TERMS`), after a join and a merge alike, so that
    a big cluster's record stays small and its rare one-off terms do not dilute the terms the members
    share. This sum is not capped: the stored centroid it starts from is, so it scores the cluster as it
    will stand with the article but for the few terms the store then drops (up to 60 more than the cap).
    """
    total = dict(centroid)
    for term, weight in vector.items():
        total[term] = total.get(term, 0.0) + weight
    return total
