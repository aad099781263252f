"""SHAP for recurrent networks on visit sequences (``pbc_rnn``): visits x features.

``shap.GradientExplainer`` (expected gradients): DeepExplainer's graph rewriting does not follow
recurrent layers in TensorFlow 2, gradients do. The attributions have shape
``(visits, n_features)``; summed over features they say "which visit", summed over visits
"which biomarker".

Padding. Sequences are padded with ``mask_value`` (a ``keras.layers.Masking`` input). A padded
visit of the patient must get no attribution, but expected gradients interpolates between the
patient and background patients with *more* visits, which would turn padding into fake visits.
So the background is aligned to the patient's own visit pattern (:meth:`aligned_background`):
padded where the patient is padded, a real (carried-over) visit where the patient has one. Padded
visits then stay padded along every interpolation path: their gradient, hence their attribution,
is exactly 0, and the path never jumps from "masked" to "visit" (which would break additivity).
The base value is the mean output over this aligned background ("an average training patient
seen at the same visits"), stored per explanation.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from medcore.explain.core import (_single, Explanation, GlobalExplanation, ShapExplainer, as_batch,
                                  scalar_output)


def select_output(model: Any, index: int) -> Any:
    """A model returning only column ``index`` of ``model``'s output, shape ``(n, 1)``.

    Raises
    ------
    ValueError
        ``index`` is outside the output's columns.
    """
    import keras

    from medcore.explain.heads import SelectColumn

    width = model.outputs[0].shape[-1]
    if not -width <= index < width:
        raise ValueError(f"Output column {index} does not exist; the model has {width} output "
                         "columns. Pick a time-grid index inside that range.")
    index = index % width
    column = SelectColumn(index, name=f"column{index}")(model.outputs[0])
    return keras.Model(_single(model.inputs), column, name=f"{model.name}_column{index}")


def visit_mask(sequence: np.ndarray, mask_value: float = 0.0) -> np.ndarray:
    """True for real visits: rows of ``sequence`` (visits, features) not all ``mask_value``."""
    return np.any(np.asarray(sequence) != mask_value, axis=-1)


class SequenceExplainer(ShapExplainer):
    """Expected-gradients SHAP for a Keras model on ``(n, visits, n_features)`` sequences.

    Parameters
    ----------
    model : keras.Model
        Single sequence input, output ``(n, 1)`` (use :func:`select_output` for one horizon of a
        survival grid).
    feature_names : sequence of str
        Per-visit feature names, in input order.
    mask_value : float
        The padding value of missing visits.
    model_name, output_name, output_unit : str
        Labels copied into every :class:`Explanation`.
    nsamples, seed : int
        Expected-gradients samples per explanation and their seed (deterministic explanations).
    time_feature : str, optional
        A feature holding each visit's time in years since the first visit; copied into
        ``extras["visit_years"]`` so the words can say "the visit at 2.1 years".

    Attributes
    ----------
    background_ : ndarray, shape (n_background, visits, n_features)
    explainer_ : shap.GradientExplainer
    """

    kind = "sequence"

    def __init__(self, model: Any, *, feature_names: Sequence[str], mask_value: float = 0.0,
                 model_name: str = "", output_name: str = "model output",
                 output_unit: str = "", nsamples: int = 200, seed: int = 0,
                 time_feature: str | None = None) -> None:
        super().__init__(model, model_name=model_name, output_name=output_name,
                         output_unit=output_unit, nsamples=nsamples, seed=seed)
        self.feature_names = tuple(feature_names)
        self.mask_value = mask_value
        self.time_feature = time_feature

    def fit(self, background: np.ndarray) -> SequenceExplainer:
        """Keep ``background`` sequences (training patients, raw units) and build the explainer.

        Raises
        ------
        ValueError
            ``background`` is not ``(n, visits, n_features)`` with the named features.
        """
        import shap

        background = np.asarray(background, dtype=np.float32)
        if background.ndim != 3 or background.shape[2] != len(self.feature_names):
            raise ValueError(f"The background has shape {background.shape}; expected (n, visits, "
                             f"{len(self.feature_names)}) padded with {self.mask_value}.")
        self.background_ = background
        self.fixed_model_ = _fixed_length(self.model, background.shape[1])
        with warnings.catch_warnings(action="ignore"):
            self.explainer_ = shap.GradientExplainer(self.fixed_model_, background,
                                                     batch_size=self.nsamples)
        self.method_label_ = (f"shap.GradientExplainer (nsamples={self.nsamples}, "
                              "visit-aligned background)")
        return self

    def aligned_background(self, sequence: np.ndarray) -> np.ndarray:
        """The background on the patient's visit pattern, shape like ``background_``.

        Where ``sequence`` (visits, features) is padded, every background sequence is set to
        ``mask_value``; where the patient has a visit the background patient lacks, the background
        patient's nearest earlier visit (else the nearest later one) is carried over. Every
        interpolation path then has the patient's mask, so the path is continuous and padded
        visits get no gradient.
        """
        present = visit_mask(sequence, self.mask_value)
        wanted = np.flatnonzero(present)
        aligned = np.full_like(self.background_, self.mask_value)
        for row, background in enumerate(self.background_):
            have = np.flatnonzero(visit_mask(background, self.mask_value))
            if have.size == 0:
                continue
            source = have[np.clip(np.searchsorted(have, wanted, side="right") - 1, 0, None)]
            aligned[row, wanted] = background[source]
            keep = np.intersect1d(wanted, have)
            aligned[row, keep] = background[keep]
        return aligned

    def explain(self, sequence: np.ndarray) -> Explanation:
        """Explain one sequence, shape ``(visits, n_features)`` or ``(1, visits, n_features)``.

        Raises
        ------
        ValueError
            The sequence's shape differs from the background's ``(visits, n_features)``.
        """
        x = as_batch(sequence, 2, "visit sequence (visits, features)")[:1]
        if x.shape[2] != self.background_.shape[2]:
            raise ValueError(f"The sequence has {x.shape[2]} features per visit, expected "
                             f"{self.background_.shape[2]} ({', '.join(self.feature_names)}).")
        x = self._prepare(x)
        aligned = self.aligned_background(x[0])
        # The shap explainer keeps its background in ``data``; swapping it keeps the compiled
        # gradient function (building a new explainer per patient would retrace it).
        self.explainer_.explainer.data = [aligned]
        try:
            attributions = self._expected_gradients(x)[0]
        finally:
            self.explainer_.explainer.data = [self.background_]
        present = visit_mask(x[0], self.mask_value)
        attributions[~present] = 0.0
        base = float(scalar_output(self.model, aligned).mean())
        output = float(scalar_output(self.model, x)[0])
        return self._explanation(attributions, output, base, x[0].astype(np.float64),
                                 self.feature_names, self._extras(x[0], present))

    def _extras(self, x: np.ndarray, present: np.ndarray) -> dict:
        extras: dict = {"visit_mask": present}
        if self.time_feature in self.feature_names:
            extras["visit_years"] = x[:, self.feature_names.index(self.time_feature)].astype(float)
        return extras

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        """Pad ``x`` or the background to a common number of visits; fill never-measured (NaN)
        values with the background's median over real visits (gradients need finite inputs)."""
        visits = max(x.shape[1], self.background_.shape[1])
        fixed = self.model.inputs[0].shape[1]
        if fixed is not None and visits > fixed:
            raise ValueError(f"The sequence has {x.shape[1]} visits but the model takes at most "
                             f"{fixed}; keep the latest {fixed} visits.")
        if self.background_.shape[1] < visits:  # a longer history: refit on a padded background
            self.fit(_pad_visits(self.background_, visits, self.mask_value))
        x = _pad_visits(x, visits, self.mask_value)
        if np.isnan(x).any():
            real = self.background_[visit_mask(self.background_, self.mask_value)]
            x = np.where(np.isnan(x), np.nanmedian(real, axis=0), x).astype(np.float32)
        return x

    def explain_global(self, sequences: np.ndarray) -> GlobalExplanation:
        """Explain many sequences; attributions summed over visits, values = last real visit."""
        sequences = as_batch(sequences, 2, "visit sequence")
        explanations = [self.explain(s) for s in sequences]
        values = np.stack([_last_visit(e.values, self.mask_value) for e in explanations])
        return GlobalExplanation(
            attributions=np.stack([e.by_feature for e in explanations]), values=values,
            outputs=np.array([e.output for e in explanations]),
            base_value=float(np.mean([e.base_value for e in explanations])),
            feature_names=self.feature_names, method=explanations[0].method,
            model_name=self.model_name, output_name=self.output_name,
            output_unit=self.output_unit)


def _fixed_length(model: Any, visits: int) -> Any:
    """``model`` behind an input of fixed length ``visits`` (shap reshapes inputs to the model's
    declared input shape, so a ``(None, visits, features)`` input with ``visits=None`` fails)."""
    import keras

    declared = model.inputs[0].shape
    if declared[1] is not None:
        return model
    inputs = keras.Input((visits, declared[2]), name="visits")
    return keras.Model(inputs, model(inputs), name=f"{model.name}_fixed{visits}")


def _pad_visits(x: np.ndarray, visits: int, mask_value: float) -> np.ndarray:
    if x.shape[1] >= visits:
        return x
    pad = np.full((x.shape[0], visits - x.shape[1], x.shape[2]), mask_value, dtype=x.dtype)
    return np.concatenate([x, pad], axis=1)


def _last_visit(sequence: np.ndarray, mask_value: float) -> np.ndarray:
    present = np.flatnonzero(visit_mask(sequence, mask_value))
    return np.asarray(sequence[present[-1]] if present.size else sequence[-1], dtype=np.float64)
