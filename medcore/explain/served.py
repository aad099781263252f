"""Shapley values of a tabular model's served output (no gradients, no TensorFlow).

The pages show what the served model (LiteRT, :func:`medcore.registry.serving_model`) says; this
explains that same output by interventional Shapley values against reference patients: for a set
``S`` of inputs, ``v(S)`` is the mean output over the reference patients with the inputs in ``S``
taken from the patient. The values add up exactly::

    output(patient) = mean output over the reference patients + sum of the values

Exact (every coalition, Shapley weights) for up to :data:`EXACT_MAX_FEATURES` inputs (the
8-input Rotterdam model: 256 coalitions x 100 reference patients, about 0.2 s); sampled by
permutations otherwise (:data:`PERMUTATIONS` antithetic permutations per reference patient; the
sums stay exact, each value is an estimate: on the 30-input Wisconsin model two seeds differed by
up to 3 pp, which is why :func:`medcore.explain.models.build_explainer` keeps DeepExplainer
there). The model
is only called (a function of a batch of rows), so explaining costs milliseconds once the served
model is loaded, and never imports TensorFlow.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from medcore.explain.core import (Explanation, GlobalExplanation, as_batch, as_rows,
                                  residual_of)
from medcore.explain.directions import reference_bands

#: Up to this many inputs the Shapley values are computed exactly (all 2^F coalitions).
EXACT_MAX_FEATURES = 10
#: Permutations per reference patient when sampling (pairs of a permutation and its reverse).
PERMUTATIONS = 20


class ServedShapleyExplainer:
    """Interventional Shapley values of ``predict`` on ``(n, F)`` rows against reference rows.

    Parameters
    ----------
    predict : callable
        ``predict(x)`` for a batch ``(n, F)`` returns the explained output, shape ``(n,)``.
    feature_names : sequence of str
    model_name, output_name, output_unit : str
        Labels copied into every :class:`Explanation`.
    reference_name : str
        The reference population in words ("100 patients the model learnt from").
    seed : int
        Seed of the sampled permutations (explanations are deterministic).

    Attributes
    ----------
    background_ : ndarray, shape (n_reference, F)
    base_value_ : float, the mean output over the reference rows.
    """

    kind = "tabular"

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], *,
                 feature_names: Sequence[str], model_name: str = "",
                 output_name: str = "model output", output_unit: str = "",
                 reference_name: str = "the reference patients", seed: int = 0) -> None:
        self.predict = predict
        self.feature_names = tuple(feature_names)
        self.model_name = model_name
        self.output_name = output_name
        self.output_unit = output_unit
        self.reference_name = reference_name
        self.seed = seed

    def fit(self, background: np.ndarray) -> ServedShapleyExplainer:
        """Keep the reference rows ``(n, F)`` and their mean output.

        Raises
        ------
        ValueError
            The rows' width differs from ``feature_names``.
        """
        background = np.asarray(background, dtype=np.float32)
        if background.ndim != 2 or background.shape[1] != len(self.feature_names):
            raise ValueError(f"The background has shape {background.shape}, expected (n, "
                             f"{len(self.feature_names)}) for the {len(self.feature_names)} "
                             "feature names. Pass training rows in the model's feature order.")
        self.background_ = background
        self.base_value_ = float(np.mean(self.predict(background)))
        self.bands_ = reference_bands(background)
        exact = len(self.feature_names) <= EXACT_MAX_FEATURES
        self.method_label_ = (
            "Shapley values of the served model's output, " + (
                "exact (every coalition)" if exact else
                f"sampled ({PERMUTATIONS} permutations per reference patient, antithetic)")
            + f", against {len(background)} reference patients; additive exactly")
        return self

    def attributions(self, X: np.ndarray) -> np.ndarray:
        """Shapley values of a batch, shape ``(n, F)``, in output units."""
        X = as_rows(X, self.feature_names)
        if len(self.feature_names) <= EXACT_MAX_FEATURES:
            return np.stack([self._exact(x) for x in X])
        return np.stack([self._sampled(x) for x in X])

    def explain(self, x: np.ndarray) -> Explanation:
        """Explain one row, shape ``(F,)`` or ``(1, F)``."""
        x = as_batch(x, 1, "row of features")[:1]
        attributions = self.attributions(x)[0]
        output = float(np.asarray(self.predict(x))[0])
        return Explanation(
            attributions=attributions, base_value=self.base_value_, output=output,
            feature_names=self.feature_names, values=x[0].astype(np.float64),
            method=self.method_label_, kind="tabular", model_name=self.model_name,
            output_name=self.output_name, output_unit=self.output_unit,
            residual=residual_of(output, self.base_value_, attributions),
            extras={"reference_band": self.bands_,
                    "reference_name": f"{len(self.background_)} {self.reference_name}"})

    def explain_global(self, X: np.ndarray) -> GlobalExplanation:
        """Shapley values of many rows (a test-set sample): the data of the global plots."""
        X = as_batch(X, 1, "row of features")
        return GlobalExplanation(
            attributions=self.attributions(X), values=X.astype(np.float64),
            outputs=np.asarray(self.predict(X), dtype=float), base_value=self.base_value_,
            feature_names=self.feature_names, method=self.method_label_,
            model_name=self.model_name, output_name=self.output_name,
            output_unit=self.output_unit)

    def _exact(self, x: np.ndarray) -> np.ndarray:
        n = len(self.feature_names)
        coalitions = np.array(list(itertools.product((False, True), repeat=n)))
        rows = np.where(coalitions[:, None, :], x[None, None, :], self.background_[None])
        values = np.asarray(self.predict(rows.reshape(-1, n)), dtype=float)
        value = dict(zip(map(tuple, coalitions), values.reshape(len(coalitions), -1)
                         .mean(axis=1)))
        weights = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                   for k in range(n)]
        phi = np.zeros(n)
        for coalition in coalitions:
            size = int(coalition.sum())
            for i in np.flatnonzero(~coalition):
                joined = coalition.copy()
                joined[i] = True
                phi[i] += weights[size] * (value[tuple(joined)] - value[tuple(coalition)])
        return phi

    def _sampled(self, x: np.ndarray) -> np.ndarray:
        n = len(self.feature_names)
        rng = np.random.default_rng(self.seed)
        orders = []
        for _ in range(PERMUTATIONS // 2):
            order = rng.permutation(n)
            orders += [order, order[::-1]]
        steps = np.arange(n + 1)[:, None]
        batches, permutations = [], []
        for reference in self.background_:
            for order in orders:
                rank = np.empty(n, dtype=int)
                rank[order] = np.arange(n)
                chosen = rank[None, :] < steps                     # (n + 1, n)
                batches.append(np.where(chosen, x[None], reference[None]))
                permutations.append(order)
        outputs = np.asarray(self.predict(np.concatenate(batches)), dtype=float)
        outputs = outputs.reshape(len(batches), n + 1)
        phi = np.zeros(n)
        for order, path in zip(permutations, outputs):
            phi[order] += np.diff(path)
        return phi / len(batches)
