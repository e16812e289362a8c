"""JSON-lines logs, and a request id that follows an article from the API into the job that processes it."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from conftest import ROOT, Api
from test_metrics import BRIDGE

from service.logs import JsonFormatter


@pytest.fixture
def api_log() -> Iterator[io.StringIO]:
    """What the API process logs, formatted as it is in production (service.logs.setup_logging installs
    the same formatter on the root logger; the test keeps pytest's own handlers instead)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("samestory.http", "workers.jobs")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_log_record_is_one_json_object_with_its_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "x.y", "levelname": "WARNING", "msg": "%s said\n%s", "args": ("a", "b"), "job_id": "j1"}
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "x.y" and entry["message"] == "a said\nb"
    assert entry["job_id"] == "j1" and entry["request_id"] is None
    assert entry["time"].endswith("+00:00")


def test_request_id_is_answered_and_generated_when_absent_or_unusable(api: Api) -> None:
    assert api.http.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = api.http.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    unusable = api.http.get("/healthz", headers={"X-Request-ID": "a b\tc" * 50}).headers["x-request-id"]
    assert len(unusable) == 32 and " " not in unusable


def test_the_request_id_follows_an_article_into_its_job(api: Api, api_log: io.StringIO) -> None:
    response = api.http.post(
        "/articles", json={"id": "traced-1", "text": BRIDGE}, headers={"X-Request-ID": "trace-me-1"}
    )
    assert response.status_code == 202 and response.headers["x-request-id"] == "trace-me-1"

    # The request line is written once the response has gone out: give the server thread a moment.
    deadline = time.monotonic() + 5
    while '"path": "/articles"' not in api_log.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    api_lines = lines(api_log.getvalue())
    access = next(e for e in api_lines if e["logger"] == "samestory.http" and e["path"] == "/articles")
    assert access["request_id"] == "trace-me-1" and access["status"] == 202 and access["method"] == "POST"
    queued = next(e for e in api_lines if e["message"] == "queued")
    assert queued["request_id"] == "trace-me-1" and queued["article_ids"] == ["traced-1"]

    # A worker in its own process, as in production: it logs JSON lines to stderr.
    env = {**os.environ, "REDIS_URL": api.settings.redis_url or "", "SAMESTORY_LOG_LEVEL": "INFO"}
    worker = subprocess.run(
        [sys.executable, "-m", "service.cli", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    output = worker.stdout + worker.stderr
    assert all(line.startswith("{") for line in output.splitlines() if line.strip()), output[:2000]
    worker_lines = lines(output)
    started = next(e for e in worker_lines if e["message"] == "job started")
    assert started["request_id"] == "trace-me-1" and started["article_ids"] == ["traced-1"]
    assert started["job_id"] == queued["job_ids"][0]
    assert any(str(e["logger"]).startswith("rq.") for e in worker_lines), "RQ's own lines are JSON too"
    assert api.http.get("/articles/traced-1").json()["status"] in ("done", "failed"), "the job settled it"
