"""Accepting articles: validate, store durably, queue. Shared by POST /articles and POST /batches."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException

from service.schemas import ArticleIn, Rejected
from workers.jobs import enqueue
from workers.settings import Settings
from workers.store import NewArticle, Store, SubmitOutcome, compress


@dataclass(frozen=True)
class Submission:
    outcomes: list[SubmitOutcome]
    rejected: list[Rejected]


def new_id() -> str:
    return "a_" + secrets.token_hex(8)


def content_hash(article: ArticleIn) -> str:
    """What makes two submissions under one id "the same content": the page and everything given with it."""
    payload = article.model_dump(exclude={"id"}, exclude_none=True)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def check_size(article: ArticleIn, settings: Settings, where: str = "the article") -> None:
    size = len(article.page.encode())
    if size > settings.max_article_bytes:
        raise HTTPException(
            status_code=413,
            detail=f"{where} is {size:,} bytes; the limit per article is "
            f"{settings.max_article_bytes:,} bytes (SAMESTORY_MAX_ARTICLE_BYTES)",
        )


def _record(article: ArticleIn, article_id: str) -> NewArticle:
    fields: dict[str, str | bytes] = {
        "id": article_id,
        "kind": "text" if article.text is not None else "html",
        "raw": compress(article.page),
    }
    for name, value in (
        ("title_given", article.title),
        ("byline_given", article.byline),
        ("url", article.url),
        ("source", article.source),
        ("published_given", article.published_at),
        ("fetched_at", article.fetched_at),
    ):
        if value:
            fields[name] = value
    return NewArticle(article_id, content_hash(article), fields)


def submit(
    store: Store, settings: Settings, articles: Sequence[ArticleIn], batch_id: str | None
) -> Submission:
    """Store the articles and queue those still waiting; duplicates within one request are refused.

    Articles are in Redis before this returns, so an accepted article survives whatever happens next. An
    article already known with the same content and not yet processed is queued again: its first job may
    have been lost, and processing it twice changes nothing.
    """
    rejected: list[Rejected] = []
    records: list[NewArticle] = []
    positions: list[int] = []
    seen: set[str] = set()
    for index, article in enumerate(articles):
        article_id = article.id or new_id()
        if article_id in seen:
            rejected.append(Rejected(index=index, id=article_id, error="duplicate id within this request"))
            continue
        seen.add(article_id)
        records.append(_record(article, article_id))
        positions.append(index)
    outcomes = store.submit(records, batch_id) if records else []
    accepted = []
    for index, outcome in zip(positions, outcomes, strict=True):
        if outcome.outcome == "conflict":
            rejected.append(
                Rejected(index=index, id=outcome.id, error="an article with this id and other content exists")
            )
        else:
            accepted.append(outcome)
    if batch_id and len(accepted) != len(records):
        store.remove_from_batch(batch_id, len(records) - len(accepted))
    waiting = [o.id for o in accepted if o.status in ("queued", "processing")]
    if waiting:
        enqueue(store.redis, waiting, settings)
    rejected.sort(key=lambda r: r.index)
    return Submission(accepted, rejected)
