"""Several workers at once reach the same groups and clusters as one worker."""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

from conftest import Api
from redis import Redis

PARAGRAPHS = [
    "GENEVA (Reuters) - Negotiators from forty countries agreed on Thursday on a treaty to limit plastic "
    "waste in the oceans, after two weeks of talks that ran through the night.",
    "The agreement sets binding targets for recycling and bans several single-use products from 2030, "
    "delegates said, although it leaves the details of enforcement to national governments.",
    "Environmental groups welcomed the deal but said the targets were too modest to reverse the growth "
    "of floating debris, which has doubled over the past two decades according to their estimates.",
    "Industry representatives warned that the cost of compliance would fall hardest on small producers "
    "in developing economies, and asked for a fund to help them adapt their factories.",
    "The treaty must now be ratified by at least thirty parliaments before it enters into force, a "
    "process that the chair of the talks said could take three years.",
]


def copy_of_wire_story(rng: random.Random, n: int) -> str:
    """A syndicated copy: the same paragraphs, one maybe dropped, a word or two changed, other chrome."""
    paragraphs = list(PARAGRAPHS)
    if n % 3 == 0:
        paragraphs.pop(rng.randrange(1, len(paragraphs)))
    words = " ".join(paragraphs).split(" ")
    for _ in range(2):
        words[rng.randrange(len(words))] = rng.choice(["also", "then", "now"])
    body = " ".join(words)
    return f"Outlet {n} | Home | World\n\n{body}\n\nRead more from Outlet {n}\n"


def test_four_workers_put_every_copy_in_one_group_and_one_cluster(api: Api) -> None:
    rng = random.Random(7)
    articles = [
        {"id": f"copy-{n:03d}", "text": copy_of_wire_story(rng, n), "published_at": "2025-03-06"}
        for n in range(80)
    ]
    # jobs of 20 (set by the settings fixture) give each of the four workers its share at the same time
    for start in range(0, len(articles), 20):
        assert api.http.post("/batches", json={"articles": articles[start : start + 20]}).status_code == 202
    api.drain(workers=4)

    found = [api.http.get(f"/articles/{a['id']}").json() for a in articles]
    assert {a["status"] for a in found} == {"done"}
    assert {a["canonical_id"] for a in found} == {"copy-000"}
    assert len({a["cluster_id"] for a in found}) == 1
    cluster = api.http.get(f"/clusters/{found[0]['cluster_id']}", params={"limit": 80}).json()
    assert cluster["size"] == 80
    assert sorted(a["id"] for a in cluster["articles"]) == [a["id"] for a in articles]


# A fixed slice of the dev sets (../shared/bench/events): 150 syndication rows (22 whole events, 63
# near-duplicate groups, chrome included) and 60 wikinews rows (19 whole events), in a shuffled order.
DEV_SLICE = Path(__file__).resolve().parent / "data" / "dev-slice.jsonl.gz"


def partitions(api: Api, ids: list[str]) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """The near-duplicate groups and the story clusters the service reports, as sets of id sets."""
    groups: dict[str, set[str]] = defaultdict(set)
    stories: dict[str, set[str]] = defaultdict(set)
    for aid in ids:
        found = api.http.get(f"/articles/{aid}").json()
        assert found["status"] in {"done", "failed"}, found
        groups[found.get("canonical_id") or aid].add(aid)
        stories[str(found.get("cluster_id") or aid)].add(aid)
    return {frozenset(g) for g in groups.values()}, {frozenset(s) for s in stories.values()}


def test_four_workers_partition_a_dev_slice_exactly_as_one_worker(api: Api, redis: Redis) -> None:
    rows = [json.loads(line) for line in gzip.decompress(DEV_SLICE.read_bytes()).decode().splitlines()]
    ids = [row["id"] for row in rows]

    def ingest_and_partition(workers: int) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
        redis.flushdb()
        for start in range(0, len(rows), 50):
            assert api.http.post("/batches", json={"articles": rows[start : start + 50]}).status_code == 202
        api.drain(workers=workers)
        return partitions(api, ids)

    one = ingest_and_partition(1)
    four = ingest_and_partition(4)
    assert len(one[0]) < len(rows)  # the slice has copies to find
    assert len(one[1]) < len(one[0])  # and stories spanning several groups
    assert four[0] == one[0], "near-duplicate groups differ between 1 and 4 workers"
    assert four[1] == one[1], "story clusters differ between 1 and 4 workers"
