"""Articles: submit one, read one back."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Response

from service.deps import SettingsDep, StoreDep
from service.ingest import check_size, submit
from service.schemas import Accepted, ArticleIn, ArticleOut, ErrorOut, RemovedBlockOut
from workers.cluster import remove_article
from workers.errors import InFlightError
from workers.store import decompress

router = APIRouter(tags=["articles"])


@router.post(
    "/articles",
    status_code=202,
    response_model=Accepted,
    summary="Submit one article (text or HTML) for cleaning and clustering",
    responses={
        200: {"model": Accepted, "description": "Already known with the same content: nothing changed."},
        409: {"model": ErrorOut, "description": "An article with this id and other content exists."},
        413: {"model": ErrorOut, "description": "The article is larger than the limit."},
        422: {"model": ErrorOut, "description": "The body is not a valid article."},
    },
)
def post_article(article: ArticleIn, response: Response, store: StoreDep, settings: SettingsDep) -> Accepted:
    check_size(article, settings)
    result = submit(store, settings, [article], batch_id=None)
    if result.rejected:
        raise HTTPException(
            status_code=409, detail=f"article {result.rejected[0].id!r}: {result.rejected[0].error}"
        )
    outcome = result.outcomes[0]
    response.headers["Location"] = f"/articles/{outcome.id}"
    if outcome.outcome == "exists":
        response.status_code = 200
    return Accepted(id=outcome.id, status=outcome.status)  # type: ignore[arg-type]


def _opt(fields: dict[str, bytes], name: str) -> str | None:
    value = fields.get(name)
    return value.decode() if value else None


@router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    response_model_exclude_none=False,
    summary="An article: status, clean text, title, date, near-duplicate group and story cluster",
    responses={404: {"model": ErrorOut, "description": "No article has this id."}},
)
def get_article(
    article_id: str,
    store: StoreDep,
    include: Literal["removed"] | None = Query(default=None, description="'removed': list the cut blocks"),
) -> ArticleOut:
    found = store.read_article(article_id) if len(article_id) <= 128 else None
    if found is None:
        raise HTTPException(status_code=404, detail=f"no article with id {article_id!r}")
    fields, canonical, cluster = found
    removed = None
    if include == "removed" and fields.get("removed"):
        removed = [RemovedBlockOut(**r) for r in json.loads(decompress(fields["removed"]))]
    status = _opt(fields, "status") or "queued"
    return ArticleOut(
        id=article_id,
        status=status,  # type: ignore[arg-type]
        title=_opt(fields, "title") or _opt(fields, "title_given"),
        published_at=_opt(fields, "published_at") or _opt(fields, "published_given"),
        byline=_opt(fields, "byline") or _opt(fields, "byline_given"),
        source=_opt(fields, "source"),
        url=_opt(fields, "url"),
        body=decompress(fields["body"]) if fields.get("body") else None,
        cluster_id=f"c{cluster}" if cluster else None,
        canonical_id=canonical,
        error=_opt(fields, "error"),
        removed=removed,
    )


@router.delete(
    "/articles/{article_id}",
    status_code=204,
    summary="Delete an article (a takedown): out of its near-duplicate group, its cluster and the store",
    responses={
        404: {"model": ErrorOut, "description": "No article has this id."},
        409: {"model": ErrorOut, "description": "The article is still queued or processing: retry later."},
    },
)
def delete_article(article_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        found = len(article_id) <= 128 and remove_article(store, article_id, settings)
    except InFlightError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if not found:
        raise HTTPException(status_code=404, detail=f"no article with id {article_id!r}")
    return Response(status_code=204)
