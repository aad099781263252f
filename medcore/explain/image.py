"""SHAP and Grad-CAM for the image classifier (``pneumonia_cnn``).

SHAP: ``shap.GradientExplainer`` (expected gradients) against a seeded sample of training images;
the attributions are summed over channels to one value per pixel, in probability units, and
their sum plus the base value approximates the output (the residual is stored). Grad-CAM comes
from :func:`medcore.explain.gradcam.grad_cam` (class-activation map of the last convolution,
upsampled to the input, in [0, 1]); it has no additivity and no sign, only "where the model
looked".
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from medcore.explain.core import Explanation, ShapExplainer, as_batch, scalar_output


class ImageExplainer(ShapExplainer):
    """SHAP (expected gradients) + Grad-CAM for a Keras model on ``(n, rows, columns, channels)``.

    Parameters
    ----------
    model : keras.Model
        Single image input, single output whose first column is explained (a probability).
    model_name, output_name, output_unit : str
        Labels copied into every :class:`Explanation`.
    nsamples : int
        Expected-gradients samples per explanation (more: smaller residual, slower).
    seed : int
        Seed of the sampling; explanations are deterministic for a given input.
    with_grad_cam : bool
        Also compute Grad-CAM (``extras["grad_cam"]``, :func:`medcore.explain.gradcam.grad_cam`).

    Attributes
    ----------
    background_ : ndarray, shape (n_background, rows, columns, channels)
    base_value_ : float
    explainer_ : shap.GradientExplainer
    """

    kind = "image"

    def __init__(self, model: Any, *, model_name: str = "", output_name: str = "model output",
                 output_unit: str = "probability", nsamples: int = 200, seed: int = 0,
                 with_grad_cam: bool = True) -> None:
        super().__init__(model, model_name=model_name, output_name=output_name,
                         output_unit=output_unit, nsamples=nsamples, seed=seed)
        self.with_grad_cam = with_grad_cam

    def fit(self, background: np.ndarray) -> ImageExplainer:
        """Build the explainer on ``background`` images in the model's raw input units.

        Raises
        ------
        ValueError
            ``background`` is not a batch of images ``(n, rows, columns, channels)``.
        """
        import shap

        background = np.asarray(background, dtype=np.float32)
        if background.ndim != 4:
            raise ValueError(f"The background has shape {background.shape}; expected a batch of "
                             "images (n, rows, columns, channels) in the model's input units.")
        self.background_ = background
        with warnings.catch_warnings(action="ignore"):
            self.explainer_ = shap.GradientExplainer(self.model, background,
                                                     batch_size=self.nsamples)
        self.base_value_ = float(scalar_output(self.model, background).mean())
        self.method_label_ = f"shap.GradientExplainer (nsamples={self.nsamples})"
        return self

    def attributions(self, images: np.ndarray) -> np.ndarray:
        """Per-pixel SHAP values for a batch, shape ``(n, rows, columns)`` (channels summed)."""
        images = as_batch(images, 3, "image (rows, columns, channels)")
        return self._expected_gradients(images).sum(axis=-1)

    def grad_cam(self, images: np.ndarray) -> np.ndarray | None:
        """Grad-CAM maps ``(n, rows, columns)`` in [0, 1], or None when ``with_grad_cam`` is off."""
        if not self.with_grad_cam:
            return None
        from medcore.explain.gradcam import grad_cam

        return np.asarray(grad_cam(self.model, as_batch(images, 3, "image")), dtype=np.float64)

    def explain(self, image: np.ndarray) -> Explanation:
        """Explain one image, shape ``(rows, columns, channels)`` or ``(1, rows, columns, channels)``."""
        image = as_batch(image, 3, "image (rows, columns, channels)")[:1]
        attributions = self.attributions(image)[0]
        output = float(scalar_output(self.model, image)[0])
        extras: dict[str, Any] = {}
        cam = self.grad_cam(image)
        if cam is not None:
            extras["grad_cam"] = cam[0]
        return self._explanation(attributions, output, self.base_value_,
                                 image[0].mean(axis=-1).astype(np.float64), extras=extras)


def region_shares(attributions: np.ndarray) -> dict[str, float]:
    """Share of the positive attribution mass in each image half / quadrant, for words.

    Returns ``{"left": ..., "right": ..., "upper": ..., "lower": ...}`` (each in [0, 1]).
    The image's left is the viewer's left (for a frontal chest film: the patient's right).
    """
    positive = np.clip(np.asarray(attributions, dtype=np.float64), 0, None)
    total = positive.sum()
    if total <= 0:
        return {"left": 0.5, "right": 0.5, "upper": 0.5, "lower": 0.5}
    rows, columns = positive.shape
    left = positive[:, : columns // 2].sum() / total
    upper = positive[: rows // 2].sum() / total
    return {"left": float(left), "right": float(1 - left), "upper": float(upper),
            "lower": float(1 - upper)}
