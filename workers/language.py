"""The language of a sample of text, as the ISO 639-1 code that the API reports and the word lists use.

py3langid 0.4 (what a fresh install gets) also answers with ISO 639-3 codes for languages near big
ones and for "no language" (pcm, bcl, gcf, wuu, zxx), and picks them for noisy English or Chinese
samples; a page reported as Guadeloupean Creole got no stop words. The best-ranked language with a
two-letter code is taken instead.
"""

from __future__ import annotations

import py3langid


def identify(sample: str) -> str:
    """ISO 639-1 code of the sample's most likely language among those that have one. The most likely
    language overall (``classify``, the first of ``rank``'s order, ties to the first language) mostly
    has one, and is found without sorting the hundred languages' scores as ``rank`` does."""
    best = str(py3langid.classify(sample)[0])
    if len(best) == 2:
        return best
    return next(str(lang) for lang, _ in py3langid.rank(sample) if len(lang) == 2)
