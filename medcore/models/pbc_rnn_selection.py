"""Settings selection of ``pbc_rnn`` with the landmark protocol, on folds the evaluation never uses.

The evaluation (:func:`medcore.models.pbc_rnn.evaluate`) uses fold seeds 0, 1, 2; the selection
uses seed ``SELECTION_SEED`` (10), so the figures reported by the evaluation were not used to choose
the settings. Run ``python -m medcore.models.pbc_rnn_selection select``; the table goes to the
card under ``quantitative_analyses.settings_selection`` and :func:`medcore.models.pbc_rnn.train`
keeps it on retraining.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from medcore import registry
from medcore.datasets.pbc import load_pbcseq
from medcore.models.pbc_rnn import NAME, SETTINGS, RNNPredictor


#: Settings compared by :func:`select_settings` (overrides of ``SETTINGS``; {} = as shipped).
SELECTION_CANDIDATES: dict[str, dict[str, Any]] = {
    "gru_40_epochs": {"members": 1, "epochs": 40},
    "gru_25_epochs": {"members": 1, "epochs": 25},
    "gru_15_epochs": {"members": 1, "epochs": 15},
    "gru_x3_40_epochs": {"members": 3, "epochs": 40},
    "gru_x3_25_epochs": {"members": 3, "epochs": 25},
    "gru_x3_15_epochs": {},
    "gru_x5_25_epochs": {"members": 5, "epochs": 25},
    # calibration candidates (stronger L2, fewer epochs), judged by the rule below
    "gru_x3_15_epochs_l2_1e-3": {"l2": 1e-3},
    "gru_x3_15_epochs_l2_1e-2": {"l2": 1e-2},
    "gru_x3_10_epochs": {"epochs": 10},
    "gru_x3_15_epochs_l2_3e-4": {"l2": 3e-4},
    "gru_x3_15_epochs_dropout_0.2": {"dropout": 0.2},
}
#: Fold seed of the selection; the evaluation uses seeds 0, 1, 2 (``landmark.cross_validate``).
SELECTION_SEED = 10
SELECTION_RULE = ("the shipped settings ({} above) change only for a candidate whose mean C-index "
                  "is at most 0.002 below theirs, whose Brier is not higher, whose calibration "
                  "mean_abs_diff is lower and whose training cost (members x epochs) is not "
                  "higher (evaluate retrains 15 times and must stay within a few minutes on 2 "
                  "cores); among such candidates the lowest mean_abs_diff wins")


def select_settings(*, data=None, visits: pd.DataFrame | None = None,
                    candidates: dict[str, dict[str, Any]] | None = None,
                    seed: int = SELECTION_SEED, folds: int = 5, repeats: int = 1,
                    models_dir=None, write_card: bool = True, progress: bool = True,
                    card_field: str = "settings_selection") -> dict[str, Any]:
    """Compare network settings with the landmark protocol on folds the evaluation never uses.

    Every candidate (and ``landmark_coxph`` for reference) is fitted on the same patient folds
    (seed ``seed``); the table gives mean C-index, its SD over folds, Brier and the 5-year
    calibration (:func:`medcore.survival.landmark.window_calibration`). Command line:
    ``python -m medcore.models.pbc_rnn_selection select [--data PATH] [--candidates a,b]``
    (about 2 minutes per candidate on 2 cores).

    Parameters
    ----------
    data : path, optional
        PBC data (default ``$MEDCORE_DATA_DIR``); ignored when ``visits`` is given.
    visits : DataFrame, optional
        Visits to use instead (e.g. a subset, for a smoke test).
    candidates : dict, optional
        ``{label: overrides of SETTINGS}``; default ``SELECTION_CANDIDATES``.
    write_card : bool
        Store the result in the card under ``card_field``.
    repeats : int
        Fold seeds ``seed .. seed + repeats - 1`` (keep them clear of the evaluation's 0, 1, 2).

    Returns
    -------
    dict
        ``"protocol"``, ``"rule"``, ``"candidates"`` (full settings), ``"table"`` (label ->
        metrics), ``"ranking_by_c_index"`` (labels, best first) and ``"chosen"`` (label by
        ``SELECTION_RULE``, or None when the shipped settings are not among the candidates).
    """
    from medcore.survival import landmark

    visits = load_pbcseq(data) if visits is None else visits
    candidates = SELECTION_CANDIDATES if candidates is None else candidates
    predictors = {label: RNNPredictor(overrides) for label, overrides in candidates.items()}
    result = landmark.cross_validate(
        visits, {**predictors, "landmark_coxph": landmark.LandmarkCoxPH()},
        folds=folds, repeats=repeats, seed=seed, progress=progress)
    evaluation = landmark.report(result, model="landmark_coxph", dataset="pbcseq",
                                 n_test=visits["id"].nunique())
    blocks = {**evaluation["baselines"], "landmark_coxph": evaluation["test"]}
    table = {label: {"c_index": b["c_index"], "c_index_sd_folds": b["c_index_sd_folds"],
                     "brier": b["brier"],
                     "calibration_mean_abs_diff": b["calibration_5y"]["mean_abs_diff"],
                     "share_below_1pct": b["calibration_5y"]["near_zero"]["share"],
                     "observed_km_below_1pct":
                         b["calibration_5y"]["near_zero"]["observed_survival_km"],
                     "training_cost": _cost(candidates.get(label))}
             for label, b in sorted(blocks.items(), key=lambda item: -item[1]["c_index"])}
    selection = {"protocol": evaluation["protocol"].replace(
                     "CV x", f"CV (fold seeds {seed}..{seed + repeats - 1}) x"),
                 "rule": SELECTION_RULE,
                 "candidates": {label: {**SETTINGS, **o} for label, o in candidates.items()},
                 "table": table, "ranking_by_c_index": list(table),
                 "chosen": _apply_rule(table, candidates)}
    if write_card:
        analyses = registry.load_card(NAME, models_dir).quantitative_analyses
        registry.update_card(NAME, models_dir,
                             quantitative_analyses={**analyses, card_field: selection})
    return selection


def _cost(overrides: dict | None) -> int | None:
    """Members x epochs (None for a baseline)."""
    if overrides is None:
        return None
    settings = {**SETTINGS, **overrides}
    return int(settings["members"] * settings["epochs"])


def _apply_rule(table: dict[str, dict], candidates: dict[str, dict]) -> str | None:
    """The label ``SELECTION_RULE`` picks from ``table`` (None without the shipped settings)."""
    shipped = [label for label, overrides in candidates.items() if not overrides]
    if not shipped:
        return None
    base = table[shipped[0]]
    better = [label for label in candidates
              if table[label]["c_index"] >= base["c_index"] - 0.002
              and table[label]["brier"] <= base["brier"]
              and table[label]["calibration_mean_abs_diff"] < base["calibration_mean_abs_diff"]
              and _cost(candidates[label]) <= _cost(candidates[shipped[0]])]
    return min(better, key=lambda label: table[label]["calibration_mean_abs_diff"],
               default=shipped[0])


def main(argv: list[str] | None = None) -> None:
    """Command line: ``select [--data PATH] [--candidates a,b] [--seed S] [--repeats R] ...``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m medcore.models.pbc_rnn_selection",
                                     description="Settings selection for pbc_rnn.")
    parser.add_argument("command", choices=["select"])
    parser.add_argument("--data", default=None)
    parser.add_argument("--candidates", default=None,
                        help="comma-separated labels of SELECTION_CANDIDATES (default all)")
    parser.add_argument("--seed", type=int, default=SELECTION_SEED)
    parser.add_argument("--repeats", type=int, default=1,
                        help="fold seeds seed..seed+repeats-1 (default 1)")
    parser.add_argument("--card-field", default="settings_selection",
                        help="card key to write (default settings_selection)")
    parser.add_argument("--no-card", action="store_true", help="do not write the card")
    args = parser.parse_args(argv)
    labels = args.candidates.split(",") if args.candidates else list(SELECTION_CANDIDATES)
    unknown = sorted(set(labels) - set(SELECTION_CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}; expected some of {list(SELECTION_CANDIDATES)}")
    selection = select_settings(data=args.data, seed=args.seed, repeats=args.repeats,
                                write_card=not args.no_card, card_field=args.card_field,
                                candidates={k: SELECTION_CANDIDATES[k] for k in labels})
    print(json.dumps(selection, indent=1))


if __name__ == "__main__":
    main()
