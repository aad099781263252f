"""Grad-CAM (Selvaraju et al., ICCV 2017): where in the image a convolutional network looked.

For a target layer with feature maps ``A_k`` (k channels), the weight of channel ``k`` is the
spatial mean of ``d output / d A_k``; the map is ``ReLU(sum_k w_k A_k)``, upsampled bilinearly
to the input size and scaled to [0, 1] per image. Gradients come from ``tf.GradientTape``.

A model that holds other models (a deep ensemble built by
:func:`medcore.networks.convolutional.build_ensemble`) and no convolution of its own gets the
mean of its members' normalised maps, each computed on that member's own output.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_SKIPPED = ("Pooling", "Dropout", "Flatten", "Reshape", "Cropping", "ZeroPadding")


def _is_spatial(layer: Any) -> bool:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return False
    return len(shape) == 4 and not any(s in type(layer).__name__ for s in _SKIPPED)


def last_conv_layer_name(model: Any) -> str:
    """Name of the last layer with 4-D feature maps after the model's last ``Conv2D``
    (the conv itself or its BatchNorm / activation), skipping pooling and dropout.

    Raises
    ------
    ValueError
        The model has no ``Conv2D`` layer at its top level.
    """
    names = [layer.name for layer in model.layers]
    convs = [i for i, layer in enumerate(model.layers) if "Conv2D" in type(layer).__name__]
    if not convs:
        raise ValueError(f"Model {model.name!r} has no Conv2D layer at its top level "
                         f"(layers: {', '.join(names)}); pass layer_name=.")
    chosen = convs[-1]
    for i in range(convs[-1] + 1, len(model.layers)):
        if not _is_spatial(model.layers[i]):
            break
        chosen = i
    return names[chosen]


def _members(model: Any) -> list[Any]:
    return [layer for layer in model.layers
            if hasattr(layer, "layers") and any("Conv2D" in type(sub).__name__
                                                 for sub in layer.layers)]


def grad_cam(model: Any, images: np.ndarray, *, layer_name: str | None = None) -> np.ndarray:
    """Grad-CAM heat maps of the model's (first) output for a batch of images.

    Parameters
    ----------
    model : keras.Model
        A functional model with one image input; its first output column is explained
        (a logit or a probability: the map is the same up to a positive factor per image).
    images : ndarray, shape (n, H, W, C)
        Input as the model takes it (raw pixels for the shipped models).
    layer_name : str, optional
        Layer whose feature maps are weighted; default :func:`last_conv_layer_name`. For an
        ensemble of nested member models (no convolution at the top level) the default averages
        the members' maps.

    Returns
    -------
    ndarray, shape (n, H, W), float32 in [0, 1]
        All zeros for an image whose map is nowhere positive.

    Raises
    ------
    ValueError
        Images that are not 4-D, or a model without convolutional layers.
    """
    import keras
    import tensorflow as tf

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, height, width, channels); got {images.shape}.")
    if layer_name is None and not any("Conv2D" in type(layer).__name__ for layer in model.layers):
        members = _members(model)
        if not members:
            raise ValueError(f"Model {model.name!r} has no Conv2D layer and no member model with "
                             "one; Grad-CAM needs convolutional feature maps.")
        return np.mean([grad_cam(member, images) for member in members], axis=0).astype(np.float32)

    name = layer_name or last_conv_layer_name(model)
    outputs = model.outputs[0]
    cam_model = keras.Model(model.input, [model.get_layer(name).output, outputs])
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        features, output = cam_model(x, training=False)
        target = tf.reshape(output, (tf.shape(output)[0], -1))[:, 0]
    gradients = tape.gradient(target, features)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1, keepdims=True))
    cam = tf.image.resize(cam, images.shape[1:3], method="bilinear")[..., 0].numpy()
    peak = cam.reshape(len(cam), -1).max(axis=1).reshape(-1, 1, 1)
    return np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)
