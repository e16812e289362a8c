"""The one module that knows samestory's Redis keys and Lua scripts.

Every multi-key update is one Lua script (atomic on the server), and every step that touches many
articles sends its commands in one pipeline. Two families of keys:

- per article and per batch: ``{P}:a:{id}``, ``{P}:b:{batch}`` (hashes);
- the index, all under one hash tag ``{P}:{i}:...`` so that each script touches a single slot on Redis
  Cluster: article numbers (``seq``, the order of arrival, which decides "first seen"), signatures, LSH
  buckets, near-duplicate groups, story clusters and their term postings, and word counts for the IDF
  (``dfn`` articles counted, ``df`` per word, ``counted`` the words each placed group's original added,
  taken back with its vector in its cluster when the group's last article is deleted).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from redis import Redis

from workers.errors import IndexMismatchError

ArticleStatus = Literal["queued", "processing", "done", "failed"]
TERMINAL: frozenset[str] = frozenset({"done", "failed"})

# Most article numbers kept in one LSH bucket (4 bytes each, so a full bucket is 64 bytes, the longest
# value Redis keeps in a hash's compact listpack encoding): a bucket that full holds boilerplate-only texts
# whose first members already link every later one into their group.
BUCKET_CAP = 16
# Article numbers per seq -> id hash: well under the 512 fields of Redis's compact hash encoding.
IDS_PER_HASH = 128
# Bytes of one signature block (a string of fixed-size records): exactly one 64 KiB allocation with the
# string's header, so a block wastes no memory to allocator rounding or to Redis's growth by doubling.
SIGNATURE_BLOCK_BYTES = 65_536 - 16
# k of the LSH layout for an index whose parameters were never recorded (a Store driven directly, as in
# tests): the default of Settings.lsh_bucket_bits.
UNRECORDED_BUCKET_BITS = 12
# Most clusters kept under one term: the most recent ones, so that postings stay short.
POSTING_CAP = 64
# Terms kept in a cluster's centroid, the heaviest (100 scores within 0.01 ARI of 300 on wikinews-dev and
# keeps a cluster's record near 1.5 KB in Redis). The scripts cap a centroid whenever they write one, after
# a join and after a merge alike (`capped_sum` in _LUA_COMMON).
CENTROID_TERMS = 100
# The size ranking of clusters ({i}:largest) scores a cluster size * RANK_ID_SPAN + id, so that the ranking
# is by size, then by id, with no ties, and a page can start strictly after the last cluster shown. A double
# holds such a score exactly while it is below 2^53: ids below 2^32, sizes counted up to RANK_MAX_SIZE (a
# larger cluster ranks as that size, then by id).
RANK_ID_SPAN = 2**32
RANK_MAX_SIZE = 2**21 - 1
# Decoded centroids a worker keeps, by their stored JSON: an article is scored against the clusters that
# the articles just before it were scored against, mostly unchanged since, so with this many 93 % of the
# centroids read on wikinews-dev and 87 % on syndication-dev were decoded already (each decoding costs
# ~40 us; the cache holds ~3 MB).
CENTROID_CACHE = 256
# Weight at or below which a term of a centroid is gone once a deleted article's vector is taken out of it
# (_FORGET). Taking out exactly what was added leaves float noise rather than 0 (the scripts store centroids
# as JSON of 14 significant digits, so a sum of n weights is off by ~n * 1e-14); real weights are far above
# it (the lightest term of an article's vector weighs 0.026 or more on the dev sets). The vector taken out
# is computed again at deletion and may weigh more than the one added (`workers.cluster.placed_vector`): a
# term left below 0 is gone too.
CENTROID_RESIDUE = 1e-9
# Clusters moved per call when an index of an earlier release is opened (see _MIGRATE_SIZE_RANKING).
MIGRATE_SIZE_RANKING_STEP = 2_000
# The constants the index scripts are written with (see _index_script).
_LUA_CONSTANTS = {
    "BUCKET_CAP": BUCKET_CAP,
    "IDS_PER_HASH": IDS_PER_HASH,
    "SIGNATURE_BLOCK_BYTES": SIGNATURE_BLOCK_BYTES,
    "UNRECORDED_BUCKET_BITS": UNRECORDED_BUCKET_BITS,
    "POSTING_CAP": POSTING_CAP,
    "CENTROID_TERMS": CENTROID_TERMS,
    "CENTROID_RESIDUE": CENTROID_RESIDUE,
    "RANK_ID_SPAN": RANK_ID_SPAN,
    "RANK_MAX_SIZE": RANK_MAX_SIZE,
}
# Upper bounds (seconds) of the job-duration histogram behind /metrics.
JOB_SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

_LUA_COMMON = """
local I = KEYS[1]
local function root(s)
  return redis.call('HGET', I .. ':dup', s) or s
end
-- A cluster's place in the ranking by size (see RANK_ID_SPAN).
local function rank(cid)
  local size = math.min(tonumber(redis.call('HGET', I .. ':cli:' .. cid, 'size') or '0'), RANK_MAX_SIZE)
  -- formatted here: Lua would write a number over 10^14 with 14 significant digits
  redis.call('ZADD', I .. ':largest', string.format('%.0f', size * RANK_ID_SPAN + tonumber(cid)), cid)
end
local function touch(cid)
  redis.call('ZADD', I .. ':recent', redis.call('INCR', I .. ':act'), cid)
  rank(cid)
end
-- Term weights a + b (tables decoded from centroid or vector JSON), keeping the CENTROID_TERMS heaviest
-- terms, of equal weights the first in the server's string order: the one place a centroid is cut back
-- to its cap, so a cluster's centroid has the same form whether it grew by a join (_ASSIGN) or by a merge.
local function capped_sum(a, b)
  local sum, weights = {}, {}
  for t, w in pairs(a) do sum[t] = w end
  for t, w in pairs(b) do sum[t] = (sum[t] or 0) + w end
  for _, w in pairs(sum) do weights[#weights + 1] = w end
  if #weights <= CENTROID_TERMS then return sum end
  table.sort(weights)  -- numbers only: sorting terms by a Lua comparator costs twice as much
  local least = weights[#weights - CENTROID_TERMS + 1]
  local kept, tied, room = {}, {}, CENTROID_TERMS
  for t, w in pairs(sum) do
    if w > least then
      kept[t] = w
      room = room - 1
    elseif w == least then
      tied[#tied + 1] = t
    end
  end
  table.sort(tied)
  for i = 1, room do kept[tied[i]] = least end
  return kept
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
  local kn = tonumber(redis.call('HGET', kinfo, 'n') or '0')
  local ln = tonumber(redis.call('HGET', linfo, 'n') or '0')
  if ln > kn then  -- the larger cluster's representative represents both
    local rep = redis.call('HMGET', linfo, 'rep', 'rs')
    if rep[1] then redis.call('HSET', kinfo, 'rep', rep[1]) end
    if rep[2] then redis.call('HSET', kinfo, 'rs', rep[2]) else redis.call('HDEL', kinfo, 'rs') end
  end
  redis.call('HINCRBY', kinfo, 'size', tonumber(redis.call('HGET', linfo, 'size') or '0'))
  redis.call('HINCRBY', kinfo, 'n', ln)
  widen(keep, redis.call('HGET', linfo, 'first') or '')
  widen(keep, redis.call('HGET', linfo, 'last') or '')
  local kc = redis.call('HGET', I .. ':cent', keep)
  local lc = redis.call('HGET', I .. ':cent', lose)
  if lc then
    local sum = capped_sum(kc and cjson.decode(kc) or {}, cjson.decode(lc))
    redis.call('HSET', I .. ':cent', keep, cjson.encode(sum))
  end
  redis.call('HINCRBY', kinfo, 'ver', 1)
  redis.call('HSET', I .. ':redir', lose, keep)
  redis.call('DEL', I .. ':clm:' .. lose, linfo)
  redis.call('HDEL', I .. ':cent', lose)
  redis.call('ZREM', I .. ':recent', lose)
  redis.call('ZREM', I .. ':largest', lose)
  redis.call('HINCRBY', I .. ':stats', 'clusters', -1)
  redis.call('HINCRBY', I .. ':stats', 'merges', 1)
  touch(keep)
  return keep
end
"""

# Where the index keeps an article's number -> id, signature and LSH buckets. Every hash stays small
# enough for Redis's compact listpack encoding at any index size (a few bytes per field instead of ~64):
# - seq -> id: hashes of IDS_PER_HASH numbers, {i}:d:<seq // IDS_PER_HASH>, field seq % IDS_PER_HASH,
#   value the article's id and its source joined by a tab (ids have no tabs), so that a cluster listing
#   can name the sources of all its articles without reading their records;
# - signatures: fixed-size records (a presence byte, then the packed signature) in string blocks
#   {i}:s:<block> of SIGNATURE_BLOCK_BYTES, allocated whole when the block's first article arrives; the
#   record size is fixed per index and kept in {i}:params as sig_bytes;
# - LSH: band b's buckets in 2^k hashes {i}:l:<b>:<the band key's top k bits> (k: lsh_bucket_bits in
#   {i}:params), field the band key's last 4 bytes, value the members' numbers as 4-byte little-endian.
_LUA_LAYOUT = """
local function ids_at(seq)
  return I .. ':d:' .. math.floor(seq / IDS_PER_HASH), seq % IDS_PER_HASH
end
local function id_of(seq)
  local key, f = ids_at(tonumber(seq))
  local entry = redis.call('HGET', key, f)
  return entry and string.match(entry, '^[^\\t]*')
end
-- seq -> "id<TAB>source" for many numbers: one HMGET per hash they fall in.
local function entries_of(seqs)
  local by_key, out = {}, {}
  for _, seq in ipairs(seqs) do
    local key, f = ids_at(seq)
    by_key[key] = by_key[key] or {}
    table.insert(by_key[key], f)
  end
  for key, fields in pairs(by_key) do
    local base = tonumber(string.match(key, '(%d+)$')) * IDS_PER_HASH
    for i, entry in ipairs(redis.call('HMGET', key, unpack(fields))) do
      out[base + fields[i]] = entry or ''
    end
  end
  return out
end
local function live_cluster(cid)
  local nxt = redis.call('HGET', I .. ':redir', cid)
  while nxt do cid = nxt; nxt = redis.call('HGET', I .. ':redir', cid) end
  return cid
end
local function record_at(seq, size)
  local per = math.floor(SIGNATURE_BLOCK_BYTES / size)
  return I .. ':s:' .. math.floor(seq / per), (seq % per) * size
end
local function bucket_bits()
  return tonumber(redis.call('HGET', I .. ':params', 'lsh_bucket_bits') or 'UNRECORDED_BUCKET_BITS')
end
local function bucket_at(band, bandkey, bits)
  local top = struct.unpack('>I4', bandkey)
  return I .. ':l:' .. band .. ':' .. math.floor(top / 2 ^ (32 - bits)), string.sub(bandkey, 5, 8)
end
"""

# ARGV: seq, article id and source (joined by a tab), packed signature, then its 8-byte band keys.
# Returns the article numbers already in any of its buckets.
_INDEX = """
local seq = tonumber(ARGV[1])
local idkey, idfield = ids_at(seq)
redis.call('HSET', idkey, idfield, ARGV[2])
local record = '\\1' .. ARGV[3]
local block, offset = record_at(seq, #record)
if redis.call('EXISTS', block) == 0 then
  redis.call('HSETNX', I .. ':params', 'sig_bytes', #record)
  redis.call('SETRANGE', block, SIGNATURE_BLOCK_BYTES - 1, '\\0')
end
redis.call('SETRANGE', block, offset, record)
local me = struct.pack('<I4', seq)
local bits = bucket_bits()
local seen, out = {}, {}
for i = 4, #ARGV do
  local key, f = bucket_at(i - 4, ARGV[i], bits)
  if redis.call('HSETNX', key, f, me) == 0 then
    local bucket = redis.call('HGET', key, f)
    local mine = false
    for j = 1, #bucket, 4 do
      local m = string.sub(bucket, j, j + 3)
      if m == me then
        mine = true
      elseif not seen[m] then
        seen[m] = true
        out[#out + 1] = (struct.unpack('<I4', m))
      end
    end
    if not mine and #bucket < 4 * BUCKET_CAP then redis.call('HSET', key, f, bucket .. me) end
  end
end
return out
"""

# ARGV: seqs. Returns each one's stored signature record ('' when it has none).
_SIGNATURES = """
local size = tonumber(redis.call('HGET', I .. ':params', 'sig_bytes') or '0')
local out = {}
for i = 1, #ARGV do
  out[i] = ''
  if size > 0 then
    local block, offset = record_at(tonumber(ARGV[i]), size)
    local record = redis.call('GETRANGE', block, offset, offset + size - 1)
    if string.byte(record, 1) == 1 then out[i] = record end
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
  -- a representative that is now a copy gives way to its group's first article
  local info = I .. ':cli:' .. wcl
  local rep = redis.call('HGET', info, 'rep')
  if rep and rep ~= winner and roots[rep] then redis.call('HSET', info, 'rep', winner) end
  widen(wcl, ts)
  touch(wcl)
end
return {winner, wcl or ''}
"""

# The cluster info fields _STORY_CANDIDATES returns, in its order.
_INFO_FIELDS = (b"size", b"n", b"first", b"last", b"ver")

# ARGV: how many clusters to return, and an article's terms as one string (see _ASSIGN). Returns the terms'
# versions joined by commas ('' for a term never posted under), then for each of the clusters posted under
# the most of the terms (a merged cluster counted as the one it merged into; the older first among equals)
# "id,size,n,first,last,ver" and its centroid JSON. All that a story decision reads, in one round trip
# instead of one for the postings, one for merge redirects and one for the clusters, and in a few strings
# rather than hundreds of values (the client's Redis reply parser costs ~1 us a value).
_STORY_CANDIDATES = """
local limit = tonumber(ARGV[1])
local terms = {}
for term in string.gmatch(ARGV[2], '%S+') do terms[#terms + 1] = term end
local versions, postings = {}, {}
if #terms > 0 then  -- an article of function words only has none; HMGET needs a field
  versions = redis.call('HMGET', I .. ':tver', unpack(terms))
  postings = redis.call('HMGET', I .. ':post', unpack(terms))
end
local count, posted = {}, {}
for i = 1, #terms do
  for number in string.gmatch(postings[i] or '', '%d+') do
    if not count[number] then
      count[number] = 0
      posted[#posted + 1] = number
    end
    count[number] = count[number] + 1
  end
end
local shared, cids = {}, {}
if #posted > 0 then
  local targets = redis.call('HMGET', I .. ':redir', unpack(posted))
  for i, number in ipairs(posted) do
    local cid = tonumber(targets[i] and live_cluster(targets[i]) or number)
    if not shared[cid] then
      shared[cid] = 0
      cids[#cids + 1] = cid
    end
    shared[cid] = shared[cid] + count[number]
  end
end
table.sort(cids, function(a, b)
  if shared[a] ~= shared[b] then return shared[a] > shared[b] end
  return a < b
end)
for i = 1, #terms do versions[i] = versions[i] or '' end
local out = {table.concat(versions, ',')}
for i = 1, math.min(limit, #cids) do
  local cid = cids[i]
  local info = redis.call('HGETALL', I .. ':cli:' .. cid)
  if #info > 0 then
    local f = {}
    for j = 1, #info, 2 do f[info[j]] = info[j + 1] end
    local fields = {cid, f.size or '', f.n or '', f.first or '', f.last or '', f.ver or ''}  -- _INFO_FIELDS
    out[#out + 1] = table.concat(fields, ',')
    out[#out + 1] = redis.call('HGET', I .. ':cent', cid) or false
  end
end
return out
"""

# ARGV: seq, chosen cluster or '0' for a new one, published timestamp or '', the article's term vector
#       JSON (added to the cluster's centroid, which is then capped: `capped_sum`), the checks
#       ("kind name expected-version" triples), the terms to post under, the listed words to count
#       (document frequencies: ':df', articles counted: ':dfn'); each list one string, its items separated
#       by spaces (terms have none: `workers.terms` splits text on whitespace), since the client encodes
#       each argument at ~0.6 us and an article has over a hundred of them; the article's mean
#       similarity to the chosen cluster's articles; last, the clusters the chosen one absorbs once the
#       article is in it (space-separated; see `workers.cluster.clusters_to_fold`), each merged as copies
#       merge clusters: the older id survives and the other redirects to it.
# The cluster's representative ('rep', a group's first article) is its article most similar on average to
# the others when it joined ('rs'): a newcomer scoring higher takes over. The founder scores what the
# second article scored against it, the same pair's similarity, so it stays while the cluster has two.
# Optimistic concurrency: the caller scored clusters it read earlier; if any of them changed, or a cluster
# was posted under one of its terms since, the decision may be stale: return {'conflict'} and it retries.
# Counting here, after the check that the group is not placed yet, counts each original exactly once; the
# words counted are kept under the article's number (':counted') so that deleting it, or the last copy
# that inherits them, takes them back.
_ASSIGN = """
local seq, cid, ts = ARGV[1], ARGV[2], ARGV[3]
for kind, name, want in string.gmatch(ARGV[5], '(%S+) (%S+) (%S+)') do
  local have
  if kind == 't' then
    have = redis.call('HGET', I .. ':tver', name)
  else
    have = redis.call('HGET', I .. ':cli:' .. name, 'ver')
  end
  if (have or '0') ~= want then return {'conflict'} end
end
local r = root(seq)
local existing = redis.call('HGET', I .. ':gcl', r)
if existing then
  -- a copy of this article was already placed (its group joined another): copies share a story
  if cid ~= '0' and cid ~= existing then existing = merge(existing, cid) end
  return {existing}
end
redis.call('INCR', I .. ':dfn')
for term in string.gmatch(ARGV[7], '%S+') do redis.call('HINCRBY', I .. ':df', term, 1) end
redis.call('HSET', I .. ':counted', seq, ARGV[7])  -- what deleting the article takes back (_FORGET)
if cid == '0' then
  cid = tostring(redis.call('INCR', I .. ':cls'))
  redis.call('HSET', I .. ':cli:' .. cid, 'size', 0, 'n', 0, 'ver', 0, 'first', '', 'last', '', 'rep', r)
  redis.call('HINCRBY', I .. ':stats', 'clusters', 1)
  redis.call('HINCRBY', I .. ':stats', 'created', 1)
end
local info = I .. ':cli:' .. cid
local score, joined = tonumber(ARGV[8]), tonumber(redis.call('HGET', info, 'n'))
if joined == 1 then
  redis.call('HSET', info, 'rs', ARGV[8])  -- as the client wrote it: shorter than Lua's %.17g
elseif joined > 1 and score > tonumber(redis.call('HGET', info, 'rs') or '-1') then
  redis.call('HSET', info, 'rep', r, 'rs', ARGV[8])
end
redis.call('HSET', I .. ':gcl', r, cid)
redis.call('SADD', I .. ':clm:' .. cid, r)
redis.call('HINCRBY', info, 'size', 1 + redis.call('SCARD', I .. ':dupm:' .. r))
redis.call('HINCRBY', info, 'n', 1)
redis.call('HINCRBY', info, 'ver', 1)
widen(cid, ts)
local stored = redis.call('HGET', I .. ':cent', cid)
local centroid = capped_sum(stored and cjson.decode(stored) or {}, cjson.decode(ARGV[4]))
redis.call('HSET', I .. ':cent', cid, cjson.encode(centroid))
for other in string.gmatch(ARGV[9], '%S+') do cid = merge(cid, other) end
local needle = ',' .. cid .. ','
for term in string.gmatch(ARGV[6], '%S+') do
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

# ARGV: seq, the article's term vector JSON (see `Store.forget`), then its 8-byte band keys. Takes an
# article out of the index: its LSH buckets, number -> id and signature, its group (the next-oldest copy
# becomes canonical) and its cluster (removed when it was the last member). A group placed in a story adds
# the word counts of its original to the IDF (_ASSIGN) and the original's vector to its cluster's centroid
# and `n`; it takes them back when its last article leaves. While a copy stays, it tells what the original
# told: the canonical copy inherits the counted words (':counted'), so that its own deletion takes them and
# the vector back. Nothing is counted twice: a copy is never counted anew.
_FORGET = """
-- Centroid a - b (tables decoded from centroid and vector JSON) in a, the terms left at CENTROID_RESIDUE or
-- below dropped; a term of b that a lacks (cut by the cap) is left out.
local function subtract(a, b)
  for t, w in pairs(b) do
    if a[t] then
      local left = a[t] - w
      if left > CENTROID_RESIDUE then a[t] = left else a[t] = nil end
    end
  end
  return a
end
local seq = ARGV[1]
local counted = redis.call('HGET', I .. ':counted', seq)  -- the group's words, if it holds them
if counted then redis.call('HDEL', I .. ':counted', seq) end
local me = struct.pack('<I4', tonumber(seq))
local bits = bucket_bits()
for i = 3, #ARGV do
  local key, f = bucket_at(i - 3, ARGV[i], bits)
  local bucket = redis.call('HGET', key, f)
  if bucket then
    local kept = {}
    for j = 1, #bucket, 4 do
      local m = string.sub(bucket, j, j + 3)
      if m ~= me then kept[#kept + 1] = m end
    end
    if #kept == 0 then
      redis.call('HDEL', key, f)
    else
      redis.call('HSET', key, f, table.concat(kept))
    end
  end
end
local idkey, idfield = ids_at(tonumber(seq))
redis.call('HDEL', idkey, idfield)
local size = tonumber(redis.call('HGET', I .. ':params', 'sig_bytes') or '0')
if size > 0 then
  local block, offset = record_at(tonumber(seq), size)
  if redis.call('EXISTS', block) == 1 then redis.call('SETRANGE', block, offset, string.rep('\\0', size)) end
end
local r = root(seq)
local cid = redis.call('HGET', I .. ':gcl', r)
local placed = false  -- its vector leaves the cluster with it
if r ~= seq then
  redis.call('HDEL', I .. ':dup', seq)
  redis.call('SREM', I .. ':dupm:' .. r, seq)
else
  local members = redis.call('SMEMBERS', I .. ':dupm:' .. seq)
  redis.call('DEL', I .. ':dupm:' .. seq)
  redis.call('HDEL', I .. ':gcl', seq)
  if cid then redis.call('SREM', I .. ':clm:' .. cid, seq) end
  placed = counted and #members == 0
  if #members > 0 then
    local heir = members[1]
    for _, m in ipairs(members) do if tonumber(m) < tonumber(heir) then heir = m end end
    -- the heir tells what the article told: the group stays counted, and its vector in the cluster, under
    -- the heir (unless the heir has counted words of its own: an original whose group merged into this one)
    if counted and redis.call('HSETNX', I .. ':counted', heir, counted) == 1 then counted = false end
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
      -- the heir has the same text: it represents the cluster as well as the article it replaces
      local info = I .. ':cli:' .. cid
      if redis.call('HGET', info, 'rep') == seq then redis.call('HSET', info, 'rep', heir) end
    end
  end
end
if counted then
  redis.call('DECR', I .. ':dfn')
  for term in string.gmatch(counted, '%S+') do
    if redis.call('HINCRBY', I .. ':df', term, -1) <= 0 then redis.call('HDEL', I .. ':df', term) end
  end
end
if cid then
  local info = I .. ':cli:' .. cid
  if redis.call('HINCRBY', info, 'size', -1) <= 0 then
    redis.call('DEL', info, I .. ':clm:' .. cid)
    redis.call('HDEL', I .. ':cent', cid)
    redis.call('ZREM', I .. ':recent', cid)
    redis.call('ZREM', I .. ':largest', cid)
    redis.call('HINCRBY', I .. ':stats', 'clusters', -1)
  else
    if redis.call('HGET', info, 'rep') == seq then
      -- its representative is gone with its whole group: the oldest group left stands in until a
      -- newcomer more similar to the others than the deleted one was takes over
      local oldest
      for _, m in ipairs(redis.call('SMEMBERS', I .. ':clm:' .. cid)) do
        if not oldest or tonumber(m) < tonumber(oldest) then oldest = m end
      end
      if oldest then redis.call('HSET', info, 'rep', oldest) end
    end
    if placed then
      redis.call('HINCRBY', info, 'n', -1)
      local stored = redis.call('HGET', I .. ':cent', cid)
      if stored then
        local centroid = subtract(cjson.decode(stored), cjson.decode(ARGV[2]))
        redis.call('HSET', I .. ':cent', cid, cjson.encode(centroid))
      end
    end
    redis.call('HINCRBY', info, 'ver', 1)
    touch(cid)
  end
end
return 1
"""

# ARGV: how many clusters to move. Moves that many of the largest clusters from the ranking by size of
# releases before the ranking by size and id ({i}:bysize, scored by size alone) into {i}:largest, the
# live ones (a merged or removed cluster was left in it), and returns how many are left to move. A few
# thousand at a time, so that Redis serves other clients between them; each move is atomic, so a start-up
# that stops halfway loses nothing and the next one goes on.
_MIGRATE_SIZE_RANKING = """
local moved = redis.call('ZPOPMAX', I .. ':bysize', ARGV[1])
for k = 1, #moved, 2 do
  if redis.call('EXISTS', I .. ':cli:' .. moved[k]) == 1 then rank(moved[k]) end
end
return redis.call('ZCARD', I .. ':bysize')
"""

# ARGV: seq. Returns {canonical article id, cluster or ''} as they stand now (redirects followed).
_LOCATE = """
local r = root(ARGV[1])
local cid = redis.call('HGET', I .. ':gcl', r)
if cid then cid = live_cluster(cid) end
return {id_of(r) or '', cid or ''}
"""

# ARGV: cluster, the last article number of the previous page (0 for the first), page size.
# Returns {live cluster or '' if none, size, first, last, representative's id, more (1 when articles
# follow this page), n, then
# for each of the page's n articles in order of arrival: seq, id, canonical id, then the sources of all
# the cluster's articles}. One walk over the cluster's members on the server (a few hundred cheap reads for
# the largest clusters); what crosses the network and what the client decodes is one page.
_CLUSTER_PAGE = """
local cid = live_cluster(ARGV[1])
local info = redis.call('HMGET', I .. ':cli:' .. cid, 'size', 'first', 'last', 'rep')
if not info[1] then return {''} end
local after, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local root_of, all, seqs = {}, {}, {}
for _, r in ipairs(redis.call('SMEMBERS', I .. ':clm:' .. cid)) do
  local group = redis.call('SMEMBERS', I .. ':dupm:' .. r)
  group[#group + 1] = r
  for _, s in ipairs(group) do
    local n = tonumber(s)
    root_of[n] = tonumber(r)
    all[#all + 1] = n
    if n > after then seqs[#seqs + 1] = n end
  end
end
local entries = entries_of(all)
local seen, names = {}, {}
for _, entry in pairs(entries) do
  local source = string.match(entry, '\\t(.+)$')
  if source and not seen[source] then seen[source] = true; names[#names + 1] = source end
end
table.sort(names)
table.sort(seqs)
local shown = math.min(limit, #seqs)
local rep = info[4] and entries[tonumber(info[4])]
local out = {cid, info[1], info[2] or '', info[3] or '', rep and string.match(rep, '^[^\\t]*') or '',
             #seqs > limit and 1 or 0, shown}
for i = 1, shown do
  local s = seqs[i]
  out[#out + 1] = s
  out[#out + 1] = string.match(entries[s], '^[^\\t]*')
  out[#out + 1] = string.match(entries[root_of[s]], '^[^\\t]*')
end
for _, source in ipairs(names) do out[#out + 1] = source end
return out
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
redis.call('ZADD', KEYS[4], ARGV[2], KEYS[1])
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
redis.call('ZREM', KEYS[2], KEYS[1])
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
class Unsettled:
    """An article accepted but not yet settled: its record's key, number and status."""

    key: str
    seq: int
    status: str | None


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
    centroid_json: bytes | None = None  # as stored; see `centroid`
    representative: int | None = None  # number of its article most similar to the others (see _ASSIGN)

    @property
    def centroid(self) -> Mapping[str, float]:
        """The centroid's terms and weights (read-only: shared with other readers of the same centroid),
        decoded on first use: cluster listings use none."""
        return _decode_centroid(self.centroid_json) if self.centroid_json else {}


@dataclass(frozen=True)
class ClusterListing:
    """A cluster's stored aggregates and one page of its articles."""

    id: int
    size: int
    first: float | None
    last: float | None
    representative: str | None  # id of the article most similar to the others (see _ASSIGN)
    articles: list[tuple[int, str, str]]  # (seq, article id, canonical id), in order of arrival
    more: bool  # articles follow this page
    sources: list[str]  # of all the cluster's articles, sorted


@dataclass(frozen=True)
class StoryCheck:
    """What a story decision was based on: versions to compare at commit time."""

    term_versions: dict[str, int]
    cluster_versions: dict[int, int]


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


def _index_script(body: str, layout: bool = True) -> str:
    """An index script: the shared functions (`_LUA_COMMON`), the layout of the index's keys
    (`_LUA_LAYOUT`) for a script that reads signatures, buckets or article ids, then `body`; every
    constant of _LUA_CONSTANTS written in by name, wherever it appears."""
    text = _LUA_COMMON + (_LUA_LAYOUT if layout else "") + body
    for name, value in _LUA_CONSTANTS.items():
        text = text.replace(name, str(value))
    return text


def _fields(row: Mapping[Any, Any]) -> dict[str, bytes]:
    """A hash as Redis returns it (bytes keys and values) with its field names decoded."""
    return {k.decode(): v for k, v in row.items()}


@lru_cache(maxsize=CENTROID_CACHE)
def _decode_centroid(stored: bytes) -> Mapping[str, float]:
    """A centroid as stored (JSON), decoded once per worker while it stays in use."""
    return json.loads(stored)


def _cluster_info(cid: int, info: Mapping[bytes, bytes], centroid: bytes | None) -> ClusterInfo:
    """A cluster from its info hash (as Redis returns it; a missing field may also be empty) and its stored
    centroid."""
    return ClusterInfo(
        id=cid,
        size=int(info.get(b"size") or 0),
        vectors=int(info.get(b"n") or 0),
        first=float(info[b"first"]) if info.get(b"first") else None,
        last=float(info[b"last"]) if info.get(b"last") else None,
        version=int(info.get(b"ver") or 0),
        centroid_json=centroid,
        representative=int(info[b"rep"]) if info.get(b"rep") else None,
    )


def _candidates(terms: Sequence[str], reply: list[bytes]) -> tuple[dict[str, int], list[ClusterInfo]]:
    """Term versions and clusters from what _STORY_CANDIDATES returned for these terms."""
    versions, *found = reply
    values = versions.split(b",") if terms else []  # "" is one empty value to split, and no term
    term_versions = {t: int(v or 0) for t, v in zip(terms, values, strict=True)}
    clusters = []
    for info, centroid in zip(found[::2], found[1::2], strict=True):
        cid, *values = info.split(b",")
        clusters.append(_cluster_info(int(cid), dict(zip(_INFO_FIELDS, values, strict=True)), centroid))
    return term_versions, clusters


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
        self._index = redis.register_script(_index_script(_INDEX))
        self._signatures = redis.register_script(_index_script(_SIGNATURES))
        self._cluster_page = redis.register_script(_index_script(_CLUSTER_PAGE))
        self._join = redis.register_script(_index_script(_JOIN, layout=False))
        self._story_candidates = redis.register_script(_index_script(_STORY_CANDIDATES))
        self._assign = redis.register_script(_index_script(_ASSIGN, layout=False))
        self._locate = redis.register_script(_index_script(_LOCATE))
        self._forget = redis.register_script(_index_script(_FORGET))
        self._migrate_size_ranking = redis.register_script(_index_script(_MIGRATE_SIZE_RANKING, layout=False))

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

    def open_index(self, params: Mapping[str, str]) -> None:
        """Record the signature settings beside a new index; refuse to run against one built otherwise;
        bring one built by an earlier release up to date (its ranking by size, see
        _MIGRATE_SIZE_RANKING). Every process that uses the index opens it first."""
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
        while self._migrate_size_ranking(keys=[self.index], args=[MIGRATE_SIZE_RANKING_STEP]):
            pass

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

    def earliest_unsettled(self) -> Unsettled | None:
        """The lowest-numbered article not yet done or failed (nor deleted), if any, with its status."""
        first: list[tuple[bytes, float]] = self.redis.zrange(  # type: ignore[assignment]
            self._ikey("unsettled"), 0, 0, withscores=True
        )
        if not first:
            return None
        key, seq = first[0]
        return Unsettled(key.decode(), int(seq), _text(self.redis.hget(key, "status")))  # type: ignore[arg-type]

    def stop_waiting_for(self, below: int | None = None, key: str | None = None) -> int:
        """Drop articles from the unsettled set, so that no job waits for them any more (they settle
        normally if they are still alive): those numbered below ``below``, or the one at ``key``. Returns
        how many were dropped."""
        if key is not None:
            return int(self.redis.zrem(self._ikey("unsettled"), key))
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
    def index_signatures(
        self, entries: Sequence[tuple[int, str, str | None, bytes, Sequence[bytes]]]
    ) -> list[list[int]]:
        """Insert articles (seq, id, source, packed signature, band keys) into their LSH buckets and return,
        per article, those already there.

        One script per article, all in one pipeline: insert and read are one atomic step, so of two
        copies processed at once by two workers, whichever runs second finds the first.
        """
        pipe = self.redis.pipeline(transaction=False)
        for seq, article_id, source, packed, bands in entries:
            entry = f"{article_id}\t{source or ''}"
            self._index(keys=[self.index], args=[seq, entry, packed, *bands], client=pipe)
        return [[int(s) for s in found] for found in pipe.execute()]

    def forget(
        self,
        article_id: str,
        seq: int,
        bands: Sequence[bytes],
        status: str,
        vector: Mapping[str, float] | None = None,
    ) -> None:
        """Delete an article for good: out of the index, its group and its cluster, then its record.

        `vector`: the article's term vector, taken out of its cluster's centroid if the article was placed
        with it and leaves no copy behind (see _FORGET); the index keeps no article's vector, so the caller
        computes it again (`workers.cluster.remove_article`). None, or empty: nothing to take out but the
        article's count among the cluster's vectors.

        The index step runs first and is idempotent, so a delete interrupted between the two steps can be
        repeated; the record goes last, so the article stays visible until it is wholly gone.
        """
        if status == "done":
            weights = json.dumps(vector or {}, separators=(",", ":"))
            self._forget(keys=[self.index], args=[seq, weights, *bands])
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.article_key(article_id))
        pipe.zrem(self._ikey("unsettled"), self.article_key(article_id))
        pipe.hincrby(self._counters(), "articles", -1)
        pipe.hincrby(self._counters(), status, -1)
        pipe.execute()

    def signatures(self, seqs: Sequence[int]) -> dict[int, bytes]:
        """The packed signatures stored for these article numbers (those that have one)."""
        if not seqs:
            return {}
        records: list[Any] = self._signatures(keys=[self.index], args=list(seqs))
        return {seq: record[1:] for seq, record in zip(seqs, records, strict=True) if record}

    def join_copies(self, joins: Sequence[tuple[int, str, Sequence[int]]]) -> list[tuple[int, int | None]]:
        """Join each article with its verified copies; returns (group root, its cluster or None)."""
        pipe = self.redis.pipeline(transaction=False)
        for seq, ts, copies in joins:
            self._join(keys=[self.index], args=[seq, ts, *copies], client=pipe)
        return [(int(r), int(c) if c else None) for r, c in pipe.execute()]

    # -- stories -------------------------------------------------------------------------------------
    def story_inputs(
        self, listed: Sequence[str], terms: Sequence[str], limit: int
    ) -> tuple[int, dict[str, int], tuple[dict[str, int], list[ClusterInfo]]]:
        """What placing an article reads first, in one round trip: the articles counted so far (originals
        placed in a story), how many of them had each `listed` word among their listed words
        (`workers.terms.refine_idf`), and `story_candidates(terms, limit)`."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self._ikey("dfn"))
        pipe.hmget(self._ikey("df"), list(listed)) if listed else pipe.echo("")
        self._story_candidates(keys=[self.index], args=[limit, " ".join(terms)], client=pipe)
        articles, counts, candidates = pipe.execute()
        found = zip(listed, counts, strict=True) if listed else ()
        return int(articles or 0), {t: int(n) for t, n in found if n}, _candidates(terms, candidates)

    def story_candidates(self, terms: Sequence[str], limit: int) -> tuple[dict[str, int], list[ClusterInfo]]:
        """Term versions, and the `limit` clusters posted under the most of these terms (a merged cluster
        counts as the one it merged into; the older first among equals), in that order."""
        return _candidates(terms, self._story_candidates(keys=[self.index], args=[limit, " ".join(terms)]))

    def clusters(self, cids: Sequence[int]) -> list[ClusterInfo]:
        pipe = self.redis.pipeline(transaction=False)
        for cid in cids:
            pipe.hgetall(self._ikey(f"cli:{cid}"))
        pipe.hmget(self._ikey("cent"), list(cids)) if cids else pipe.echo("")
        *infos, cents = pipe.execute()
        return [
            _cluster_info(cid, info, cent)
            for cid, info, cent in zip(cids, infos, cents if cids else [], strict=True)
            if info
        ]

    def assign_story(
        self,
        seq: int,
        cluster: int | None,
        published_ts: str,
        vector: Mapping[str, float],
        check: StoryCheck,
        post_terms: Sequence[str],
        count_terms: Sequence[str],
        score: float,
        fold: Sequence[int] = (),
    ) -> int | None:
        """Place an article's group in a cluster (a new one when cluster is None), add its term `vector` to
        the cluster's centroid, post the cluster under `post_terms` and count the article's listed words
        `count_terms` (see `story_inputs`). `score` is the article's mean similarity to the cluster's
        articles: the most similar becomes its representative (see _ASSIGN). The clusters in `fold` are
        then merged with it (their versions belong in `check`). The script caps the centroid after the
        join and after each merge (CENTROID_TERMS), so the caller sends the vector, not a centroid it capped.

        Returns the cluster (the oldest of those merged), or None when what the decision was based on
        changed meanwhile (retry).
        """
        checks = [f"t {term} {version}" for term, version in check.term_versions.items()]
        checks += [f"c {cid} {version}" for cid, version in check.cluster_versions.items()]
        args: list[Any] = [
            seq,
            cluster or 0,
            published_ts,
            json.dumps(vector, separators=(",", ":")),
            " ".join(checks),
            " ".join(post_terms),
            " ".join(count_terms),
            f"{score:.6f}",
            " ".join(map(str, fold)),
        ]
        result = self._assign(keys=[self.index], args=args)
        return None if _text(result[0]) == "conflict" else int(result[0])

    # -- reading clusters ----------------------------------------------------------------------------
    def cluster_page(self, cid: int, after: int, limit: int) -> ClusterListing | None:
        """A cluster (merged ids answer as their survivor) with one page of its articles in order of
        arrival, those numbered above ``after``; None if there is no such cluster. One round trip."""
        reply = self._cluster_page(keys=[self.index], args=[cid, after, limit])
        row = [v.decode() if isinstance(v, bytes) else str(v) for v in reply]  # Lua numbers come as ints
        if not row[0]:
            return None
        live, size, first, last, representative, more, shown = row[:7]
        ends = 7 + 3 * int(shown)
        return ClusterListing(
            id=int(live),
            size=int(size),
            first=float(first) if first else None,
            last=float(last) if last else None,
            representative=representative or None,
            articles=[(int(row[i]), row[i + 1], row[i + 2]) for i in range(7, ends, 3)],
            more=more == "1",
            sources=row[ends:],
        )

    def article_ids(self, seqs: Sequence[int]) -> list[str | None]:
        """The ids of the articles with these numbers (None for a number no article has now)."""
        pipe = self.redis.pipeline(transaction=False)
        for seq in seqs:
            pipe.hget(self._ikey(f"d:{seq // IDS_PER_HASH}"), str(seq % IDS_PER_HASH))
        return [entry.split(b"\t", 1)[0].decode() if entry else None for entry in pipe.execute()]

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

    def largest_clusters(self, limit: int, below: int | None) -> list[tuple[int, int]]:
        """Live clusters, largest first and of equal sizes the newest (highest id) first, with their rank
        scores (see RANK_ID_SPAN), strictly after the cursor when given: the score of the last cluster of
        the previous page.

        Paging by score rather than by rank, a page starts right after the last cluster shown even when
        clusters grew, merged or went meanwhile: only a cluster that itself moved past that point is
        skipped (it grew above it) or shown again (it shrank below it). The ranking is kept by the index
        scripts whenever a cluster changes; a cluster last changed before this ranking existed is absent
        until its next article."""
        top = f"({below}" if below is not None else "+inf"
        rows: list[Any] = self.redis.zrange(
            self._ikey("largest"), top, "-inf", byscore=True, desc=True, offset=0, num=limit, withscores=True
        )
        return [(int(cid), int(score)) for cid, score in rows]

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
