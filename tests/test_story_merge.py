"""Two clusters that arrival order kept apart merge once an article shows they are one story: which ones
(`clusters_to_fold`), and how the store commits it (the older id survives, the other redirects)."""

from __future__ import annotations

import json

from redis import Redis

from workers.cluster import DAY, MERGE_MARGIN, clusters_to_fold
from workers.settings import Settings
from workers.store import ClusterInfo, Store, StoryCheck


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
