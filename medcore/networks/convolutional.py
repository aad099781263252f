"""Convolutional networks for small grey-scale images, and a calibrated deep-ensemble wrapper.

:func:`build_cnn` builds one member: raw ``uint8``-range pixels in, one logit out (the
``Rescaling`` to [0, 1] is inside, so the model carries its preprocessing).
:func:`build_ensemble` averages the member logits inside one saved model and calibrates them:
its output ``probability`` is ``sigmoid(scale * mean_m(logit_m) + offset)``; the per-member
probabilities ``sigmoid(scale * logit_m + offset)`` come from the calibrated member logits, the
output of the layer ``calibration`` (see :func:`member_probability_model`). Averaging logits rather than probabilities keeps the
calibration fit well posed: a mean of member probabilities can take the values 0, 1/3, 2/3, 1
at any sharpness, so its log loss on a nearly separable validation split rewards an ever
larger scale.

The two custom layers are registered with Keras (package ``medcore``), so importing this module
before ``keras.saving.load_model`` lets a ``.keras`` file load with ``safe_mode=True``.
"""
from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

#: Name of the ensemble layer whose output holds the calibrated member logits, (n, members).
CALIBRATED_LOGITS = "calibration"


@keras.saving.register_keras_serializable(package="medcore")
class LogitScaling(layers.Layer):
    """``scale * logits + offset`` with fixed (non-trainable) scalars.

    Temperature scaling is ``scale = 1 / T, offset = 0``; Platt scaling fits both.
    """

    def __init__(self, scale: float = 1.0, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if not scale > 0:
            raise ValueError(f"scale must be > 0 to keep the order of the logits; got {scale}.")
        self.scale = float(scale)
        self.offset = float(offset)

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


@keras.saving.register_keras_serializable(package="medcore")
class MemberMean(layers.Layer):
    """Mean over the last axis, kept: ``(n, members) -> (n, 1)``."""

    def call(self, inputs):
        return keras.ops.mean(inputs, axis=-1, keepdims=True)


def build_cnn(input_shape: Sequence[int] = (28, 28, 1), *, filters: Sequence[int] = (16, 32, 64),
              convs_per_block: int = 2, dropout: float = 0.3,
              name: str = "cnn") -> keras.Model:
    """One convolutional network: raw pixels -> one logit.

    ``Rescaling(1/255)`` -> per block ``convs_per_block`` x (3x3 conv, BatchNorm, ReLU), then
    2x2 max-pooling (global average pooling after the last block) -> dropout -> ``Dense(1)``.

    Parameters
    ----------
    input_shape : (height, width, channels)
        Pixels in the ``uint8`` range 0..255.
    filters : sequence of int
        Filters per block; each block but the last halves the resolution.
    convs_per_block : int
        Convolutions per block.
    dropout : float
        Dropout rate before the output layer, in [0, 1).
    name : str
        Model name (also the prefix of its layer names, so members of an ensemble stay unique).

    Returns
    -------
    keras.Model
        Uncompiled; input ``(n, *input_shape)``, output logit ``(n, 1)``.

    Raises
    ------
    ValueError
        A shape, filter count or rate is out of range.
    """
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels); got {input_shape}.")
    if not filters or min(filters) < 1 or convs_per_block < 1:
        raise ValueError(f"filters must be positive and non-empty and convs_per_block >= 1; got "
                         f"filters={tuple(filters)}, convs_per_block={convs_per_block}.")
    if 2 ** (len(filters) - 1) > min(input_shape[:2]):
        raise ValueError(f"{len(filters)} blocks halve {input_shape[:2]} below one pixel; "
                         "use fewer blocks or a larger input.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")

    inputs = keras.Input(shape=input_shape, name=f"{name}_pixels")
    x = layers.Rescaling(1.0 / 255.0, name=f"{name}_rescale")(inputs)
    for b, width in enumerate(filters, start=1):
        for c in range(1, convs_per_block + 1):
            x = layers.Conv2D(int(width), 3, padding="same", use_bias=False,
                              name=f"{name}_block{b}_conv{c}")(x)
            x = layers.BatchNormalization(name=f"{name}_block{b}_bn{c}")(x)
            x = layers.ReLU(name=f"{name}_block{b}_relu{c}")(x)
        if b < len(filters):
            x = layers.MaxPooling2D(2, name=f"{name}_block{b}_pool")(x)
    x = layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    logit = layers.Dense(1, name=f"{name}_logit")(x)
    return keras.Model(inputs, logit, name=name)


def build_ensemble(members: Sequence[keras.Model], *, scale: float = 1.0, offset: float = 0.0,
                   name: str = "ensemble") -> keras.Model:
    """Average member logits inside one model and calibrate them.

    Parameters
    ----------
    members : sequence of keras.Model
        Networks with the same input shape, each returning a logit ``(n, 1)``.
    scale, offset : float
        Calibration of the mean logit (and of each member's): ``sigmoid(scale * logit + offset)``
        (temperature ``T = 1 / scale``).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Input as the members'; output ``probability`` ``(n, 1)``; the layer ``calibration``
        outputs the calibrated member logits ``(n, len(members))``.

    Raises
    ------
    ValueError
        No members, or members with different input shapes.
    """
    if not members:
        raise ValueError("build_ensemble needs at least one member network; got none.")
    shapes = {tuple(m.input_shape[1:]) for m in members}
    if len(shapes) != 1:
        raise ValueError(f"All members must take the same input shape; got {sorted(shapes)}.")
    inputs = keras.Input(shape=shapes.pop(), name="pixels")
    logits = [member(inputs) for member in members]
    stacked = (layers.Concatenate(name="member_logits")(logits) if len(logits) > 1
               else layers.Identity(name="member_logits")(logits[0]))
    calibrated = LogitScaling(scale, offset, name=CALIBRATED_LOGITS)(stacked)
    mean_logit = MemberMean(name="mean_logit")(calibrated)
    probability = layers.Activation("sigmoid", name="probability")(mean_logit)
    return keras.Model(inputs, probability, name=name)


def member_probability_model(ensemble: keras.Model) -> keras.Model:
    """A model sharing ``ensemble``'s weights that returns ``(probability, member_probabilities)``.

    Raises
    ------
    ValueError
        ``ensemble`` was not built by :func:`build_ensemble`.
    """
    try:
        calibrated = ensemble.get_layer(CALIBRATED_LOGITS).output
    except ValueError as exc:
        raise ValueError(f"Model {ensemble.name!r} has no layer {CALIBRATED_LOGITS!r}; "
                         "expected a model built by build_ensemble.") from exc
    members = layers.Activation("sigmoid", name="member_probabilities")(calibrated)
    return keras.Model(ensemble.input, [ensemble.output, members],
                       name=f"{ensemble.name}_with_members")
