"""Feed-forward (dense) network for tabular clinical features.

One builder, :func:`build_feedforward`, shared by the Wisconsin breast-cancer classifier
(``breast_cancer_fnn``, sigmoid head) and the DeepSurv-style Cox model (``breast_cancer_deepsurv``,
linear log-risk head). The network takes features in raw clinical units; normalisation happens
inside it (a ``keras.layers.Normalization`` adapted on training data), so the saved ``.keras``
file carries its own preprocessing.
"""
from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

__all__ = ["build_feedforward", "adapted_normalizer"]


def adapted_normalizer(train_features, *, name: str = "normalize") -> keras.layers.Normalization:
    """Return a ``Normalization`` layer adapted (mean, variance per column) on ``train_features``.

    Parameters
    ----------
    train_features : array-like, shape (n_samples, n_features)
        Training-split features in raw units. Must be finite.
    name : str
        Layer name.

    Returns
    -------
    keras.layers.Normalization

    Raises
    ------
    ValueError
        If the array is not 2-D, is empty or holds NaN/inf.
    """
    array = np.asarray(train_features, dtype="float32")
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"normalizer data has shape {array.shape}; expected a non-empty 2-D array "
            "(n_samples, n_features). Pass the training-split feature matrix.")
    if not np.isfinite(array).all():
        raise ValueError(
            "normalizer data contains NaN or infinite values; expected finite numbers. "
            "Drop or impute those rows before adapting.")
    layer = keras.layers.Normalization(axis=-1, name=name)
    layer.adapt(array)
    return layer


def build_feedforward(
    num_features: int,
    *,
    hidden_units: Sequence[int] = (32, 16),
    dropout: float = 0.2,
    activation: str = "relu",
    l2: float = 0.0,
    output_activation: str = "sigmoid",
    output_units: int = 1,
    output_use_bias: bool = True,
    normalizer=None,
    name: str = "feedforward",
) -> keras.Model:
    """Build an uncompiled feed-forward network ``raw features -> output``.

    Layers: ``Input(num_features)`` -> [``Normalization``] -> for each width in ``hidden_units``:
    ``Dense(width, activation, L2)`` -> ``Dropout(dropout)`` -> ``Dense(output_units,
    output_activation)``.

    Parameters
    ----------
    num_features : int
        Number of input columns (raw units, in the model's documented feature order).
    hidden_units : sequence of int
        Width of each hidden layer; ``()`` gives a linear/logistic model on the normalised inputs.
    dropout : float
        Dropout rate after each hidden layer, in ``[0, 1)``; 0 disables it.
    activation : str
        Hidden-layer activation (any Keras activation name, e.g. ``"relu"``, ``"selu"``).
    l2 : float
        L2 penalty on every Dense kernel (hidden and output); 0 disables it.
    output_activation : str
        ``"sigmoid"`` for a probability, ``"linear"`` for a Cox log-risk head, ``"softmax"`` for
        several classes.
    output_units : int
        Output width (1 for a probability or a log-risk).
    output_use_bias : bool
        Whether the output Dense has a bias. A Cox log-risk head may set ``False`` (the partial
        likelihood does not identify a constant).
    normalizer : None, keras.layers.Normalization or array-like, shape (n_samples, num_features)
        ``None``: inputs go in unnormalised. A ``Normalization`` layer (already adapted, see
        :func:`adapted_normalizer`) is used as is. An array is treated as training data and a new
        layer is adapted on it.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Functional, uncompiled. Input ``"features"`` shape ``(None, num_features)``, float32;
        output shape ``(None, output_units)``.

    Raises
    ------
    ValueError
        On a non-positive ``num_features``/``output_units``/width, a ``dropout`` outside
        ``[0, 1)``, a negative ``l2``, or normaliser data of the wrong width.
    """
    if int(num_features) != num_features or num_features < 1:
        raise ValueError(f"num_features={num_features!r}; expected a positive integer "
                         "(the number of input columns).")
    if int(output_units) != output_units or output_units < 1:
        raise ValueError(f"output_units={output_units!r}; expected a positive integer.")
    widths = [int(w) for w in hidden_units]
    if any(w < 1 for w in widths):
        raise ValueError(f"hidden_units={tuple(hidden_units)!r}; expected positive widths, "
                         "e.g. (32, 16), or () for no hidden layer.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r}; expected a rate in [0, 1).")
    if l2 < 0:
        raise ValueError(f"l2={l2!r}; expected a non-negative penalty (0 disables it).")

    if normalizer is not None and not isinstance(normalizer, keras.layers.Layer):
        array = np.asarray(normalizer, dtype="float32")
        if array.ndim != 2 or array.shape[1] != num_features:
            raise ValueError(
                f"normalizer data has shape {array.shape}; expected (n_samples, {num_features}). "
                "Pass the training features in the model's column order.")
        normalizer = adapted_normalizer(array)

    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(shape=(int(num_features),), dtype="float32", name="features")
    x = normalizer(inputs) if normalizer is not None else inputs
    for index, width in enumerate(widths, start=1):
        x = keras.layers.Dense(width, activation=activation, kernel_regularizer=regularizer,
                               name=f"dense_{index}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index}")(x)
    outputs = keras.layers.Dense(int(output_units), activation=output_activation,
                                 use_bias=output_use_bias, kernel_regularizer=regularizer,
                                 name="output")(x)
    return keras.Model(inputs, outputs, name=name)
