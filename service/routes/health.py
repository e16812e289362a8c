"""Liveness, readiness and statistics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from service.deps import SettingsDep, StoreDep
from service.schemas import ErrorOut, StatsOut
from workers.errors import IndexMismatchError

router = APIRouter(tags=["health"])


def _status(ok: dict[str, str], down: dict[str, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of a probe: its 200 and 503 bodies, with examples."""
    return {
        200: {"description": "Ready.", "content": {"application/json": {"example": ok}}},
        503: {"description": "Not ready: see the body.", "content": {"application/json": {"example": down}}},
    }


@router.get(
    "/healthz",
    summary="Liveness: the process and Redis answer",
    responses=_status(
        {"status": "ok", "redis": "ok"},
        {"status": "unavailable", "redis": "not answering: Error 111 connecting to redis:6379."},
    ),
)
def healthz(store: StoreDep) -> JSONResponse:
    try:
        store.ping()
    except RedisError as exc:
        return JSONResponse({"status": "unavailable", "redis": f"not answering: {exc}"}, status_code=503)
    return JSONResponse({"status": "ok", "redis": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: Redis answers and its index was built with this process's signature settings",
    description="A replica whose SAMESTORY_NUM_PERM, SHINGLE_SIZE, LSH_BANDS or SEED differ from the "
    "stored index's would compute signatures that find nothing: it is not ready, and the body says which "
    "settings differ. Open without an API key, like /healthz, for orchestrators' probes.",
    responses=_status(
        {"status": "ready", "redis": "ok", "index": "ok"},
        {"status": "unavailable", "redis": "ok", "index": "The Redis index was built with other settings…"},
    ),
)
def readyz(store: StoreDep, settings: SettingsDep) -> JSONResponse:
    try:
        store.ping()
    except RedisError as exc:
        return JSONResponse(
            {"status": "unavailable", "redis": f"not answering: {exc}", "index": "unknown"}, status_code=503
        )
    try:
        store.open_index(settings.index_params())
    except IndexMismatchError as exc:
        return JSONResponse({"status": "unavailable", "redis": "ok", "index": str(exc)}, status_code=503)
    except RedisError as exc:
        return JSONResponse(
            {"status": "unavailable", "redis": f"not answering: {exc}", "index": "unknown"}, status_code=503
        )
    return JSONResponse({"status": "ready", "redis": "ok", "index": "ok"})


@router.get(
    "/stats",
    response_model=StatsOut,
    summary="Counts of articles and clusters, Redis memory",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "articles": 1250,
                        "clusters": 310,
                        "queued": 40,
                        "redis_used_memory_bytes": 52428800,
                    }
                }
            }
        },
        503: {"model": ErrorOut, "description": "Redis is not answering."},
    },
)
def stats(store: StoreDep, settings: SettingsDep) -> StatsOut:
    counts = store.stats()
    settled = counts.get("done", 0) + counts.get("failed", 0)
    return StatsOut(
        articles=counts.get("articles", 0),
        clusters=counts.get("clusters", 0),
        queued=max(0, counts.get("articles", 0) - settled),
        redis_used_memory_bytes=counts["redis_used_memory_bytes"],
    )
