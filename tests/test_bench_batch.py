"""The pure parts of ``scripts/bench_batch.py``: the commentaries it builds and the goals it judges.

No extraction-dev data is needed: the columns are built from a small made-up ground truth."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_batch", ROOT / "scripts" / "bench_batch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_batch"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _article(n: int, paragraphs: int = 4) -> str:
    sentence = f"Article {n} says the ferry ran late again. Nobody on the quay was surprised."
    return "\n\n".join(" ".join([sentence] * 4) for _ in range(paragraphs))


def _truth(articles: int) -> dict[str, dict[str, str]]:
    truth = {f"{n:03d}": {"articleBody": _article(n)} for n in range(articles)}
    truth["zzz-short"] = {"articleBody": "Too short to count."}
    truth["zzz-greek"] = {"articleBody": " ".join(["Η αρχή είναι το ήμισυ του παντός."] * 80)}
    return truth


def test_columns_have_a_title_a_byline_and_their_words(bench) -> None:
    columns = bench.build_columns(_truth(20), count=3, words=300)
    assert len(columns) == 3
    for i, column in enumerate(columns):
        title, byline, *body = column.split("\n\n")
        assert title == f"The week in review, part {i + 1}"
        assert byline.startswith("By ") and len(byline.split()) == 3
        words = sum(len(p.split()) for p in body)
        assert 300 <= words < 300 + 20  # cut at the first sentence end past the target
        assert column.rstrip().endswith(".")
    assert "Too short" not in "".join(columns) and "αρχή" not in "".join(columns)
    # deterministic, and each paragraph of the source used once
    assert columns == bench.build_columns(_truth(20), count=3, words=300)
    assert "Article 0 " in columns[0] and "Article 0 " not in columns[1]


def test_columns_refuse_to_run_short(bench) -> None:
    with pytest.raises(SystemExit, match="run out at column 2"):
        bench.build_columns(_truth(2), count=2, words=400)


def _summaries(bench, seconds: dict[str, float]) -> dict:
    runs = [bench.Run(key, s, s * 1.5, 3600.0, 12) for key, s in seconds.items()]
    return bench.summarise(runs, cores=2)


def test_goals_pass_and_fail_on_their_limits(bench) -> None:
    good = bench.goals(_summaries(bench, {"a": 100, "b": 85, "c": 97.7, "c1": 170, "c2": 100}))
    assert [ok for _, ok, _ in good] == [True, True, True]
    bad = bench.goals(_summaries(bench, {"a": 100, "b": 86, "c": 99.1, "c1": 169, "c2": 100}))
    assert [ok for _, ok, _ in bad] == [False, False, False]
    partial = bench.goals(_summaries(bench, {"a": 100, "b": 80}))
    assert [ok for _, ok, _ in partial] == [True, None, None]


def test_medians_and_throughput(bench) -> None:
    runs = [bench.Run("b", s, 2 * s, 7200.0, 12) for s in (30.0, 10.0, 20.0)]
    summary = bench.summarise(runs, cores=2)["b"]
    assert summary.seconds == 20.0 and summary.cpu_seconds == 40.0
    assert summary.per_worker == pytest.approx(7200 / (20 * 2))
    assert summary.per_cpu == pytest.approx(7200 / 40)


def test_cluster_day_is_capped_by_the_client(bench) -> None:
    over = bench.Overheads(
        received_bytes={"pcm": 100 * bench.MB},
        received_audio_seconds=3600.0,
        store_seconds=0.5,
        assembly=[2.5],
        assembly_audio_seconds=3600.0,
        render_start=[0.5],
    )
    assert bench.client_seconds_per_audio_hour(over) == pytest.approx(2.5)
    # the traced LocalCluster batch wins over the timed runs: 2 audio-hours for 60 s of workers' CPU
    trace = bench.Trace({}, client_cpu=10.0, workers_cpu=60.0, audio_seconds=7200.0, others_cpu=0.0)
    b = bench.basis(_summaries(bench, {"c": 60.0}), over, {"c": trace})
    assert b.rate == pytest.approx(120.0) and b.client == pytest.approx(5.0) and b.mb == pytest.approx(100.0)
    rows = bench.cluster_table(b)[2:]
    expected = {row.split(" | ")[0].strip("| "): row.split(" | ")[-1].strip(" |") for row in rows}
    assert expected["2"] == f"{120 * 2 * 24:,.0f}"
    assert expected["128"] == f"{86400 / 5.0:,.0f}"  # the client's ceiling, below the link's (95,040)
    # without a trace: the timed runs' CPU and the assembly + store figures
    fallback = bench.basis(_summaries(bench, {"c": 60.0}), over, {})
    assert fallback.rate == pytest.approx(3600 / 90) and fallback.client == pytest.approx(2.5)
