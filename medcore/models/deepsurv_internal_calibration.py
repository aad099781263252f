"""Rotterdam-internal, cross-validated calibration of ``breast_cancer_deepsurv`` at 5 and 10 years.

The external check (GBSG, ``python -m medcore evaluate breast_cancer_deepsurv``) follows its
patients for about 7 years, so it cannot say whether the Survival page's 10-year figure is
calibrated. This module repeats the shipped recipe inside Rotterdam: a K-fold split of the
node-positive Rotterdam patients (stratified by event, ``seed``); in each fold the ensemble is
trained as :func:`medcore.models.breast_cancer_deepsurv.train` trains it (the same
hyperparameters, its own 20% validation split for early stopping, the same seed), the Breslow
baselines are fitted on the fold's training patients, and the held-out patients' survival is
predicted at 5 and 10 years. The pooled out-of-fold predictions give Harrell's C and, per decile
of predicted survival, the mean prediction against the Kaplan-Meier estimate
(:func:`medcore.survival.metrics.calibration_deciles`).

``python -m medcore.models.deepsurv_internal_calibration [--folds 5] [--members N] [--store]``
prints the result as JSON; ``--store`` writes it into the card
(``quantitative_analyses.rotterdam_cv_calibration``), which the Survival page quotes beside the
10-year figure. ``--members`` below the shipped ensemble's size is quicker and says so in the
result. About 7 minutes per fold on a quiet 2-core machine with the full ensemble.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

#: Card key (``quantitative_analyses``) of the result.
KEY = "rotterdam_cv_calibration"
HORIZONS = (5.0, 10.0)


def cross_validated_calibration(*, folds: int = 5, seed: int = 0, members: int | None = None,
                                data=None, progress: bool = False) -> dict[str, Any]:
    """Out-of-fold 5- and 10-year predictions of the recipe on Rotterdam (module docstring).

    Returns
    -------
    dict
        ``{"protocol", "folds", "members", "n", "events", "c_index", "seconds",
        "calibration_5y_deciles", "calibration_10y_deciles", "mean_abs_diff_5y",
        "mean_abs_diff_10y", "max_abs_diff_5y", "max_abs_diff_10y", "n_followed_beyond_10y"}``.
    """
    from sklearn.model_selection import StratifiedKFold

    from medcore.datasets import rotterdam_gbsg as data_module
    from medcore.models import breast_cancer_deepsurv as ds
    from medcore.survival import breslow_baseline
    from medcore.survival.metrics import calibration_deciles, harrell_c

    started = time.perf_counter()
    rotterdam = data_module.load_rotterdam(data).reset_index(drop=True)
    x_all = ds.to_model_array(rotterdam)
    members = members or ds.NUM_MEMBERS
    predicted = {h: np.full(len(rotterdam), np.nan) for h in HORIZONS}
    log_risk = np.full(len(rotterdam), np.nan)
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (inside, held_out) in enumerate(split.split(x_all, rotterdam["event"])):
        development = rotterdam.iloc[inside].reset_index(drop=True)
        train, validation = data_module.split_rotterdam(
            development, validation_fraction=ds.HYPERPARAMETERS["validation_fraction"], seed=seed)
        ensemble, _ = ds.fit_ensemble(ds.to_model_array(train), ds._targets(train),
                                      ds.to_model_array(validation), ds._targets(validation),
                                      seed=seed, num_members=members)
        eta_inside = ds._predict(ensemble, x_all[inside])
        eta_out = ds._predict(ensemble, x_all[held_out])
        if eta_inside.ndim == 1:
            eta_inside, eta_out = eta_inside[:, None], eta_out[:, None]
        hazards = [breslow_baseline(eta_inside[:, k], development["time"], development["event"])
                   for k in range(eta_inside.shape[1])]
        base = ds.Baselines(hazards[0].times, np.stack([h.cumulative_hazard for h in hazards]),
                            eta_inside.mean(axis=0), max(HORIZONS))
        survival = ds._survival(eta_out, base, np.asarray(HORIZONS)).mean(axis=0)  # (n, 2)
        for j, horizon in enumerate(HORIZONS):
            predicted[horizon][held_out] = survival[:, j]
        log_risk[held_out] = (eta_out - base.log_risk_centers[None, :]).mean(axis=1)
        if progress:
            print(f"fold {fold + 1}/{folds} done at {time.perf_counter() - started:.0f} s",
                  flush=True)
    times, events = rotterdam["time"].to_numpy(float), rotterdam["event"].to_numpy(int)
    result: dict[str, Any] = {
        "protocol": (f"{folds}-fold cross-validation on node-positive Rotterdam (stratified by "
                     f"event, seed {seed}); per fold the shipped recipe (hyperparameters, 20% "
                     "validation split for early stopping, Breslow baselines on the fold's "
                     "training patients); pooled out-of-fold predictions"),
        "folds": folds, "members": members, "shipped_members": ds.NUM_MEMBERS,
        "n": int(len(rotterdam)), "events": int(events.sum()),
        "n_followed_beyond_10y": int((times > 10.0).sum()),
        "c_index": round(float(harrell_c(times, events, log_risk)), 4),
    }
    for horizon in HORIZONS:
        deciles = calibration_deciles(times, events, predicted[horizon], horizon)
        gaps = [abs(d["observed"] - d["predicted"]) for d in deciles]
        tag = f"{horizon:g}y"
        result[f"calibration_{tag}_deciles"] = deciles
        result[f"mean_abs_diff_{tag}"] = round(float(np.mean(gaps)), 4)
        result[f"max_abs_diff_{tag}"] = round(float(np.max(gaps)), 4)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    """Run :func:`cross_validated_calibration`, print it, and with ``--store`` keep it in the
    card."""
    import argparse
    import json

    from medcore import registry
    from medcore.models import breast_cancer_deepsurv as ds

    parser = argparse.ArgumentParser(prog="python -m medcore.models.deepsurv_internal_calibration",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--members", type=int, default=None,
                        help=f"networks per fold (default: the shipped {ds.NUM_MEMBERS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=None)
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--store", action="store_true", help="write the result into the card")
    args = parser.parse_args(argv)
    result = cross_validated_calibration(folds=args.folds, seed=args.seed, members=args.members,
                                         data=args.data, progress=True)
    if args.store:
        card = registry.load_card(ds.NAME, args.models_dir)
        registry.update_card(ds.NAME, args.models_dir, quantitative_analyses={
            **card.quantitative_analyses, KEY: result})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
