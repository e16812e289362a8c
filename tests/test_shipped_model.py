"""The shipped line classifier (workers/data/blocks_model.json) on the lines real pages give it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from workers.blocks import block_features, detect_language, load_model, segment, stop_words

DATA = Path(__file__).resolve().parent / "data"


def _pages() -> list[str]:
    seeds = [path.read_text(encoding="utf-8") for path in sorted((DATA / "seeds").glob("*.txt"))]
    with gzip.open(DATA / "dev-slice.jsonl.gz", "rt", encoding="utf-8") as rows:
        return seeds + [json.loads(row)["text"] for row in rows]


def test_no_line_of_a_real_page_sits_on_a_bin_edge() -> None:
    """A feature value exactly on a bin edge falls in one bin or the next by the last bit of numpy's
    logarithms, which differ between numpy releases (most features are logarithms of small counts, and
    the edges were once such values themselves): the edges lie between the values pages produce. An
    edge at 0, the least value of a count or a share, is exact in any numpy."""
    edges = load_model().scorer.edges  # each feature's edges, padded with +inf
    columns, ranks = np.nonzero(np.isfinite(edges) & (edges != 0))
    inner = edges[columns, ranks]
    assert len(inner) > 50
    for raw in _pages():
        blocks = segment(raw)
        x = block_features(blocks, stop_words(detect_language(blocks)))
        gaps = np.abs(x[:, columns] - inner)
        assert (gaps > 1e-9 * np.maximum(np.abs(inner), 1.0)).all(), raw[:60]
