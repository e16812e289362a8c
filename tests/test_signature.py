"""Signatures: packing, and estimates that accept abridged copies but not merely related texts."""

from __future__ import annotations

from redis import Redis

from workers.settings import Settings
from workers.signature import Signature, band_keys, containment, jaccard, sign
from workers.store import BUCKET_CAP, Store

TEXT = " ".join(
    f"Paragraph {i} of the wire story reports that officials met in the capital on day {i} and agreed on "
    f"measure number {i * 7} after a long discussion about budgets, schools and roads."
    for i in range(12)
)


def test_packed_signature_round_trips() -> None:
    (sig,) = sign([TEXT], num_perm=128, shingle_size=3, seed=1)
    again = Signature.unpack(sig.pack())
    assert again.n_shingles == sig.n_shingles
    assert (again.values == sig.values).all()
    assert len(sig.pack()) == 4 + 2 * 128


def test_an_abridged_copy_is_contained_though_its_jaccard_is_low() -> None:
    half = TEXT[: len(TEXT) // 2]
    original, abridged = sign([TEXT, half], num_perm=128, shingle_size=3, seed=1)
    assert jaccard(original, abridged) < 0.65
    assert containment(original, abridged) > 0.85


def test_different_texts_share_no_bands_and_little_containment() -> None:
    a, b = sign(
        [TEXT, "An entirely different report about the weather in the mountains this week."], 128, 3, 1
    )
    assert containment(a, b) < 0.2
    assert not set(band_keys(a, 32)) & set(band_keys(b, 32))
    (c,) = sign([TEXT], 128, 3, 1)
    assert band_keys(a, 32) == band_keys(c, 32)


def test_the_index_finds_band_sharers_reads_signatures_back_and_forgets_an_article(
    redis: Redis, settings: Settings
) -> None:
    """Over enough articles to span several signature blocks and seq -> id hashes: each article finds
    exactly the earlier ones sharing a band (up to a full bucket), its signature reads back as packed, and
    a forgotten article is gone from its buckets, its signature and its id."""
    store = Store(redis, settings.key_prefix)
    store.open_index(settings.index_params())
    sigs = sign([" ".join(f"word{i}x{j}" for j in range(40)) for i in range(600)], 128, 3, 1)
    shared = bytes(range(8))  # every third article carries this key in band 5
    entries = []
    for seq, sig in enumerate(sigs, start=1):
        bands = band_keys(sig, 32)
        if seq % 3 == 0:
            bands[5] = shared
        entries.append((seq, f"art-{seq}", None, sig.pack(), bands))
    found = store.index_signatures(entries)
    sharers = [seq for seq in range(1, 601) if seq % 3 == 0]
    for seq, candidates in zip(range(1, 601), found, strict=True):
        earlier = [s for s in sharers if s < seq][:BUCKET_CAP]
        assert sorted(candidates) == (earlier if seq % 3 == 0 else []), seq
    stored = store.signatures([1, 2, 300, 599, 600, 10_000])
    assert sorted(stored) == [1, 2, 300, 599, 600]
    assert all(stored[seq] == entries[seq - 1][3] for seq in stored)
    assert Signature.unpack(stored[300]).n_shingles == sigs[299].n_shingles

    first = sharers[0]
    store.forget(f"art-{first}", first, entries[first - 1][4], "done")
    assert first not in store.signatures([first])
    (again,) = store.index_signatures([(601, "art-601", None, sigs[first - 1].pack(), entries[first - 1][4])])
    assert first not in again and sharers[1] in again
