"""Both levels of grouping, as logic over a Store: copies of one text, and coverage of one event.

Near-duplicates: LSH candidates are verified on stored signatures by estimated containment, so an
abridged copy (a wire story cut to half its paragraphs) still counts as a copy. Stories: an article's
salient-term vector is compared with the centroids of clusters that share its terms, within a time window
around its date; it joins the best one above a threshold or starts its own. Centroids rather than single
links keep one loose article from chaining two stories together. Arrival order can still split a story
in two (two clusters grow side by side before anything links them), so a cluster that an article has just
joined absorbs any other scored cluster it now resembles clearly more than a join asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workers.errors import InFlightError, RetryableError
from workers.settings import Settings
from workers.signature import Signature, band_keys, containment, jaccard
from workers.store import TERMINAL, ClusterInfo, Store, StoryCheck, decompress
from workers.terms import SalientTerms, add_to_centroid, cluster_score, refine_idf, salient_terms

DAY = 86_400.0
# Shortest text (in shingles, about words) that may count as a copy by containment alone.
MIN_CONTAINED_SHINGLES = 30
# Clusters scored per article: those sharing the most of its terms.
CANDIDATE_CLUSTERS = 32
# Terms of an article under which its cluster is posted (the inverted index used to find candidates).
POSTED_TERMS = 20
# How much more alike than a join asks two clusters must be, on average over their pairs of articles, to
# merge: at 0.06, wikinews-dev ARI 0.565 -> 0.569 and syndication-dev 0.525 -> 0.560 (stories that arrival
# order had split); at 0, a merge as easy as a join, neighbouring stories of one topic fuse (wikinews-dev
# dated by URL 0.598 -> 0.577, syndication-dev 0.511).
MERGE_MARGIN = 0.06
# Optimistic retries before giving up on a story decision (each conflict means another worker just
# changed a cluster this article was compared with).
ASSIGN_ATTEMPTS = 50


@dataclass(frozen=True)
class Copies:
    """An article's place among near-duplicates after indexing."""

    seq: int
    root: int  # first-seen article of its group (itself when it has no earlier copy)
    cluster: int | None  # the group's story cluster, when it already has one


def find_copies(
    store: Store, articles: Sequence[tuple[int, str, str | None, Signature, str]], settings: Settings
) -> list[Copies]:
    """Index each article's signature, verify its LSH candidates and join it with the true copies.

    articles: (seq, article id, source, signature, published timestamp or "").
    """
    found = store.index_signatures(
        [
            (seq, aid, source, sig.pack(), band_keys(sig, settings.lsh_bands))
            for seq, aid, source, sig, _ in articles
        ]
    )
    stored = store.signatures(sorted({c for cands in found for c in cands}))
    joins = []
    for (seq, _, _, sig, ts), candidates in zip(articles, found, strict=True):
        copies = [
            c for c in candidates if c in stored and _is_copy(sig, Signature.unpack(stored[c]), settings)
        ]
        joins.append((seq, ts, copies))
    placed = store.join_copies(joins)
    return [Copies(seq, root, cluster) for (seq, _, _), (root, cluster) in zip(joins, placed, strict=True)]


def _is_copy(a: Signature, b: Signature, settings: Settings) -> bool:
    """Copies of one text: nearly the same shingles, or the shorter mostly inside the longer (an abridged
    wire story, or one with a dateline and an editor's note added). Containment is trusted only for texts
    long enough that a few shared lines of page chrome cannot make up most of them."""
    if jaccard(a, b) >= settings.dup_jaccard:
        return True
    long_enough = min(a.n_shingles, b.n_shingles) >= MIN_CONTAINED_SHINGLES
    return long_enough and containment(a, b) >= settings.dup_containment


def join_threshold(
    ts: float | None, first: float | None, last: float | None, settings: Settings
) -> float | None:
    """The similarity an article needs to join a cluster, or None when the cluster lies outside the
    article's date window.

    Two dated articles written the same day need less textual evidence to be one story than two written
    days apart: the threshold is story_threshold within the cluster's own time span and rises by
    story_threshold_per_day for each day between the article and that span. An undated article (or a
    cluster of undated ones) has no such evidence and gets story_threshold_undated, searched without a
    window.
    """
    return span_threshold(ts, ts, first, last, settings)


def span_threshold(
    first_a: float | None,
    last_a: float | None,
    first_b: float | None,
    last_b: float | None,
    settings: Settings,
) -> float | None:
    """`join_threshold` between two time spans (an article's is one instant): by the days between them,
    story_threshold_undated when either is undated, None when they are further apart than the window."""
    if first_a is None or last_a is None or first_b is None or last_b is None:
        return settings.story_threshold_undated
    gap_days = max(0.0, first_b - last_a, first_a - last_b) / DAY
    if gap_days > settings.story_window_days:
        return None
    return settings.story_threshold + settings.story_threshold_per_day * gap_days


def clusters_to_fold(
    joined: ClusterInfo,
    centroid: Mapping[str, float],
    ts: float | None,
    others: Sequence[ClusterInfo],
    settings: Settings,
) -> list[int]:
    """The clusters among `others` that `joined`, with the article just added (its new `centroid`), should
    absorb: those whose mean similarity to its articles, over every pair, clears by MERGE_MARGIN what an
    article would need to join across the time between them.

    Only clusters the article was scored against are considered: their versions are in the decision's
    check, so a merge is committed only if none of them changed meanwhile, like the join itself.
    """
    stamps = [t for t in (joined.first, joined.last, ts) if t is not None]
    first, last = (min(stamps), max(stamps)) if stamps else (None, None)
    members = joined.vectors + 1
    fold = []
    for info in others:
        threshold = span_threshold(first, last, info.first, info.last, settings)
        if threshold is None:
            continue
        if cluster_score(centroid, info.centroid, members * max(info.vectors, 1)) >= threshold + MERGE_MARGIN:
            fold.append(info.id)
    return fold


def place_story(store: Store, seq: int, terms: SalientTerms, ts: float | None, settings: Settings) -> int:
    """Put an article (and its group of copies) in the best story cluster, or start one; the cluster it
    joins absorbs the scored clusters it now clearly resembles (`clusters_to_fold`).

    The IDF of its listed words is first refined by the counts of the articles placed before it (grouping
    follows the order of arrival, so these are every earlier article), and the article is counted with the
    decision. The decision is computed here and committed by one script that first checks that nothing it
    was based on has changed; if something did (another worker placed a related article meanwhile) it is
    recomputed, so concurrent workers reach the decisions one worker would have reached in some order.
    """
    articles, counts, first_read = store.story_inputs(list(terms.listed), list(terms), CANDIDATE_CLUSTERS)
    vector = refine_idf(terms, counts, articles)
    ranked = sorted(vector, key=lambda t: -vector[t])
    for attempt in range(ASSIGN_ATTEMPTS):
        if attempt == 0 and len(vector) == len(terms):
            # read with the counts for all the article's terms: what the decision needs while refining
            # dropped none of them (one round trip fewer)
            term_versions, clusters = first_read
        else:
            term_versions, clusters = store.story_candidates(ranked, CANDIDATE_CLUSTERS)
        best: ClusterInfo | None = None
        best_score = 0.0
        for info in clusters:
            threshold = join_threshold(ts, info.first, info.last, settings)
            if threshold is None:
                continue
            score = cluster_score(vector, info.centroid, max(info.vectors, 1))
            if score >= threshold and (
                score > best_score or (score == best_score and best is not None and info.id < best.id)
            ):
                best, best_score = info, score
        fold = []
        if best is not None:
            others = [info for info in clusters if info.id != best.id]
            fold = clusters_to_fold(best, add_to_centroid(best.centroid, vector), ts, others, settings)
        check = StoryCheck(term_versions, {info.id: info.version for info in clusters})
        placed = store.assign_story(
            seq,
            best.id if best else None,
            "" if ts is None else repr(ts),
            vector,
            check,
            ranked[:POSTED_TERMS],
            list(terms.listed),
            best_score,
            fold=fold,
        )
        if placed is not None:
            return placed
    raise RetryableError(f"story placement of article #{seq} kept conflicting with other workers")


def remove_article(store: Store, article_id: str, settings: Settings) -> bool:
    """Honour a takedown: remove the article from its group, its cluster (its words too: see
    `placed_vector`), the index and the store.

    Returns False when there is no such article. An article still queued or in processing is refused
    (InFlightError): its job would put it back into the index after it was removed.
    """
    (row,) = store.load_articles([article_id])
    if not row:
        return False
    status = row["status"].decode()
    if status not in TERMINAL:
        raise InFlightError(f"article {article_id!r} is {status}; delete it once it is done or failed")
    seq = int(row["seq"])
    packed = store.signatures([seq]).get(seq)
    bands = band_keys(Signature.unpack(packed), settings.lsh_bands) if packed else []
    store.forget(article_id, seq, bands, status, placed_vector(store, row) if status == "done" else None)
    return True


def placed_vector(store: Store, row: Mapping[str, bytes]) -> dict[str, float]:
    """The term vector a settled article (its stored record `row`) was placed with, computed again as the
    pipeline and `place_story` computed it, so that its deletion can take it out of its cluster's centroid.
    The index keeps no article's vector: ~1.8 KB of JSON each, more than all the rest of its index state.

    Computed again, it is the vector placing the article would give now, with the IDF counts as its
    deletion leaves them (its group's taken back): those it was placed with, moved by the articles placed and
    deleted since. So its listed words weigh a little more or less than when it was added (cosine 0.9997
    between the two at the median on wikinews-dev and syndication-dev, 0.98 at worst, for every original
    deleted at the end of the stream), a little of its weight stays in the centroid, and a term it takes out
    more of than the centroid holds is dropped (`workers.store.CENTROID_RESIDUE`). Deleting half of
    wikinews-dev's articles at random leaves 0.3 % of the weight of the centroids left on terms that none of
    their articles has (21 % when deletions took nothing out). It is computed for a copy too, whose vector
    stays: only the index script knows, atomically, whether the article's vector leaves with it.
    """
    title, language = row.get("title"), row.get("language")
    terms = salient_terms(
        decompress(row.get("body")),
        title.decode() if title else None,
        lang=language.decode() if language else None,  # detected again for a record stored without it
    )
    articles, counts, _ = store.story_inputs(list(terms.listed), [], 0)
    return refine_idf(terms, {t: n - 1 for t, n in counts.items()}, articles - 1)
