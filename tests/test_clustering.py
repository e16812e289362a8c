"""Groups and clusters as users see them: copies, merges that keep ids valid, and takedowns."""

from __future__ import annotations

import pytest
from conftest import Api
from redis import Redis

from workers.store import Store
from workers.terms import count_terms

HARBOUR = [
    "ROTTERDAM - The city council voted on Tuesday to approve a new bridge across the harbour, ending a "
    "debate that had lasted more than ten years and divided residents of both banks of the river.",
    "The bridge will carry trams, bicycles and pedestrians but no private cars, the council said, and is "
    "expected to open in 2031 at a cost of about 480 million euros paid partly by the national government.",
    "Opponents argued that the money would be better spent on schools, while supporters said the crossing "
    "would bring the southern districts closer to jobs in the centre and to the university campus.",
    "Construction companies have until the end of the year to submit their bids, and the winning design "
    "will be chosen by a jury of engineers, architects and residents early next spring.",
]
VACCINE = [
    "NAIROBI - Health officials in Kenya began a campaign on Monday to vaccinate four million children "
    "against measles after an outbreak in the north of the country killed at least twelve people.",
    "The ministry of health said mobile teams would travel to remote villages where clinics are scarce, "
    "and that the vaccine doses had been donated by an international alliance of governments and charities.",
    "Doctors warned that low vaccination rates during the pandemic had left many young children without "
    "protection, and urged parents to bring their sons and daughters to the nearest health centre.",
    "The campaign is expected to last three weeks and will also offer vitamin supplements and deworming "
    "tablets to children under five years old in the affected counties.",
]


def page(paragraphs: list[str], outlet: str) -> str:
    return f"{outlet} | Home | News\n\n" + "\n\n".join(paragraphs) + f"\n\nFollow {outlet} on social media\n"


def article(api: Api, article_id: str) -> dict:
    return api.http.get(f"/articles/{article_id}").json()


def test_copies_share_the_first_seen_canonical_and_a_cluster(api: Api) -> None:
    rows = [
        {"id": "orig", "text": page(HARBOUR, "Daily One"), "published_at": "2024-05-01"},
        {"id": "abridged", "text": page(HARBOUR[:2], "Paper Two"), "published_at": "2024-05-01"},
        {"id": "other", "text": page(VACCINE, "Daily One"), "published_at": "2024-05-01"},
    ]
    api.http.post("/batches", json={"articles": rows})
    api.drain()
    orig, abridged, other = (article(api, r["id"]) for r in rows)
    assert abridged["canonical_id"] == "orig"
    assert abridged["cluster_id"] == orig["cluster_id"]
    assert other["canonical_id"] == "other"
    assert other["cluster_id"] != orig["cluster_id"]


def test_a_merged_cluster_answers_as_its_survivor(api: Api) -> None:
    first = [
        {"id": "harbour", "text": page(HARBOUR, "Daily One"), "published_at": "2024-05-01"},
        {"id": "vaccine", "text": page(VACCINE, "Daily One"), "published_at": "2024-05-01"},
    ]
    api.http.post("/batches", json={"articles": first})
    api.drain()
    older, younger = article(api, "harbour")["cluster_id"], article(api, "vaccine")["cluster_id"]
    assert older != younger

    # a digest that reprints both stories in full is a copy of each: copies share a story, so they merge
    digest = {"id": "digest", "text": page(HARBOUR + VACCINE, "Digest"), "published_at": "2024-05-02"}
    api.http.post("/articles", json=digest)
    api.drain()
    survivor = min(older, younger, key=lambda c: int(c[1:]))
    assert {article(api, a)["cluster_id"] for a in ("harbour", "vaccine", "digest")} == {survivor}
    for cluster_id in (older, younger):
        cluster = api.http.get(f"/clusters/{cluster_id}").json()
        assert cluster["id"] == survivor
        assert sorted(a["id"] for a in cluster["articles"]) == ["digest", "harbour", "vaccine"]
        assert cluster["size"] == 3
        assert cluster["representative_id"] == "harbour"  # of two equal sides, the survivor's
    assert api.http.get("/stats").json()["clusters"] == 1


def test_deleting_the_canonical_passes_it_to_the_next_oldest_copy(api: Api) -> None:
    rows = [
        {"id": f"copy-{n}", "text": page(HARBOUR[: 4 - n % 2], f"Outlet {n}"), "published_at": "2024-05-01"}
        for n in range(3)
    ]
    api.http.post("/batches", json={"articles": rows})
    api.drain()
    cluster_id = article(api, "copy-0")["cluster_id"]

    assert api.http.delete("/articles/copy-0").status_code == 204
    assert api.http.get("/articles/copy-0").status_code == 404
    assert article(api, "copy-1")["canonical_id"] == "copy-1"
    assert article(api, "copy-2")["canonical_id"] == "copy-1"
    cluster = api.http.get(f"/clusters/{cluster_id}").json()
    assert sorted(a["id"] for a in cluster["articles"]) == ["copy-1", "copy-2"]
    assert cluster["size"] == 2

    # the deleted text no longer matches anything: posting it again starts afresh as its own original
    api.http.post(
        "/articles", json={"id": "again", "text": page(HARBOUR, "Outlet 9"), "published_at": "2024-05-01"}
    )
    api.drain()
    assert article(api, "again")["canonical_id"] == "copy-1"

    for name in ("copy-1", "copy-2", "again"):
        assert api.http.delete(f"/articles/{name}").status_code == 204
    assert api.http.get(f"/clusters/{cluster_id}").status_code == 404
    assert api.http.get("/stats").json()["articles"] == 0


def test_deleting_an_article_still_in_the_queue_is_refused_and_unknown_ids_are_404(api: Api) -> None:
    api.http.post("/articles", json={"id": "waiting", "text": page(HARBOUR, "Daily One")})
    response = api.http.delete("/articles/waiting")
    assert response.status_code == 409
    assert "queued" in response.json()["error"]
    assert api.http.delete("/articles/nobody").status_code == 404


def test_an_article_with_no_salient_terms_starts_a_story_of_its_own(api: Api) -> None:
    """A short text of function words only ("It is what it is.") has nothing to compare by: it must still
    be stored with a cluster of its own, not fail."""
    rows = [
        {
            "id": "plain",
            "text": "It is what it is, and that is all there is to it.",
            "published_at": "2024-05-02",
        },
        {"id": "harbour", "text": page(HARBOUR, "Daily One"), "published_at": "2024-05-01"},
    ]
    api.http.post("/batches", json={"articles": rows})
    api.drain()
    plain, harbour = article(api, "plain"), article(api, "harbour")
    assert plain["status"] == "done"
    assert plain["cluster_id"] is not None
    assert plain["cluster_id"] != harbour["cluster_id"]


# Two outlets' own write-ups of one event: they share its names (the ship, the island) but few other words,
# a mean similarity of about 0.16 between what the threshold asks the same day (0.10) and three days apart
# (0.19), or without dates (0.18).
AGROUND = [
    "HELSINKI - A ferry carrying 212 passengers ran aground near the island of Utö early on Saturday, and "
    "the Finnish coast guard said everyone on board had been brought safely to shore by midday.",
    "The vessel, the Baltic Aurora, had left Turku for Mariehamn the evening before. Investigators will "
    "examine why it strayed from the marked channel in calm weather and good visibility.",
    "The operator said it would cancel sailings on the route for the rest of the week while divers checked "
    "the damage to the hull.",
]
EVACUATED = [
    "Travellers described a sudden jolt and the sound of scraping metal when their ship struck rocks in the "
    "archipelago off Finland's south-west.",
    "Rescue boats from Utö and neighbouring islands ferried people to a school gym, where volunteers handed "
    "out blankets and coffee; no one needed hospital treatment.",
    "Local officials praised the crew of the Baltic Aurora for an orderly evacuation, while a union "
    "representative questioned whether staffing on night crossings was adequate.",
]


@pytest.mark.parametrize(
    ("first", "second", "one_story"),
    [
        ("2024-05-04T08:00:00Z", "2024-05-04T18:00:00Z", True),
        ("2024-05-04T08:00:00Z", "2024-05-07T12:00:00Z", False),
        (None, None, False),
    ],
    ids=["same-day", "three-days-apart", "undated"],
)
def test_loosely_alike_write_ups_are_one_story_when_written_close_in_time(
    api: Api, first: str | None, second: str | None, one_story: bool
) -> None:
    for article_id, paragraphs, published in (("aground", AGROUND, first), ("evacuated", EVACUATED, second)):
        row = {"id": article_id, "text": page(paragraphs, article_id.title())}
        if published:
            row["published_at"] = published
        api.http.post("/articles", json=row)
        api.drain()
    same = article(api, "aground")["cluster_id"] == article(api, "evacuated")["cluster_id"]
    assert same == one_story


# A third write-up that tells what both others tell: more similar to each of them than they are to each
# other (mean similarity about 0.5 against their 0.16), so the most central of the three.
ROUND_UP = [
    "The Baltic Aurora, a ferry on the night route from Turku to Mariehamn, struck rocks off Utö with 212 "
    "people aboard; the coast guard and rescue boats from the islands took everyone ashore within hours.",
    "Evacuated travellers spent the morning in a school gym on Utö, where volunteers brought blankets, "
    "while divers began inspecting the hull and investigators asked why the ship left the channel.",
    "The crew was praised for keeping the evacuation orderly, and the operator has cancelled crossings "
    "between Turku and Mariehamn for the rest of the week.",
]


def test_a_cluster_is_represented_by_its_most_central_article_and_its_headline(api: Api) -> None:
    for article_id, paragraphs, title in (
        ("aground", AGROUND, "Ferry runs aground off Utö"),
        ("evacuated", EVACUATED, "A night on the rocks"),
        ("round-up", ROUND_UP, "Baltic Aurora: what we know"),
    ):
        row = {
            "id": article_id,
            "text": page(paragraphs, "Daily"),
            "title": title,
            "published_at": "2024-05-04",
        }
        api.http.post("/articles", json=row)
        api.drain()
    cluster_id = article(api, "aground")["cluster_id"]
    assert {article(api, a)["cluster_id"] for a in ("evacuated", "round-up")} == {cluster_id}

    cluster = api.http.get(f"/clusters/{cluster_id}").json()
    assert (cluster["representative_id"], cluster["title"]) == ("round-up", "Baltic Aurora: what we know")
    (listed,) = api.http.get("/clusters").json()["clusters"]
    assert (listed["representative_id"], listed["title"]) == ("round-up", "Baltic Aurora: what we know")

    # a takedown of the representative: the oldest article left stands in
    assert api.http.delete("/articles/round-up").status_code == 204
    cluster = api.http.get(f"/clusters/{cluster_id}").json()
    assert (cluster["representative_id"], cluster["title"]) == ("aground", "Ferry runs aground off Utö")


def test_a_takedown_takes_back_the_word_counts_it_added(api: Api) -> None:
    """The IDF counts (articles counted, and per word how many had it) are what the articles in the index
    added: deleting one takes back what it added, and deleting all of them leaves none."""
    store = Store(Redis.from_url(api.settings.redis_url or ""), api.settings.key_prefix)
    words = sorted(count_terms(" ".join(HARBOUR + VACCINE).lower(), "en"))

    def counts() -> tuple[int, dict[str, int]]:
        articles, per_word, _ = store.story_inputs(words, [], 1)
        return articles, per_word

    rows = [
        {"id": "harbour", "text": page(HARBOUR, "Daily One"), "published_at": "2024-05-01"},
        {"id": "harbour-copy", "text": page(HARBOUR[:3], "Paper Two"), "published_at": "2024-05-01"},
    ]
    api.http.post("/batches", json={"articles": rows})
    api.drain()
    with_harbour = counts()
    assert with_harbour[0] == 1  # the copy is not counted: only originals are

    api.http.post("/articles", json={"id": "vaccine", "text": page(VACCINE, "Daily One")})
    api.drain()
    assert counts()[0] == 2
    assert api.http.delete("/articles/vaccine").status_code == 204
    assert counts() == with_harbour

    # the original goes and its copy becomes canonical: the copy still tells the story, so the group stays
    # counted (not anew) until the copy goes too
    assert api.http.delete("/articles/harbour").status_code == 204
    assert counts() == with_harbour
    assert api.http.delete("/articles/harbour-copy").status_code == 204
    assert counts() == (0, {})


# One story told twice (a mean similarity of about 0.17, a join the same day): BRIDGE_DESIGNED also names
# the bridge's engineers and their works, which BRIDGE_APPROVED does not. HALL_DESIGNED is another story
# about those engineers: about 0.74 like BRIDGE_DESIGNED, hardly anything like BRIDGE_APPROVED (0.01).
BRIDGE_DESIGNED = [
    "ROTTERDAM - The city council voted on Tuesday to approve a new bridge across the harbour, designed by "
    "the engineers Marijke Vandersloot and Pieter Oosterhuis of the Kralingen studio Oosterhuis Vandersloot.",
    "Vandersloot and Oosterhuis, whose Zuidplein footbridge won the Brunel medal, said the crossing would "
    "carry trams, bicycles and pedestrians on a single steel arch anchored at Katendrecht and Feijenoord.",
    "Oosterhuis told reporters that the arch would be assembled at the Heijplaat yard and floated into "
    "place, as Vandersloot had done for the Maasvlakte viaduct.",
]
BRIDGE_APPROVED = [
    "ROTTERDAM - Councillors approved a new harbour bridge on Tuesday after more than ten years of debate "
    "that divided residents of both banks of the river.",
    "The crossing will carry trams, bicycles and pedestrians but no private cars and is expected to open "
    "in 2031 at a cost of about 480 million euros, paid partly by the national government.",
    "Opponents said the money would be better spent on schools; supporters said the bridge would bring "
    "the southern districts closer to jobs in the city centre.",
]
HALL_DESIGNED = [
    "GRONINGEN - The engineers Marijke Vandersloot and Pieter Oosterhuis will design the new concert hall "
    "on the Ebbingekwartier site, the province announced on Tuesday.",
    "The Kralingen studio Oosterhuis Vandersloot, known for the Zuidplein footbridge and the Maasvlakte "
    "viaduct, beat four other firms; Vandersloot said the hall would seat 1,800 people.",
    "Oosterhuis said construction of the timber-framed hall would begin in the autumn and take three years.",
]


@pytest.mark.parametrize(
    ("copied", "deleted", "joins"),
    [
        (False, ["designed"], False),
        (True, ["designed"], True),
        (True, ["designed", "reprint"], False),
    ],
    ids=["taken-down", "still-told-by-a-copy", "copy-taken-down-too"],
)
def test_a_takedown_takes_its_words_out_of_its_cluster(
    api: Api, copied: bool, deleted: list[str], joins: bool
) -> None:
    """A deleted article's words no longer draw later articles into the cluster it was in: of the two
    write-ups of the bridge, the one that named the engineers is deleted, and a story about the same
    engineers a few hours later starts a cluster of its own. A copy of the deleted article that stays in
    the index still tells what it told, so then the later story joins as it would have; once the copy is
    deleted too, it does not."""
    rows = [
        {"id": "designed", "text": page(BRIDGE_DESIGNED, "Daily One"), "published_at": "2024-05-07"},
        {"id": "approved", "text": page(BRIDGE_APPROVED, "Paper Two"), "published_at": "2024-05-07"},
    ]
    if copied:
        rows.append(
            {"id": "reprint", "text": page(BRIDGE_DESIGNED, "Wire Three"), "published_at": "2024-05-07"}
        )
    for row in rows:
        api.http.post("/articles", json=row)
        api.drain()
    cluster_id = article(api, "designed")["cluster_id"]
    assert {article(api, r["id"])["cluster_id"] for r in rows} == {cluster_id}

    for name in deleted:
        assert api.http.delete(f"/articles/{name}").status_code == 204
    hall = {"id": "hall", "text": page(HALL_DESIGNED, "Daily One"), "published_at": "2024-05-07T18:00:00Z"}
    api.http.post("/articles", json=hall)
    api.drain()
    assert (article(api, "hall")["cluster_id"] == cluster_id) == joins
