"""The DeepSurv code path of ``breast_cancer_deepsurv`` on a second data set: SUPPORT.

``python -m medcore.models.breast_cancer_deepsurv_support [--members 3] [--json]`` trains the same ensemble
(:func:`medcore.models.breast_cancer_deepsurv.fit_ensemble`, Cox loss with Breslow ties, Breslow
baselines) on SUPPORT (SurvSet ``support2``, DeepSurv's 14 covariates), fits a lifelines Cox PH on
the same covariates in the same run, and prints the metrics of
:func:`medcore.survival.metrics.survival_report` for both on a held-out test split. Nothing is
saved: this is a check of the method, not a shipped model. DeepSurv (Katzman et al. 2018) reports
C = 0.618 (Cox PH 0.583) on its own 80/20 split, which is not ours.

Protocol: random 60/20/20 train/validation/test split stratified by event (``seed``); missing
numbers imputed with the training medians; mini-batches of 1,024 (the risk set is the batch),
as a 5,463 x 5,463 full-batch risk matrix is too heavy for a shared laptop-class CPU.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import pandas as pd

GRID = np.round(np.linspace(0.25, 4.0, 16), 4)     # years; 1-year calibration on it
HORIZON = 1.0
SUPPORT_HYPERPARAMETERS = {"max_epochs": 600, "patience": 15, "batch_size": 1024}


def _split(frame: pd.DataFrame, seed: int):
    from sklearn.model_selection import train_test_split

    rest, test = train_test_split(frame, test_size=0.2, stratify=frame["event"],
                                  random_state=seed)
    train, validation = train_test_split(rest, test_size=0.25, stratify=rest["event"],
                                         random_state=seed)
    return train, validation, test


def run(*, seed: int = 0, members: int = 3) -> dict[str, Any]:
    """Train and score the ensemble and a Cox PH on SUPPORT; return the metrics."""
    from lifelines import CoxPHFitter

    from medcore.datasets.rotterdam_gbsg import load_support
    from medcore.models.breast_cancer_deepsurv import _predict, fit_ensemble
    from medcore.survival import breslow_baseline, survival_curves, survival_targets
    from medcore.survival.metrics import survival_report

    started = time.perf_counter()
    frame = load_support()
    covariates = [c for c in frame.columns if c not in ("time", "event")]
    train, validation, test = _split(frame, seed)
    medians = train[covariates].median()
    x = {name: part[covariates].fillna(medians).to_numpy("float32")
         for name, part in (("train", train), ("validation", validation), ("test", test))}
    y = {name: survival_targets(part["time"], part["event"])
         for name, part in (("train", train), ("validation", validation), ("test", test))}
    ensemble, epochs = fit_ensemble(x["train"], y["train"], x["validation"], y["validation"],
                                    seed=seed, num_members=members, log_columns=[],
                                    hyperparameters=SUPPORT_HYPERPARAMETERS)
    eta_train, eta_test = _predict(ensemble, x["train"]), _predict(ensemble, x["test"])
    survival = np.mean([
        survival_curves(eta_test[:, k], breslow_baseline(eta_train[:, k], train["time"],
                                                         train["event"]), GRID)
        for k in range(eta_test.shape[1])], axis=0)
    log_risk = (eta_test - eta_train.mean(axis=0)).mean(axis=1)
    results = {"deepsurv": survival_report(test["time"], test["event"], log_risk, survival, GRID,
                                           horizon=HORIZON)}
    fit_frame = pd.DataFrame(x["train"], columns=covariates)
    fit_frame["time"], fit_frame["event"] = train["time"].values, train["event"].values
    cox = CoxPHFitter(penalizer=1e-4).fit(fit_frame, "time", "event")
    test_frame = pd.DataFrame(x["test"], columns=covariates)
    results["coxph"] = survival_report(
        test["time"], test["event"], cox.predict_log_partial_hazard(test_frame).values,
        cox.predict_survival_function(test_frame, times=GRID).T.values, GRID, horizon=HORIZON)
    for metrics in results.values():
        metrics.pop(f"calibration_{HORIZON:g}y")
    return {"dataset": "SUPPORT (SurvSet support2), DeepSurv's 14 covariates",
            "n_train": len(train), "n_validation": len(validation), "n_test": len(test),
            "members": members, "epochs_kept": epochs, "seed": seed,
            "hyperparameters": SUPPORT_HYPERPARAMETERS, "grid_years": [0.25, 4.0],
            "results": results, "published": {"deepsurv_c_index": 0.618, "cox_ph": 0.583},
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medcore.models.breast_cancer_deepsurv_support",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print compact JSON")
    args = parser.parse_args(argv)
    print(json.dumps(run(seed=args.seed, members=args.members),
                     indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
