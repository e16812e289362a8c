"""The language of a sample of text, as the ISO 639-1 code that the API reports and the word lists use.

py3langid 0.4 (what a fresh install gets) also answers with ISO 639-3 codes for languages near big
ones and for "no language" (pcm, bcl, gcf, wuu, zxx), and picks them for noisy English or Chinese
samples; a page reported as Guadeloupean Creole got no stop words. The best-ranked language with a
two-letter code is taken instead.

The scores are py3langid's, bit for bit, from its own model, but computed in a fifth of the time: on a
400-character sample its ``classify`` (0.13 ms) spends 0.04 ms walking the bytes through its feature
automaton in a Python loop and 0.05 ms widening the ~260 float16 table rows it needs to float32 in numpy's
slow cast. Here both are compiled loops, and numpy does the rest of py3langid's arithmetic on the same
float32 numbers in the same order (the features as the sample first reaches them, as its Counter keeps
them), so that the sums are rounded alike.

In the pipeline those loops wait on memory instead: the rest of a page's work evicts the automaton's
39 MB of transitions and the 28 MB table from the caches, and the walk's ~400 loads each wait for the
one before. Walking the sample in 16 stretches at once and loading the rows' cache lines all together
before widening them (see _feature_counts and _widened_rows) take a page's identify from ~300 to
130-200 us (the walk 150 -> 50-65 us, the widening 75 -> 40-50 us; with the caches flushed before each
call, 330 -> 195 us), and the language stage of text mode from 0.20 to 0.14 ms per 6 KB.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np
import py3langid
from py3langid.langid import RAW_FLOOR, LanguageIdentifier


class _Model(NamedTuple):
    """py3langid's model: views of its arrays (the 39 MB automaton and the 28 MB table are not copied),
    how many bytes its automaton's state depends on, which of its columns are languages with a two-letter
    code, and the loops below compiled."""

    next_state: np.ndarray  # the automaton's transitions: 256 next states a row, one row a state
    state_row: np.ndarray  # the row of each state in next_state
    state_feature: np.ndarray  # the feature that reaching each state counts, -1 for none
    context_bytes: int  # the automaton's state after a byte depends on it and on this many bytes before it
    feature_class_halves: np.ndarray  # log P(feature | class) as float16 bits, features x classes
    class_prior: np.ndarray  # log P(class), float32
    answer_columns: np.ndarray  # the columns of the languages with a two-letter code, a language's together
    answer_codes: list[str]  # the code of each answer column
    feature_counts: Callable[..., tuple[np.ndarray, np.ndarray]]
    widened_rows: Callable[..., tuple[np.ndarray, int]]


@cache
def _model() -> _Model:
    """py3langid's model, loaded (half a second) at the first call in a process, and numba with it: the
    API imports this module (through workers.terms) but never identifies a language, and must not load
    numba (see tests/test_layers.py)."""
    from numba import njit

    compiled = njit(cache=True, nogil=True)
    identifier = py3langid.langid._get_identifier()
    columns_of: dict[str, list[int]] = {}  # each language's columns, in the order of its first
    for column, lang in enumerate(identifier.nb_classes):
        columns_of.setdefault(lang, []).append(column)
    answers = [(column, lang) for lang, columns in columns_of.items() if len(lang) == 2 for column in columns]
    next_state = np.asarray(identifier.tk_nextmove)
    state_row = np.asarray(identifier.tk_row)
    return _Model(
        next_state,
        state_row,
        np.asarray(identifier.tk_output, dtype=np.int32),
        compiled(_trie_depth)(next_state, state_row) - 1,
        identifier.nb_ptc.view(np.uint16),
        identifier.nb_pc,
        np.array([column for column, _ in answers]),
        [lang for _, lang in answers],
        compiled(_feature_counts),
        compiled(_widened_rows),
    )


def identify(sample: str) -> str:
    """ISO 639-1 code of the sample's most likely language among those that have one: the first of
    those in py3langid's ``rank`` order (its ``classify`` answer when that has two letters).

    py3langid gives a language that has two columns (Serbian and Uzbek, one a script) the better of
    their scores in its first column's place, and ranks ties in the order of the languages' first
    columns. The answer columns hold each language's columns together, in that order, so that the first
    highest raw score among them is that same language's, without folding the scores first (saving
    5-10 us of a page's ~190 in the pipeline)."""
    model = _model()
    return model.answer_codes[int(_raw_scores(sample)[model.answer_columns].argmax())]


def _raw_scores(sample: str) -> np.ndarray:
    """py3langid's raw score of each of its columns for the sample (``LanguageIdentifier._raw_score``):
    the log-likelihoods of its features, or the floor for all when it has none."""
    model = _model()
    text = LanguageIdentifier._encode(sample)
    features, counts = model.feature_counts(
        text, model.next_state, model.state_row, model.state_feature, model.context_bytes
    )
    if not len(features):
        return np.full(len(model.class_prior), RAW_FLOOR, dtype=np.float32)
    rows, _ = model.widened_rows(model.feature_class_halves, features)
    return np.log1p(counts) @ rows + model.class_prior


# How many stretches of a text the automaton walks at once (see _feature_counts). In the pipeline, on
# the 400-byte samples, 8, 16 and 32 cost the same (within 3 %).
_LANES = 16


def _trie_depth(next_state: np.ndarray, state_row: np.ndarray) -> int:
    """The length of the longest of the automaton's shortest paths from state 0, by a breadth-first walk
    (80 ms once a process; 6 bytes for py3langid's model). py3langid's automaton is Aho-Corasick's over
    its features' bytes: its state after any text is the longest path from state 0 that the text ends
    with, so the text's last this many bytes, walked from state 0, reach that state too."""
    depth = np.full(len(state_row), -1, np.int64)
    queue = np.empty(len(state_row), np.int64)
    depth[0] = 0
    queue[0] = 0
    queued = 1
    for head in range(len(state_row)):
        if head == queued:
            break
        state = queue[head]
        for byte in range(256):
            reached = next_state[(np.int64(state_row[state]) << 8) + byte]
            if depth[reached] < 0:
                depth[reached] = depth[state] + 1
                queue[queued] = reached
                queued += 1
    return int(depth.max())


def _feature_counts(
    text: bytes, next_state: np.ndarray, state_row: np.ndarray, state_feature: np.ndarray, context_bytes: int
) -> tuple[np.ndarray, np.ndarray]:
    """The features the automaton counts over the text's bytes, in the order it first reaches them, and
    how often (``py3langid.langid.visit_counts``).

    Each byte's step is a load from the 39 MB transition table that the rest of a page's work has evicted
    from the caches, and each waits for the one before: walked in one go, 400 bytes cost 150 us. So the
    text is cut into _LANES stretches walked in turns, each step of one independent of the others', and
    the processor waits for their loads together (70 us). A stretch's walk starts ``context_bytes``
    before it, from state 0, so that at its first byte it is in the state one walk over the whole text
    would be in (see _trie_depth). The feature reached at each byte is then counted in the text's
    order, each feature's place in the list found through an open-addressing hash table at most half
    full."""
    length = len(text)
    lane_length = -(-length // _LANES)
    start = np.empty(_LANES, np.int64)
    end = np.empty(_LANES, np.int64)
    position = np.empty(_LANES, np.int64)
    state = np.zeros(_LANES, np.int64)
    for lane in range(_LANES):
        start[lane] = min(lane * lane_length, length)
        end[lane] = min(start[lane] + lane_length, length)
        position[lane] = max(0, start[lane] - context_bytes)
    feature_at = np.empty(length, np.int32)
    for _ in range(context_bytes + lane_length):
        for lane in range(_LANES):
            at = position[lane]
            if at < end[lane]:
                state[lane] = next_state[(np.int64(state_row[state[lane]]) << 8) + text[at]]
                if at >= start[lane]:
                    feature_at[at] = state_feature[state[lane]]
                position[lane] = at + 1

    slots = 16
    while slots < 2 * length:
        slots *= 2
    slot_feature = np.full(slots, -1, np.int64)
    slot_place = np.empty(slots, np.int64)
    features = np.empty(length, np.int64)
    counts = np.zeros(length, np.float32)
    found = 0
    for feature in feature_at:
        if feature < 0:
            continue
        slot = feature & (slots - 1)
        while slot_feature[slot] != feature and slot_feature[slot] != -1:
            slot = (slot + 1) & (slots - 1)
        if slot_feature[slot] == -1:
            slot_feature[slot] = feature
            slot_place[slot] = found
            features[found] = feature
            found += 1
        counts[slot_place[slot]] += 1
    return features[:found], counts[:found]


def _widened_rows(halves: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, int]:
    """The given rows of a float16 table (as its uint16 bits) as float32, exactly as numpy converts
    them: the sign, exponent and mantissa bits moved to float32's places make a float32 2**112 times
    too small (the exponent biases are 15 and 127), a power of two that multiplying by undoes. Exact
    for every finite value (a subnormal half becomes a subnormal float32, exact too; py3langid's table
    has none); infinities and NaN would come out finite, and py3langid's table has none.

    The rows are scattered over the 28 MB table, out of the caches: widened one after the other, the
    processor waits for a row or two at a time. So one value in each 64 bytes of every row is loaded
    first, in a loop short enough that all those loads are in flight together (84 -> 56 us for the ~260
    rows of a 400-character sample). Their bits are ORed and returned only so that the compiler keeps
    the loads; the caller drops them."""
    width = halves.shape[1]
    touched = np.uint16(0)
    for row in rows:
        for column in range(0, width, 32):
            touched |= halves[row, column]
        touched |= halves[row, width - 1]
    bits = np.empty((len(rows), width), np.uint32)
    for i, row in enumerate(rows):
        for j in range(width):
            half = np.uint32(halves[row, j])
            bits[i, j] = (half & 0x8000) << 16 | (half & 0x7FFF) << 13
    floats = bits.view(np.float32)
    floats *= np.float32(2.0**112)
    return floats, int(touched)
