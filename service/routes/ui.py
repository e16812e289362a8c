"""The cluster browser at /ui: static HTML and JavaScript over the REST API, plus the one list the REST
API does not offer, the largest clusters."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from service.deps import StoreDep
from service.routes.clusters import cluster_summaries
from service.schemas import ClusterSummary, ErrorOut

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["browser"])


class LargestClusters(BaseModel):
    clusters: list[ClusterSummary] = Field(description="Largest first; ties: the older cluster first.")


@router.get(
    "/ui",
    summary="The cluster browser (HTML): newest and largest clusters, articles, removed chrome",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {"example": "<!doctype html>…"}}, "description": "The page."}},
)
def ui_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get(
    "/ui/api/largest-clusters",
    response_model=LargestClusters,
    summary="The largest live clusters, by number of articles (the browser's 'Largest' list)",
    description="Ranked by a sorted set that the index scripts keep as clusters grow and merge; a "
    "cluster last changed before that ranking existed appears once it gains an article.",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "clusters": [
                            {
                                "id": "c12",
                                "size": 9,
                                "representative_id": "ap-blinken-1",
                                "title": "Blinken meets Xi in Beijing",
                                "first_published": "2023-06-18T00:00:00Z",
                                "last_published": "2023-06-19T08:30:00Z",
                            }
                        ]
                    }
                }
            }
        },
        422: {"model": ErrorOut, "description": "limit is not between 1 and 100."},
    },
)
def largest_clusters(store: StoreDep, limit: int = Query(default=20, ge=1, le=100)) -> LargestClusters:
    ranked = store.largest_clusters(limit)
    infos = {info.id: info for info in store.clusters([cid for cid, _ in ranked])}
    return LargestClusters(
        clusters=cluster_summaries(store, [infos[cid] for cid, _ in ranked if cid in infos])
    )


def install(app: FastAPI) -> None:
    """Serve the page and its static files (/ui/static/…, open without an API key: they hold no data)."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
