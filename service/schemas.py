"""Request and response bodies. These models are the API's contract and its OpenAPI documentation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from workers.dates import from_timestamp, normalise_date, to_timestamp

ARTICLE_ID = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$"
EXAMPLE_TEXT = (
    "POLITICS\n\nUS and China agree to keep talking\n\nBEIJING (AP) — The two sides met on Sunday..."
)


class ArticleIn(BaseModel):
    """One article: its page as scraped text (chrome and all) or as HTML, and what the client knows."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "ap-2023-06-18-blinken",
                    "text": EXAMPLE_TEXT,
                    "published_at": "2023-06-18",
                    "source": "apnews.com",
                }
            ]
        },
    )

    text: str | None = Field(default=None, description="The page's visible text, one block per line.")
    html: str | None = Field(default=None, description="The page's HTML (instead of text).")
    id: str | None = Field(
        default=None,
        pattern=ARTICLE_ID,
        description="Your own id (letters, digits and . _ : ~ -, at most 128). Generated when absent.",
    )
    title: str | None = Field(default=None, max_length=2000, description="Headline, when known.")
    byline: str | None = Field(default=None, max_length=500, description="Authors, when known.")
    url: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=500, description="Outlet or domain.")
    published_at: str | None = Field(
        default=None, description="ISO 8601 date or datetime, e.g. 2024-04-26 or 2024-04-26T10:24:00Z."
    )
    fetched_at: str | None = Field(
        default=None,
        description="When you fetched the page, an ISO 8601 datetime (UTC when it names no zone): a text "
        "page's dateline written relative to then ('3 hours ago', 'Yesterday 2:45 PM') gives its date.",
    )

    @field_validator("text", "html", "title", "byline", "url", "source")
    @classmethod
    def _utf8(cls, value: str | None) -> str | None:
        """JSON may spell a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 text can hold: refuse it here
        rather than fail on it when the article is hashed and stored."""
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                char = value[exc.start]
                raise ValueError(
                    f"not valid Unicode text: a lone surrogate ({char!r}) at character {exc.start}"
                ) from None
        return value

    @field_validator("published_at", "fetched_at")
    @classmethod
    def _iso_date(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return None
        normalised = normalise_date(value)
        if info.field_name == "fetched_at" and len(normalised) == 10:
            raise ValueError(
                f"{value!r} is a day; a fetch time needs the time of day too (e.g. 2024-04-26T10:24:00Z)"
            )
        try:
            # stored as a timestamp and read back as a date: both ways must work (0001-01-01T00:00+14:00
            # is a valid ISO date whose UTC instant falls in year 0, which Python cannot represent)
            from_timestamp(to_timestamp(normalised))
        except (ValueError, OverflowError, OSError):
            raise ValueError(
                f"{value!r} is out of range: its UTC instant must fall in years 1 to 9999"
            ) from None
        return normalised

    @model_validator(mode="after")
    def _one_page(self) -> ArticleIn:
        given = [name for name in ("text", "html") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'text' or 'html'" + (" (both were given)" if given else " (neither was)")
            )
        if not (self.text or self.html or "").strip():
            raise ValueError(f"'{given[0]}' is empty: there is no article to process")
        return self

    @property
    def page(self) -> str:
        return self.text if self.text is not None else self.html or ""


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[ArticleIn] = Field(min_length=1, description="Up to SAMESTORY_MAX_BATCH_ITEMS articles.")


class Accepted(BaseModel):
    id: str
    status: Literal["queued", "processing", "done", "failed"]


class Rejected(BaseModel):
    index: int
    id: str | None
    error: str


class BatchAccepted(BaseModel):
    id: str
    total: int = Field(description="Articles accepted into the batch.")
    ids: list[str] = Field(
        description="The accepted articles' ids in the order they were sent, those generated included."
    )
    rejected: list[Rejected] = Field(default_factory=list, description="Items refused, each with why.")


class BatchOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "partial"]
    total: int
    done: int
    failed: int


class RemovedBlockOut(BaseModel):
    text: str
    reason: str = Field(
        description=(
            "Why the block was cut: classifier (the line classifier judged it chrome), teaser, timestamp, "
            "word_list (an alphabetical tag cloud or menu), caption (a photo caption or credit), label (a "
            "label the page repeats, such as an ad slot's), share, "
            "title, meta (byline, dateline), boilerplate (seen in many articles), and in HTML mode link, "
            "lead_heading, dateline."
        )
    )


class ArticleOut(BaseModel):
    id: str
    status: Literal["queued", "processing", "done", "failed"]
    title: str | None
    published_at: str | None = Field(
        description="As given, else read from the page: an ISO 8601 date, or the moment in UTC when the "
        "page gives the time in a zone."
    )
    byline: str | None = Field(description="The authors as the page names them (or as given).")
    source: str | None
    url: str | None
    body: str | None = Field(description="Clean article text, paragraphs separated by blank lines.")
    cluster_id: str | None = Field(description="The story cluster (coverage of the same event).")
    canonical_id: str | None = Field(description="First-seen article of its near-duplicate group.")
    error: str | None
    removed: list[RemovedBlockOut] | None = Field(
        default=None, description="With ?include=removed: the blocks cut from the page, with why."
    )


class ClusterArticle(BaseModel):
    id: str
    title: str | None
    source: str | None
    published_at: str | None
    canonical_id: str


REPRESENTATIVE = (
    "The cluster's representative article: of its originals, the one most similar on average to the "
    "cluster's other articles when it joined (the first article while the cluster has two)."
)


class ClusterOut(BaseModel):
    id: str
    size: int = Field(description="Articles in the whole cluster, copies included.")
    representative_id: str | None = Field(description=REPRESENTATIVE)
    title: str | None = Field(description="The representative article's title: the story's headline.")
    articles: list[ClusterArticle] = Field(
        description="One page of the cluster's articles, in order of arrival (the first seen first)."
    )
    sources: list[str] = Field(description="Sources of all the cluster's articles, sorted.")
    first_published: str | None
    last_published: str | None
    next_cursor: str | None = Field(
        default=None, description="Pass as ?cursor= for the next page of articles; null on the last page."
    )


class ClusterSummary(BaseModel):
    id: str
    size: int
    representative_id: str | None = Field(description=REPRESENTATIVE)
    title: str | None = Field(description="The representative article's title: the story's headline.")
    first_published: str | None
    last_published: str | None


class ClusterPage(BaseModel):
    clusters: list[ClusterSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page, which starts after this page's last cluster in the "
        "order (a position, not a count: see GET /clusters); null at the end."
    )


class StatsOut(BaseModel):
    articles: int
    clusters: int
    queued: int = Field(description="Articles accepted and not yet processed.")
    redis_used_memory_bytes: int


class ErrorOut(BaseModel):
    error: str
    details: list[str] = Field(default_factory=list)
