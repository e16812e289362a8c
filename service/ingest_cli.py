"""`samestory ingest PATH…`: send many articles to a running API, resumably, and say what came of them.

Not to be confused with service/ingest.py, the API's own submit logic: this is a client of the API.

- PATH is a JSONL file (one article body per line, as POST /articles takes it), a folder of .txt/.html
  pages (searched recursively; id = file name without extension, text or HTML by extension), or one page.
  A JSONL row without an id gets one derived from its content ("j_" + hash), so that sending it again is
  recognised as the same article rather than stored twice.
- Rows are checked locally with the API's own model (service.schemas.ArticleIn) before anything is sent, so
  that one bad row is reported by file and line instead of failing a whole batch with 422.
- Resuming: after each batch the API acknowledges, its ids (with a hash of what was sent) are appended to a
  state file. A rerun skips what the state file holds; an article sent twice anyway (state file lost) is
  harmless, since the API answers the same id with the same content as "exists" and changes nothing.
- Then it waits for the batches to be processed and prints a summary: ingested, failed, copies found
  (articles whose canonical_id is another article) and story clusters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from service.schemas import ArticleIn

DEFAULT_API = "http://127.0.0.1:8000"
PAGE_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
# Stay well under the API's default request limit (SAMESTORY_MAX_REQUEST_BYTES, 64 MB); a batch that is
# still refused as too large is split in two until it passes.
MAX_BATCH_BYTES = 16_000_000
# Waits between retries while the API or its Redis does not answer (503, connection refused…).
RETRY_WAITS = (1, 2, 4, 8, 16, 30)
TERMINAL = ("done", "failed")
EXIT_OK, EXIT_NOT_ALL_INGESTED, EXIT_ABORTED, EXIT_INTERRUPTED = 0, 1, 3, 130


class Abort(Exception):
    """Stop the run with this message; what was acknowledged so far stays in the state file."""


@dataclass(frozen=True)
class Row:
    """One article of the input, or why it cannot be one."""

    origin: str  # file, or file:line, for messages
    id: str
    body: dict[str, Any]
    digest: str
    error: str | None = None


@dataclass
class Report:
    valid: int = 0
    skipped: int = 0  # acknowledged by an earlier run
    sent: int = 0
    acknowledged: set[str] = field(default_factory=set)  # this run
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (origin, why)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (id, why), refused by the API
    batches: dict[str, int] = field(default_factory=dict)  # batch id -> articles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="JSONL files (one article body per line) or folders of .txt/.html pages (id = file stem)",
    )
    parser.add_argument(
        "--api", default=os.environ.get("SAMESTORY_API", DEFAULT_API), help=f"default {DEFAULT_API}"
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="articles per POST /batches (1-10000; default 500)"
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SAMESTORY_API_KEY"),
        help="or SAMESTORY_API_KEY in the environment",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="file of acknowledged ids (default .samestory-ingest/<hash of --api>.tsv in this folder)",
    )
    parser.add_argument("--no-wait", action="store_true", help="send, then exit without waiting or summary")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for processing")


# -- reading the input --------------------------------------------------------------------------------------
def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def _row(origin: str, body: dict[str, Any]) -> Row:
    if "id" not in body or body["id"] is None:
        body = {**body, "id": "j_" + _digest(body)[:24]}
    article_id = str(body["id"])
    try:
        ArticleIn.model_validate(body)
    except ValidationError as exc:
        why = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        return Row(origin, article_id, {}, "", why)
    return Row(origin, article_id, body, _digest(body))


def _jsonl(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            origin = f"{path}:{number}"
            try:
                body = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(origin, "", {}, "", f"not JSON: {exc.msg}")
                continue
            if not isinstance(body, dict):
                yield Row(origin, "", {}, "", "not a JSON object")
                continue
            yield _row(origin, body)


def _page(path: Path) -> Row:
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return Row(str(path), path.stem, {}, "", "not UTF-8 text")
    return _row(str(path), {"id": path.stem, PAGE_SUFFIXES[path.suffix.lower()]: content})


def read_rows(paths: Sequence[Path]) -> Iterator[Row]:
    """Every article of the input, in a stable order (folders sorted), so that reruns see the same order."""
    for path in paths:
        if path.is_dir():
            for page in sorted(
                p for p in path.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file()
            ):
                yield _page(page)
        elif path.suffix.lower() in PAGE_SUFFIXES:
            yield _page(path)
        else:
            yield from _jsonl(path)


# -- the state file -----------------------------------------------------------------------------------------
def default_state_path(api: str) -> Path:
    """One state file per API, so that sending the same files to another service sends everything."""
    return Path(".samestory-ingest") / (hashlib.sha256(api.rstrip("/").encode()).hexdigest()[:12] + ".tsv")


def load_state(path: Path) -> dict[str, str]:
    """id -> digest of what the API acknowledged; a line cut short by an interruption is ignored."""
    if not path.exists():
        return {}
    acked = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[1]) == 32:
            acked[parts[0]] = parts[1]
    return acked


def _save(path: Path, rows: Sequence[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(f"{r.id}\t{r.digest}\n" for r in rows))
        out.flush()
        os.fsync(out.fileno())


# -- talking to the API -------------------------------------------------------------------------------------
def _call(http: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, retried while the service is unavailable; 401 and other failures end the run."""
    for wait in (*RETRY_WAITS, None):
        try:
            response = http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 401:
                raise Abort("the API wants a key: pass --api-key or set SAMESTORY_API_KEY")
            if response.status_code not in (502, 503, 504):
                return response
            problem = f"HTTP {response.status_code}"
        if wait is None:
            raise Abort(f"{method} {url}: the service is not answering ({problem})")
        time.sleep(wait)
    raise AssertionError("unreachable")


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text[:200]


def _send(http: httpx.Client, rows: list[Row], state: Path, report: Report) -> None:
    """POST one batch; split it while the API refuses it as too large or invalid, down to the culprit."""
    response = _call(http, "POST", "/batches", json={"articles": [r.body for r in rows]})
    if response.status_code in (413, 422):
        if len(rows) == 1:
            report.rejected.append((rows[0].id, _error(response)))
            return
        half = len(rows) // 2
        _send(http, rows[:half], state, report)
        _send(http, rows[half:], state, report)
        return
    if response.status_code != 202:
        raise Abort(f"POST /batches answered {response.status_code}: {_error(response)}")
    answer = response.json()
    refused = {item["index"]: item["error"] for item in answer.get("rejected", [])}
    report.rejected += [(rows[i].id, why) for i, why in sorted(refused.items())]
    accepted = [r for i, r in enumerate(rows) if i not in refused]
    _save(state, accepted)
    report.acknowledged.update(r.id for r in accepted)
    report.batches[answer["id"]] = int(answer["total"])


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    weight = 0
    for row in rows:
        row_bytes = len(json.dumps(row.body, ensure_ascii=False).encode())
        if batch and (len(batch) >= size or weight + row_bytes > MAX_BATCH_BYTES):
            yield batch
            batch, weight = [], 0
        batch.append(row)
        weight += row_bytes
    if batch:
        yield batch


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


# -- the command --------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """Send, wait, summarise; returns the exit status."""
    # Ids and error messages may hold [brackets]: print them as they are, never as rich markup.
    console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    out = Console(markup=False, highlight=False, soft_wrap=True)
    if not 1 <= args.batch_size <= 10_000:
        console.print("samestory ingest: --batch-size must be between 1 and 10000")
        return 2
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        console.print(f"samestory ingest: no such file or folder: {', '.join(missing)}")
        return 2
    state = args.state or default_state_path(args.api)
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    report = Report()
    try:
        with httpx.Client(base_url=args.api, headers=headers, timeout=300) as http:
            to_send = _plan(args.paths, load_state(state), report)
            _send_all(http, args.paths, to_send, args.batch_size, state, report, console)
            if args.no_wait:
                _print_sent(out, report, state)
                return _exit_status(report)
            _wait(http, report, args.timeout, console)
            _summarise(http, args.paths, report, args.timeout, console, out, state)
    except Abort as exc:
        console.print(f"samestory ingest: {exc}")
        console.print(
            f"{len(report.acknowledged)} articles were acknowledged and saved in {state}; rerun to resume."
        )
        return EXIT_ABORTED
    except KeyboardInterrupt:
        console.print(
            f"\nsamestory ingest: interrupted. {len(report.acknowledged)} articles acknowledged this run are "
            f"saved in {state}: run the same command again to resume."
        )
        return EXIT_INTERRUPTED
    return _exit_status(report)


def _exit_status(report: Report) -> int:
    return EXIT_NOT_ALL_INGESTED if report.invalid or report.rejected else EXIT_OK


def _plan(paths: Sequence[Path], acked: dict[str, str], report: Report) -> set[str]:
    """First pass over the input: check every row, and choose the ids still to send."""
    seen: dict[str, tuple[str, str]] = {}  # id -> (digest, origin) of its first row
    to_send: set[str] = set()
    for row in read_rows(paths):
        if row.error:
            report.invalid.append((row.origin, row.error))
            continue
        if row.id in seen:
            if seen[row.id][0] != row.digest:
                report.invalid.append(
                    (row.origin, f"id {row.id!r} also at {seen[row.id][1]} with other content")
                )
            continue
        seen[row.id] = (row.digest, row.origin)
        report.valid += 1
        if acked.get(row.id) == row.digest:
            report.skipped += 1
        else:
            to_send.add(row.id)
    return to_send


def _send_all(
    http: httpx.Client,
    paths: Sequence[Path],
    to_send: set[str],
    batch_size: int,
    state: Path,
    report: Report,
    console: Console,
) -> None:
    """Second pass: send the chosen rows (first occurrence of each id) in batches."""

    def chosen() -> Iterator[Row]:
        for row in read_rows(paths):
            if row.id in to_send and not row.error:
                to_send.discard(row.id)
                yield row

    if report.skipped:
        console.print(f"{report.skipped} articles were acknowledged by an earlier run: not sent again")
    with _progress(console) as progress:
        task = progress.add_task("sending", total=len(to_send))
        for batch in _batches(chosen(), batch_size):
            _send(http, batch, state, report)
            report.sent += len(batch)
            progress.advance(task, len(batch))


def _wait(http: httpx.Client, report: Report, timeout: float, console: Console) -> None:
    """Poll this run's batches until every article in them is settled (done or failed)."""
    pending = dict(report.batches)
    settled: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    with _progress(console) as progress:
        task = progress.add_task("processing", total=sum(pending.values()))
        while pending and time.monotonic() < deadline:
            for batch_id in list(pending):
                row = _call(http, "GET", f"/batches/{batch_id}").json()
                settled[batch_id] = int(row["done"]) + int(row["failed"])
                if row["status"] in ("done", "partial"):
                    del pending[batch_id]
            progress.update(task, completed=sum(settled.values()))
            if pending:
                time.sleep(0.5)
    if pending:
        console.print(f"gave up waiting after {timeout:.0f} s: {len(pending)} batches are still processing")


def _summarise(
    http: httpx.Client,
    paths: Sequence[Path],
    report: Report,
    timeout: float,
    console: Console,
    out: Console,
    state: Path,
) -> None:
    """Read back every acknowledged article of the input (this run's and earlier runs') and count."""
    acked = load_state(state)
    ids = sorted({row.id for row in read_rows(paths) if not row.error and row.id in acked})
    articles: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout

    def fetch(article_id: str) -> tuple[str, dict[str, Any]]:
        response = _call(http, "GET", f"/articles/{article_id}")
        return article_id, response.json() if response.status_code == 200 else {"status": "missing"}

    with _progress(console) as progress, ThreadPoolExecutor(max_workers=8) as pool:
        task = progress.add_task("summarising", total=len(ids))
        todo = ids
        while todo:
            for article_id, body in pool.map(fetch, todo):
                articles[article_id] = body
            todo = [i for i in todo if articles[i].get("status") not in (*TERMINAL, "missing")]
            progress.update(task, completed=len(ids) - len(todo))
            if todo and time.monotonic() > deadline:
                break
            if todo:
                time.sleep(0.5)

    done = [a for a in articles.values() if a.get("status") == "done"]
    failed = [(i, a) for i, a in articles.items() if a.get("status") == "failed"]
    copies = [a for a in done if a.get("canonical_id") and a["canonical_id"] != a["id"]]
    clusters = {a["cluster_id"] for a in done if a.get("cluster_id")}
    waiting = len(articles) - len(done) - len(failed)
    out.print(f"articles in the input: {report.valid}")
    out.print(f"sent now: {report.sent} (acknowledged by an earlier run: {report.skipped})")
    out.print(f"ingested: {len(done)}")
    out.print(f"failed: {len(failed)}")
    out.print(f"copies found: {len(copies)}")
    out.print(f"clusters: {len(clusters)}")
    if waiting:
        out.print(f"still processing or missing: {waiting}")
    _print_problems(out, report, failed)


def _print_sent(out: Console, report: Report, state: Path) -> None:
    out.print(f"articles in the input: {report.valid}")
    out.print(f"sent now: {report.sent} (acknowledged by an earlier run: {report.skipped})")
    out.print(f"batches: {', '.join(report.batches) or 'none'}; acknowledged ids are in {state}")
    _print_problems(out, report, [])


def _print_problems(out: Console, report: Report, failed: list[tuple[str, dict[str, Any]]]) -> None:
    for title, items in (
        ("invalid rows (not sent)", report.invalid),
        ("refused by the API", report.rejected),
        ("failed in processing", [(i, str(a.get("error"))) for i, a in failed]),
    ):
        if items:
            out.print(f"{title}: {len(items)}")
            for where, why in items[:10]:
                out.print(f"  {where}: {why}")
            if len(items) > 10:
                out.print(f"  … and {len(items) - 10} more")
