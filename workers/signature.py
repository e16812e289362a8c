"""Near-duplicate signatures: word shingles of the clean body, MinHash, and the LSH band keys.

Speed. Signing runs once per article on the worker's critical path, and the obvious way (a Python set of
shingle strings fed to datasketch) costs ~2 ms per 5 KB article: ~0.6 ms to cut and join the shingles in
Python and ~1.5 ms for datasketch to SHA-1 each one and permute it in numpy. Here instead:

1. tokenising and shingle hashing are array operations over the whole job's text at once (numpy): the
   texts become one array of code points, a lookup table marks the word characters (exactly the
   characters `re`'s ``\\w`` matches, so the words are those of `shingles`), each word gets a polynomial
   hash of its code points, and each run of `size` words one 64-bit shingle hash;
2. the MinHash itself is `rensa`'s RMinHash (Rust) over those pre-hashed shingles: 128 multiply-shift
   permutations of each 64-bit hash, minimum per permutation, 32-bit values.

Together ~0.1-0.2 ms per article. datasketch stays the reference: tests/test_signature_speedpath.py checks
that the Jaccard estimates of this path agree with datasketch's on the same shingle sets within sampling
error, and that the shingles hashed are exactly those of `shingles`. A signature depends on this scheme,
so `workers.settings.Settings.index_params` names it and an index built with another is refused.

Only the low 16 bits of each MinHash value are kept (b-bit minwise hashing): two different values then
agree by chance with probability 2^-16, which moves a Jaccard estimate by at most (1 - J) * 1.5e-5, and
a signature costs 2 bytes per permutation in Redis instead of 4 (measured: the near-duplicate figures of
bench.clustering on the syndication dev set do not move). Signatures are stored packed (uint16 values,
little-endian, after the shingle count), and verification is a vectorised comparison.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import rensa

_WORD = re.compile(r"\w+", re.UNICODE)
_UNICODE_SIZE = 0x110000
# Texts are hashed in chunks of at most this many code points (or one longer text alone), so that a job
# of long pages needs a bounded scratch space (8 bytes per code point, a handful of arrays).
_CHUNK_CODE_POINTS = 500_000
# Odd 64-bit constants (from the splitmix64 / murmur3 finalisers): the polynomial bases for words and
# shingles. Arithmetic is modulo 2**64 (numpy's unsigned overflow).
_CHAR_BASE = np.uint64(0x9E3779B97F4A7C15)
_WORD_BASE = np.uint64(0xBF58476D1CE4E5B9)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)

# The scheme string recorded with the index (workers.settings.index_params, which spells it out; a test
# checks that the two agree): tokenisation, hashing and the MinHash family, with rensa's own algorithm
# version, so that a rensa release that changes its permutations fails the tests (which also pin a few
# values) instead of silently splitting copies against an index built with the old one.
SCHEME = f"word-shingles-u64poly/rensa-rminhash-v{rensa.RMinHash.ALGORITHM_VERSION}/b16"


@dataclass(frozen=True)
class Signature:
    """A MinHash over an article's shingle set, with the set's size (needed for containment)."""

    values: np.ndarray  # uint16 (the low 16 bits of each MinHash value), num_perm long
    n_shingles: int

    def pack(self) -> bytes:
        return self.n_shingles.to_bytes(4, "little") + self.values.astype("<u2").tobytes()

    @classmethod
    def unpack(cls, blob: bytes) -> Signature:
        return cls(np.frombuffer(blob, dtype="<u2", offset=4), int.from_bytes(blob[:4], "little"))


def shingles(text: str, size: int) -> set[bytes]:
    """Lower-cased word n-grams: short enough that a few edited words spoil few of them.

    The reference definition: `sign` hashes exactly these shingles (one 64-bit hash each) without
    building them as strings.
    """
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


@cache
def _word_chars() -> np.ndarray:
    """Which code points `re`'s ``\\w`` matches in a str pattern: str.isalnum() and the underscore.

    Built once per process (~0.3 s); tests check it against the regex over every code point.
    """
    return np.fromiter(
        (chr(c).isalnum() or c == 0x5F for c in range(_UNICODE_SIZE)), dtype=bool, count=_UNICODE_SIZE
    )


_POWERS = np.ones(1, dtype=np.uint64)
_INVERSE_POWERS = np.ones(1, dtype=np.uint64)


def _power_table(base: int, n: int) -> np.ndarray:
    steps = np.full(n, base, dtype=np.uint64)
    steps[0] = 1
    return np.cumprod(steps, dtype=np.uint64)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """_CHAR_BASE ** i and _CHAR_BASE ** -i modulo 2**64 for i < n (an odd number has an inverse modulo
    2**64). Tables for one chunk are built once and kept (16 bytes per code point, 8 MB); a single text
    longer than a chunk gets tables of its own, not kept, so that the worker's memory stays flat."""
    global _POWERS, _INVERSE_POWERS
    inverse = pow(int(_CHAR_BASE), -1, 2**64)
    if n > _CHUNK_CODE_POINTS + 1:
        return _power_table(int(_CHAR_BASE), n), _power_table(inverse, n)
    if len(_POWERS) < n:
        _POWERS = _power_table(int(_CHAR_BASE), _CHUNK_CODE_POINTS + 1)
        _INVERSE_POWERS = _power_table(inverse, _CHUNK_CODE_POINTS + 1)
    return _POWERS, _INVERSE_POWERS


def _mix(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser: spreads every input bit over the whole hash (multiply-shift
    permutations, as rensa uses, need well-mixed inputs)."""
    h = h ^ (h >> _S33)
    h = h * _M1
    h = h ^ (h >> _S33)
    h = h * _M2
    return h ^ (h >> _S33)


def _chunk_shingle_hashes(texts: list[str], size: int) -> tuple[np.ndarray, list[int]]:
    """Distinct 64-bit shingle hashes of each text, sorted, end to end; and where each text's start."""
    lowered = [t.lower() for t in texts]
    # NUL is not a word character, so no word runs from one text into the next.
    joined = "\x00".join(lowered) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    doc_starts = np.zeros(len(lowered), dtype=np.int64)
    np.cumsum([len(t) + 1 for t in lowered[:-1]], out=doc_starts[1:])

    edges = np.diff(_word_chars()[cp].view(np.int8), prepend=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # the text ends in NUL, so every word has an end
    n_words = len(starts)

    # Word hash: sum of code point * base**(offset in word), from prefix sums over the whole chunk
    # (sum over [s, e) of cp[j] * base**j, times base**-s), then mixed with the word's length.
    powers, inverse = _powers(len(cp))
    prefix = np.zeros(len(cp) + 1, dtype=np.uint64)
    np.cumsum(np.multiply(cp, powers[: len(cp)], dtype=np.uint64), out=prefix[1:])
    words = (prefix[ends] - prefix[starts]) * inverse[starts]
    words = _mix(words ^ (ends - starts).astype(np.uint64))

    # Shingle i = the `size` words from word i on, as a polynomial in the word hashes, mixed.
    full = np.empty(0, dtype=np.uint64)
    if n_words >= size:
        full = words[: n_words - size + 1].copy()
        for j in range(1, size):
            full = full * _WORD_BASE + words[j : n_words - size + 1 + j]
        full = _mix(full ^ np.uint64(size))
    bounds = [*np.searchsorted(starts, doc_starts).tolist(), n_words]
    pieces = []
    for d in range(len(texts)):
        a, b = bounds[d], bounds[d + 1]
        if b - a >= size:
            pieces.append(full[a : b - size + 1])
        elif b > a:  # fewer words than a shingle: the whole text is its one shingle
            acc = words[a : a + 1].copy()
            for j in range(a + 1, b):
                acc = acc * _WORD_BASE + words[j]
            pieces.append(_mix(acc ^ np.uint64(b - a)))
        else:
            pieces.append(full[:0])
    flat = np.concatenate(pieces)
    offsets = [0, *np.cumsum([len(p) for p in pieces]).tolist()]

    # Distinct per text: sort each text's run in place, then drop repeats (not across a text's start).
    for a, b in itertools.pairwise(offsets):
        flat[a:b].sort()
    keep = np.ones(len(flat), dtype=bool)
    keep[1:] = flat[1:] != flat[:-1]
    starts = np.array(offsets[:-1], dtype=np.int64)
    keep[starts[starts < len(flat)]] = True  # a text without shingles starts where the next one does
    kept = np.concatenate(([0], np.cumsum(keep)))
    return flat[keep], kept[offsets].tolist()


def _flat_shingle_hashes(texts: list[str], size: int) -> tuple[np.ndarray, list[int]]:
    """`_chunk_shingle_hashes` over texts of any total length, in chunks of at most _CHUNK_CODE_POINTS
    code points (or one longer text alone), so that scratch memory stays bounded."""
    flats: list[np.ndarray] = []
    offsets = [0]

    def flush(chunk: list[str]) -> None:
        flat, starts = _chunk_shingle_hashes(chunk, size)
        flats.append(flat)
        base = offsets[-1]
        offsets.extend(base + start for start in starts[1:])

    chunk: list[str] = []
    length = 0
    for text in texts:
        if chunk and length + len(text) + 1 > _CHUNK_CODE_POINTS:
            flush(chunk)
            chunk, length = [], 0
        chunk.append(text)
        length += len(text) + 1
    if chunk:
        flush(chunk)
    return (np.concatenate(flats) if flats else np.empty(0, dtype=np.uint64)), offsets


def shingle_hashes(texts: list[str], size: int) -> list[np.ndarray]:
    """Each text's shingles (as in `shingles`) as sorted distinct 64-bit hashes, computed with array
    operations over many texts at once."""
    flat, offsets = _flat_shingle_hashes(texts, size)
    return [flat[a:b] for a, b in itertools.pairwise(offsets)]


def sign(texts: list[str], num_perm: int, shingle_size: int, seed: int) -> list[Signature]:
    """MinHash signatures for many texts at once (one rensa call for the whole batch)."""
    if not texts:
        return []
    flat, offsets = _flat_shingle_hashes(texts, shingle_size)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        flat, np.array(offsets, dtype=np.uint64), num_perm, seed
    )
    values = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), num_perm).astype(np.uint16)
    counts = np.diff(offsets).tolist()
    return [Signature(row, n) for row, n in zip(values, counts, strict=True)]


def band_keys(signature: Signature, bands: int) -> list[bytes]:
    """One 8-byte bucket key per LSH band: articles sharing any band's key are candidate copies."""
    rows = signature.values.reshape(bands, -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in rows]


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of permutations whose minimum agrees."""
    return float(np.count_nonzero(a.values == b.values)) / len(a.values)


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller shingle set that lies in the larger one.

    An abridged copy (a wire story cut to half its paragraphs) has a low Jaccard with its original but is
    almost wholly contained in it; |A∩B| = J·(|A|+|B|)/(1+J).
    """
    j = jaccard(a, b)
    smaller = min(a.n_shingles, b.n_shingles)
    if smaller == 0:
        return 0.0
    return min(1.0, j * (a.n_shingles + b.n_shingles) / ((1 + j) * smaller))
