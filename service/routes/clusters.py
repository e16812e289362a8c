"""Story clusters: one by id (merged ids answer as their survivor), and lists by recent activity or size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fastapi import APIRouter, HTTPException, Query

from service.deps import StoreDep
from service.schemas import ClusterArticle, ClusterOut, ClusterPage, ClusterSummary, ErrorOut
from workers.dates import from_timestamp
from workers.store import ClusterInfo, Store

router = APIRouter(tags=["clusters"])


def _number(cluster_id: str) -> int | None:
    digits = cluster_id[1:] if cluster_id.startswith("c") else ""
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


def _when(ts: float | None) -> str | None:
    return from_timestamp(ts) if ts is not None else None


def cluster_summaries(store: Store, infos: Sequence[ClusterInfo]) -> list[ClusterSummary]:
    """Summaries of these clusters, each with its representative and headline (two round trips for them
    all)."""
    rep_ids = store.article_ids([info.representative or 0 for info in infos])
    titles = store.article_summaries([rep or "" for rep in rep_ids], ["title"])
    return [
        ClusterSummary(
            id=f"c{info.id}",
            size=info.size,
            representative_id=rep,
            title=title or None,
            first_published=_when(info.first),
            last_published=_when(info.last),
        )
        for info, rep, (title,) in zip(infos, rep_ids, titles, strict=True)
    ]


@router.get(
    "/clusters/{cluster_id}",
    response_model=ClusterOut,
    summary="A story cluster: a page of its articles, its sources, first and last published",
    description=(
        "Articles come in order of arrival (the first seen first), `limit` at a time: pass `next_cursor` "
        "as `cursor` for the next page. `size`, `sources` and the dates cover the whole cluster on every "
        "page. A merged cluster's id answers as the cluster it was merged into."
    ),
    responses={404: {"model": ErrorOut, "description": "No cluster has this id."}},
)
def get_cluster(
    cluster_id: str,
    store: StoreDep,
    limit: int = Query(default=20, ge=1, le=1000, description="Articles per page"),
    cursor: str | None = Query(
        default=None, pattern=r"^\d{1,18}$", description="next_cursor of the previous page"
    ),
) -> ClusterOut:
    number = _number(cluster_id)
    listing = store.cluster_page(number, int(cursor or 0), limit) if number is not None else None
    if listing is None:
        raise HTTPException(status_code=404, detail=f"no cluster with id {cluster_id!r}")
    ids = [aid for _, aid, _ in listing.articles]
    *rows, (headline, _, _) = store.article_summaries(
        [*ids, listing.representative or ""], ["title", "source", "published_at"]
    )
    articles = [
        ClusterArticle(
            id=aid, title=title or None, source=source, published_at=published or None, canonical_id=canon
        )
        for (_, aid, canon), (title, source, published) in zip(listing.articles, rows, strict=True)
    ]
    return ClusterOut(
        id=f"c{listing.id}",
        size=listing.size,
        representative_id=listing.representative,
        title=headline or None,
        articles=articles,
        sources=listing.sources,
        first_published=_when(listing.first),
        last_published=_when(listing.last),
        next_cursor=str(listing.articles[-1][0]) if listing.more else None,
    )


@router.get(
    "/clusters",
    response_model=ClusterPage,
    summary="Clusters, most recent activity first, or largest first",
    description=(
        "`order=recent` (the default): the clusters that last gained, lost or merged an article first. "
        "`order=size`: the clusters with the most articles first, of equal sizes the newest first. Pass "
        "`next_cursor` as `cursor` for the next page, which starts right after the last cluster of this "
        "page in the order (its activity, or its size and id), however other clusters changed meanwhile. "
        "Only a cluster that itself moved across that point between two pages is left out (it moved "
        "ahead: a listing from the top shows it) or, by size, shown again (it lost articles)."
    ),
)
def list_clusters(
    store: StoreDep,
    limit: int = Query(default=20, ge=1, le=200),
    order: Literal["recent", "size"] = Query(default="recent", description="recent or size"),
    cursor: str | None = Query(
        default=None, pattern=r"^\d{1,18}$", description="next_cursor of the previous page"
    ),
) -> ClusterPage:
    rows: Sequence[tuple[int, float]]
    if order == "size":
        rows = store.largest_clusters(limit, int(cursor) if cursor else None)
    else:
        rows = store.recent_clusters(limit, float(cursor) if cursor else None)
    cids = [cid for cid, _ in rows]
    next_cursor = str(int(rows[-1][1])) if len(rows) == limit else None
    infos = {info.id: info for info in store.clusters(cids)}
    return ClusterPage(
        clusters=cluster_summaries(store, [infos[cid] for cid in cids if cid in infos]),
        next_cursor=next_cursor,
    )
