"""Access: with SAMESTORY_API_KEYS set, no route but the open probes and the UI's page answers without a
right key; and the embedded Redis is not on the network at all."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Api, one_request_per_operation, serve
from redis import Redis

from service.embedded_redis import EmbeddedRedis
from workers.settings import Settings

KEYS = ("first-key-0123456789", "second-key-9876543210")
# Open without a key, on purpose: liveness/readiness probes, Prometheus scrapes (counts only) and the UI's
# page and static files, which hold no data. Anything else that opens up must be added here knowingly.
OPEN = {"/healthz", "/readyz", "/ui"}
# Routes FastAPI adds beside the documented ones: the documentation itself is behind the key too.
UNDOCUMENTED = [("GET", "/openapi.json", None), ("GET", "/docs", None), ("GET", "/redoc", None)]
WRONG_KEYS = [
    None,  # no header
    "",
    "wrong",
    KEYS[0][:-1],  # a prefix of a right key
    KEYS[0] + "x",  # a right key and more
    KEYS[0].upper(),
    f"{KEYS[0]},{KEYS[1]}",  # the setting's own spelling
    KEYS[0].replace("-", " "),
]


@pytest.fixture
def keyed(settings: Settings) -> Iterator[Api]:
    yield from serve(settings.model_copy(update={"api_keys": f"{KEYS[0]}, {KEYS[1]}"}))


def every_request(api: Api) -> list[tuple[str, str, dict | None]]:
    spec = api.http.get("/openapi.json", headers={"X-API-Key": KEYS[0]}).json()
    requests = one_request_per_operation(spec) + UNDOCUMENTED + [("GET", "/no-such-route", None)]
    assert len(requests) >= 12, "the OpenAPI document lists fewer routes than expected"
    return requests


def call(api: Api, method: str, path: str, body: dict | None, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"X-API-Key": key}
    return api.http.request(method, path, json=body, headers=headers)


def test_every_route_refuses_a_missing_or_wrong_key_and_changes_nothing(keyed: Api) -> None:
    for method, path, body in every_request(keyed):
        if path in OPEN:
            continue
        for key in WRONG_KEYS:
            response = call(keyed, method, path, body, key)
            assert response.status_code == 401, (method, path, key, response.text)
            assert "X-API-Key" in response.json()["error"]
    # unknown paths answer 401 too, so that routes cannot be discovered without a key
    stats = keyed.http.get("/stats", headers={"X-API-Key": KEYS[1]}).json()
    assert stats["articles"] == 0, "a refused request stored an article"


def test_either_right_key_opens_every_route(keyed: Api) -> None:
    for key in KEYS:
        for method, path, body in every_request(keyed):
            response = call(keyed, method, path, body, key)
            assert response.status_code != 401 and response.status_code < 500, (method, path, response.text)
    # and the key really opens them: one article through the whole API
    headers = {"X-API-Key": KEYS[1]}
    article = {"id": "keyed-1", "text": "World\n\nA council approved a bridge across the harbour.\n"}
    assert keyed.http.post("/articles", json=article, headers=headers).status_code == 202
    assert keyed.http.get("/articles/keyed-1", headers=headers).status_code == 200
    assert keyed.http.get("/articles/keyed-1", headers={"X-API-Key": "wrong"}).status_code == 401


def test_the_open_routes_answer_without_a_key(keyed: Api) -> None:
    for path in sorted(OPEN):
        response = keyed.http.get(path)
        assert response.status_code == 200, (path, response.text)


def test_embedded_redis_is_not_on_the_network(tmp_path: Path) -> None:
    """Only through a unix socket that only its owner may open: no TCP port, no listening TCP socket."""
    embedded = EmbeddedRedis(tmp_path / "data")
    url = embedded.start()
    try:
        assert url.startswith("unix://")
        assert Redis.from_url(url).config_get("port") == {"port": "0"}
        assert embedded.process is not None
        assert listening_tcp_sockets(embedded.process.pid) == set()
        assert stat.S_IMODE(os.stat(embedded.socket).st_mode) == 0o700
    finally:
        embedded.stop()


def listening_tcp_sockets(pid: int) -> set[str]:
    """Inodes of the TCP sockets (IPv4 and IPv6) that this process holds and that are listening."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            held.add(target[len("socket:[") : -1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening.add(fields[9])
    assert held, "found no socket at all: the check looks at the wrong process"
    return held & listening
