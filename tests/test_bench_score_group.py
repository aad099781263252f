"""``python -m medcore bench --only score``: the cohort-scoring figures (issue 19), on tiny sizes."""
from __future__ import annotations

import pytest

from medcore import __main__ as cli
from medcore.benchmarks import GROUPS, OPT_IN
from medcore.benchmarks import score as score_group


def test_score_is_opt_in_and_accepted_by_only():
    assert "score" in OPT_IN and "score" not in GROUPS        # minutes: never by default
    assert cli.build_parser().parse_args(["bench", "--only", "score"]).only == ["score"]


@pytest.mark.slow
def test_the_group_measures_real_runs_of_the_command(monkeypatch):
    """Two child runs of ``python -m medcore score`` (300 records, 20 scans), Ray left out: the
    rates come from their summaries' counts, the peak memory from the children."""
    monkeypatch.setenv("MEDCORE_BENCH_SCORE_ROWS", "300")
    monkeypatch.setenv("MEDCORE_BENCH_SCORE_IMAGES", "20")
    monkeypatch.setenv("MEDCORE_BENCH_SCORE_RAY", "0")
    figures = score_group.run()
    assert "scored 300 records, skipped 0" in figures["score_local_rows_summary"]
    assert "scored 20 images, skipped 0" in figures["score_local_images_summary"]
    assert figures["score_local_rows_per_s"] > 0 and figures["score_local_images_per_s"] > 0
    assert 50 < figures["score_local_rows_peak_rss_mb"] < 1024
    assert list(figures["score_cost"]) == ["300"]
    assert "score_ray_rows_per_s" not in figures and "score_ray_skipped" in figures
    assert "PneumoniaMNIST" in figures["score_images_source"]
