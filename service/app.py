"""The HTTP API: validates, stores and queues; never cleans or clusters inside a request."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from redis import Redis
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import metrics
from service.embedded_redis import EmbeddedRedis, url_if_running
from service.logs import RequestId
from service.routes import articles, batches, clusters, health, ui
from workers.settings import Settings, get_settings
from workers.store import Store

log = logging.getLogger(__name__)

# Open without an API key: the probes (an orchestrator's probe cannot hold a secret; they answer only
# up/ready) and the browser's page and static files (they hold no data; the page asks for a key when the
# API answers 401). /metrics carries counts of the service's data, so it needs a key like the rest:
# Prometheus sends it with `http_headers` in its scrape config.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/ui"})
OPEN_PREFIXES = ("/ui/static/",)


class BodyLimit:
    """Refuse request bodies over the limit with 413 while they stream in, whether or not they declare
    their length, so that one huge upload cannot exhaust the server's memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge(self.limit)
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"error": f"request body over {self.limit:,} bytes (SAMESTORY_MAX_REQUEST_BYTES)", "details": []},
            status_code=413,
        )
        await response(scope, receive, send)


class _TooLarge(StarletteHTTPException):
    """Raised from the body stream once it passes the limit. An HTTPException because FastAPI passes those
    on from a body it reads (to the handler below), whereas it turns any other exception into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit:,} bytes (SAMESTORY_MAX_REQUEST_BYTES)")


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


# What FastAPI says (400) when reading a body failed, whatever the cause.
_FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _too_large_cause(exc: BaseException) -> _TooLarge | None:
    """The _TooLarge behind an exception, if any: FastAPI turns it into a 400 when it meets it reading the
    body, after BaseHTTPMiddleware (the API-key check) has wrapped it in an ExceptionGroup."""
    pending: list[BaseException] = [exc]
    for _ in range(50):
        if not pending:
            break
        current = pending.pop()
        if isinstance(current, _TooLarge):
            return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [p for p in loc if p != "body"]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _connect(settings: Settings) -> tuple[Redis, EmbeddedRedis | None]:
    url = settings.redis_url or url_if_running(settings.data_dir)
    embedded = None
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir)
        url = embedded.start()
    # Bounded waits: a Redis that does not answer within these makes a request answer 503, not hang.
    redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=15)
    return redis, embedded


# Errors that the middleware and handlers below give on any endpoint, documented on each one in OpenAPI
# with the body they really have (ErrorOut), rather than FastAPI's default 422 schema.
_COMMON_ERRORS: dict[str, tuple[str, str]] = {
    "400": ("The body is not valid JSON.", "the request body is not valid JSON"),
    "401": (
        "SAMESTORY_API_KEYS is set and X-API-Key is missing or wrong.",
        "missing or wrong API key: send it in the X-API-Key header",
    ),
    "413": ("The body is over SAMESTORY_MAX_REQUEST_BYTES.", "request body over 64,000,000 bytes"),
    "415": (
        "The body is not sent as JSON (Content-Type: application/json).",
        "the body must be JSON, sent with Content-Type: application/json (this one was 'text/plain')",
    ),
    "422": ("A parameter or the body is invalid: the message names it.", "invalid request: limit: ..."),
    "503": (
        "Redis is not answering; try again shortly (Retry-After: 5).",
        "the store (Redis) is not answering; nothing was changed, try again shortly",
    ),
}
_WITHOUT_REDIS = frozenset({"/ui", "/metrics"})


def _document_errors(app: FastAPI) -> None:
    """Add the common error responses, with examples, to every operation of the OpenAPI document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        error_ref = {"$ref": "#/components/schemas/ErrorOut"}
        for path, operations in spec["paths"].items():
            for operation in operations.values():
                codes = {"422"} if "parameters" in operation or "requestBody" in operation else set()
                codes |= {"400", "413", "415"} if "requestBody" in operation else set()
                codes |= set() if path in OPEN_PATHS else {"401"}
                codes |= set() if path in _WITHOUT_REDIS else {"503"}
                responses = operation["responses"]
                for code in sorted(codes):
                    description, message = _COMMON_ERRORS[code]
                    response = responses.setdefault(code, {"description": description})
                    if "HTTPValidationError" in str(response) or "content" not in response:
                        response["content"] = {"application/json": {"schema": error_ref}}
                    content = response["content"].setdefault("application/json", {"schema": error_ref})
                    content.setdefault("example", {"error": message, "details": []})
                for code, response in responses.items():
                    content = response.get("content", {}).get("application/json", {})
                    if code[0] in "45" and content.get("schema") == error_ref:
                        content.setdefault("example", {"error": response["description"], "details": []})
        spec["components"]["schemas"].pop("HTTPValidationError", None)
        spec["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis, embedded = _connect(config)
        store = Store(redis, config.key_prefix)
        store.open_index(config.index_params())
        app.state.settings = config
        app.state.store = store
        try:
            yield
        finally:
            redis.close()
            if embedded is not None:
                embedded.stop()

    app = FastAPI(
        title="samestory",
        version="0.1.0",
        summary="Clean scraped news pages and group the coverage of the same story.",
        lifespan=lifespan,
    )
    for module in (health, articles, batches, clusters):
        app.include_router(module.router)
    ui.install(app)
    metrics.install(app)

    @app.middleware("http")
    async def require_api_key(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        keys = config.api_key_list
        path = request.url.path
        if keys and path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES):
            given = request.headers.get("x-api-key", "").encode()
            if not any(hmac.compare_digest(given, key.encode()) for key in keys):
                return JSONResponse(
                    {"error": "missing or wrong API key: send it in the X-API-Key header", "details": []},
                    status_code=401,
                )
        return await call_next(request)

    app.add_middleware(BodyLimit, limit=config.max_request_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        content_type = request.headers.get("content-type", "")
        if not _is_json(content_type) and any(tuple(e["loc"]) == ("body",) for e in errors):
            # FastAPI hands a body of another type to validation as bytes, which would read "body: Input
            # should be a valid dictionary": say what is wrong instead
            return JSONResponse(
                {
                    "error": "the body must be JSON, sent with Content-Type: application/json "
                    f"(this one was {content_type or 'not given'!r})",
                    "details": [],
                },
                status_code=415,
            )
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(
                {
                    "error": "the request body is not valid JSON",
                    "details": [str(e.get("ctx", "")) for e in errors],
                },
                status_code=400,
            )
        details = [f"{_where(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in errors]
        return JSONResponse(
            {"error": "invalid request: " + "; ".join(details[:5]), "details": details}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == _FASTAPI_BODY_ERROR:
            # FastAPI's words for any failure while reading a body: a body over the limit (streamed
            # without a length), or one it cannot decode at all (not UTF-8, say)
            exc = _too_large_cause(exc) or exc
            detail = str(exc.detail) if exc.status_code == 413 else "the request body is not valid JSON"
        return JSONResponse(
            {"error": detail, "details": []},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RedisError)
    async def store_down(request: Request, exc: RedisError) -> JSONResponse:
        log.warning("Redis error on %s: %s", request.url.path, exc)
        if request.method in ("GET", "HEAD"):
            message = "the store (Redis) is not answering; nothing was changed, try again shortly"
        else:
            # Redis may have applied a write whose answer was lost; a resend with the same ids is harmless
            message = (
                "the store (Redis) is not answering; the request may not have been applied: send it again "
                "shortly (resending articles with the same ids changes nothing)"
            )
        return JSONResponse(
            {"error": message, "details": [type(exc).__name__]},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug: answer in the documented error shape rather than plain text (uvicorn logs the trace)."""
        return JSONResponse(
            {"error": "internal error: the server failed on this request", "details": []}, status_code=500
        )

    # Outermost, so that every response (401 and 413 too) carries the request id and is logged once.
    app.add_middleware(RequestId)
    _document_errors(app)
    return app
