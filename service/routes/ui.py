"""The cluster browser at /ui: static HTML and JavaScript over the REST API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["browser"])


@router.get(
    "/ui",
    summary="The cluster browser (HTML): newest and largest clusters, articles, removed chrome",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {"example": "<!doctype html>…"}}, "description": "The page."}},
)
def ui_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


def install(app: FastAPI) -> None:
    """Serve the page and its static files (/ui/static/…, open without an API key: they hold no data)."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
