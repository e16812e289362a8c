"""The one module that knows samestory's Redis keys and Lua scripts.

Every multi-key update is one Lua script (atomic on the server), and every step that touches many
articles sends its commands in one pipeline. Two families of keys:

- per article and per batch: ``{P}:a:{id}``, ``{P}:b:{batch}`` (hashes);
- the index, all under one hash tag ``{P}:{i}:...`` so that each script touches a single slot on Redis
  Cluster: article numbers (``seq``, the order of arrival, which decides "first seen"), signatures, LSH
  buckets, near-duplicate groups, story clusters and their term postings, and word counts for the IDF.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from redis import Redis

from workers.errors import IndexMismatchError

ArticleStatus = Literal["queued", "processing", "done", "failed"]
TERMINAL: frozenset[str] = frozenset({"done", "failed"})

# Most article numbers kept in one LSH bucket: a bucket that full holds boilerplate-only texts whose
# first members already link every later one into their group.
BUCKET_CAP = 64
# Most clusters kept under one term: the most recent ones, so that postings stay short.
POSTING_CAP = 64
# Upper bounds (seconds) of the job-duration histogram behind /metrics.
JOB_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

_LUA_COMMON = """
local I = KEYS[1]
local function root(s)
  return redis.call('HGET', I .. ':dup', s) or s
end
local function touch(cid)
  redis.call('ZADD', I .. ':recent', redis.call('INCR', I .. ':act'), cid)
  redis.call('ZADD', I .. ':bysize', redis.call('HGET', I .. ':cli:' .. cid, 'size') or 0, cid)
end
local function widen(cid, ts)
  if ts == '' then return end
  local info = I .. ':cli:' .. cid
  local first = redis.call('HGET', info, 'first')
  if not first or first == '' or tonumber(ts) < tonumber(first) then redis.call('HSET', info, 'first', ts) end
  local last = redis.call('HGET', info, 'last')
  if not last or last == '' or tonumber(ts) > tonumber(last) then redis.call('HSET', info, 'last', ts) end
end
-- Fold cluster b into cluster a or a into b: the older (smaller number) survives, the other redirects.
local function merge(a, b)
  if a == b then return a end
  local keep, lose = a, b
  if tonumber(b) < tonumber(a) then keep, lose = b, a end
  local kinfo, linfo = I .. ':cli:' .. keep, I .. ':cli:' .. lose
  for _, g in ipairs(redis.call('SMEMBERS', I .. ':clm:' .. lose)) do
    redis.call('HSET', I .. ':gcl', g, keep)
    redis.call('SADD', I .. ':clm:' .. keep, g)
  end
  redis.call('HINCRBY', kinfo, 'size', tonumber(redis.call('HGET', linfo, 'size') or '0'))
  redis.call('HINCRBY', kinfo, 'n', tonumber(redis.call('HGET', linfo, 'n') or '0'))
  widen(keep, redis.call('HGET', linfo, 'first') or '')
  widen(keep, redis.call('HGET', linfo, 'last') or '')
  local kc = redis.call('HGET', I .. ':cent', keep)
  local lc = redis.call('HGET', I .. ':cent', lose)
  if lc then
    local sum = kc and cjson.decode(kc) or {}
    for t, w in pairs(cjson.decode(lc)) do sum[t] = (sum[t] or 0) + w end
    redis.call('HSET', I .. ':cent', keep, cjson.encode(sum))
  end
  redis.call('HINCRBY', kinfo, 'ver', 1)
  redis.call('HSET', I .. ':redir', lose, keep)
  redis.call('DEL', I .. ':clm:' .. lose, linfo)
  redis.call('HDEL', I .. ':cent', lose)
  redis.call('ZREM', I .. ':recent', lose)
  redis.call('ZREM', I .. ':bysize', lose)
  redis.call('HINCRBY', I .. ':stats', 'clusters', -1)
  redis.call('HINCRBY', I .. ':stats', 'merges', 1)
  touch(keep)
  return keep
end
"""

# ARGV: seq, article id, packed signature, then (sub-key, field) per band.
# Returns the article numbers already in any of its buckets.
_INDEX = """
local seq = ARGV[1]
redis.call('HSET', I .. ':ids', seq, ARGV[2])
redis.call('HSET', I .. ':sig', seq, ARGV[3])
local needle = ',' .. seq .. ','
local seen, out = {}, {}
for i = 4, #ARGV, 2 do
  local key = I .. ':lsh:' .. ARGV[i]
  local bucket = redis.call('HGET', key, ARGV[i + 1])
  if not bucket then
    redis.call('HSET', key, ARGV[i + 1], needle)
  else
    local n = 0
    for s in string.gmatch(bucket, '%d+') do
      n = n + 1
      if s ~= seq and not seen[s] then seen[s] = true; out[#out + 1] = s end
    end
    if n < BUCKET_CAP and not string.find(bucket, needle, 1, true) then
      redis.call('HSET', key, ARGV[i + 1], bucket .. seq .. ',')
    end
  end
end
return out
"""

# ARGV: seq, published timestamp or '', then the article numbers verified as copies of it.
# Joins all their groups under the oldest root; their story clusters merge, since copies share a story.
# Returns {root, cluster or ''}.
_JOIN = """
local seq, ts = ARGV[1], ARGV[2]
local winner = root(seq)
local roots = {}
for i = 3, #ARGV do
  local r = root(ARGV[i])
  roots[r] = true
  if tonumber(r) < tonumber(winner) then winner = r end
end
roots[root(seq)] = true
local wcl = redis.call('HGET', I .. ':gcl', winner)
local uncounted = 0
if not wcl then uncounted = 1 + redis.call('SCARD', I .. ':dupm:' .. winner) end
for r, _ in pairs(roots) do
  if r ~= winner then
    redis.call('HINCRBY', I .. ':stats', 'copies', 1)
    local moved = redis.call('SMEMBERS', I .. ':dupm:' .. r)
    moved[#moved + 1] = r
    for _, m in ipairs(moved) do
      redis.call('HSET', I .. ':dup', m, winner)
      redis.call('SADD', I .. ':dupm:' .. winner, m)
    end
    redis.call('DEL', I .. ':dupm:' .. r)
    local rcl = redis.call('HGET', I .. ':gcl', r)
    if rcl then
      redis.call('HDEL', I .. ':gcl', r)
      redis.call('SREM', I .. ':clm:' .. rcl, r)
      if wcl then
        wcl = merge(wcl, rcl)
      else
        wcl = rcl
        redis.call('HSET', I .. ':gcl', winner, wcl)
        redis.call('SADD', I .. ':clm:' .. wcl, winner)
        redis.call('HINCRBY', I .. ':cli:' .. wcl, 'size', uncounted)
        uncounted = 0
      end
    elseif wcl then
      redis.call('HINCRBY', I .. ':cli:' .. wcl, 'size', #moved)
    else
      uncounted = uncounted + #moved
    end
  end
end
if wcl then
  widen(wcl, ts)
  touch(wcl)
end
return {winner, wcl or ''}
"""

# ARGV: seq, chosen cluster or '0' for a new one, published timestamp or '', centroid JSON,
#       n_checks, then n_checks (kind, name, expected version) triples, n_post, then n_post terms to post
#       under, then the listed words to count (document frequencies: ':df', articles counted: ':dfn').
# Optimistic concurrency: the caller scored clusters it read earlier; if any of them changed, or a cluster
# was posted under one of its terms since, the decision may be stale: return {'conflict'} and it retries.
# Counting here, after the check that the group is not placed yet, counts each original exactly once.
_ASSIGN = """
local seq, cid, ts, centroid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nchecks = tonumber(ARGV[5])
local pos = 6
for _ = 1, nchecks do
  local kind, name, want = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
  local have
  if kind == 't' then
    have = redis.call('HGET', I .. ':tver', name)
  else
    have = redis.call('HGET', I .. ':cli:' .. name, 'ver')
  end
  if (have or '0') ~= want then return {'conflict'} end
  pos = pos + 3
end
local npost = tonumber(ARGV[pos])
pos = pos + 1
local r = root(seq)
local existing = redis.call('HGET', I .. ':gcl', r)
if existing then
  -- a copy of this article was already placed (its group joined another): copies share a story
  if cid ~= '0' and cid ~= existing then existing = merge(existing, cid) end
  return {existing}
end
redis.call('INCR', I .. ':dfn')
for i = pos + npost, #ARGV do redis.call('HINCRBY', I .. ':df', ARGV[i], 1) end
if cid == '0' then
  cid = tostring(redis.call('INCR', I .. ':cls'))
  redis.call('HSET', I .. ':cli:' .. cid, 'size', 0, 'n', 0, 'ver', 0, 'first', '', 'last', '', 'rep', r)
  redis.call('HINCRBY', I .. ':stats', 'clusters', 1)
  redis.call('HINCRBY', I .. ':stats', 'created', 1)
end
local info = I .. ':cli:' .. cid
redis.call('HSET', I .. ':gcl', r, cid)
redis.call('SADD', I .. ':clm:' .. cid, r)
redis.call('HINCRBY', info, 'size', 1 + redis.call('SCARD', I .. ':dupm:' .. r))
redis.call('HINCRBY', info, 'n', 1)
redis.call('HINCRBY', info, 'ver', 1)
widen(cid, ts)
redis.call('HSET', I .. ':cent', cid, centroid)
local needle = ',' .. cid .. ','
for i = pos, pos + npost - 1 do
  local term = ARGV[i]
  local posting = redis.call('HGET', I .. ':post', term) or ','
  if not string.find(posting, needle, 1, true) then
    posting = posting .. cid .. ','
    local n = select(2, string.gsub(posting, ',', ',')) - 1
    if n > POSTING_CAP then posting = string.sub(posting, (string.find(posting, ',', 2, true))) end
    redis.call('HSET', I .. ':post', term, posting)
    redis.call('HINCRBY', I .. ':tver', term, 1)
  end
end
touch(cid)
return {cid}
"""

# ARGV: seq, then (sub-key, field) per band. Takes an article out of the index: its LSH buckets, its
# group (the next-oldest copy becomes canonical) and its cluster (removed when it was the last member).
_FORGET = """
local seq = ARGV[1]
local needle = ',' .. seq .. ','
for i = 2, #ARGV, 2 do
  local key = I .. ':lsh:' .. ARGV[i]
  local bucket = redis.call('HGET', key, ARGV[i + 1])
  if bucket then
    local at = string.find(bucket, needle, 1, true)
    if at then bucket = string.sub(bucket, 1, at) .. string.sub(bucket, at + #needle) end
    if bucket == ',' then
      redis.call('HDEL', key, ARGV[i + 1])
    else
      redis.call('HSET', key, ARGV[i + 1], bucket)
    end
  end
end
redis.call('HDEL', I .. ':ids', seq)
redis.call('HDEL', I .. ':sig', seq)
local r = root(seq)
local cid = redis.call('HGET', I .. ':gcl', r)
if r ~= seq then
  redis.call('HDEL', I .. ':dup', seq)
  redis.call('SREM', I .. ':dupm:' .. r, seq)
else
  local members = redis.call('SMEMBERS', I .. ':dupm:' .. seq)
  redis.call('DEL', I .. ':dupm:' .. seq)
  redis.call('HDEL', I .. ':gcl', seq)
  if cid then redis.call('SREM', I .. ':clm:' .. cid, seq) end
  if #members > 0 then
    local heir = members[1]
    for _, m in ipairs(members) do if tonumber(m) < tonumber(heir) then heir = m end end
    redis.call('HDEL', I .. ':dup', heir)
    for _, m in ipairs(members) do
      if m ~= heir then
        redis.call('HSET', I .. ':dup', m, heir)
        redis.call('SADD', I .. ':dupm:' .. heir, m)
      end
    end
    if cid then
      redis.call('HSET', I .. ':gcl', heir, cid)
      redis.call('SADD', I .. ':clm:' .. cid, heir)
    end
  end
end
if cid then
  local info = I .. ':cli:' .. cid
  if redis.call('HINCRBY', info, 'size', -1) <= 0 then
    redis.call('DEL', info, I .. ':clm:' .. cid)
    redis.call('HDEL', I .. ':cent', cid)
    redis.call('ZREM', I .. ':recent', cid)
    redis.call('ZREM', I .. ':bysize', cid)
    redis.call('HINCRBY', I .. ':stats', 'clusters', -1)
  else
    redis.call('HINCRBY', info, 'ver', 1)
    touch(cid)
  end
end
return 1
"""

# ARGV: seq. Returns {canonical article id, cluster or ''} as they stand now (redirects followed).
_LOCATE = """
local r = root(ARGV[1])
local cid = redis.call('HGET', I .. ':gcl', r)
if cid then
  local nxt = redis.call('HGET', I .. ':redir', cid)
  while nxt do cid = nxt; nxt = redis.call('HGET', I .. ':redir', cid) end
end
return {redis.call('HGET', I .. ':ids', r) or '', cid or ''}
"""

# KEYS: article, batch, counters, unsettled articles. ARGV: content hash, seq, batch id, then field/value
# pairs of a new article.
# Returns {outcome, status}; outcome is created, exists (same content) or conflict (other content).
_SUBMIT = """
local known = redis.call('HGET', KEYS[1], 'content_hash')
if known then
  if known ~= ARGV[1] then return {'conflict', ''} end
  local status = redis.call('HGET', KEYS[1], 'status')
  if ARGV[3] == '' then return {'exists', status} end
  if status == 'done' or status == 'failed' then
    redis.call('HINCRBY', KEYS[2], status, 1)
  else
    redis.call('HSET', KEYS[1], 'batches', redis.call('HGET', KEYS[1], 'batches') .. ',' .. ARGV[3])
  end
  return {'exists', status}
end
redis.call('HSET', KEYS[1], 'content_hash', ARGV[1], 'seq', ARGV[2], 'batches', ARGV[3], 'status', 'queued')
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[2])
redis.call('HINCRBY', KEYS[3], 'articles', 1)
redis.call('HINCRBY', KEYS[3] .. ':total', 'articles', 1)
return {'created', 'queued'}
"""

# KEYS: article, unsettled articles. ARGV: key prefix, final status, n, then n (removal reason, blocks)
# pairs, then field/value pairs. Settles an article once: a retried job finds it settled and changes
# nothing, so nothing counts twice.
_FINISH = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'done' or status == 'failed' then return 0 end
local fields_at = 4 + 2 * tonumber(ARGV[3])
redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'seq'))
redis.call('HSET', KEYS[1], 'status', ARGV[2], unpack(ARGV, fields_at))
redis.call('HINCRBY', ARGV[1] .. ':stats', ARGV[2], 1)
redis.call('HINCRBY', ARGV[1] .. ':stats:total', ARGV[2], 1)
for i = 4, fields_at - 1, 2 do
  redis.call('HINCRBY', ARGV[1] .. ':stats:removed', ARGV[i], ARGV[i + 1])
end
for b in string.gmatch(redis.call('HGET', KEYS[1], 'batches') or '', '[^,]+') do
  redis.call('HINCRBY', ARGV[1] .. ':b:' .. b, ARGV[2], 1)
end
return 1
"""


# Paragraph hashes remembered per generation of the learned-boilerplate memory (workers.boilerplate):
# when the current generation holds this many, it becomes the old one and the oldest is dropped, so that
# the memory stays bounded (~20 MB per generation) while lines that keep recurring stay known.
LINES_PER_GENERATION = 262_144

# KEYS: index hash tag. ARGV: seq, its group's root as 4 bytes, most groups kept per line, then the
# article's paragraph hashes. Adds the group to each paragraph's distinct groups, once per article (a
# retried job counts nothing twice).
_RECORD_LINES = """
local I = KEYS[1]
if redis.call('SETBIT', I .. ':lines:seen', ARGV[1], 1) == 1 then return 0 end
local lines, group, most = I .. ':lines', ARGV[2], 4 * tonumber(ARGV[3])
for i = 4, #ARGV do
  local groups = redis.call('HGET', lines, ARGV[i])
  if not groups then
    redis.call('HSET', lines, ARGV[i], group)
  elseif #groups < most then
    local known = false
    for j = 1, #groups, 4 do
      if string.sub(groups, j, j + 3) == group then known = true; break end
    end
    if not known then redis.call('HSET', lines, ARGV[i], groups .. group) end
  end
end
if redis.call('HLEN', lines) >= LINES_PER_GENERATION then redis.call('RENAME', lines, lines .. ':old') end
return 1
"""


@dataclass(frozen=True)
class NewArticle:
    """An article as submitted, before processing."""

    id: str
    content_hash: str
    fields: Mapping[str, str | bytes]


@dataclass(frozen=True)
class SubmitOutcome:
    id: str
    outcome: Literal["created", "exists", "conflict"]
    status: str


@dataclass(frozen=True)
class ClusterInfo:
    id: int
    size: int  # articles, copies included
    vectors: int  # articles whose term vectors were summed into the centroid (copies add none)
    first: float | None
    last: float | None
    version: int
    centroid: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryCheck:
    """What a story decision was based on: versions to compare at commit time."""

    term_versions: dict[str, int]
    cluster_versions: dict[int, int]


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


def _bucket_args(bands: Sequence[bytes]) -> list[Any]:
    """(hash key suffix, field) per band: 256 hashes per band keep each small enough for Redis's compact
    listpack encoding, which stores a bucket in a few dozen bytes."""
    args: list[Any] = []
    for band, bucket in enumerate(bands):
        args += [f"{band}:{bucket[0]}", bucket[1:]]
    return args


def _fields(row: Mapping[Any, Any]) -> dict[str, bytes]:
    """A hash as Redis returns it (bytes keys and values) with its field names decoded."""
    return {k.decode(): v for k, v in row.items()}


def _removal_counts(removed: str | bytes | None) -> dict[str, int]:
    """Blocks cut from one page per reason (from the compressed JSON the pipeline stores), for the
    counters behind /metrics. Reasons are a handful of fixed words; anything else counts as "other" so
    that a future free-text reason cannot multiply metric series."""
    if not isinstance(removed, bytes) or not removed:
        return {}
    counts: dict[str, int] = {}
    for block in json.loads(decompress(removed)):
        reason = str(block.get("reason", ""))
        key = (
            reason
            if reason.isascii() and reason.replace("_", "").isalpha() and len(reason) <= 32
            else "other"
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


def _groups(packed: bytes | None) -> set[bytes]:
    """The distinct 4-byte group numbers packed in one paragraph's value."""
    return {packed[i : i + 4] for i in range(0, len(packed), 4)} if packed else set()


def compress(text: str) -> bytes:
    return zlib.compress(text.encode(), 6)


def decompress(blob: bytes | None) -> str:
    return zlib.decompress(blob).decode() if blob else ""


class Store:
    """samestory's state in Redis. Cheap to create; holds no state of its own beyond the connection."""

    def __init__(self, redis: Redis, prefix: str = "ss") -> None:
        self.redis = redis
        self.prefix = prefix
        self.index = f"{prefix}:{{i}}"
        self._submit = redis.register_script(_SUBMIT)
        self._finish = redis.register_script(_FINISH)
        self._record_lines = redis.register_script(
            _RECORD_LINES.replace("LINES_PER_GENERATION", str(LINES_PER_GENERATION))
        )
        self._index = redis.register_script(_LUA_COMMON + _INDEX.replace("BUCKET_CAP", str(BUCKET_CAP)))
        self._join = redis.register_script(_LUA_COMMON + _JOIN)
        self._assign = redis.register_script(_LUA_COMMON + _ASSIGN.replace("POSTING_CAP", str(POSTING_CAP)))
        self._locate = redis.register_script(_LUA_COMMON + _LOCATE)
        self._forget = redis.register_script(_LUA_COMMON + _FORGET)

    # -- key names ---------------------------------------------------------------------------------
    def article_key(self, article_id: str) -> str:
        return f"{self.prefix}:a:{article_id}"

    def batch_key(self, batch_id: str) -> str:
        return f"{self.prefix}:b:{batch_id}"

    def _ikey(self, name: str) -> str:
        return f"{self.index}:{name}"

    def _counters(self) -> str:
        return f"{self.prefix}:stats"

    # -- set-up ------------------------------------------------------------------------------------
    def ping(self) -> bool:
        return bool(self.redis.ping())

    def check_index_params(self, params: Mapping[str, str]) -> None:
        """Record the signature settings beside a new index; refuse to run against one built otherwise."""
        key = self._ikey("params")
        self.redis.hsetnx(key, "created", str(time.time()))
        for name, value in params.items():
            self.redis.hsetnx(key, name, value)
        stored = {_text(k): _text(v) for k, v in self.redis.hgetall(key).items()}
        wrong = {
            name: (stored.get(name), value) for name, value in params.items() if stored.get(name) != value
        }
        if wrong:
            detail = ", ".join(f"{n}: index has {old}, settings say {new}" for n, (old, new) in wrong.items())
            raise IndexMismatchError(
                f"The Redis index was built with other signature settings ({detail}). Start with the "
                "index's settings, or point REDIS_URL / SAMESTORY_KEY_PREFIX at a fresh index."
            )

    # -- ingestion ---------------------------------------------------------------------------------
    def submit(self, articles: Sequence[NewArticle], batch_id: str | None) -> list[SubmitOutcome]:
        """Store new articles (status queued) and, for a batch, its record, in one round trip.

        Each article is one atomic script, so a concurrent POST of the same id cannot create it twice.
        The article numbers, drawn first, fix the order of arrival, which decides "first seen".
        """
        first_seq = int(self.redis.incrby(self._ikey("seq"), len(articles))) - len(articles) + 1
        batch_key = self.batch_key(batch_id or "-")
        pipe = self.redis.pipeline(transaction=True)
        if batch_id:
            pipe.hset(
                batch_key, mapping={"total": len(articles), "done": 0, "failed": 0, "created": time.time()}
            )
        for offset, article in enumerate(articles):
            flat: list[Any] = [x for pair in article.fields.items() for x in pair]
            self._submit(
                keys=[self.article_key(article.id), batch_key, self._counters(), self._ikey("unsettled")],
                args=[article.content_hash, first_seq + offset, batch_id or "", *flat],
                client=pipe,
            )
        results = pipe.execute()[1 if batch_id else 0 :]
        return [
            SubmitOutcome(a.id, _text(r[0]), _text(r[1]) or "")  # type: ignore[arg-type]
            for a, r in zip(articles, results, strict=True)
        ]

    def remove_from_batch(self, batch_id: str, count: int) -> None:
        """Shrink a batch's total by items that were refused (conflicts), so that it can complete."""
        self.redis.hincrby(self.batch_key(batch_id), "total", -count)

    # -- reading articles and batches ----------------------------------------------------------------
    def load_articles(self, ids: Sequence[str]) -> list[dict[str, bytes]]:
        pipe = self.redis.pipeline(transaction=False)
        for article_id in ids:
            pipe.hgetall(self.article_key(article_id))
        return [_fields(row) for row in pipe.execute()]

    def mark_processing(self, ids: Iterable[str], batch_ids: Iterable[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for article_id in ids:
            pipe.hset(self.article_key(article_id), "status", "processing")
        for batch_id in batch_ids:
            pipe.hset(self.batch_key(batch_id), "started", 1)
        pipe.execute()

    def finish(self, results: Sequence[tuple[str, ArticleStatus, Mapping[str, str | bytes]]]) -> None:
        """Settle articles as done or failed with their results, and count them in their batches."""
        pipe = self.redis.pipeline(transaction=False)
        for article_id, status, fields in results:
            flat: list[Any] = [x for pair in fields.items() for x in pair]
            reasons = _removal_counts(fields.get("removed"))
            counts: list[Any] = [x for pair in reasons.items() for x in pair]
            self._finish(
                keys=[self.article_key(article_id), self._ikey("unsettled")],
                args=[self.prefix, status, len(reasons), *counts, *flat],
                client=pipe,
            )
        pipe.execute()

    def earliest_unsettled(self) -> int | None:
        """The lowest article number not yet done or failed (nor deleted), if any."""
        first: list[bytes] = self.redis.zrange(self._ikey("unsettled"), 0, 0)  # type: ignore[assignment]
        return int(first[0]) if first else None

    def stop_waiting_for(self, below: int) -> int:
        """Drop the articles numbered below ``below`` from the unsettled set, so that no job waits for them
        any more (they settle normally if they are still alive). Returns how many were dropped."""
        return int(self.redis.zremrangebyscore(self._ikey("unsettled"), "-inf", f"({below}"))

    def read_article(self, article_id: str) -> tuple[dict[str, bytes], str | None, str | None] | None:
        """An article's stored fields with its canonical id and cluster as they stand now."""
        row = self.redis.hgetall(self.article_key(article_id))
        if not row:
            return None
        fields = _fields(row)
        if fields.get("status") != b"done":
            return fields, None, None
        canonical, cluster = self._locate(keys=[self.index], args=[fields["seq"]])
        return fields, _text(canonical) or None, _text(cluster) or None

    def read_batch(self, batch_id: str) -> dict[str, str] | None:
        row = self.redis.hgetall(self.batch_key(batch_id))
        return {_text(k) or "": _text(v) or "" for k, v in row.items()} or None

    # -- near-duplicates -----------------------------------------------------------------------------
    def index_signatures(self, entries: Sequence[tuple[int, str, bytes, Sequence[bytes]]]) -> list[list[int]]:
        """Insert articles into their LSH buckets and return, per article, those already there.

        One script per article, all in one pipeline: insert and read are one atomic step, so of two
        copies processed at once by two workers, whichever runs second finds the first.
        """
        pipe = self.redis.pipeline(transaction=False)
        for seq, article_id, packed, bands in entries:
            self._index(keys=[self.index], args=[seq, article_id, packed, *_bucket_args(bands)], client=pipe)
        return [[int(s) for s in found] for found in pipe.execute()]

    def forget(self, article_id: str, seq: int, bands: Sequence[bytes], status: str) -> None:
        """Delete an article for good: out of the index, its group and its cluster, then its record.

        The index step runs first and is idempotent, so a delete interrupted between the two steps can be
        repeated; the record goes last, so the article stays visible until it is wholly gone.
        """
        if status == "done":
            self._forget(keys=[self.index], args=[seq, *_bucket_args(bands)])
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.article_key(article_id))
        pipe.zrem(self._ikey("unsettled"), seq)
        pipe.hincrby(self._counters(), "articles", -1)
        pipe.hincrby(self._counters(), status, -1)
        pipe.execute()

    def signatures(self, seqs: Sequence[int]) -> dict[int, bytes]:
        if not seqs:
            return {}
        blobs: list[Any] = self.redis.hmget(self._ikey("sig"), list(seqs))
        return {seq: blob for seq, blob in zip(seqs, blobs, strict=True) if blob}

    def join_copies(self, joins: Sequence[tuple[int, str, Sequence[int]]]) -> list[tuple[int, int | None]]:
        """Join each article with its verified copies; returns (group root, its cluster or None)."""
        pipe = self.redis.pipeline(transaction=False)
        for seq, ts, copies in joins:
            self._join(keys=[self.index], args=[seq, ts, *copies], client=pipe)
        return [(int(r), int(c) if c else None) for r, c in pipe.execute()]

    # -- stories -------------------------------------------------------------------------------------
    def term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """Articles counted so far (originals placed in a story), and how many of them had each of these
        words among their listed words (`workers.terms.refine_idf`)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self._ikey("dfn"))
        pipe.hmget(self._ikey("df"), list(terms)) if terms else pipe.echo("")
        articles, counts = pipe.execute()
        found = zip(terms, counts, strict=True) if terms else ()
        return int(articles or 0), {t: int(n) for t, n in found if n}

    def story_candidates(self, terms: Sequence[str]) -> tuple[dict[str, int], dict[int, int]]:
        """Term versions, and for each cluster posted under these terms how many of them it shares."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self._ikey("post"), list(terms))
        pipe.hmget(self._ikey("tver"), list(terms))
        postings, versions = pipe.execute()
        shared: dict[int, int] = {}
        for posting in postings:
            for number in (_text(posting) or "").strip(",").split(","):
                if number:
                    shared[int(number)] = shared.get(int(number), 0) + 1
        live = self._resolve_clusters(list(shared))
        merged: dict[int, int] = {}
        for cid, count in shared.items():
            merged[live[cid]] = merged.get(live[cid], 0) + count
        term_versions = {t: int(v or 0) for t, v in zip(terms, versions, strict=True)}
        return term_versions, merged

    def _resolve_clusters(self, cids: list[int]) -> dict[int, int]:
        """Follow merge redirects to the surviving cluster of each id."""
        resolved = {cid: cid for cid in cids}
        pending = list(cids)
        while pending:
            targets = self.redis.hmget(self._ikey("redir"), [resolved[c] for c in pending])
            nxt = []
            for cid, target in zip(pending, targets, strict=True):
                if target:
                    resolved[cid] = int(target)
                    nxt.append(cid)
            pending = nxt
        return resolved

    def clusters(self, cids: Sequence[int]) -> list[ClusterInfo]:
        pipe = self.redis.pipeline(transaction=False)
        for cid in cids:
            pipe.hgetall(self._ikey(f"cli:{cid}"))
        pipe.hmget(self._ikey("cent"), list(cids)) if cids else pipe.echo("")
        *infos, cents = pipe.execute()
        out = []
        for cid, info, cent in zip(cids, infos, cents if cids else [], strict=True):
            if not info:
                continue
            out.append(
                ClusterInfo(
                    id=cid,
                    size=int(info.get(b"size", 0)),
                    vectors=int(info.get(b"n", 0)),
                    first=float(info[b"first"]) if info.get(b"first") else None,
                    last=float(info[b"last"]) if info.get(b"last") else None,
                    version=int(info.get(b"ver", 0)),
                    centroid=json.loads(cent) if cent else {},
                )
            )
        return out

    def assign_story(
        self,
        seq: int,
        cluster: int | None,
        published_ts: str,
        centroid: Mapping[str, float],
        check: StoryCheck,
        post_terms: Sequence[str],
        count_terms: Sequence[str],
    ) -> int | None:
        """Place an article's group in a cluster (a new one when cluster is None), post the cluster under
        `post_terms` and count the article's listed words `count_terms` (see `term_counts`).

        Returns the cluster, or None when what the decision was based on changed meanwhile (retry).
        """
        args: list[Any] = [seq, cluster or 0, published_ts, json.dumps(centroid, separators=(",", ":"))]
        checks: list[Any] = []
        for term, version in check.term_versions.items():
            checks += ["t", term, version]
        for cid, version in check.cluster_versions.items():
            checks += ["c", cid, version]
        args += [len(checks) // 3, *checks, len(post_terms), *post_terms, *count_terms]
        result = self._assign(keys=[self.index], args=args)
        return None if _text(result[0]) == "conflict" else int(result[0])

    # -- reading clusters ----------------------------------------------------------------------------
    def resolve_cluster(self, cid: int) -> int | None:
        """The live cluster an id stands for now (itself, or where it was merged), or None if unknown."""
        live = self._resolve_clusters([cid])[cid]
        return live if self.redis.exists(self._ikey(f"cli:{live}")) else None

    def cluster_articles(self, cid: int) -> list[tuple[str, str]]:
        """(article id, canonical id) for every article of a cluster."""
        roots = [int(r) for r in self.redis.smembers(self._ikey(f"clm:{cid}"))]
        pipe = self.redis.pipeline(transaction=False)
        for root in roots:
            pipe.smembers(self._ikey(f"dupm:{root}"))
        groups = {
            root: sorted(int(m) for m in group) for root, group in zip(roots, pipe.execute(), strict=True)
        }
        seqs = [s for root in roots for s in [root, *groups[root]]]
        ids = self.redis.hmget(self._ikey("ids"), seqs) if seqs else []
        by_seq = {s: _text(i) or "" for s, i in zip(seqs, ids, strict=True)}
        return [(by_seq[s], by_seq[root]) for root in sorted(roots) for s in [root, *groups[root]]]

    def article_summaries(self, ids: Sequence[str], fields: Sequence[str]) -> list[list[str | None]]:
        pipe = self.redis.pipeline(transaction=False)
        for article_id in ids:
            pipe.hmget(self.article_key(article_id), list(fields))
        return [[_text(v) for v in row] for row in pipe.execute()]

    def recent_clusters(self, limit: int, before: float | None) -> list[tuple[int, float]]:
        """Live clusters, most recent activity first, strictly older than the cursor when given."""
        top = f"({before}" if before is not None else "+inf"
        rows: list[Any] = self.redis.zrange(
            self._ikey("recent"), top, "-inf", byscore=True, desc=True, offset=0, num=limit, withscores=True
        )
        return [(int(cid), float(score)) for cid, score in rows]

    def largest_clusters(self, limit: int) -> list[tuple[int, int]]:
        """(cluster, size) of the largest live clusters, largest first (ties: the older cluster first).

        The ranking is kept by the index scripts whenever a cluster changes; a cluster last changed before
        this ranking existed is absent until its next article."""
        rows: list[Any] = self.redis.zrange(self._ikey("bysize"), 0, limit - 1, desc=True, withscores=True)
        ranked = sorted(((int(cid), int(size)) for cid, size in rows), key=lambda r: (-r[1], r[0]))
        return ranked

    def record_job(self, seconds: float) -> None:
        """Count one job run and its duration in a histogram kept in Redis, so that the API process, which
        serves /metrics, can export what separate worker processes measured."""
        key = f"{self.prefix}:stats:jobs"
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(key, "count", 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        bound = next((b for b in JOB_SECONDS_BUCKETS if seconds <= b), None)
        if bound is not None:
            pipe.hincrby(key, f"le:{bound}", 1)
        pipe.execute()

    def job_durations(self) -> tuple[list[tuple[float, int]], int, float]:
        """The job-duration histogram: cumulative count per upper bound, total count, total seconds."""
        row = {
            _text(k) or "": _text(v) or "0"
            for k, v in self.redis.hgetall(f"{self.prefix}:stats:jobs").items()
        }
        running = 0
        buckets = []
        for bound in JOB_SECONDS_BUCKETS:
            running += int(row.get(f"le:{bound}", "0"))
            buckets.append((bound, running))
        return buckets, int(row.get("count", "0")), float(row.get("sum", "0"))

    def totals(self) -> dict[str, int]:
        """Articles ever accepted and settled (done, failed): unlike stats(), never lowered when an article
        is deleted, so that /metrics can export them as Prometheus counters."""
        rows = self.redis.hgetall(f"{self.prefix}:stats:total")
        return {_text(k) or "": int(v) for k, v in rows.items()}

    def removed_blocks(self) -> dict[str, int]:
        """Blocks cut from settled pages so far, per reason."""
        rows = self.redis.hgetall(f"{self.prefix}:stats:removed")
        return {_text(k) or "": int(v) for k, v in rows.items()}

    # -- learned boilerplate -----------------------------------------------------------------------
    def line_support(self, articles: Sequence[Sequence[bytes]]) -> list[list[int]]:
        """For each article's paragraph hashes: in how many distinct groups each was seen, counting both
        generations of the memory. One round trip for the whole job."""
        pipe = self.redis.pipeline(transaction=False)
        for keys in articles:
            if keys:
                pipe.hmget(self._ikey("lines"), list(keys))
                pipe.hmget(self._ikey("lines:old"), list(keys))
        rows = iter(pipe.execute())
        out: list[list[int]] = []
        for keys in articles:
            if not keys:
                out.append([])
                continue
            current, old = next(rows), next(rows)
            out.append([len(_groups(a) | _groups(b)) for a, b in zip(current, old, strict=True)])
        return out

    def record_lines(self, articles: Sequence[tuple[int, int, Sequence[bytes]]], most: int) -> None:
        """Count each article's paragraphs (seq, its group's root, paragraph hashes) in its group, keeping
        at most ``most`` distinct groups per paragraph. One round trip for the whole job."""
        pipe = self.redis.pipeline(transaction=False)
        for seq, root, keys in articles:
            if keys:
                self._record_lines(
                    keys=[self.index], args=[seq, root.to_bytes(4, "little"), most, *keys], client=pipe
                )
        pipe.execute()

    def stats(self) -> dict[str, int]:
        """Articles accepted, settled (done, failed), live clusters, merges, and Redis memory in use."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(self._counters())
        pipe.hgetall(self._ikey("stats"))
        pipe.info("memory")
        counters, index, memory = pipe.execute()
        out = {k.decode(): int(v) for k, v in {**counters, **index}.items()}
        out["redis_used_memory_bytes"] = int(memory["used_memory"])
        return out
