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
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np
import py3langid
from py3langid.langid import RAW_FLOOR, LanguageIdentifier


class _Model(NamedTuple):
    """py3langid's model: views of its arrays (the 28 MB table is not copied), which of its columns are
    languages with a two-letter code, and the loops below compiled."""

    next_state: np.ndarray  # the automaton's transitions: 256 next states a row, one row a state
    state_row: np.ndarray  # the row of each state in next_state
    state_feature: np.ndarray  # the feature that reaching each state counts, -1 for none
    feature_class_halves: np.ndarray  # log P(feature | class) as float16 bits, features x classes
    class_prior: np.ndarray  # log P(class), float32
    classes: list[str]
    alias_pairs: list[tuple[int, int]]  # (first, later) columns of a language that has two
    two_letter_columns: np.ndarray
    feature_counts: Callable[..., tuple[np.ndarray, np.ndarray]]
    widened_rows: Callable[..., np.ndarray]


@cache
def _model() -> _Model:
    """py3langid's model, loaded (half a second) at the first call in a process, and numba with it: the
    API imports this module (through workers.terms) but never identifies a language, and must not load
    numba (see tests/test_layers.py)."""
    from numba import njit

    compiled = njit(cache=True, nogil=True)
    identifier = py3langid.langid._get_identifier()
    classes = list(identifier.nb_classes)
    return _Model(
        np.asarray(identifier.tk_nextmove),
        np.asarray(identifier.tk_row),
        np.asarray(identifier.tk_output, dtype=np.int32),
        identifier.nb_ptc.view(np.uint16),
        identifier.nb_pc,
        classes,
        list(identifier._alias_pairs),
        np.array([i for i, lang in enumerate(classes) if len(lang) == 2]),
        compiled(_feature_counts),
        compiled(_widened_rows),
    )


def identify(sample: str) -> str:
    """ISO 639-1 code of the sample's most likely language among those that have one: the first of
    those in py3langid's ``rank`` order (its ``classify`` answer when that has two letters), which is
    the first highest score among their columns."""
    model = _model()
    scores = _scores(sample)
    columns = model.two_letter_columns
    return model.classes[int(columns[scores[columns].argmax()])]


def _scores(sample: str) -> np.ndarray:
    """py3langid's raw score of each of its columns for the sample (``LanguageIdentifier._decide``
    without probabilities): the log-likelihoods of its features, a language with two columns (Serbian
    in two scripts) scored in the first by the better of the two and the second floored."""
    model = _model()
    text = np.frombuffer(LanguageIdentifier._encode(sample), dtype=np.uint8)
    features, counts = model.feature_counts(text, model.next_state, model.state_row, model.state_feature)
    if not len(features):
        return np.full(len(model.classes), RAW_FLOOR, dtype=np.float32)
    rows = model.widened_rows(model.feature_class_halves, features)
    scores = np.log1p(counts) @ rows + model.class_prior
    for first, later in model.alias_pairs:
        scores[first] = max(scores[first], scores[later])
        scores[later] = RAW_FLOOR
    return scores


def _feature_counts(
    text: np.ndarray, next_state: np.ndarray, state_row: np.ndarray, state_feature: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The features the automaton counts over the text's bytes, in the order it first reaches them, and
    how often (``py3langid.langid.visit_counts``). Each feature's place in the list is found through
    an open-addressing hash table at most half full."""
    slots = 16
    while slots < 2 * len(text):
        slots *= 2
    slot_feature = np.full(slots, -1, np.int64)
    slot_place = np.empty(slots, np.int64)
    features = np.empty(len(text), np.int64)
    counts = np.zeros(len(text), np.float32)
    found = 0
    state = 0
    for byte in text:
        state = next_state[(np.int64(state_row[state]) << 8) + byte]
        feature = state_feature[state]
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


def _widened_rows(halves: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The given rows of a float16 table (as its uint16 bits) as float32, exactly as numpy converts
    them: the sign, exponent and mantissa bits moved to float32's places make a float32 2**112 times
    too small (the exponent biases are 15 and 127), a power of two that multiplying by undoes. Exact
    for every finite value (a subnormal half becomes a subnormal float32, exact too; py3langid's table
    has none); infinities and NaN would come out finite, and py3langid's table has none."""
    bits = np.empty((len(rows), halves.shape[1]), np.uint32)
    for i, row in enumerate(rows):
        for j in range(halves.shape[1]):
            half = np.uint32(halves[row, j])
            bits[i, j] = (half & 0x8000) << 16 | (half & 0x7FFF) << 13
    floats = bits.view(np.float32)
    floats *= np.float32(2.0**112)
    return floats
