"""Clustering scores against gold labels: B-cubed precision/recall/F1 and the adjusted Rand index."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from math import comb


def bcubed(gold: Mapping[str, Hashable], pred: Mapping[str, Hashable]) -> tuple[float, float, float]:
    """Per item: the share of its predicted cluster that truly belongs with it (P) and the share of its
    true cluster that was found with it (R); averaged over items."""
    by_gold: dict[Hashable, set[str]] = defaultdict(set)
    by_pred: dict[Hashable, set[str]] = defaultdict(set)
    for item in gold:
        by_gold[gold[item]].add(item)
        by_pred[pred[item]].add(item)
    precision = recall = 0.0
    for item in gold:
        both = len(by_pred[pred[item]] & by_gold[gold[item]])
        precision += both / len(by_pred[pred[item]])
        recall += both / len(by_gold[gold[item]])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def adjusted_rand_index(gold: Mapping[str, Hashable], pred: Mapping[str, Hashable]) -> float:
    items = list(gold)
    pairs = sum(comb(n, 2) for n in Counter((gold[i], pred[i]) for i in items).values())
    gold_pairs = sum(comb(n, 2) for n in Counter(gold[i] for i in items).values())
    pred_pairs = sum(comb(n, 2) for n in Counter(pred[i] for i in items).values())
    expected = gold_pairs * pred_pairs / comb(len(items), 2)
    top = (gold_pairs + pred_pairs) / 2
    return 1.0 if top == expected else (pairs - expected) / (top - expected)
