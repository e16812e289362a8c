"""Template lines: comment threads and teaser lists repeat a line's shape (a commenter's "name says:", a
timestamp) item after item, and the prose between those lines is not the article however much it reads
like it. Tested through the public feature matrix and through clean_text."""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from prose import PROSE_EN

from workers.blocks import (
    INVISIBLE,
    LOCAL_FEATURES,
    LONG_LINE_CHARS,
    SENTENCE_BREAK,
    TEMPLATE_MAX_WORDS,
    TEMPLATE_MIN_LINES,
    Additive,
    Block,
    _log_odds,
    _pieces,
    _repeated_lines,
    _template_lines,
    _text_keys,
    block_features,
    densest_run,
    feature_names,
    local_features,
    segment,
)
from workers.clean import clean_text
from workers.line_features import EDGE_PUNCT, SHAPE_FEATURES, line_shapes

STOPS = frozenset({"the", "a", "of", "to", "and", "in", "on", "for"})
NAV = ["Home", "News", "Politics", "Business", "Sport", "Culture", "Weather", "Subscribe"]
TITLE = "Council extends night buses to the northern suburbs"
COMMENTS = [
    (
        "harbourwatcher",
        "November 19, 2019 at 6:34 am",
        "About time the council listened to the people out there.",
    ),
    (
        "night_nurse",
        "November 19, 2019 at 6:44 am",
        "I finish my shift at two in the morning and have paid for taxis for years, so this is great news.",
    ),
    (
        "roadsfirst",
        "November 19, 2019 at 7:02 am",
        "Four million a year while the potholes on the ring road are big enough to lose a car in.",
    ),
    (
        "jbaxt",
        "November 19, 2019 at 7:19 am",
        "Let us see the ridership numbers after a year before we celebrate.",
    ),
    (
        "M. Okafor",
        "November 19, 2019 at 8:13 am",
        "The buses will be empty, just like the last time they tried this on the eastern routes.",
    ),
    (
        "commuter77",
        "November 19, 2019 at 9:47 am",
        "Good decision, and the drivers deserve a proper wage for it.",
    ),
]


def _thread() -> list[str]:
    lines = [f"{len(COMMENTS)} responses to “{TITLE}”"]
    for name, date, text in COMMENTS:
        lines += [f"{name} says:", date, text]
    return lines


def _page(prose: list[str]) -> list[str]:
    """A page as some scrapers send it, without blank lines: menu, headline, dateline, article, then
    the comment thread and the footer."""
    return [*NAV, TITLE, "Jun 18, 2023, 10:24 AM", *prose, *_thread(), "About us", "Privacy policy"]


def _enclosed_column(lines: list[str]) -> np.ndarray:
    blocks = [Block(i, text, False, False) for i, text in enumerate(lines)]
    features = block_features(blocks, STOPS)
    return features[:, feature_names().index("dated_template_enclosed")]


def test_lines_between_repeated_timestamps_are_marked_and_the_article_is_not() -> None:
    lines = _page(PROSE_EN)
    column = _enclosed_column(lines)
    article = [lines.index(p) for p in PROSE_EN]
    assert column[article].tolist() == [0.0] * len(PROSE_EN)
    # every comment but the first has a timestamp within three lines above it and below it
    for _, _, text in COMMENTS[:-1]:
        assert column[lines.index(text)] == 1.0


def test_timestamps_of_different_shapes_or_letter_only_repeats_make_no_template() -> None:
    """Three dated lines that do not share a shape, and menu labels repeated with no digit or punctuation
    mark, are not a template: the prose between them is not marked."""
    dates = ["Posted November 19, 2019", "Updated 6:34 am", "19/11/2019"]
    lines = [*NAV[:3], *NAV[:3]]
    for date, paragraph in zip(dates, PROSE_EN, strict=False):
        lines += [date, paragraph, "Home"]
    assert not _enclosed_column(lines).any()


def test_template_shapes_are_read_in_any_script() -> None:
    """Skeletons keep digits and punctuation and drop the letters' own identity: the timestamps of a
    Japanese thread make a template as English ones do."""
    thread = []
    for k, reply in enumerate(["返信ありがとうございます。", "私もそう思います。", "また来週会いましょう。"]):
        thread += [f"2019年11月19日 06:{30 + k}", reply, f"ユーザー{k}"]
    column = _enclosed_column(["東京で会議が開かれた。", *thread])
    assert column[0] == 0.0
    assert column[thread.index("私もそう思います。") + 1] == 1.0


def test_comment_thread_after_the_article_is_cut() -> None:
    for prose in (PROSE_EN, PROSE_EN[:3]):
        article = clean_text("\n".join(_page(prose)))
        paragraphs = article.body.split("\n\n")
        assert paragraphs[: len(prose)] == prose
        for _, _, text in COMMENTS:
            assert text not in paragraphs
        assert "commuter77 says:" not in paragraphs


# Readers' comments long enough that no paragraph has a timestamp within 3 lines on both sides.
LONG_COMMENTS = [
    [
        "I have lived on the northern edge of the city for eleven years and have never once been able to "
        "get home after a late shift without paying for a taxi.",
        "The buses stop running just when the hospital shifts change, which has always seemed like a "
        "strange way to plan a service for the people who need it most.",
        "My neighbours and I wrote to the council about this twice, and both times we were told that there "
        "was simply no money for it in the budget.",
        "So it is good to see them change their minds, even if it took a petition with four thousand "
        "signatures and three years of meetings to get here.",
        "I will believe it when I see the first bus pull up at my stop at two in the morning, but I am "
        "hopeful for once.",
    ],
    [
        "Four million dollars a year is a great deal of money for a service that may carry only a handful "
        "of people on most nights of the week.",
        "The council should have published the expected ridership before the vote, so that residents "
        "could judge whether the cost is worth it.",
        "Roads in the eastern suburbs have been waiting for repairs for years, and every winter the "
        "potholes get deeper and more dangerous for cyclists.",
        "I am not against night buses, but I would like to see the same urgency applied to the basic "
        "maintenance that every resident depends on.",
    ],
    [
        "As a driver with the transport department, I can say that the hardest part will be hiring enough "
        "people willing to work the night shifts.",
        "The pay offered for night work has not changed in a decade, and many of my colleagues have "
        "already left for better paid jobs in logistics.",
        "If the council wants the service to start in the spring, it needs to raise the night allowance "
        "now, not after the first month of cancelled trips.",
        "Otherwise the new routes will exist on paper while the buses sit in the depot for lack of anyone "
        "to drive them.",
    ],
]


def test_a_thread_of_long_comments_after_the_article_is_cut() -> None:
    """The densest run of prose goes on through comments of several paragraphs; the article ends where
    the thread's timestamps start."""
    thread = ["Comments"]
    for name, stamp, paragraphs in zip(
        ("harbourwatcher", "roadsfirst", "nightdriver"),
        ("2 days ago at 07:47 am", "2 days ago at 08:12 am", "2 days ago at 08:51 am"),
        LONG_COMMENTS,
        strict=True,
    ):
        thread += [name, stamp, *paragraphs, "Reply"]
    article = clean_text("\n".join([*NAV[:3], TITLE, *PROSE_EN, *thread, "About us"]))
    paragraphs = article.body.split("\n\n")
    assert paragraphs == PROSE_EN


def test_context_columns_follow_their_definitions() -> None:
    """Window shares, enclosure, tight runs and the distance to the densest run of prose, as the block
    classifier reads them, on a page of menus, prose and short lines with and without blank lines."""
    lines = ["Home", "News", PROSE_EN[0], "Share", PROSE_EN[1], PROSE_EN[2], "Photo: AP", "About us", "Jobs"]
    blank_before = [True, False, True, True, True, False, True, True, False]
    blocks = [
        Block(i, text, blank_before[i], i + 1 == len(lines) or blank_before[i + 1])
        for i, text in enumerate(lines)
    ]
    features = block_features(blocks, STOPS)
    column = {name: features[:, k].tolist() for k, name in enumerate(feature_names())}
    prose = [1.0 if text in PROSE_EN else 0.0 for text in lines]
    assert column["prose_like"] == prose
    n = len(lines)

    def share(values: list[float], i: int, radius: int) -> float:
        window = [values[j] for j in range(max(i - radius, 0), min(i + radius + 1, n)) if j != i]
        return sum(window) / len(window)

    def enclosed(i: int, radius: int) -> float:
        return float(any(prose[max(i - radius, 0) : i]) and any(prose[i + 1 : i + radius + 1]))

    assert column["prose_share_w1"] == pytest.approx([share(prose, i, 1) for i in range(n)])
    assert column["short_share_w3"] == pytest.approx([share(column["short"], i, 3) for i in range(n)])
    assert column["prose_enclosed_3"] == [enclosed(i, 3) for i in range(n)]
    assert column["prose_enclosed_3"][3] == 1.0  # "Share", between two paragraphs
    # runs of tight lines: Home+News, the first paragraph, Share, two paragraphs, Photo, About+Jobs
    sizes = [2, 2, 1, 1, 2, 2, 1, 2, 2]
    assert column["log_tight_run"] == np.log1p(sizes).tolist()  # numpy's logarithms to the bit
    # the densest run of prose is the three paragraphs with "Share" between them (lines 2 to 5)
    assert column["in_dense_run"] == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert column["log_dist_dense_run"] == np.log1p([2, 1, 0, 0, 0, 0, 1, 2, 3]).tolist()
    assert column["before_dense_run"][:2] == [1.0, 1.0] and column["after_dense_run"][6:] == [1.0] * 3
    assert column["prev_prose_like"] == [0.0, *prose[:-1]] and column["next_prose_like"] == [*prose[1:], 0.0]
    # a line is enclosed by prose up to three lines away on each side, and not further
    lines = [PROSE_EN[0], "Home", "News", "Menu", "Sport", PROSE_EN[1]]
    features = block_features([Block(i, t, True, True) for i, t in enumerate(lines)], STOPS)
    assert features[:, feature_names().index("prose_enclosed_3")].tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]


def test_neighbour_overlap_is_the_share_of_words_found_next_door() -> None:
    """A line's largest share of distinct words (lower-cased, edge punctuation aside) that the line
    before or after it holds, on random lines of a few words, some repeated."""
    rng = random.Random(7)
    vocabulary = [
        "Harbour",
        "harbour,",
        "(bridge)",
        "bridge",
        "the",
        "The",
        "closes",
        "«repairs»",
        "at",
        "dawn",
        "—",
    ]
    lines = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 6))) for _ in range(200)]
    words = [{w.strip(EDGE_PUNCT).lower() for w in line.split()} - {""} for line in lines]
    features = block_features([Block(i, text, True, True) for i, text in enumerate(lines)], STOPS)
    column = features[:, feature_names().index("neighbour_overlap")].tolist()
    for i, own in enumerate(words):
        before = words[i - 1] if i > 0 else set()
        after = words[i + 1] if i + 1 < len(words) else set()
        expected = max(len(own & before), len(own & after)) / len(own) if own else 0.0
        assert column[i] == pytest.approx(expected), lines[i - 1 : i + 2]
    assert 0.0 < sum(column) < len(lines)  # lines share some words with their neighbours, not all


def _random_page(rng: random.Random) -> list[Block]:
    """Prose, menu labels, timestamps and captions in random order, many of them more than once, with
    and without blank lines between them and with pieces of one line (blocks sharing its number)."""
    texts = [*PROSE_EN, *NAV, "Photo: AP", "2 days ago at 07:47 am", "Nov 19, 2019 at 6:34 am", "Reply"]
    blocks: list[Block] = []
    line = 0
    for _ in range(rng.randint(1, 80)):
        line += rng.choice((0, 1, 1, 2)) if blocks else 0
        blocks.append(Block(line, rng.choice(texts), rng.random() < 0.4, rng.random() < 0.4))
    return blocks


@pytest.mark.parametrize("seed", range(20))
def test_page_columns_follow_their_definitions(seed: int) -> None:
    """On random pages: the blank lines, the lines whose text another line has, and the densest run of
    prose, prose weighing numpy's expm1 of its log_chars and the rest -40."""
    blocks = _random_page(random.Random(seed))
    features = block_features(blocks, STOPS)
    column = {name: features[:, k] for k, name in enumerate(feature_names())}
    counts = Counter(block.text for block in blocks)
    assert column["repeated"].tolist() == [float(counts[block.text] > 1) for block in blocks]
    assert column["blank_before"].tolist() == [float(block.blank_before) for block in blocks]
    assert column["blank_after"].tolist() == [float(block.blank_after) for block in blocks]
    weights = np.where(column["prose_like"] > 0, np.expm1(column["log_chars"]), -40.0)
    start, end = densest_run(weights)
    assert column["in_dense_run"].tolist() == [float(start <= i <= end) for i in range(len(blocks))]
    assert np.array_equal(local_features(blocks, STOPS), features[:, : len(LOCAL_FEATURES)])


def test_lines_of_one_key_are_compared_by_their_text() -> None:
    """Lines whose keys are equal are repeated only when their texts are: all keys alike, then the keys
    of _text_keys, which these lines of different text share two by two."""
    lines = ["ABc", "Abc", "Home", "Wait!!", "Wait!", "the  end", "the end", "Home", "Abc", "Sport"]
    cp = np.frombuffer("\n".join(lines).encode("utf-32-le"), dtype=np.uint32)
    shapes = line_shapes(cp, STOPS, np.zeros((len(lines), len(SHAPE_FEATURES))))
    keys = _text_keys(shapes.skeleton, shapes.word_hash, shapes.word_line)
    assert keys[0] == keys[1] and keys[3] == keys[4] and keys[5] == keys[6]
    counts = Counter(lines)
    expected = [counts[line] > 1 for line in lines]
    collide = np.zeros(len(lines), dtype=np.uint64)
    assert _repeated_lines(cp, shapes.starts, shapes.lengths, collide).tolist() == expected
    assert _repeated_lines(cp, shapes.starts, shapes.lengths, keys).tolist() == expected


@pytest.mark.parametrize("seed", range(10))
def test_template_lines_are_the_candidates_sharing_a_key(seed: int) -> None:
    """Against the plain definition: the marked lines of few words whose skeleton and word count at
    least TEMPLATE_MIN_LINES such lines share."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    skeletons = rng.integers(0, 4, size=n).astype(np.uint64) * np.uint64(0xFFFF_FFFF_FFFF_FFF1)
    marked = rng.random(n) < 0.7
    words = rng.integers(0, TEMPLATE_MAX_WORDS + 3, size=n).astype(float)
    keys = list(zip(skeletons.tolist(), words.tolist(), strict=True))
    candidates = [marked[i] and words[i] <= TEMPLATE_MAX_WORDS for i in range(n)]
    shared = Counter(key for key, candidate in zip(keys, candidates, strict=True) if candidate)
    expected = [candidates[i] and shared[keys[i]] >= TEMPLATE_MIN_LINES for i in range(n)]
    assert _template_lines(skeletons, marked, words).tolist() == expected


def test_an_empty_page_has_no_rows() -> None:
    assert block_features([], STOPS).shape == (0, len(feature_names()))
    assert local_features([], STOPS).shape == (0, len(LOCAL_FEATURES))


def test_the_additive_model_scores_each_feature_by_its_weight_and_its_bin() -> None:
    """p = σ(intercept + Σ_j (weight_j · x_j + table_j[bin_j(x_j)])), bin_j(x) being how many of feature
    j's edges x reaches; features have different numbers of edges, some none."""
    rng = np.random.default_rng(3)
    edges = [sorted(rng.normal(size=k).round(1).tolist()) for k in (0, 1, 3, 5)]
    model = {
        "weights": rng.normal(size=4).round(3).tolist(),
        "edges": edges,
        "table": [rng.normal(size=len(e) + 1).round(3).tolist() for e in edges],
        "intercept": -0.25,
    }
    x = rng.normal(size=(50, 4)).round(1)  # rounded as the edges are, so that values reach edges exactly
    z = np.full(len(x), model["intercept"])
    for j, feature_edges in enumerate(edges):
        bins = [sum(value >= edge for edge in feature_edges) for value in x[:, j]]
        z += model["weights"][j] * x[:, j] + np.array(model["table"][j])[bins]
    assert Additive.from_json(model).predict(x) == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-12)


def test_log_odds_are_summed_row_by_row_to_the_bit() -> None:
    """The compiled loop adds to each row's sum column by column: in the order of the plain row-by-row
    sum (features, base, then the steps of the edges reached), so to the same bits."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(70, 9)).round(1)
    weights = rng.normal(size=9)
    columns = np.repeat(np.arange(9), 3)
    edges = np.sort(rng.normal(size=(9, 3)).round(1), axis=1).ravel()
    steps = rng.normal(size=len(columns))
    expected = []
    for row in x:
        total = 0.0
        for value, weight in zip(row.tolist(), weights.tolist(), strict=True):
            total += value * weight
        total += 0.3
        for column, edge, step in zip(columns.tolist(), edges.tolist(), steps.tolist(), strict=True):
            if row[column] >= edge:
                total += step
        expected.append(total)
    assert _log_odds(x, weights, 0.3, columns, edges, steps).tolist() == expected


@pytest.mark.parametrize("seed", range(3))
def test_the_densest_run_is_the_stretch_of_largest_weight_earliest_and_shortest(seed: int) -> None:
    """Against every stretch's total, on small whole-number weights where totals tie often."""
    rng = np.random.default_rng(seed)
    for n in range(1, 40):
        weights = rng.integers(-3, 3, size=n).astype(float)
        stretches = [(weights[s : e + 1].sum(), -e, s) for e in range(n) for s in range(e + 1)]
        _, minus_end, start = max(stretches)
        assert densest_run(weights) == (start, -minus_end), weights


def _plain_segment(raw: str) -> list[Block]:
    """segment as its plain definition: every line tidied (whitespace collapsed, invisible characters
    dropped at the edges of the line and of its words), the blank ones left out, the long ones cut."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [" ".join(w for w in line.split() if w.strip(INVISIBLE)).strip(INVISIBLE) for line in lines]
    blocks = []
    for i, line in enumerate(lines):
        if not line:
            continue
        pieces = _pieces(line) if len(line) > LONG_LINE_CHARS else [line]
        before = i == 0 or not lines[i - 1]
        after = i == len(lines) - 1 or not lines[i + 1]
        for k, piece in enumerate(pieces):
            blocks.append(Block(i, piece, k > 0 or before, k < len(pieces) - 1 or after))
    return blocks


# Pieces of random pages for segment: every kind of whitespace and line break it reads, invisible
# characters, a character beyond the Basic Multilingual Plane, a lone surrogate, a NUL, sentence ends
# where long lines are cut.
SEGMENT_PIECES = [
    "word", "Two words", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\xa0", "\u3000", "\u2028", "\x0c",
    *INVISIBLE, "\U0001f600", "\ud800", "\x00", "x" * 350, "A sentence ends here. " * 20, "句子。" * 120,
]  # fmt: skip


@pytest.mark.parametrize("seed", range(4))
def test_segment_makes_the_blocks_of_its_plain_definition_on_random_pages(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(3000):
        raw = "".join(rng.choice(SEGMENT_PIECES) for _ in range(rng.randint(0, 14)))
        blocks = segment(raw)
        assert blocks == _plain_segment(raw), repr(raw)
        assert all(type(b.blank_before) is bool and type(b.blank_after) is bool for b in blocks)


def test_segment_makes_the_blocks_of_its_plain_definition_on_the_dev_slice() -> None:
    path = Path(__file__).resolve().parent / "data" / "dev-slice.jsonl.gz"
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        raw = json.loads(line)["text"]
        assert segment(raw) == _plain_segment(raw)


# Where _pieces may cut a line, as the plain pattern says it: the space after a sentence's end (and its
# closing quote or bracket) in spaced scripts, right after one in Chinese and Japanese.
_PLAIN_SENTENCE_BREAK = re.compile(r"[.!?][\"”’»)]?( )|[。！？][」』”’）]?()(?![」』”’）])")


@pytest.mark.parametrize("seed", range(4))
def test_sentence_breaks_are_where_the_plain_pattern_finds_them(seed: int) -> None:
    """SENTENCE_BREAK opens with one set of all sentence ends, for speed: it must cut where the plain
    pattern, one branch per script, cuts."""
    rng = random.Random(seed)
    pieces = [*".!?。！？", *'"”’»)」』）', " ", "a", "字", "  "]
    for _ in range(5000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        cuts = [m.span(m.lastindex or 0) for m in SENTENCE_BREAK.finditer(line)]
        assert cuts == [m.span(m.lastindex or 0) for m in _PLAIN_SENTENCE_BREAK.finditer(line)], line
