"""Gradient x difference: which pixels raised the model's output above that of a reference image.

For an image ``x`` and a reference ``r`` (the mean training image, the same one the deletion
curves put in place of a removed pixel and the centre of the SHAP background), the map is
``d output / d x * (x - r)``, summed over channels: the first-order (Taylor) share of each pixel
in ``output(x) - output(r)`` (gradient x input with a baseline; Shrikumar et al. 2016, Ancona et
al., ICLR 2018). Positive: the pixel, as it is rather than average, raised the output. One
gradient per image (milliseconds), where expected-gradients SHAP takes hundreds.

On the shipped pneumonia CNN its deletion curve falls faster than Grad-CAM's and SHAP's
(``python -m medcore bench --only explain``: ``deletion_auc_gradient_input``). The deletion
test replaces pixels with the very reference this map is taken against, which favours it:
read the figure with that in mind.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def gradient_times_difference(model: Any, images: np.ndarray,
                              reference: np.ndarray) -> np.ndarray:
    """The map of each image (module docstring), for the model's first output column.

    Parameters
    ----------
    model : keras.Model
        One image input; its first output column is explained (e.g. P(pneumonia)).
    images : ndarray, shape (n, rows, columns, channels)
        As the model takes them (raw pixels for the shipped models).
    reference : ndarray, shape (rows, columns, channels)
        What "average" means (the mean training image).

    Returns
    -------
    ndarray, shape (n, rows, columns), float32
        In units of the output (their sum approximates ``output(x) - output(reference)``).

    Raises
    ------
    ValueError
        Images that are not 4-D, or a reference of another shape.
    """
    import tensorflow as tf

    images = np.asarray(images, dtype=np.float32)
    reference = np.asarray(reference, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, rows, columns, channels); got "
                         f"{images.shape}.")
    if reference.shape != images.shape[1:]:
        raise ValueError(f"the reference has shape {reference.shape}; expected one image's "
                         f"shape {images.shape[1:]}.")
    return map_tensor(model, tf.convert_to_tensor(images),
                      tf.constant(reference[None])).numpy().astype(np.float32)


def map_tensor(model: Any, images: Any, reference: Any) -> Any:
    """The map as TensorFlow ops (``images`` (n, rows, columns, channels) and ``reference``
    (1, rows, columns, channels) tensors -> (n, rows, columns)): what
    :func:`gradient_times_difference` evaluates and :func:`medcore.export.convert_gradient_map`
    traces for LiteRT."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(images)
        output = model(images, training=False)
        if isinstance(output, dict):
            output = next(iter(output.values()))
        target = tf.reshape(output, (tf.shape(output)[0], -1))[:, 0]
    gradients = tape.gradient(target, images)
    return tf.reduce_sum(gradients * (images - reference), axis=-1)
