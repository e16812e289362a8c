"""`samestory ingest`: files in, a summary out, and a rerun (or a run cut short) sends nothing twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, Api
from test_metrics import BRIDGE, BRIDGE_COPY, FOOTBALL

from service.cli import main
from service.ingest_cli import load_state

FLOOD = (
    "Weather\n\nRiver Danube rises after a week of rain\n\n"
    "The Danube rose above its banks in several Hungarian villages on Thursday after a week of heavy rain "
    "across central Europe, and emergency services evacuated more than two hundred residents.\n\n"
    "Volunteers filled sandbags through the night along the embankments north of Budapest, where the river "
    "is expected to peak on Saturday at close to the record level of 2013.\n\n"
    "Related stories\n"
)


def ingest(*args: str) -> int:
    with pytest.raises(SystemExit) as stopped:
        main(["ingest", *args])
    return int(stopped.value.code or 0)


def summary(text: str) -> dict[str, str]:
    return dict(
        line.split(": ", 1) for line in text.splitlines() if ": " in line and not line.startswith(" ")
    )


def test_folders_and_jsonl_in_a_summary_out(
    api: Api, worker: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    (pages / "nl").mkdir(parents=True)
    (pages / "nl" / "bridge-1.txt").write_text(BRIDGE)
    (pages / "nl" / "bridge-2.txt").write_text(BRIDGE_COPY)
    (pages / "cup-1.html").write_text(
        "<html><body><article>"
        + "".join(f"<p>{p}</p>" for p in FOOTBALL.split("\n\n")[2:5])
        + "</article></body></html>"
    )
    (pages / "notes.md").write_text("not an article: ignored")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps({"id": "flood-1", "text": FLOOD, "source": "telex.hu", "published_at": "2024-09-19"})
        + "\n\n"
        + json.dumps({"text": FLOOD.replace("Thursday", "Friday")})  # no id: one is derived from content
        + "\n"
        + json.dumps({"id": "bad one", "text": "x"})
        + "\n"
        + "{not json\n"
    )
    state = tmp_path / "state.tsv"

    code = ingest(str(pages), str(rows), "--api", api.base_url, "--batch-size", "2", "--state", str(state))
    out = capsys.readouterr().out
    assert code == 1, out  # two rows could not be sent
    counts = summary(out)
    assert counts["articles in the input"] == "5"
    assert counts["sent now"] == "5 (acknowledged by an earlier run: 0)"
    assert counts["invalid rows (not sent)"] == "2"
    assert f"{rows}:4: id: String should match pattern" in out
    assert f"{rows}:5: not JSON" in out

    # The summary agrees with what the API says about each article.
    ids = sorted(load_state(state))
    assert len(ids) == 5 and {"bridge-1", "bridge-2", "cup-1", "flood-1"} <= set(ids)
    articles = [api.http.get(f"/articles/{i}").json() for i in ids]
    assert {a["status"] for a in articles} == {"done"}
    assert counts["ingested"] == "5" and counts["failed"] == "0"
    copies = [a["id"] for a in articles if a["canonical_id"] != a["id"]]
    assert "bridge-2" in copies
    assert counts["copies found"] == str(len(copies))
    assert counts["clusters"] == str(len({a["cluster_id"] for a in articles}))

    # Everything again: nothing is sent, the same summary comes back.
    code = ingest(str(pages), str(rows), "--api", api.base_url, "--state", str(state))
    again = summary(capsys.readouterr().out)
    assert code == 1
    assert again["sent now"] == "0 (acknowledged by an earlier run: 5)"
    assert {k: again[k] for k in ("ingested", "copies found", "clusters")} == {
        k: counts[k] for k in ("ingested", "copies found", "clusters")
    }
    assert api.http.get("/stats").json()["articles"] == 5


def test_a_rerun_sends_only_what_was_not_acknowledged(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        (pages / f"a{n}.txt").write_text(FLOOD.replace("Thursday", f"day {n}"))
    state = tmp_path / "state.tsv"
    args = ["--api", api.base_url, "--state", str(state), "--no-wait"]
    assert ingest(str(pages), *args) == 0
    assert summary(capsys.readouterr().out)["sent now"] == "3 (acknowledged by an earlier run: 0)"

    for n in range(3, 5):
        (pages / f"a{n}.txt").write_text(FLOOD.replace("Thursday", f"day {n}"))
    (pages / "a0.txt").write_text(FLOOD.replace("Thursday", "a changed day"))  # same id, other content
    with state.open("a") as cut:
        cut.write("a9\t12")  # a line cut short when a run was killed mid-write
    assert ingest(str(pages), *args) == 1
    out = capsys.readouterr().out
    counts = summary(out)
    assert counts["sent now"] == "3 (acknowledged by an earlier run: 2)"
    assert counts["refused by the API"] == "1"
    assert "a0: an article with this id and other content exists" in out
    batch_id = counts["batches"].split(";")[0]
    assert api.http.get(f"/batches/{batch_id}").json()["total"] == 2
    assert api.http.get("/stats").json()["articles"] == 5


def test_an_interrupted_run_resumes_without_sending_anything_twice(api: Api, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(300):
        (pages / f"p{n:03}.txt").write_text(f"Item {n}\n\n" + FLOOD)
    state = tmp_path / "state.tsv"
    command = [sys.executable, "-m", "service.cli", "ingest", str(pages), "--api", api.base_url]
    command += ["--batch-size", "1", "--state", str(state), "--no-wait"]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(load_state(state)) < 20 and time.monotonic() < deadline:
        time.sleep(0.005)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "run the same command again to resume" in err
    sent_before = len(load_state(state))
    assert 20 <= sent_before < 300

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    counts = summary(rerun.stdout)
    skipped = int(counts["sent now"].split("earlier run: ")[1].rstrip(")"))
    assert skipped == sent_before
    assert int(counts["sent now"].split()[0]) == 300 - sent_before
    assert api.http.get("/stats").json()["articles"] == 300
