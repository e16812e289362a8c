"""One job's work: load → clean → wait for earlier articles → reconsider with learned boilerplate → sign
→ find copies → place stories → store.

Each step handles the whole job's articles at once, so Redis sees a few pipelines per job rather than a
few round trips per article. Processing is idempotent: an article already settled is skipped, and every
index write is a no-op the second time, so RQ may retry a job after a crash without double counting.

Grouping is online: whether an article starts a story or joins one, and which of its lines have been
seen often enough to be boilerplate, depends on what arrived before it. So the costly step (cleaning)
runs in parallel on every worker, and the rest waits until every earlier-numbered article has settled:
any number of workers then groups exactly as one worker would.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace

from workers import guard
from workers.boilerplate import BODY_MIN_GROUPS, apply_support, line_key, page_lines, paragraphs, reconsider
from workers.clean import CleanArticle, ScoredText, score_text
from workers.cluster import find_copies, place_story
from workers.dates import normalise_date, to_datetime, to_timestamp
from workers.errors import PermanentError
from workers.settings import Settings
from workers.signature import sign
from workers.store import TERMINAL, ArticleStatus, Store, compress, decompress
from workers.terms import salient_terms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cleaned:
    id: str
    seq: int
    source: str | None
    article: CleanArticle
    # a text page as scored, for choosing its article again once its boilerplate is known (None: HTML)
    page: ScoredText | None
    # the hash of each line of the page (see boilerplate.page_lines), by its text
    line_keys: dict[str, bytes]
    title: str | None
    published_at: str | None
    byline: str | None


@dataclass(frozen=True)
class JobReport:
    done: int
    failed: int
    skipped: int
    copies: int


def _text(row: dict[str, bytes], name: str) -> str | None:
    value = row.get(name)
    return value.decode() if value else None


def _clean(row: dict[str, bytes]) -> tuple[CleanArticle, ScoredText | None]:
    raw = decompress(row.get("raw"))
    page = None
    try:
        if _text(row, "kind") == "html":
            # HTML goes through the guard: a pathological page fails alone, within a time limit
            article = guard.clean_html(raw)
        else:
            fetched = _text(row, "fetched_at")
            page = score_text(
                raw,
                headline=_text(row, "title_given"),
                fetched_at=to_datetime(fetched) if fetched else None,
            )
            article = page.article(page.keep())
    except ValueError as exc:
        raise PermanentError(str(exc)) from exc
    if not article.body.strip():
        raise PermanentError("no article text was found: every block of the page looked like page chrome")
    return article, page


def _published(row: dict[str, bytes], article: CleanArticle) -> str | None:
    given = _text(row, "published_given")
    if given:
        return given
    if article.published_at:
        try:
            return normalise_date(article.published_at)
        except ValueError:
            return None
    return None


# Polling interval while a job waits for earlier articles: doubled from the first up to the last value.
ORDER_POLL_SECONDS = (0.005, 0.1)
# Workers take jobs first in, first out and mark their articles "processing" within milliseconds, so an
# earlier article still "queued" this long after a later job started is not ahead of it: its job was
# lost or retried behind it, or it was stored without one (its POST failed half-way). Not worth waiting for.
QUEUED_GRACE_SECONDS = 2.0


def wait_for_earlier(store: Store, first_seq: int, settings: Settings) -> None:
    """Block until every article numbered below ``first_seq`` is settled, or no longer worth waiting for.

    Articles another worker is processing are waited for up to ``order_wait`` seconds (a crashed job
    awaiting its retry is the reason to give up); articles no worker has taken, for QUEUED_GRACE_SECONDS.
    Either way a predecessor given up on is dropped from the wait for good, so that it stalls later jobs
    once, not forever."""
    if settings.order_wait <= 0:
        return
    started = time.monotonic()
    delay, longest = ORDER_POLL_SECONDS
    while (earliest := store.earliest_unsettled()) is not None and earliest.seq < first_seq:
        waited = time.monotonic() - started
        if waited >= settings.order_wait:
            dropped = store.stop_waiting_for(below=first_seq)
            log.warning(
                "%d earlier articles did not settle within %.0f s; grouping without waiting for them",
                dropped,
                settings.order_wait,
            )
            return
        if earliest.status != "processing" and waited >= QUEUED_GRACE_SECONDS:
            log.info("article %d is not being processed; grouping without waiting for it", earliest.seq)
            store.stop_waiting_for(key=earliest.key)
            continue
        time.sleep(delay)
        delay = min(2 * delay, longest)


def process(store: Store, ids: list[str], settings: Settings) -> JobReport:
    rows = store.load_articles(ids)
    pending = [
        (aid, row) for aid, row in zip(ids, rows, strict=True) if row and _text(row, "status") not in TERMINAL
    ]
    batches = {b for _, row in pending for b in (_text(row, "batches") or "").split(",") if b}
    store.mark_processing([aid for aid, _ in pending], batches)

    results: list[tuple[str, ArticleStatus, dict[str, str | bytes]]] = []
    cleaned: list[Cleaned] = []
    for aid, row in pending:
        try:
            article, page = _clean(row)
        except PermanentError as exc:
            results.append((aid, "failed", {"error": str(exc)}))
            continue
        title = _text(row, "title_given") or article.title
        byline = _text(row, "byline_given") or article.byline
        keys = {line: line_key(line) for line in page_lines(article)}
        published = _published(row, article)
        cleaned.append(
            Cleaned(aid, int(row["seq"]), _text(row, "source"), article, page, keys, title, published, byline)
        )

    if pending:
        wait_for_earlier(store, min(int(row["seq"]) for _, row in pending), settings)
    signed: list[str] = []
    supports = store.line_support([list(c.line_keys.values()) for c in cleaned])
    for i, (c, groups) in enumerate(zip(cleaned, supports, strict=True)):
        support = dict(zip(c.line_keys, groups, strict=True))
        article = c.article if c.page is None else reconsider(c.article, c.page, support)
        # a paragraph made anew by reconsider (pieces of a long line first cut one by one) counts as unseen
        article, text = apply_support(article, [support.get(p, 0) for p in paragraphs(article)])
        cleaned[i] = replace(c, article=article)
        signed.append(text)
    signatures = sign(signed, settings.num_perm, settings.shingle_size, settings.seed)
    stamps = [to_timestamp(c.published_at) if c.published_at else None for c in cleaned]
    placed = find_copies(
        store,
        [
            (c.seq, c.id, c.source, sig, "" if ts is None else repr(ts))
            for c, sig, ts in zip(cleaned, signatures, stamps, strict=True)
        ],
        settings,
    )
    store.record_lines(
        [(c.seq, copies.root, list(c.line_keys.values())) for c, copies in zip(cleaned, placed, strict=True)],
        BODY_MIN_GROUPS,
    )

    for c, copies, ts in zip(cleaned, placed, stamps, strict=True):
        if copies.root != c.seq or copies.cluster is not None:
            continue  # a copy shares its original's story; an original that met its copies has theirs
        vector = salient_terms(c.article.body, c.title, lang=c.article.language or None)
        place_story(store, c.seq, vector, ts, settings)

    for c in cleaned:
        removed = [{"text": r.text, "reason": r.reason} for r in c.article.removed]
        results.append(
            (
                c.id,
                "done",
                {
                    "title": c.title or "",
                    "published_at": c.published_at or "",
                    "byline": c.byline or "",
                    "body": compress(c.article.body),
                    "language": c.article.language,  # what its terms were weighed in (`placed_vector`)
                    "removed": compress(json.dumps(removed, ensure_ascii=False)),
                },
            )
        )
    store.finish(results)
    copies_found = sum(1 for c, p in zip(cleaned, placed, strict=True) if p.root != c.seq)
    failed = sum(1 for _, status, _ in results if status == "failed")
    report = JobReport(len(cleaned), failed, len(ids) - len(pending), copies_found)
    log.info("job done: %s", report)
    return report
