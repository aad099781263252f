"""SHAP for feed-forward networks on tabular inputs (``breast_cancer_fnn``, ``breast_cancer_deepsurv``).

Method. ``shap.DeepExplainer`` (DeepLIFT rescale rule averaged over a background) by default:
for the dense networks here it is additive exactly (the attributions plus the base value equal the
output to float rounding), deterministic and fast. ``method="gradient"`` uses
``shap.GradientExplainer`` (expected gradients), whose additivity is only approximate (a
Monte-Carlo estimate); its residual is reported in :attr:`Explanation.residual`.

Background. A fixed, seeded sample of training rows (each model module's
``training_background(n=100, seed=0)``), not a ``shap.kmeans`` summary: k-means centroids of
binary or categorical covariates (hormone therapy, menopause, tumour-size category) are
fractional patients that never occur, and neither DeepExplainer nor GradientExplainer uses the
k-means weights. The base value is therefore the mean output over 100 real training patients:
"the average patient" the words and the waterfall compare against.

Outputs. For a probability model the default explains the probability itself (a change in
percentage points is what a clinician reads); :func:`logit_model` gives the log-odds model for an
additive-in-logit view. For DeepSurv, the log-risk model itself and
:func:`survival_at_horizon_model` (S(t | x) = exp(-H0(t) * exp(log-risk))) for 5-year survival.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from medcore.explain.core import (_single, Explanation, GlobalExplanation, ShapExplainer, as_batch,
                                  as_rows, scalar_output)
from medcore.explain.directions import reference_bands

METHODS = ("deep", "gradient")


class TabularExplainer(ShapExplainer):
    """SHAP explainer for a Keras model taking ``(n, n_features)`` raw-unit inputs.

    Parameters
    ----------
    model : keras.Model
        Single input ``(n, n_features)``, single output whose first column is explained.
    feature_names : sequence of str
        Names in input order.
    method : {"deep", "gradient"}
        ``shap.DeepExplainer`` (exact additivity) or ``shap.GradientExplainer``.
    model_name, output_name, output_unit : str
        Labels copied into every :class:`Explanation`.
    nsamples : int
        GradientExplainer only: samples per explanation.
    seed : int
        GradientExplainer only: the seed of its sampling (explanations are deterministic).

    Attributes
    ----------
    background_ : ndarray, shape (n_background, n_features)
    base_value_ : float
        Mean output over the background.
    explainer_ : shap explainer
    """

    kind = "tabular"

    def __init__(self, model: Any, *, feature_names: Sequence[str], method: str = "deep",
                 model_name: str = "", output_name: str = "model output",
                 output_unit: str = "", nsamples: int = 200, seed: int = 0) -> None:
        super().__init__(model, model_name=model_name, output_name=output_name,
                         output_unit=output_unit, nsamples=nsamples, seed=seed)
        self.feature_names = tuple(feature_names)
        self.method = method

    def fit(self, background: np.ndarray) -> TabularExplainer:
        """Build the SHAP explainer on ``background`` (training inputs, raw units).

        Raises
        ------
        ValueError
            Unknown method, or the background's width differs from ``feature_names``.
        """
        import shap

        if self.method not in METHODS:
            raise ValueError(f"Unknown method {self.method!r}; expected one of {METHODS}.")
        background = np.asarray(background, dtype=np.float32)
        if background.ndim != 2 or background.shape[1] != len(self.feature_names):
            raise ValueError(
                f"The background has shape {background.shape}, expected (n, "
                f"{len(self.feature_names)}) for the {len(self.feature_names)} feature names. "
                "Pass training rows in the model's feature order.")
        self.background_ = background
        with warnings.catch_warnings(action="ignore"):
            if self.method == "deep":
                _register_deep_handlers()
                self.explainer_ = shap.DeepExplainer(self.model, background)
                self.base_value_ = float(np.ravel(np.asarray(self.explainer_.expected_value))[0])
            else:
                self.explainer_ = shap.GradientExplainer(self.model, background)
                self.base_value_ = float(scalar_output(self.model, background).mean())
        self.method_label_ = ("shap.DeepExplainer" if self.method == "deep"
                              else f"shap.GradientExplainer (nsamples={self.nsamples})")
        return self

    def attributions(self, X: np.ndarray) -> np.ndarray:
        """SHAP values for a batch, shape ``(n, n_features)``, in output units."""
        X = as_rows(X, self.feature_names)
        if self.method == "deep":
            return self._shap_values(X, check_additivity=False)
        return self._expected_gradients(X)

    def explain(self, x: np.ndarray) -> Explanation:
        """Explain one row, shape ``(n_features,)`` or ``(1, n_features)``."""
        x = as_batch(x, 1, "row of features")[:1]
        attributions = self.attributions(x)[0]
        output = float(scalar_output(self.model, x)[0])
        return self._explanation(attributions, output, self.base_value_,
                                 x[0].astype(np.float64), self.feature_names,
                                 {"reference_band": reference_bands(self.background_),
                                  "reference_name": (f"{len(self.background_)} patients the "
                                                     "model learnt from")})

    def explain_global(self, X: np.ndarray) -> GlobalExplanation:
        """Attributions for many rows (a test-set sample): the data of the global plots."""
        X = as_batch(X, 1, "row of features")
        attributions = self.attributions(X)
        outputs = scalar_output(self.model, X)
        return GlobalExplanation(
            attributions=attributions, values=X.astype(np.float64), outputs=outputs,
            base_value=self.base_value_, feature_names=self.feature_names,
            method=self.method_label_, model_name=self.model_name, output_name=self.output_name,
            output_unit=self.output_unit)


def _register_deep_handlers() -> None:
    """Teach DeepExplainer the element-wise ops our preprocessing layers use (``log1p`` of skewed
    counts, ``log``): both are monotone 1-d nonlinearities, handled by its rescale rule."""
    from shap.explainers._deep import deep_tf

    for op in ("Log1p", "Log"):
        deep_tf.op_handlers.setdefault(op, deep_tf.nonlinearity_1d(0))


def logit_model(model: Any) -> Any:
    """The log-odds model under a probability model whose last step is a sigmoid.

    Accepts a final ``Dense(..., activation="sigmoid")`` or a final ``Activation("sigmoid")``
    layer; returns a new functional model sharing the weights that outputs the pre-activation.

    Raises
    ------
    ValueError
        The model does not end in a sigmoid.
    """
    import keras

    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    name = getattr(activation, "__name__", "")
    if isinstance(last, keras.layers.Activation) and name == "sigmoid":
        return keras.Model(_single(model.inputs), last.input, name=f"{model.name}_logit")
    if isinstance(last, keras.layers.Dense) and name == "sigmoid":
        linear = keras.layers.Dense(last.units, activation=None, name=f"{last.name}_logit")
        output = linear(last.input)
        linear.set_weights(last.get_weights())
        return keras.Model(_single(model.inputs), output, name=f"{model.name}_logit")
    raise ValueError(f"The model {model.name!r} does not end in a sigmoid (its last layer is "
                     f"{type(last).__name__}); explain its output directly instead.")


def survival_at_horizon_model(log_risk_model: Any,
                              cumulative_baseline_hazard: float | Sequence[float]) -> Any:
    """Wrap a Cox log-risk model into ``S(t | x) = exp(-H0(t) * exp(log-risk(x)))``.

    Parameters
    ----------
    log_risk_model : keras.Model
        ``(n, n_features) -> (n, k)`` log-risk (``k`` members of an ensemble, or 1).
    cumulative_baseline_hazard : float or sequence of k floats
        Breslow ``H0(t)`` at the horizon ``t`` (``S0(t) = exp(-H0(t))``), one per member; the
        wrapped model returns the members' mean survival, shape ``(n, 1)``.

    Raises
    ------
    ValueError
        A hazard is negative or not finite.
    """
    import keras

    from medcore.explain.heads import SurvivalAtHorizon

    hazards = np.atleast_1d(np.asarray(cumulative_baseline_hazard, dtype=float))
    if not np.all(np.isfinite(hazards)) or np.any(hazards < 0):
        raise ValueError(f"The cumulative baseline hazard must be finite and >= 0, got "
                         f"{hazards.tolist()}. Pass H0(t) = -log S0(t) from the model's Breslow "
                         "baseline.")
    survival = SurvivalAtHorizon(hazards.tolist(), name="survival_at_horizon")(
        log_risk_model.outputs[0])
    return keras.Model(_single(log_risk_model.inputs), survival,
                       name=f"{log_risk_model.name}_survival")
