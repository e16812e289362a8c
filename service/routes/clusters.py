"""Story clusters: one by id (merged ids answer as their survivor), and the list by recent activity."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from service.deps import StoreDep
from service.schemas import ClusterArticle, ClusterOut, ClusterPage, ClusterSummary, ErrorOut
from workers.dates import from_timestamp
from workers.store import ClusterInfo

router = APIRouter(tags=["clusters"])


def _number(cluster_id: str) -> int | None:
    digits = cluster_id[1:] if cluster_id.startswith("c") else ""
    return int(digits) if digits.isdigit() and len(digits) < 19 else None


def _when(ts: float | None) -> str | None:
    return from_timestamp(ts) if ts is not None else None


def _summary(info: ClusterInfo) -> ClusterSummary:
    return ClusterSummary(
        id=f"c{info.id}", size=info.size, first_published=_when(info.first), last_published=_when(info.last)
    )


@router.get(
    "/clusters/{cluster_id}",
    response_model=ClusterOut,
    summary="A story cluster: its articles, sources, first and last published",
    responses={404: {"model": ErrorOut, "description": "No cluster has this id."}},
)
def get_cluster(cluster_id: str, store: StoreDep) -> ClusterOut:
    number = _number(cluster_id)
    live = store.resolve_cluster(number) if number is not None else None
    infos = store.clusters([live]) if live is not None else []
    if not infos:
        raise HTTPException(status_code=404, detail=f"no cluster with id {cluster_id!r}")
    members = store.cluster_articles(infos[0].id)
    rows = store.article_summaries([aid for aid, _ in members], ["title", "source", "published_at"])
    articles = [
        ClusterArticle(
            id=aid, title=title or None, source=source, published_at=published or None, canonical_id=canon
        )
        for (aid, canon), (title, source, published) in zip(members, rows, strict=True)
    ]
    summary = _summary(infos[0])
    return ClusterOut(
        id=summary.id,
        size=summary.size,
        articles=articles,
        sources=sorted({a.source for a in articles if a.source}),
        first_published=summary.first_published,
        last_published=summary.last_published,
    )


@router.get("/clusters", response_model=ClusterPage, summary="Clusters, most recent activity first")
def list_clusters(
    store: StoreDep,
    limit: int = Query(default=20, ge=1, le=200),
    cursor: str | None = Query(
        default=None, pattern=r"^\d+$", description="next_cursor of the previous page"
    ),
) -> ClusterPage:
    rows = store.recent_clusters(limit, float(cursor) if cursor else None)
    infos = {info.id: info for info in store.clusters([cid for cid, _ in rows])}
    clusters = [_summary(infos[cid]) for cid, _ in rows if cid in infos]
    next_cursor = str(int(rows[-1][1])) if len(rows) == limit else None
    return ClusterPage(clusters=clusters, next_cursor=next_cursor)
