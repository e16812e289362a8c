"""`samestory serve` as a user runs it: embedded Redis, workers, and data kept across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import ROOT, free_port
from test_seeds import check_seeds, seed_articles


@contextmanager
def serving(data_dir: Path, port: int, **env: str) -> Iterator[httpx.Client]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SAMESTORY_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        env={**clean_env, "SAMESTORY_DATA_DIR": str(data_dir), **env},
        cwd=ROOT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, "samestory serve exited at start"
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "/healthz did not answer within 30 s"
            time.sleep(0.2)
        yield client
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0


def wait_for_batch(client: httpx.Client, batch_id: str) -> None:
    deadline = time.monotonic() + 120
    while client.get(f"/batches/{batch_id}").json()["status"] not in ("done", "partial"):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.2)


def test_serve_with_embedded_redis_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path / "data", port) as client:
        batch = client.post("/batches", json={"articles": seed_articles()}).json()
        wait_for_batch(client, batch["id"])
        check_seeds(client)
        before = {a["id"]: client.get(f"/articles/{a['id']}").json() for a in seed_articles()}
    assert not list((tmp_path / "data").glob("*.sock")), "the embedded Redis was not stopped"

    with serving(tmp_path / "data", port) as client:
        after = {a["id"]: client.get(f"/articles/{a['id']}").json() for a in seed_articles()}
        assert after == before
        cluster = client.get(f"/clusters/{after['000_228ce710a6c0f92f']['cluster_id']}").json()
        assert sorted(a["id"] for a in cluster["articles"]) == [
            "000_228ce710a6c0f92f",
            "002_4de6c9c732b8d66f",
        ]


def test_serve_refuses_an_index_built_with_other_signature_settings(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path / "data", port):
        pass
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SAMESTORY_"))}
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "0"],
        env={**clean_env, "SAMESTORY_DATA_DIR": str(tmp_path / "data"), "SAMESTORY_NUM_PERM": "80"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "num_perm: index has 120, settings say 80" in result.stderr
