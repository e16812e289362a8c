"""JSON-lines logging for the API and the workers, and the request id that ties them together.

One JSON object per line (time, level, logger, message, request_id, and any `extra=` fields) is what log
collectors (Loki, CloudWatch, Elasticsearch…) ingest without parsing rules. The request id comes from the
client's X-Request-ID header or is generated; it is current for the whole request (see RequestId), goes
into the RQ jobs the request queues (workers.jobs.enqueue) and is current again while a worker runs them,
so `grep <request id>` finds an article's submission and its processing.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.jobs import current_request_id

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field
# (except uvicorn's copy of the message with terminal colours in it).
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_STANDARD |= {"color_message"}
# A client's request id is echoed into logs and headers: accept only short, plain ones.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

# Probes and scrapes arrive every few seconds: their request lines are DEBUG, not INFO.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

log = logging.getLogger("samestory.http")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str) -> None:
    """Send every logger's records (ours, uvicorn's, RQ's) as JSON lines to stderr.

    RQ and uvicorn add their own plain-text handlers only where no handler is configured yet, so this
    must run before either starts."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rq.worker", "rq.job"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a sensible one, else a new random id."""
    if header and _CLIENT_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestId:
    """ASGI middleware: make a request id current for the request, answer it in X-Request-ID, and log
    one line per request (method, path, status, duration) in place of uvicorn's access log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id")
        request_id = request_id_from(given.decode("latin-1") if given else None)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.log(
                logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO,
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request_id.reset(token)
