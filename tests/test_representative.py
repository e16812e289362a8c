"""A cluster's representative stays a live original of that cluster through takedowns and joins of copies
(the Store's scripts, driven as the pipeline drives them)."""

from __future__ import annotations

from redis import Redis

from workers.settings import Settings
from workers.store import Store, StoryCheck


def _store(redis: Redis, settings: Settings) -> Store:
    return Store(redis, settings.key_prefix)


def _index(store: Store, seq: int, copy_of: tuple[int, ...] = ()) -> None:
    """Article `seq` indexed (no LSH bands: its copies are given) and joined with its copies."""
    store.index_signatures([(seq, f"a{seq}", "example.org", b"\0" * 8, [])])
    store.join_copies([(seq, "", list(copy_of))])


def _place(store: Store, seq: int, cluster: int | None, score: float) -> int:
    placed = store.assign_story(
        seq, cluster, "", {"term": float(seq)}, StoryCheck({}, {}), ["term"], [], score
    )
    assert placed is not None
    return placed


def _representative(store: Store, cluster: int) -> str | None:
    listing = store.cluster_page(cluster, 0, 10)
    assert listing is not None
    return listing.representative


def test_a_deleted_representative_stands_in_until_a_more_central_newcomer(
    redis: Redis, settings: Settings
) -> None:
    store = _store(redis, settings)
    for seq in range(1, 6):
        _index(store, seq)
    cluster = _place(store, 1, None, 0.0)
    _place(store, 2, cluster, 0.90)
    _place(store, 3, cluster, 0.95)
    assert _representative(store, cluster) == "a3"

    store.forget("a3", 3, [], "done")
    assert _representative(store, cluster) == "a1"  # the oldest original left
    _place(store, 4, cluster, 0.01)  # barely related: the deleted one was far more central
    assert _representative(store, cluster) == "a1"
    _place(store, 5, cluster, 0.99)
    assert _representative(store, cluster) == "a5"


def test_a_representative_that_becomes_a_copy_gives_way_to_its_groups_first_article(
    redis: Redis, settings: Settings
) -> None:
    store = _store(redis, settings)
    _index(store, 1)
    first = _place(store, 1, None, 0.0)
    _index(store, 2)
    second = _place(store, 2, None, 0.0)
    _index(store, 3)
    _place(store, 3, second, 0.5)  # the second cluster is the larger: its representative (2) survives
    _index(store, 4, copy_of=(1, 2))  # a digest reprinting 1 and 2: they become one group, under 1
    _place(store, 4, None, 0.0)
    assert _representative(store, first) == "a1"
