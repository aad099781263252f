"""pbc_rnn's landmark evaluation through LiteRT beside the card's (Keras) evaluation.

``python -m bench.pbc_litert_check --json [--store]`` runs ``pbc_rnn.evaluate(engine="litert")``
for the first repeat of the card's protocol (5 patient folds, the same folds and training seeds
as repeat 1 of the card's ``evaluation``; each fold's network is trained, converted as the
shipped model is, 32 visits with the GRU unrolled, and scored by LiteRT) and prints its figures
beside the card's. The full protocol (3 repeats, what ``python -m medcore evaluate pbc_rnn`` runs
and stores) retrains 15 networks and converts each: about an hour on the shared 2-core machine.
``--store`` records the comparison in the card's ``quantitative_analyses`` under
:data:`KEY`.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from medcore import registry

NAME = "pbc_rnn"
KEY = "litert_evaluation_first_repeat"
COMMAND = "python -m bench.pbc_litert_check --json --store"


def headline(test: dict[str, Any]) -> dict[str, float]:
    """C-index, Brier and 5-year calibration (mean |predicted - observed|) of an evaluation."""
    return {"c_index": test["c_index"], "brier": test["brier"],
            "calibration_5y_mean_abs_diff": test["calibration_5y"]["mean_abs_diff"]}


def compare(litert: dict[str, Any]) -> dict[str, Any]:
    """The LiteRT first-repeat figures beside the card's Keras figures (same repeat, and all)."""
    card = registry.load_card(NAME).evaluation
    keras = card["test"]
    return {
        "engine": litert.get("engine", "litert"), "command": COMMAND,
        "protocol": ("first repeat of the card's evaluation protocol (5 patient folds, same folds "
                     "and seeds as its repeat 1), each fold's network converted as shipped (32 "
                     "visits, unrolled GRU) and scored by LiteRT"),
        "litert_first_repeat": headline(litert["test"]),
        "keras_card_first_repeat_c_index": keras["c_index_by_repeat"][0],
        "keras_card_all_repeats": headline(keras),
        "keras_card_sd": {"c_index_sd_repeats": keras["c_index_sd_repeats"],
                          "c_index_sd_folds": keras["c_index_sd_folds"],
                          "calibration_5y_mean_abs_diff_sd_repeats":
                              keras["calibration_5y"]["mean_abs_diff_sd_repeats"]},
    }


def store(comparison: dict[str, Any]) -> None:
    """Record ``comparison`` in the card's ``quantitative_analyses`` under :data:`KEY`."""
    analyses = dict(registry.load_card(NAME).quantitative_analyses)
    analyses[KEY] = comparison
    registry.update_card(NAME, quantitative_analyses=analyses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pbc_litert_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print compact JSON")
    parser.add_argument("--store", action="store_true",
                        help=f"record the comparison in the card (quantitative_analyses.{KEY})")
    parser.add_argument("--result", default=None,
                        help="a saved pbc_rnn.evaluate(engine='litert', repeats=1) JSON output, "
                             "instead of running it")
    args = parser.parse_args(argv)
    if args.result:
        with open(args.result, encoding="utf-8") as handle:
            litert = json.loads(handle.read().strip().splitlines()[-1])
    else:
        from medcore.models import pbc_rnn

        litert = pbc_rnn.evaluate(engine="litert", repeats=1)
    comparison = compare(litert)
    if args.store:
        store(comparison)
    print(json.dumps(comparison, indent=None if args.json else 2,
                     default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
