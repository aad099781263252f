"""Faithfulness of an image attribution: the deletion curve against a random order.

Remove the pixels an attribution ranks highest first (replace them with a reference image, here
the mean training image, so the input stays in the data's range) and follow the model's score;
a faithful attribution makes the score fall fast, i.e. a small area under the deletion curve,
smaller than when the same number of pixels is removed in random order (Petsiuk et al. 2018,
RISE). All pixels of a step are removed in one batch call.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class DeletionCurves:
    """Deletion curves of several images, attribution order vs random order.

    Attributes
    ----------
    fractions : ndarray, shape (steps + 1,)
        Fraction of pixels removed, 0 .. 1.
    attribution, random : ndarray, shape (n_images, steps + 1)
        Model score at each fraction.
    """

    fractions: np.ndarray
    attribution: np.ndarray
    random: np.ndarray

    @property
    def auc_attribution(self) -> float:
        """Mean area under the attribution-order curves (lower = more faithful)."""
        return float(np.mean(_auc(self.fractions, self.attribution)))

    @property
    def auc_random(self) -> float:
        """Mean area under the random-order curves."""
        return float(np.mean(_auc(self.fractions, self.random)))


def _auc(fractions: np.ndarray, curves: np.ndarray) -> np.ndarray:
    widths = np.diff(fractions)
    return ((curves[:, 1:] + curves[:, :-1]) / 2.0 * widths).sum(axis=1)


def deletion_curve(predict: Callable[[np.ndarray], np.ndarray], image: np.ndarray,
                   ranking: np.ndarray, reference: np.ndarray, steps: int = 20) -> np.ndarray:
    """Scores while removing pixels in ``ranking`` order (highest first).

    Parameters
    ----------
    predict : callable
        ``(n, rows, columns, channels) -> (n,)`` scores.
    image, reference : ndarray, shape (rows, columns, channels)
        The input and what a removed pixel becomes.
    ranking : ndarray, shape (rows, columns)
        Higher = removed earlier.
    steps : int
        Number of removal steps; the curve has ``steps + 1`` points.

    Returns
    -------
    ndarray, shape (steps + 1,)

    Raises
    ------
    ValueError
        ``ranking`` does not match the image's (rows, columns).
    """
    image = np.asarray(image, dtype=np.float32)
    if ranking.shape != image.shape[:2]:
        raise ValueError(f"The ranking has shape {ranking.shape}, expected the image's "
                         f"(rows, columns) {image.shape[:2]}.")
    order = np.argsort(-ranking.ravel(), kind="stable")
    pixels = order.size
    batch = np.repeat(image[None], steps + 1, axis=0)
    flat = batch.reshape(steps + 1, pixels, -1)
    reference_flat = np.asarray(reference, dtype=np.float32).reshape(pixels, -1)
    for step in range(1, steps + 1):
        removed = order[: int(round(pixels * step / steps))]
        flat[step, removed] = reference_flat[removed]
    return np.asarray(predict(batch), dtype=np.float64).ravel()


def deletion_curves(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
                    rankings: np.ndarray, reference: np.ndarray, *, steps: int = 20,
                    seed: int = 0) -> DeletionCurves:
    """Deletion curves for many images, by ``rankings`` and by a seeded random order.

    Parameters
    ----------
    images : ndarray, shape (n, rows, columns, channels)
    rankings : ndarray, shape (n, rows, columns)
    reference : ndarray, shape (rows, columns, channels)
    """
    rng = np.random.default_rng(seed)
    random = [rng.random(np.shape(ranking)) for ranking in rankings]
    return DeletionCurves(fractions=np.linspace(0.0, 1.0, steps + 1),
                          attribution=_curves(predict, images, rankings, reference, steps),
                          random=_curves(predict, images, random, reference, steps))


def _curves(predict, images, rankings, reference, steps: int) -> np.ndarray:
    """:func:`deletion_curve` of each image by its ranking, shape ``(n, steps + 1)``."""
    return np.array([deletion_curve(predict, image, ranking, reference, steps)
                     for image, ranking in zip(images, rankings)])


def image_faithfulness(explainer, images: np.ndarray, *, steps: int = 20,
                       seed: int = 0) -> tuple[np.ndarray, dict[str, DeletionCurves]]:
    """SHAP maps and deletion curves (SHAP, Grad-CAM and gradient x difference orders, each vs
    random) of a fitted
    :class:`~medcore.explain.image.ImageExplainer` on ``images``.

    Removed pixels become the mean background (training) image.

    Parameters
    ----------
    explainer : ImageExplainer
        Fitted.
    images : ndarray, shape (n, rows, columns, channels)

    Returns
    -------
    shap_maps : ndarray, shape (n, rows, columns)
    curves : dict
        ``{"shap": ..., "grad_cam": ..., "gradient_input": ...}`` DeletionCurves (the last two
        only for a convolutional model, which gives Grad-CAM maps;
        :mod:`medcore.explain.gradient_input` is the map the Diagnosis page shows).
    """
    from medcore.explain.core import scalar_output
    from medcore.explain.gradient_input import gradient_times_difference

    def predict(batch: np.ndarray) -> np.ndarray:
        return scalar_output(explainer.model, np.asarray(batch, dtype=np.float32))

    reference = explainer.background_.mean(axis=0)
    shap_maps = explainer.attributions(images)
    curves = {"shap": deletion_curves(predict, images, shap_maps, reference, steps=steps,
                                      seed=seed)}
    cams = explainer.grad_cam(images)
    if cams is not None:  # same images and seed: the random-order curves are the SHAP ones
        curves["grad_cam"] = replace(curves["shap"], attribution=_curves(
            predict, images, np.asarray(cams), reference, steps))
        maps = gradient_times_difference(explainer.model, images, reference)
        curves["gradient_input"] = replace(curves["shap"], attribution=_curves(
            predict, images, maps, reference, steps))
    return shap_maps, curves
