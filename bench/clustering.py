"""Clustering quality and speed through the real pipeline: a dev file in, ARI and B-cubed out.

    python -m bench.clustering ../shared/bench/events/syndication-dev.jsonl [--workers 2]
    python -m bench.clustering ../shared/bench/events/wikinews-dev.jsonl
    python -m bench.clustering ../shared/bench/events/syndication-dev.jsonl \
        --originals ../shared/bench/events/wikinews-dev.jsonl
    python -m bench.clustering ../shared/bench/events/wikinews-dev.jsonl --dated url --anchor

Rows are accepted exactly as the API accepts them (validation, storage, queueing), then N real RQ worker
processes drain the queue, so the figures include cleaning, signatures, Redis and concurrency. Without
--redis-url a fresh embedded Redis in a temporary folder is used, so runs never mix with other data.
Near-duplicate groups (canonical_id) are scored against `copy_of` when the file has it; story clusters
(cluster_id) against `event` or `cluster`. With --originals (the file whose rows the dev file's rows are
copies of, by `copy_of`), the bodies extracted from the rows that wrap a whole original in page chrome are
scored against the original's text with the AEB metric: chrome stripping as it does on a stream, where the
learned boilerplate takes part. With --dated, only dated rows are loaded: stories as they are judged on
held-out data, where every article is dated; `own` takes the rows with a date of their own, `url` also
those whose URL states one. With --anchor, the issue's reference method (bench.anchor) is scored on the
same rows, so that a dev figure can be read against the reference's known held-out score.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis

from bench.extraction import DEFAULT_AEB, aeb_metric
from bench.metrics import adjusted_rand_index, bcubed
from service.embedded_redis import EmbeddedRedis
from service.ingest import submit
from service.schemas import ArticleIn
from workers.settings import get_settings
from workers.store import Store, decompress

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# Dates as news sites put them in their URLs: /2014/07/13/, /20140713, 2014-07-13, /2014/jul/13/.
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)([/_-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_MONTH_DATE = re.compile(r"/((?:19|20)\d\d)/([a-z]{3})/(\d{1,2})/", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def url_date(url: str) -> str | None:
    """The publication date a URL states (noon UTC, the day being all it says), if it states one."""
    if m := _URL_DATE.search(url):
        year, month, day = int(m[1]), int(m[3]), int(m[4])
    elif (m := _URL_MONTH_DATE.search(url)) and m[2].lower() in _MONTHS:
        year, month, day = int(m[1]), _MONTHS.index(m[2].lower()) + 1, int(m[3])
    else:
        return None
    try:
        return datetime(year, month, day, 12, tzinfo=UTC).isoformat()
    except ValueError:
        return None


def dated(rows: list[dict], from_urls: bool) -> list[dict]:
    """Only the rows with a date: their own, else (``from_urls``) the one their URL states. The product is
    judged on dated articles, and most rows of the dev event set have no date but a URL that tells it."""
    out = []
    for row in rows:
        date = row.get("published_at") or row.get("date")
        if not date and from_urls:
            date = url_date(row.get("url") or "")
        if date:
            out.append({**row, "published_at": date})
    return out


def as_article(row: dict, prefix: str) -> ArticleIn:
    return ArticleIn(
        id=prefix + row["id"],
        text=row["text"],
        title=row.get("title") or None,
        published_at=row.get("published_at") or row.get("date") or None,
    )


def run(
    path: Path,
    redis_url: str,
    workers: int,
    limit: int | None,
    originals: Path | None,
    dates: str | None,
    anchor: bool,
) -> None:
    rows = load(path)
    if dates:
        rows = dated(rows, from_urls=dates == "url")
    rows = rows[:limit] if limit else rows
    prefix = f"bench{secrets.token_hex(3)}-"
    os.environ["REDIS_URL"] = redis_url
    get_settings.cache_clear()
    settings = get_settings()
    store = Store(Redis.from_url(redis_url), settings.key_prefix)
    store.open_index(settings.index_params())

    started = time.perf_counter()
    for start in range(0, len(rows), 1000):
        submit(store, settings, [as_article(r, prefix) for r in rows[start : start + 1000]], batch_id=None)
    accepted = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--burst"],
            cwd=ROOT,
            env={**os.environ, "SAMESTORY_LOG_LEVEL": "WARNING"},
        )
        for _ in range(workers)
    ]
    for proc in procs:
        proc.wait()
    finished = time.perf_counter()

    ids = [prefix + r["id"] for r in rows]
    results = {aid: store.read_article(aid) for aid in ids}
    failed = [aid for aid, found in results.items() if found is None or found[0].get("status") != b"done"]
    canonical = {aid: (found[1] if found else None) or aid for aid, found in results.items()}
    cluster = {aid: (found[2] if found else None) or aid for aid, found in results.items()}

    print(f"{path.name}: {len(rows)} articles, {workers} worker(s), {len(failed)} not done")
    print(
        f"  accepted in {accepted - started:.1f} s; processed in {finished - accepted:.1f} s "
        f"= {len(rows) / (finished - accepted):.0f} articles/s (worker start-up included)"
    )
    if "copy_of" in rows[0]:
        gold = {prefix + r["id"]: r["copy_of"] for r in rows}
        p, r, f = bcubed(gold, canonical)
        print(
            f"  near-duplicate groups: B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}, "
            f"ARI {adjusted_rand_index(gold, canonical):.3f}"
        )
    label = "event" if "event" in rows[0] else "cluster"
    gold = {prefix + r["id"]: r[label] for r in rows}
    p, r, f = bcubed(gold, cluster)
    ari = adjusted_rand_index(gold, cluster)
    print(f"  story clusters: ARI {ari:.3f}, B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")
    if anchor:
        from bench.anchor import anchor_scores  # needs scikit-learn, which only this option uses

        scores = anchor_scores(rows, ids, gold)
        best = max(scores, key=scores.__getitem__)
        listed = ", ".join(f"{t:g}: {a:.3f}" for t, a in scores.items())
        print(f"  reference (TF-IDF, components, 3-day window) ARI by threshold: {listed}; best {best:g}")
    if originals:
        texts = {row["id"]: row["text"] for row in load(originals)}
        wrapped = [r for r in rows if r["id"] == r.get("copy_of") and r["id"] in texts]
        bodies = {}
        for row in wrapped:
            found = results[prefix + row["id"]]
            bodies[row["id"]] = decompress(found[0].get("body")) if found else ""
        m = aeb_metric(DEFAULT_AEB.parent)(bodies, {r["id"]: texts[r["id"]] for r in wrapped}, n_bootstrap=0)
        print(
            f"  bodies of the {len(wrapped)} wrapped originals against their text: "
            f"F1 {m['f1']:.3f}  P {m['precision']:.3f}  R {m['recall']:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "file", type=Path, help="JSONL with id, text, published_at/date, copy_of, event/cluster"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N rows")
    parser.add_argument("--redis-url", default=None, help="default: a fresh embedded Redis")
    parser.add_argument(
        "--originals", type=Path, default=None, help="JSONL of the originals the rows copy (see above)"
    )
    parser.add_argument(
        "--dated",
        choices=("own", "url"),
        default=None,
        help="only rows with a date: their own (own), or else the one their URL states (url)",
    )
    parser.add_argument(
        "--anchor", action="store_true", help="also score the issue's reference method (bench.anchor)"
    )
    args = parser.parse_args()
    options = (args.workers, args.limit, args.originals, args.dated, args.anchor)
    if args.redis_url:
        run(args.file, args.redis_url, *options)
        return
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedRedis(Path(tmp))
        try:
            run(args.file, embedded.start(), *options)
        finally:
            embedded.stop()


if __name__ == "__main__":
    main()
