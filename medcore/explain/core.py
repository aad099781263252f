"""The :class:`Explanation` bundle every explainer returns, and helpers they share.

An explanation splits one model output into a base value (the average output over a background
of training inputs) plus one attribution per input element (a feature, a pixel, a visit x
biomarker cell)::

    output ~= base_value + attributions.sum()

``residual`` is ``output - base_value - attributions.sum()``: zero up to float rounding for
DeepExplainer (DeepLIFT rescale rule, exact by construction), small but not zero for
GradientExplainer (expected gradients is a Monte-Carlo estimate). It is stored, never hidden.

:class:`ShapExplainer` is what the tabular, image and sequence explainers share: their labels,
running shap quietly, and assembling an :class:`Explanation`. No TensorFlow here.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The three input kinds an explanation can be about.
KINDS = ("tabular", "image", "sequence")

#: Default tolerance for the additivity check, as a fraction of the part of the output the
#: attributions account for (``max(|output - base|, 1e-3)``); see :func:`additivity_ok`.
ADDITIVITY_TOLERANCE = 0.05


@dataclass(frozen=True)
class Explanation:
    """Why one model gave one output for one input.

    Attributes
    ----------
    attributions : ndarray
        Contribution of each input element to ``output - base_value``, in output units.
        Shape ``(n_features,)`` (tabular), ``(rows, columns)`` (image; summed over channels) or
        ``(visits, n_features)`` (sequence; padded visits are exactly 0).
    base_value : float
        Mean model output over the background (what the model says for "an average patient").
    output : float
        The model's output for this input, in the same units.
    feature_names : tuple of str
        Tabular and sequence: the feature names in input order. Image: empty.
    values : ndarray
        The raw input, same leading shape as ``attributions`` (image: ``(rows, columns)``
        grey levels; sequence: ``(visits, n_features)``).
    method : str
        How the attributions were computed, e.g. ``"shap.DeepExplainer"``.
    kind : str
        ``"tabular"``, ``"image"`` or ``"sequence"``.
    model_name : str
        The registry name of the model explained (or a free label for a test network).
    output_name : str
        What ``output`` is, in words, e.g. ``"probability of malignancy"``, ``"log-risk"``.
    output_unit : str
        How to print a change in the output: ``"probability"`` (shown as percentage points),
        ``"log-risk"``, ``"survival probability"``.
    residual : float
        ``output - base_value - attributions.sum()``.
    extras : dict
        Kind-specific extras, e.g. ``{"grad_cam": ndarray (rows, columns)}`` for images,
        ``{"visit_days": ndarray}`` for sequences.
    """

    attributions: np.ndarray
    base_value: float
    output: float
    feature_names: tuple[str, ...]
    values: np.ndarray
    method: str
    kind: str
    model_name: str = ""
    output_name: str = "model output"
    output_unit: str = ""
    residual: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Explanation kind {self.kind!r} is unknown; expected one of {KINDS}.")

    @property
    def by_feature(self) -> np.ndarray:
        """Attributions summed to one value per feature, shape ``(n_features,)``.

        Tabular: the attributions themselves. Sequence: summed over visits ("which biomarker").
        """
        if self.kind == "image":
            raise ValueError("An image explanation has pixels, not features; use .attributions.")
        return self.attributions if self.kind == "tabular" else self.attributions.sum(axis=0)

    @property
    def by_visit(self) -> np.ndarray:
        """Sequence attributions summed over features ("which visit"), shape ``(visits,)``."""
        if self.kind != "sequence":
            raise ValueError(f"A {self.kind} explanation has no visits; use .attributions.")
        return self.attributions.sum(axis=1)

    @property
    def relative_residual(self) -> float:
        """``|residual|`` relative to ``|output - base_value|`` (0 when both are 0)."""
        gap = abs(self.output - self.base_value)
        return abs(self.residual) / gap if gap > 0 else abs(self.residual)


def residual_of(output: float, base_value: float, attributions: np.ndarray) -> float:
    """``output - base_value - attributions.sum()`` as a Python float."""
    return float(output) - float(base_value) - float(np.sum(attributions, dtype=np.float64))


def additivity_ok(explanation: Explanation, scale: float | None = None,
                  tolerance: float = ADDITIVITY_TOLERANCE) -> bool:
    """Whether ``|residual| <= tolerance * scale``.

    ``scale`` defaults to ``max(|output - base_value|, 1e-3)``: the part of the output the
    attributions have to account for.
    """
    if scale is None:
        scale = max(abs(explanation.output - explanation.base_value), 1e-3)
    return abs(explanation.residual) <= tolerance * scale


def input_key(model_name: str, array: np.ndarray) -> str:
    """A cache key for (model, input bytes): ``"NAME:" + sha1 of the array bytes, shape, dtype``."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha1(array.tobytes())
    digest.update(str((array.shape, array.dtype.str)).encode())
    return f"{model_name}:{digest.hexdigest()}"


def as_batch(x: np.ndarray, item_ndim: int, what: str) -> np.ndarray:
    """Return ``x`` as float32 with a leading batch axis of length 1 if it had none.

    Raises
    ------
    ValueError
        ``x`` has neither ``item_ndim`` nor ``item_ndim + 1`` dimensions.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == item_ndim:
        x = x[None]
    if x.ndim != item_ndim + 1:
        raise ValueError(f"Expected one {what} with {item_ndim} dimension(s) (or a batch of them), "
                         f"got an array of shape {x.shape}. Pass the input the model takes.")
    return x


def as_rows(X: np.ndarray, feature_names: tuple[str, ...]) -> np.ndarray:
    """``X`` as a float32 batch of rows of ``len(feature_names)`` features.

    Raises
    ------
    ValueError
        ``X`` is not one row or a batch of rows, or has another number of features.
    """
    X = as_batch(X, 1, "row of features")
    if X.shape[1] != len(feature_names):
        raise ValueError(f"Expected {len(feature_names)} features per row, got "
                         f"{X.shape[1]}. Pass the columns in the model's feature order.")
    return X


def scalar_output(model: Any, x: np.ndarray) -> np.ndarray:
    """Model outputs for a batch as a 1-d float64 array, shape ``(n,)``."""
    out = np.asarray(model(x, training=False), dtype=np.float64)
    return out.reshape(len(x), -1)[:, 0]


class ShapExplainer:
    """Base of the three explainers: parameters, shap values, :class:`Explanation` assembly.

    Subclasses set ``kind`` and, in ``fit``, ``explainer_`` (the shap explainer) and
    ``method_label_`` (copied into every explanation's ``method``).

    Parameters
    ----------
    model : keras.Model
        Single input, single output whose first column is explained.
    model_name, output_name, output_unit : str
        Labels copied into every :class:`Explanation`.
    nsamples, seed : int
        Expected-gradients samples per explanation and their seed (deterministic explanations).
    """

    kind: str = ""

    def __init__(self, model: Any, *, model_name: str = "", output_name: str = "model output",
                 output_unit: str = "", nsamples: int = 200, seed: int = 0) -> None:
        self.model = model
        self.model_name = model_name
        self.output_name = output_name
        self.output_unit = output_unit
        self.nsamples = nsamples
        self.seed = seed

    def _shap_values(self, x: np.ndarray, **kwargs: Any) -> np.ndarray:
        """``explainer_.shap_values(x, **kwargs)`` for the first output column, warnings
        silenced, as float64 of shape ``x.shape``."""
        with warnings.catch_warnings(action="ignore"):
            values = self.explainer_.shap_values(x, **kwargs)
        values = np.asarray(values[0] if isinstance(values, list) else values, dtype=np.float64)
        return values.reshape(x.shape + (-1,))[..., 0]

    def _expected_gradients(self, x: np.ndarray) -> np.ndarray:
        """GradientExplainer values with this explainer's ``nsamples`` and ``seed``."""
        return self._shap_values(x, nsamples=self.nsamples, rseed=self.seed)

    def _explanation(self, attributions: np.ndarray, output: float, base_value: float,
                     values: np.ndarray, feature_names: tuple[str, ...] = (),
                     extras: dict[str, Any] | None = None) -> Explanation:
        """The :class:`Explanation` with this explainer's labels and the additivity residual."""
        return Explanation(
            attributions=attributions, base_value=base_value, output=output,
            feature_names=feature_names, values=values, method=self.method_label_,
            kind=self.kind, model_name=self.model_name, output_name=self.output_name,
            output_unit=self.output_unit,
            residual=residual_of(output, base_value, attributions), extras=extras or {})


@dataclass(frozen=True)
class GlobalExplanation:
    """Attributions over many inputs (a test-set sample): the data of the global plots.

    Attributes
    ----------
    attributions, values : ndarray, shape (n, n_features)
        SHAP values and raw inputs. For sequences the attributions are summed over visits and
        the values are each feature's last observed visit.
    outputs : ndarray, shape (n,)
    base_value : float
    feature_names : tuple of str
    method, model_name, output_name, output_unit : str
    """

    attributions: np.ndarray
    values: np.ndarray
    outputs: np.ndarray
    base_value: float
    feature_names: tuple[str, ...]
    method: str
    model_name: str = ""
    output_name: str = "model output"
    output_unit: str = ""

    @property
    def mean_abs(self) -> np.ndarray:
        """Mean |SHAP| per feature, shape ``(n_features,)``."""
        return np.abs(self.attributions).mean(axis=0)

    @property
    def residuals(self) -> np.ndarray:
        """Per-row additivity residuals, shape ``(n,)``."""
        return self.outputs - self.base_value - self.attributions.sum(axis=1)


def _single(inputs: Any) -> Any:
    """A functional model's inputs as Keras built them: the tensor itself when there is one."""
    return inputs[0] if isinstance(inputs, (list, tuple)) and len(inputs) == 1 else inputs
