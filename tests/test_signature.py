"""Signatures: packing, and estimates that accept abridged copies but not merely related texts."""

from __future__ import annotations

from workers.signature import Signature, band_keys, containment, jaccard, sign

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
    assert len(sig.pack()) == 4 + 4 * 128


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
