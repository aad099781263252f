"""Refit the recalibration ``pbc_rnn`` applies to its network's survival, without retraining.

The network ranks PBC patients well but its 5-year survival is too extreme at the ends (5% of its
landmark predictions were below 1% while about a quarter of those patients were alive 5 years
later). :func:`medcore.models.pbc_rnn.predict` therefore maps the network's survival through a
logit recalibration (:mod:`medcore.survival.recalibration`) stored in the card under
``parameters.recalibration``. The map is fitted on **out-of-fold** predictions only
(:func:`medcore.survival.landmark.out_of_fold_recalibration`): a patient-level cross-validation of
the network (fold seed ``pbc_rnn.CALIBRATION_SEED``) over the training patients (the demo patients
shown on the page are left out), every patient at risk predicted at every landmark by a network
that never saw them. :func:`medcore.models.pbc_rnn.train` does the same after training.

``python -m medcore.models.pbc_rnn_calibration`` (5 network fits) refits it for the shipped
network and writes it into the card. The evaluation (``python -m medcore evaluate pbc_rnn``)
measures the same procedure by cross-fitting: each evaluation fold is recalibrated by a map fitted
on the other folds' out-of-fold predictions
(:func:`medcore.survival.landmark.cross_fitted_recalibration`).
"""
from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Refit the shipped network's recalibration and store it in the card."""
    import argparse
    import json

    from medcore import registry
    from medcore.models import pbc_rnn

    parser = argparse.ArgumentParser(prog="python -m medcore.models.pbc_rnn_calibration",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args(argv)
    recalibration = pbc_rnn.fit_recalibration(pbc_rnn.training_visits(args.data), progress=True)
    card = registry.load_card(pbc_rnn.NAME, args.models_dir)
    registry.update_card(pbc_rnn.NAME, args.models_dir,
                         parameters={**card.parameters, "recalibration": recalibration.to_dict()})
    print(json.dumps(recalibration.to_dict(), indent=2))


if __name__ == "__main__":
    main()
