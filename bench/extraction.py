"""Measure article extraction on the AEB dev pages: text mode, HTML mode, and trafilatura alone.

    python -m bench.extraction [--text-dir D] [--html-dir D] [--truth F] [--skip-html] [--worst N]
                               [--repeat N]

Prints precision / recall / F1 with the benchmark's own metric (``corpus`` from
``shared/bench/aeb_score.py``, imported from its folder, never copied) and the median CPU milliseconds per
page on one core, so that any change to the extractor can be judged by rerunning one command. Each page is
timed --repeat times (default 3) and its best time kept; in HTML mode trafilatura alone and samestory are
timed in turn on each page, and the ratios of their medians and totals are printed: on a shared machine,
timings taken minutes apart differ by more than the difference being measured.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import trafilatura

from workers.blocks import detect_language, load_model, segment, stop_words
from workers.clean import clean_html, clean_text

REPO = Path(__file__).resolve().parent.parent
DEFAULT_AEB = REPO.parent / "shared" / "bench" / "aeb"


def aeb_metric(score_dir: Path) -> Callable[..., dict[str, float]]:
    """The benchmark's metric, imported from the folder that holds aeb_score.py."""
    sys.path.insert(0, str(score_dir))
    from aeb_score import corpus  # type: ignore[import-not-found]

    return corpus  # type: ignore[no-any-return]


def _page_metric(score_dir: Path) -> Callable[[str, str], tuple[float, float, float]]:
    """The benchmark's per-page (precision, recall, F1), imported as aeb_metric is."""
    sys.path.insert(0, str(score_dir))
    from aeb_score import score  # type: ignore[import-not-found]

    return score  # type: ignore[no-any-return]


def _report_worst(
    count: int, preds: dict[str, str], truth: dict[str, dict[str, str]], score_dir: Path
) -> None:
    """The pages where text mode does worst, each with its precision, recall and address: where to look
    first when changing the extractor (the mean over pages hides one page lost whole)."""
    score = _page_metric(score_dir)
    scored = [(score(preds[k], truth[k]["articleBody"]), k) for k in sorted(preds)]
    for (p, r, f1), k in sorted(scored, key=lambda item: item[0][2])[:count]:
        print(f"  F1 {f1:.3f}  P {p:.3f}  R {r:.3f}  {k[:12]}  {truth[k].get('url', '')[:80]}")


class Timing(NamedTuple):
    """One extractor's outputs over the pages and the medians of its per-page times."""

    outputs: dict[str, str]
    ms: float  # median CPU ms per page
    ms_6kb: float  # median CPU ms per 6 KB of input (pages differ in size; the budget is per 6 KB)
    total_ms: float  # CPU ms over all the pages


def _timed(extractors: Sequence[Callable[[str], str]], inputs: dict[str, str], repeat: int) -> list[Timing]:
    """Run each extractor on every input, in turn on each page, and keep each page's best of `repeat`
    CPU times (of this process rather than wall time, so that other work on a shared machine does not
    count). Pages that raise ValueError (nothing extractable) count as empty output, as the pipeline would
    store nothing for them."""
    outputs: list[dict[str, str]] = [{} for _ in extractors]
    times: list[list[float]] = [[] for _ in extractors]
    per_6kb: list[list[float]] = [[] for _ in extractors]
    for page_id, content in inputs.items():
        size = max(len(content.encode()), 1)
        for k, extract in enumerate(extractors):
            best = float("inf")
            for _ in range(repeat):
                start = time.process_time()
                try:
                    outputs[k][page_id] = extract(content)
                except ValueError:
                    outputs[k][page_id] = ""
                best = min(best, (time.process_time() - start) * 1000)
            times[k].append(best)
            per_6kb[k].append(best * 6000 / size)
    return [
        Timing(out, statistics.median(t), statistics.median(t6), sum(t))
        for out, t, t6 in zip(outputs, times, per_6kb, strict=True)
    ]


def _ours_text(raw: str) -> str:
    return clean_text(raw).body


def _ours_html(html: str) -> str:
    return clean_html(html).body


def _trafilatura(html: str) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def _report(name: str, metrics: dict[str, float], ms: float, ms_6kb: float) -> None:
    print(
        f"{name:<26} F1 {metrics['f1']:.3f}  P {metrics['precision']:.3f}  R {metrics['recall']:.3f}"
        f"  median {ms:6.2f} ms/page  {ms_6kb:6.2f} ms/6KB"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--text-dir", type=Path, default=DEFAULT_AEB / "text")
    parser.add_argument("--html-dir", type=Path, default=DEFAULT_AEB / "html")
    parser.add_argument("--truth", type=Path, default=DEFAULT_AEB / "ground-truth.json")
    parser.add_argument("--score-dir", type=Path, help="folder of aeb_score.py (default: beside the truth)")
    parser.add_argument("--skip-html", action="store_true", help="text mode only (HTML mode is slower)")
    parser.add_argument(
        "--worst", type=int, default=0, metavar="N", help="also list the N text pages with the lowest F1"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timings per page, the best kept (default 3)")
    args = parser.parse_args(argv)

    score_dir = args.score_dir or args.truth.parent.parent
    corpus = aeb_metric(score_dir)
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    golds = {k: v["articleBody"] for k, v in truth.items()}
    texts = {k: (args.text_dir / f"{k}.txt").read_text(encoding="utf-8") for k in golds}
    load_model()
    for raw in texts.values():  # load the model and each language's stop words outside the timing
        stop_words(detect_language(segment(raw)))

    (text,) = _timed([_ours_text], texts, args.repeat)
    _report("text: samestory", corpus(text.outputs, golds, n_bootstrap=0), text.ms, text.ms_6kb)
    if args.worst:
        _report_worst(args.worst, text.outputs, truth, score_dir)
    if args.skip_html:
        return
    htmls = {
        k: gzip.decompress((args.html_dir / f"{k}.html.gz").read_bytes()).decode("utf-8", "replace")
        for k in golds
    }
    alone, ours = _timed([_trafilatura, _ours_html], htmls, args.repeat)
    for name, timing in (("html: trafilatura alone", alone), ("html: samestory", ours)):
        _report(name, corpus(timing.outputs, golds, n_bootstrap=0), timing.ms, timing.ms_6kb)
    print(
        f"html: samestory / trafilatura alone: median ms per page {ours.ms / alone.ms:.3f}, "
        f"per 6 KB {ours.ms_6kb / alone.ms_6kb:.3f}, all pages {ours.total_ms / alone.total_ms:.3f}"
    )


if __name__ == "__main__":
    main()
