"""Batches: queue thousands of articles at once, then follow their progress."""

from __future__ import annotations

import secrets
from typing import Literal

from fastapi import APIRouter, HTTPException, Response

from service.deps import SettingsDep, StoreDep
from service.ingest import check_size, submit
from service.schemas import BatchAccepted, BatchIn, BatchOut, ErrorOut

router = APIRouter(tags=["batches"])


@router.post(
    "/batches",
    status_code=202,
    response_model=BatchAccepted,
    summary="Submit many articles; they are stored before the answer and processed in jobs of many",
    responses={
        413: {"model": ErrorOut, "description": "Too many articles, or one of them too large."},
        422: {"model": ErrorOut, "description": "An item is not a valid article (its index is named)."},
    },
)
def post_batch(batch: BatchIn, response: Response, store: StoreDep, settings: SettingsDep) -> BatchAccepted:
    if len(batch.articles) > settings.max_batch_items:
        raise HTTPException(
            status_code=413,
            detail=f"{len(batch.articles):,} articles in one batch; the limit is "
            f"{settings.max_batch_items:,} (SAMESTORY_MAX_BATCH_ITEMS): split it",
        )
    for index, article in enumerate(batch.articles):
        check_size(article, settings, where=f"articles[{index}]")
    batch_id = "b_" + secrets.token_hex(8)
    result = submit(store, settings, batch.articles, batch_id=batch_id)
    response.headers["Location"] = f"/batches/{batch_id}"
    return BatchAccepted(
        id=batch_id,
        total=len(result.outcomes),
        ids=[outcome.id for outcome in result.outcomes],
        rejected=result.rejected,
    )


@router.get(
    "/batches/{batch_id}",
    response_model=BatchOut,
    summary="A batch's progress",
    responses={404: {"model": ErrorOut, "description": "No batch has this id."}},
)
def get_batch(batch_id: str, store: StoreDep) -> BatchOut:
    row = store.read_batch(batch_id) if len(batch_id) <= 64 else None
    if row is None:
        raise HTTPException(status_code=404, detail=f"no batch with id {batch_id!r}")
    total, done, failed = int(row["total"]), int(row["done"]), int(row["failed"])
    status: Literal["queued", "running", "done", "partial"]
    if done + failed >= total:
        status = "partial" if failed else "done"
    else:
        status = "running" if row.get("started") or done or failed else "queued"
    return BatchOut(id=batch_id, status=status, total=total, done=done, failed=failed)
