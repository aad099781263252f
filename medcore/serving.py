"""The serving interface: what every ``predict`` and ``score_records`` receives as its ``model``.

A serving model is only ever *called*: ``model(x) -> {output name: ndarray}``, with ``x`` a
``float32`` array in the model's raw input units (a batch on the first axis) and one named
``numpy`` array per output (the batch again on the first axis). It also carries the model's card
(``model.card``, a :class:`medcore.cards.ModelCard`, ``None`` for a model built in a test), where
a prediction finds its model-specific constants (threshold, Breslow baselines). Nothing else is
asked of it: no Keras layers, no ``predict`` method. So a runtime other than Keras (a LiteRT
interpreter for a ``.tflite`` export, issue 12) can answer every page by offering the same call.

Which outputs a model serves is its module's ``serving_graph(keras_model)``: a Keras model with
the same input and a dict of named outputs (e.g. ``pneumonia_cnn``: ``probability`` and
``member_probabilities``). :class:`KerasServing` runs such a graph; importing this module imports
no TensorFlow.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

#: Rows per call of the traced graph: larger inputs are cut into chunks of this size.
CHUNK_ROWS = 65_536


@runtime_checkable
class ServingModel(Protocol):
    """``model(x) -> {output name: ndarray}``, plus the card it was loaded with."""

    card: Any
    output_names: tuple[str, ...]

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]: ...


class KerasServing:
    """A Keras graph with named outputs, traced once, served as ``x -> {name: ndarray}``.

    Parameters
    ----------
    graph : keras.Model
        One input; a dict of named outputs (a model module's ``serving_graph``).
    card : ModelCard, optional
        The card the model was loaded with (``None`` for a model built in a test).

    Notes
    -----
    The graph is traced as one ``tf.function`` whose input signature leaves every dimension
    the model leaves open (``None``), so a new batch size or sequence length does not trace it
    again: one image takes a few ms, where an eager call walks the layers in Python.
    """

    def __init__(self, graph: Any, *, card: Any = None) -> None:
        import tensorflow as tf

        outputs = graph.output
        if not isinstance(outputs, dict):
            raise TypeError(f"The serving graph {graph.name!r} must return a dict of named "
                            f"outputs; it returns {type(outputs).__name__}. Build it with the "
                            "model module's serving_graph(model).")
        self.card = card
        self.output_names = tuple(outputs)
        self.input_shape = tuple(graph.input_shape)
        self._call = tf.function(lambda x: graph(x, training=False), reduce_retracing=True,
                                 input_signature=[tf.TensorSpec(self.input_shape, tf.float32)])

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) <= CHUNK_ROWS:
            return {name: np.asarray(value) for name, value in self._call(x).items()}
        chunks = [self(x[start:start + CHUNK_ROWS]) for start in range(0, len(x), CHUNK_ROWS)]
        return {name: np.concatenate([c[name] for c in chunks]) for name in self.output_names}

    def __repr__(self) -> str:
        name = getattr(getattr(self.card, "model_details", None), "name", "model")
        return f"KerasServing({name}, outputs={self.output_names})"
