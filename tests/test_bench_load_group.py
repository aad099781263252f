"""``python -m medcore bench --only load``: the ten-clinician figures through the library's CLI."""
from __future__ import annotations

import pytest

from medcore import __main__ as cli
from medcore import benchmarks
from medcore.benchmarks import GROUPS, OPT_IN
from medcore.benchmarks import load as load_group


def test_load_is_opt_in_and_accepted_by_only():
    assert "load" in OPT_IN and "load" not in GROUPS          # never in a default bench run
    args = cli.build_parser().parse_args(["bench", "--only", "load", "--json"])
    assert args.only == ["load"]


def test_an_unknown_group_is_refused_naming_load(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["bench", "--only", "loads"])
    assert exit_.value.code == 2 and "'load'" in capsys.readouterr().err


def test_without_the_checkouts_bench_folder_the_group_says_why(monkeypatch, tmp_path):
    monkeypatch.setattr(benchmarks, "_ROOT", tmp_path)          # an installed medcore
    figures = load_group.run()
    assert list(figures) == ["load_skipped"] and "bench/load.py" in figures["load_skipped"]


def test_the_figures_are_those_bench_load_prints(monkeypatch, tmp_path):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "load.py").write_text(
        'print("starting")\nprint(\'{"load_sessions": 10, "load_errors": 0}\')\n')
    monkeypatch.setattr(benchmarks, "_ROOT", tmp_path)
    assert load_group.run() == {"load_sessions": 10, "load_errors": 0}
