"""`samestory serve | worker | ingest`: the API with its workers on one machine, one more worker anywhere,
or a bulk upload of files to a running API."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from redis import Redis

from service.embedded_redis import EmbeddedRedis, url_if_running
from service.processes import stop_with_parent
from workers.errors import IndexMismatchError
from workers.settings import Settings, get_settings
from workers.store import Store


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        sys.exit(f"samestory: bad configuration: {problems}")


def _stopping(signum: int, frame: object) -> None:
    print(f"samestory: {signal.Signals(signum).name} received, stopping workers and Redis", flush=True)


def serve(host: str, port: int, n_workers: int) -> None:
    """Start (or reuse) Redis, N worker processes and the API; stop them all on SIGTERM or Ctrl-C."""
    from service.app import create_app
    from service.logs import setup_logging

    settings = _settings()
    setup_logging(settings.log_level)
    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir)
        url = embedded.start()
        print(f"samestory: embedded Redis at {url} (data in {embedded.data_dir})", flush=True)
    env = {**os.environ, "REDIS_URL": url}
    settings = settings.model_copy(update={"redis_url": url})
    children: list[subprocess.Popen[bytes]] = []
    try:
        Store(Redis.from_url(url), settings.key_prefix).open_index(settings.index_params())
        app = create_app(settings)
        # Workers get their own session, so that a Ctrl-C in the terminal reaches only this process, which
        # then stops them once, gracefully (a second signal would make RQ abandon the job in hand).
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                env=env,
                start_new_session=True,
                preexec_fn=stop_with_parent,
            )
            for _ in range(n_workers)
        ]
        # uvicorn re-raises the signal that stopped it once it has shut down; with these handlers that
        # lands here harmlessly and the clean-up below still runs.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stopping)
        # log_config=None keeps the JSON logging set up above; the RequestId middleware logs each request.
        config = uvicorn.Config(
            app, host=host, port=port, log_level=settings.log_level.lower(), log_config=None, access_log=False
        )
        uvicorn.Server(config).run()
    except IndexMismatchError as exc:
        sys.exit(f"samestory serve: {exc}")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # RQ's warm shutdown: finish the current job, then stop
        for child in children:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            embedded.stop()


def worker(burst: bool) -> None:
    from service.logs import setup_logging
    from workers.jobs import run_worker

    settings = _settings()
    url = settings.redis_url or url_if_running(settings.data_dir)
    if url is None:
        sys.exit(
            "samestory worker: no REDIS_URL, and no embedded Redis is running for "
            f"{Path(settings.data_dir).resolve()}; start `samestory serve` first or set REDIS_URL"
        )
    setup_logging(settings.log_level)
    try:
        run_worker(Redis.from_url(url), settings, burst=burst)
    except IndexMismatchError as exc:
        sys.exit(f"samestory worker: {exc}")


def build_parser() -> argparse.ArgumentParser:
    """The command line, also used by tests/test_deploy.py to check the commands that deploy files run."""
    from service import ingest_cli

    parser = argparse.ArgumentParser(prog="samestory", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p_serve = commands.add_parser(
        "serve", help="run the API and N workers (embedded Redis without REDIS_URL)"
    )
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--workers", type=int, default=2, help="worker processes (0 allowed; default 2)")
    p_worker = commands.add_parser("worker", help="one worker process against REDIS_URL")
    p_worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    ingest_cli.add_arguments(
        commands.add_parser("ingest", help="send JSONL files or folders of .txt/.html pages to a running API")
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        if args.workers < 0:
            parser.error("--workers must be 0 or more")
        serve(args.host, args.port, args.workers)
    elif args.command == "ingest":
        from service import ingest_cli

        sys.exit(ingest_cli.run(args))
    else:
        worker(args.burst)


if __name__ == "__main__":
    main()
