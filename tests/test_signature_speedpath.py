"""The fast signature path (numpy shingle hashing + rensa MinHash) against the reference definitions.

`workers.signature.shingles` defines the shingles and datasketch is the reference MinHash: the fast path
must hash exactly those shingles, and its Jaccard estimates must agree with datasketch's on the same
shingle sets within the sampling error of a 128-permutation MinHash (sd = sqrt(J(1-J)/128)).
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
from datasketch import MinHash

from workers import signature
from workers.settings import Settings
from workers.signature import Signature, jaccard, shingle_hashes, shingles, sign

NUM_PERM = 128
SIZE = 3

TRICKY = [
    "",
    "   ...  ---  ",
    "one",
    "two words",
    "exactly three words",
    "Ünïcödé wörds, ÇA VA? İstanbul'da ŞİŞLİ; straße STRASSE",
    "snake_case_words and __dunder__ names, 3.14 and 1,000,000 — em dash “quotes” ‘single’",
    "中文没有空格也能分词吗 日本語のテキスト 한국어 텍스트 ไทย",
    "emoji 😀 between 🚀 words and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters 𝟙𝟚𝟛",
    "zero\u200bwidth\u00a0nbsp\ttab\nnewline\r\ncrlf\x00nul",
    "lone \ud800 surrogate \udfff here",
    "a a a a a a a a a a a a",  # one shingle repeated
]


def _vocabulary(rng: random.Random, n: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzéüß"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(n)]


def _text(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def _edit(rng: random.Random, text: str, words: list[str], share: float) -> str:
    """Replace a share of the words: the lower the share kept, the lower the shingle Jaccard."""
    return " ".join(rng.choice(words) if rng.random() < share else w for w in text.split())


def test_word_characters_are_exactly_what_the_regex_calls_word_characters() -> None:
    everything = "".join(map(chr, range(0x110000)))
    marks = re.sub(r"\w", "\x01", re.sub(r"\W", "\x00", everything))
    expected = np.frombuffer(marks.encode("latin-1"), dtype=np.uint8).astype(bool)
    assert np.array_equal(signature._word_chars(), expected)


def test_the_fast_path_hashes_exactly_the_reference_shingles() -> None:
    rng = random.Random(1)
    words = _vocabulary(rng)
    texts = [*TRICKY, *(_text(rng, words, rng.randint(1, 400)) for _ in range(40))]
    texts += [_edit(rng, t, words, 0.3) for t in texts[-40:]]
    texts += ["", "the same words", "the same words", "...", ""]  # repeats, and no words at the end
    for size in (1, 3, 5):
        hashed = shingle_hashes(texts, size)
        reference = [shingles(t, size) for t in texts]
        # a function of the shingle alone: equal shingles hash equal, distinct ones (almost surely) not
        assert [len(h) for h in hashed] == [len(r) for r in reference]
        for i in range(len(texts) - 1):
            common = len(np.intersect1d(hashed[i], hashed[i + 1]))
            assert common == len(reference[i] & reference[i + 1])


def test_chunking_does_not_change_the_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(2)
    words = _vocabulary(rng)
    texts = [_text(rng, words, rng.randint(0, 300)) for _ in range(30)]
    whole = sign(texts, NUM_PERM, SIZE, 1)
    monkeypatch.setattr(signature, "_CHUNK_CODE_POINTS", 500)
    chunked = sign(texts, NUM_PERM, SIZE, 1)
    one_by_one = [sign([t], NUM_PERM, SIZE, 1)[0] for t in texts]
    for a, b, c in zip(whole, chunked, one_by_one, strict=True):
        assert a.n_shingles == b.n_shingles == c.n_shingles
        assert np.array_equal(a.values, b.values) and np.array_equal(a.values, c.values)


def test_signatures_are_stable_across_processes_and_releases() -> None:
    """Stored signatures are compared with new ones for the life of an index: pin a few values, so that a
    change of hashing or of rensa's permutations fails here rather than silently splitting copies."""
    (sig,) = sign(["The quick brown fox jumps over the lazy dog"], NUM_PERM, SIZE, 1)
    assert sig.n_shingles == 7
    assert sig.values[:4].tolist() == [64579, 38429, 45664, 42077]  # low 16 bits of rensa's values
    # the index records the scheme (then its key layout), so that an index signed otherwise is refused
    assert Settings().index_params()["scheme"].split(";")[0] == signature.SCHEME


def test_jaccard_estimates_agree_with_datasketch_within_sampling_error() -> None:
    rng = random.Random(3)
    words = _vocabulary(rng)
    pairs = []
    for i in range(240):
        base = _text(rng, words, 250)
        pairs.append((base, _edit(rng, base, words, share=0.02 + 0.5 * (i % 12) / 12)))
    texts = [t for pair in pairs for t in pair]
    fast = sign(texts, NUM_PERM, SIZE, 1)
    sets = [shingles(t, SIZE) for t in texts]
    slow = MinHash.bulk([list(s) for s in sets], num_perm=NUM_PERM, seed=1)

    fast_err, slow_err, z_fast = [], [], []
    bands_fast = bands_slow = bands_expected = 0.0
    for k in range(len(pairs)):
        a, b = 2 * k, 2 * k + 1
        true = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
        est_fast = jaccard(fast[a], fast[b])
        est_slow = slow[a].jaccard(slow[b])
        sd = math.sqrt(max(true * (1 - true), 1e-4) / NUM_PERM)
        assert abs(est_fast - est_slow) <= 5 * math.sqrt(2) * sd, (true, est_fast, est_slow)
        fast_err.append(est_fast - true)
        slow_err.append(est_slow - true)
        z_fast.append((est_fast - true) / sd)
        # LSH: the share of 32 bands of 4 rows that collide must follow J**4 as well
        bands_fast += (fast[a].values.reshape(32, -1) == fast[b].values.reshape(32, -1)).all(axis=1).sum()
        bands_slow += (slow[a].hashvalues.reshape(32, -1) == slow[b].hashvalues.reshape(32, -1)).all(1).sum()
        bands_expected += 32 * true**4
    # unbiased, like datasketch: the mean error over 240 pairs is within a few standard errors of zero
    assert abs(np.mean(z_fast)) < 4 / math.sqrt(len(pairs))
    # no noisier than a true MinHash. (rensa's estimates come out ~20 % less noisy than datasketch's:
    # its permutations' agreements are slightly negatively correlated, -0.003 on average, measured.)
    assert np.std(z_fast) < 1.25
    assert np.std(fast_err) / np.std(slow_err) < 1.25
    # candidate pairs from LSH: ~700 colliding bands expected here; 4 standard deviations is ~15 %
    assert abs(bands_fast - bands_expected) < 0.15 * bands_expected
    assert abs(bands_fast - bands_slow) < 0.15 * bands_expected


def test_estimates_feed_containment_as_before() -> None:
    rng = random.Random(4)
    words = _vocabulary(rng)
    text = _text(rng, words, 600)
    original, abridged, other = sign([text, text[: len(text) // 2], _text(rng, words, 600)], 128, 3, 1)
    assert isinstance(original, Signature)
    assert jaccard(original, original) == 1.0
    assert signature.containment(original, abridged) > 0.85
    assert signature.containment(original, other) < 0.1
