"""Behaviour of the story representation (workers/terms.py) on small handmade texts."""

import math
from collections.abc import Mapping

from workers.terms import add_to_centroid, cluster_score, refine_idf, salient_terms


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    return dot / math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))


QUAKE_A = (
    "A magnitude 7.8 earthquake struck Nepal on Saturday near Kathmandu, killing at least 1,800 people. "
    "The quake flattened buildings in Kathmandu and triggered avalanches on Everest, officials said. "
    "Rescue teams from India and China arrived in Nepal as the death toll kept rising."
)
QUAKE_B = (
    "Nepal's government said the death toll from the 7.8 earthquake passed 1,800 as aftershocks shook "
    "Kathmandu. Climbers on Everest were caught by avalanches, and India sent rescue teams to Nepal."
)
ELECTION = (
    "Voters in Brazil chose Dilma Rousseff in a tight runoff on Sunday, giving the Workers' Party a fourth "
    "term. Rousseff beat Aecio Neves by about 3 points, the electoral court in Brasilia said."
)


def top(vector: dict[str, float], n: int) -> list[str]:
    return sorted(vector, key=vector.__getitem__, reverse=True)[:n]


def test_names_and_numbers_rank_high_and_stop_words_are_absent() -> None:
    vec = salient_terms(QUAKE_A, lang="en")
    assert {"kathmandu", "nepal", "1800", "7.8"} <= set(top(vec, 5))  # 1,800 is read as one number
    assert not {"the", "and", "on", "in", "at", "as", "from", "said"} & set(vec)


def test_vector_is_unit_length_and_capped() -> None:
    vec = salient_terms(QUAKE_A, "Nepal earthquake", lang="en", max_terms=5)
    assert len(vec) == 5
    assert abs(sum(w * w for w in vec.values()) - 1.0) < 1e-9


def test_title_terms_gain_weight() -> None:
    plain = salient_terms(QUAKE_A, lang="en")
    titled = salient_terms(QUAKE_A, "Avalanches on Everest", lang="en")
    assert titled["avalanches"] > plain["avalanches"]


def test_title_words_missing_from_the_body_are_ignored() -> None:
    # a "title" taken from page chrome (another headline, a share bar) says nothing about the article
    plain = salient_terms(QUAKE_A, lang="en")
    assert salient_terms(QUAKE_A, "Share on WhatsApp: Brazil runoff results", lang="en") == plain


PRISON = (
    "Colin Penrose was found dead in his cell at Barlinnie prison in Glasgow. The prison service said an "
    "inmate, 21, was charged with murder. Penrose had been in Barlinnie since May."
)


def test_counts_lighten_listed_words_the_stream_is_full_of_but_not_rare_names() -> None:
    vec = salient_terms(PRISON, lang="en")
    assert {"prison", "glasgow"} <= set(vec.listed)  # words and well-known names wordfreq lists
    assert not {"barlinnie", "penrose", "21"} & set(vec.listed)  # rare names, numbers
    # half of 10,000 articles had "prison" and "barlinnie": the listed word weighs less, the rare name not
    busy = refine_idf(vec, {"prison": 5000, "barlinnie": 5000}, 10_000)
    assert busy["prison"] < 0.5 * vec["prison"]
    assert busy["barlinnie"] >= vec["barlinnie"]
    assert abs(sum(w * w for w in busy.values()) - 1.0) < 1e-9
    # a young stream keeps the prior: ten articles are too few to outweigh it
    young = refine_idf(vec, {"prison": 5}, 10)
    assert abs(young["prison"] - vec["prison"]) < 0.05 * vec["prison"]
    # counts never raise an IDF: a word rarer in the stream than the prior says keeps its weight
    assert refine_idf(vec, {}, 10_000)["prison"] >= vec["prison"]


def test_german_text_uses_german_frequencies() -> None:
    text = (
        "Bundeskanzlerin Angela Merkel hat am Montag in Berlin den französischen Präsidenten Emmanuel "
        "Macron empfangen. Merkel und Macron sprachen über den Haushalt der Eurozone und den Brexit. "
        "Die beiden wollen im Juni einen gemeinsamen Vorschlag vorlegen, sagte Merkel."
    )
    vec = salient_terms(text, lang="de")
    assert {"merkel", "macron"} <= set(top(vec, 4))
    assert not {"der", "die", "und", "den", "hat", "am", "in"} & set(vec)


def test_language_is_detected_when_not_given() -> None:
    assert salient_terms(QUAKE_A) == salient_terms(QUAKE_A, lang="en")


def test_same_event_is_more_similar_than_a_different_event() -> None:
    a, b, c = (salient_terms(t, lang="en") for t in (QUAKE_A, QUAKE_B, ELECTION))
    assert cosine(a, b) > 0.3
    assert cosine(a, b) > 3 * cosine(a, c)


def test_cluster_score_is_mean_cosine_to_members() -> None:
    a, b, c = (salient_terms(t, lang="en") for t in (QUAKE_A, QUAKE_B, ELECTION))
    centroid = add_to_centroid(add_to_centroid({}, a), c)
    assert abs(cluster_score(b, centroid, 2) - (cosine(b, a) + cosine(b, c)) / 2) < 1e-9


def test_adding_to_a_centroid_sums_term_by_term() -> None:
    # uncapped: the store caps the centroid it keeps (tests/test_story_merge.py)
    centroid = add_to_centroid({"a": 1.0, "b": 0.2}, {"a": 0.5, "c": 0.4})
    assert centroid == {"a": 1.5, "b": 0.2, "c": 0.4}


def test_text_without_words_gives_an_empty_vector() -> None:
    assert salient_terms("... -- !!", lang="en") == {}


def test_typographic_apostrophes_read_as_ascii_ones() -> None:
    # "It’s" is the stop word "it's", not an unknown (and so maximally rare) word.
    curly = salient_terms(
        "It’s clear that Penrose’s cell-mate don’t talk, the Barlinnie governor said.", lang="en"
    )
    assert not {"it’s", "it's", "don’t", "don't"} & set(curly)


def test_unknown_words_with_apostrophes_count_as_their_parts() -> None:
    # An inflected name is the name: "Penrose’s" and "Penrose's" count towards "penrose".
    vec = salient_terms("Penrose’s lawyer met Penrose's family; Penrose was remanded.", lang="en")
    assert "penrose" in vec and not any("'" in t or "’" in t for t in vec)
    assert top(vec, 1) == ["penrose"]
    # The same in French, where an elided article is glued to the noun it precedes.
    fr = salient_terms("L’ambassadeur d’Ouzbékistan a quitté l'Ouzbékistan hier.", lang="fr")
    assert "ouzbékistan" in fr
