"""Two clusters that arrival order kept apart merge once an article shows they are one story: which ones
(`clusters_to_fold`), and how the store commits it (the older id survives, the other redirects)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from redis import Redis

from workers.cluster import DAY, MERGE_MARGIN, clusters_to_fold
from workers.settings import Settings
from workers.store import CENTROID_TERMS, ClusterInfo, Store, StoryCheck


def _info(cid: int, centroid: dict[str, float], vectors: int, first: float | None) -> ClusterInfo:
    return ClusterInfo(cid, vectors, vectors, first, first, 1, json.dumps(centroid).encode())


def test_only_clusters_clearly_alike_within_the_window_are_folded(settings: Settings) -> None:
    # the joined cluster after the join: two articles, both all about "ferry"; a candidate of one article
    # with mean pair similarity s has "ferry" weight s (vectors are unit length)
    joined = _info(1, {}, 1, 0.0)
    centroid = {"ferry": 2.0}
    need = settings.story_threshold + MERGE_MARGIN
    alike = _info(2, {"ferry": need + 0.01}, 1, 0.0)
    join_only = _info(3, {"ferry": need - 0.01}, 1, 0.0)  # enough to join, not to merge
    far = _info(4, {"ferry": 1.0}, 1, (settings.story_window_days + 1) * DAY)
    undated = _info(5, {"ferry": need + 0.01}, 1, None)  # undated: asks the undated threshold plus margin
    assert clusters_to_fold(joined, centroid, 0.0, [alike, join_only, far, undated], settings) == [2]


def test_a_fold_keeps_the_older_cluster_and_redirects_the_other(redis: Redis, settings: Settings) -> None:
    store = Store(redis, settings.key_prefix)
    for seq in (1, 2, 3):
        store.index_signatures([(seq, f"a{seq}", "example.org", b"\0" * 8, [])])
        store.join_copies([(seq, "", [])])

    def place(seq: int, cluster: int | None, fold: list[int]) -> int | None:
        return store.assign_story(
            seq, cluster, "", {"ferry": 1.0}, StoryCheck({}, {}), ["ferry"], [], 0.5, fold=fold
        )

    older, younger = place(1, None, []), place(2, None, [])
    assert older is not None and younger is not None and older < younger
    assert place(3, younger, [older]) == older
    merged = store.cluster_page(younger, 0, 10)
    assert merged is not None
    assert merged.id == older
    assert [article_id for _, article_id, _ in merged.articles] == ["a1", "a2", "a3"]


def _vector(first: int, count: int) -> dict[str, float]:
    """`count` terms t<first>... with distinct weights, so that which terms a cap keeps is unambiguous."""
    return {f"t{i:03d}": 1.0 + i / 1000 for i in range(first, first + count)}


def _place(
    store: Store, seq: int, cluster: int | None, vector: dict[str, float], fold: Sequence[int] = ()
) -> int:
    """Article `seq` indexed with no copies, then placed in `cluster` (None: a new one) with `vector`."""
    store.index_signatures([(seq, f"a{seq}", "example.org", b"\0" * 8, [])])
    store.join_copies([(seq, "", [])])
    placed = store.assign_story(seq, cluster, "", vector, StoryCheck({}, {}), ["t000"], [], 0.5, fold=fold)
    assert placed is not None
    return placed


def _centroid(store: Store, cid: int) -> dict[str, float]:
    (info,) = store.clusters([cid])
    return dict(info.centroid)


def test_a_merge_by_copies_leaves_the_centroid_capped_as_a_join_does(
    redis: Redis, settings: Settings
) -> None:
    store = Store(redis, settings.key_prefix)
    a, b = _vector(0, 80), _vector(40, 80)  # 120 terms together, over the cap
    joined = _place(store, 1, None, a)
    assert _place(store, 2, joined, b) == joined
    older, _ = _place(store, 3, None, a), _place(store, 4, None, b)
    # a copy of both of these: copies share a story, so their clusters merge
    store.index_signatures([(5, "a5", "example.org", b"\0" * 8, [])])
    assert store.join_copies([(5, "", [3, 4])]) == [(3, older)]
    assert len(_centroid(store, older)) == CENTROID_TERMS
    assert _centroid(store, older) == pytest.approx(_centroid(store, joined))


def test_a_fold_leaves_the_centroid_capped_as_a_join_does(redis: Redis, settings: Settings) -> None:
    store = Store(redis, settings.key_prefix)
    a, b, c = _vector(0, 80), _vector(40, 80), _vector(100, 60)
    # b, then c, then a, each joining: the centroid is capped after every join
    joined = _place(store, 1, None, b)
    for seq, vector in ((2, c), (3, a)):
        assert _place(store, seq, joined, vector) == joined
    # the same three, a and b in clusters of their own, then c joining b's and folding a's in
    older, younger = _place(store, 4, None, a), _place(store, 5, None, b)
    assert _place(store, 6, younger, c, fold=[older]) == older
    assert len(_centroid(store, older)) == CENTROID_TERMS
    assert _centroid(store, older) == pytest.approx(_centroid(store, joined))
