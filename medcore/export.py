"""Convert Keras models to LiteRT (``NAME.tflite``) for serving without TensorFlow.

``python -m medcore export NAME`` (or ``--all``; :func:`medcore.registry.export_serving`)
converts a shipped ``NAME.keras`` without retraining; :func:`medcore.registry.save_model` exports
after every training run. Both call :func:`write_tflite`, which writes ``NAME.tflite`` beside
``NAME.keras`` and returns the card's ``"serving"`` section: ``{"file", "sha256", "runtime",
"details"}``, the details holding the converter, the op set, the sha256 of the ``.keras`` it was
made from, the input and output names and shapes, and ``max_visits`` for a recurrent model.
:mod:`medcore.litert` runs the file with ``ai-edge-litert``.

What is converted (:func:`serving_graph`) is the model module's own ``serving_graph(model)``
(the Keras graph with named outputs that :class:`medcore.serving.KerasServing` runs, e.g.
``pneumonia_cnn``: ``probability`` and ``member_probabilities``), built from the SAME layers and
weights as the shipped model. A graph with a recurrent layer is exported over a fixed number of
time steps (``max_steps``, recorded as ``max_visits``) with the recurrent layers unrolled
(``unroll=True``), because a recurrent layer over a variable number of steps becomes TensorList
ops that the built-in op set lacks. The mask (``Masking``) and the preprocessing layers are the
shipped ones, so shorter sequences padded with zero rows give the same answers as the shipped
model.

Only the built-in op set is used (no Flex delegate: the LiteRT wheel has no TensorFlow ops) and
no quantisation: the outputs must equal the Keras model's (tests compare them on every real input
to 1e-5). TensorFlow is imported inside the functions. This module does not import the registry
(the registry imports it).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path
from typing import Any

from medcore.errors import ModelFileError

#: Steps (visits) of a recurrent model's export. The longest history in the PBC data has 16
#: visits (half-yearly, then yearly, over up to 14 years); twice that leaves room for longer
#: follow-up. A longer history is refused by the server (answers would otherwise differ from
#: Keras); ``python -m medcore export NAME --max-visits N`` re-exports for more.
DEFAULT_MAX_STEPS = 32
#: Ops a converted model may contain that mean its weights were not frozen into constants: the
#: interpreter would read uninitialised variables and answer garbage.
_VARIABLE_OPS = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"})


def _all_layers(model: Any) -> list:
    """Layers of ``model`` and, recursively, of the models nested in it."""
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if hasattr(layer, "layers"):
            layers.extend(_all_layers(layer))
    return layers


def is_recurrent(model: Any) -> bool:
    """True when ``model`` (or a model nested in it) has a recurrent layer."""
    import keras

    return any(isinstance(layer, keras.layers.RNN) for layer in _all_layers(model))


def fixed_length(model: Any, max_steps: int) -> Any:
    """The same recurrent model over a fixed number of steps, its recurrent layers unrolled.

    Every layer but the recurrent ones is shared with ``model`` (same objects, same weights);
    each recurrent layer is rebuilt from its config with ``unroll=True`` and given ``model``'s
    weights. The mask is the shipped model's own (its ``Masking`` layer), so a sequence padded
    with zero rows up to ``max_steps`` gives the shipped model's answer.

    Parameters
    ----------
    model : keras.Model
        Functional model with one input ``(n, T, F)``, ``T`` free, and top-level recurrent layers.
    max_steps : int
        T of the exported model.

    Returns
    -------
    keras.Model
        Input ``(n, max_steps, F)``, the outputs of ``model``.

    Raises
    ------
    ValueError
        ``max_steps`` is not positive, the model has not one sequence input, or a recurrent layer
        is nested inside a sub-model (it would not be unrolled).
    """
    import keras

    if int(max_steps) < 1:
        raise ValueError(f"max_steps={max_steps}; expected a positive number of steps.")
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 3:
        raise ValueError(f"Model {model.name!r} takes inputs {[i.shape for i in model.inputs]}; "
                         "expected one sequence input of shape (n, T, F).")
    nested = [layer.name for layer in model.layers
              if hasattr(layer, "layers") and is_recurrent(layer)]
    if nested:
        raise ValueError(f"Model {model.name!r} has recurrent layers inside the sub-model(s) "
                         f"{nested}; expected them at the top level, where they can be unrolled.")

    def unrolled(layer):
        if isinstance(layer, keras.layers.RNN):
            return layer.__class__.from_config({**layer.get_config(), "unroll": True})
        return layer

    source = model.inputs[0]
    inputs = keras.Input(shape=(int(max_steps), source.shape[-1]), dtype=source.dtype,
                         name=source.name)
    # a functional model built with ``keras.Model([input], ...)`` takes its input as a list
    structure = [inputs] if isinstance(model.input, list) else inputs
    clone = keras.models.clone_model(model, input_tensors=structure, clone_function=unrolled)
    for layer in clone.layers:
        if isinstance(layer, keras.layers.RNN):
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return clone


def serving_graph(graph: Any, *, max_steps: int | None = None,
                  unroll: bool = True) -> tuple[Any, dict[str, Any]]:
    """The Keras model to convert and the card details it implies.

    Parameters
    ----------
    graph : keras.Model
        A model module's ``serving_graph(model)``: one input, a dict of named outputs.
    max_steps : int, optional
        Steps of a recurrent graph's export (default :data:`DEFAULT_MAX_STEPS`); ignored for
        other graphs.
    unroll : bool
        ``False``: return a recurrent graph as it is (over a free number of steps, not
        convertible), e.g. as the Keras reference the export must equal.

    Returns
    -------
    graph : keras.Model
        ``graph``, or for a recurrent one its fixed-length unrolled copy (:func:`fixed_length`).
    details : dict
        ``{"max_visits": T}`` for an unrolled recurrent graph, else empty.
    """
    details: dict[str, Any] = {}
    if unroll and is_recurrent(graph):
        steps = int(max_steps or DEFAULT_MAX_STEPS)
        graph = fixed_length(graph, steps)
        details["max_visits"] = steps
    return graph, details


def convert(graph: Any) -> bytes:
    """``graph`` -> a ``.tflite`` flatbuffer (built-in ops only, float32, weights as constants).

    ``TFLiteConverter.from_keras_model`` freezes the weights into constants; converting a
    ``tf.function`` of the same model with ``from_concrete_functions`` left them as resource
    variables that the interpreter reads uninitialised (checked below).

    Raises
    ------
    ModelFileError
        The converter failed (an op outside the built-in set) or left variables in the model.
    """
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(graph)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        # the Keras export inside the converter prints the endpoints it saved; keep stdout clean
        with contextlib.redirect_stdout(io.StringIO()):
            content = converter.convert()
    except Exception as exc:  # the converter raises ConverterError and others for one cause
        raise ModelFileError(
            f"TensorFlow could not convert {graph.name!r} to LiteRT with the built-in op set "
            f"({type(exc).__name__}: {str(exc)[:500]}). Expected layers the built-in ops cover "
            "(recurrent layers are unrolled to a fixed number of steps).") from exc
    from ai_edge_litert.interpreter import Interpreter

    ops = {detail["op_name"] for detail in Interpreter(model_content=content)._get_ops_details()}
    if ops & _VARIABLE_OPS:
        raise ModelFileError(
            f"The LiteRT conversion of {graph.name!r} kept variables ({sorted(ops & _VARIABLE_OPS)})"
            "; expected every weight frozen into a constant. Convert with "
            "TFLiteConverter.from_keras_model.")
    return content


def litert_model(graph: Any, *, name: str = "model", card: Any = None,
                 max_steps: int | None = None) -> Any:
    """``graph`` converted as :func:`write_tflite` would, run by LiteRT, without writing a file:
    a :class:`medcore.litert.LiteRTServing` (e.g. a network trained inside a cross-validation
    fold, scored through the runtime that serves it).

    Raises
    ------
    ModelFileError
        The conversion failed.
    """
    from medcore.litert import LiteRTServing

    graph, details = serving_graph(graph, max_steps=max_steps)
    return LiteRTServing(convert(graph), name=name, card=card,
                         max_steps=details.get("max_visits"))


def _signature(content: bytes) -> dict[str, Any]:
    """Input and output names and shapes (``None`` = free) of a converted model."""
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=content).get_signature_runner()

    def shape(detail) -> list:
        return [None if d < 0 else int(d) for d in detail["shape_signature"]]

    (input_name, input_detail), = runner.get_input_details().items()
    return {"input": {"name": input_name, "shape": shape(input_detail)},
            "outputs": {n: shape(d) for n, d in sorted(runner.get_output_details().items())}}


def _write_whole(path: Path, content: bytes) -> Path:
    """Write ``content`` under a temporary name beside ``path``, then rename it: a failed write
    leaves no partial file and the previous one, if any, in place."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


def write_tflite(graph: Any, path: Path, *, name: str, keras_sha256: str | None,
                 max_steps: int | None = None) -> dict[str, Any]:
    """Convert ``graph`` and write it to ``path``; return the card's ``serving`` section.

    The file is written under a temporary name and then renamed, so a failed export leaves no
    partial file and the previous one, if any, in place.

    Parameters
    ----------
    graph : keras.Model
        The model module's ``serving_graph`` of the model saved in ``NAME.keras`` (never
        changed).
    path : Path
        ``NAME.tflite``, beside ``NAME.keras``.
    name : str
        Model name, for messages.
    keras_sha256 : str or None
        sha256 of ``NAME.keras`` (recorded as ``details.source_sha256``: the server refuses a
        ``.tflite`` made from another ``.keras``).
    max_steps
        See :func:`serving_graph`.

    Returns
    -------
    dict
        ``{"file", "sha256", "runtime", "details": {"converter", "op_set", "source_sha256",
        "input", "outputs"}}`` plus ``details.max_visits`` for a recurrent model.

    Raises
    ------
    ModelFileError
        The conversion failed (nothing is written).
    """
    import tensorflow as tf

    from medcore.litert import RUNTIME

    graph, details = serving_graph(graph, max_steps=max_steps)
    try:
        content = convert(graph)
    except ModelFileError as exc:
        raise ModelFileError(f"{exc} {name}.keras and its card are unchanged; once fixed, run "
                             f"`python -m medcore export {name}`.") from exc
    path = _write_whole(Path(path), content)
    details = {"converter": f"tensorflow {tf.__version__}", "op_set": "TFLITE_BUILTINS",
               "source_sha256": keras_sha256, **_signature(content), **details}
    return {"file": path.name, "sha256": hashlib.sha256(content).hexdigest(),
            "runtime": RUNTIME, "details": details}


# --- the gradient x difference map, exported (issue 12: no TensorFlow on the Diagnosis page) ---

#: Where an image model's gradient x difference map is recorded: ``serving.details[...]``.
GRADIENT_MAP = "gradient_map"


@contextlib.contextmanager
def _builtin_gradients() -> Any:
    """Trace ReLU and 2 x 2 max pooling with gradients written in built-in ops.

    TensorFlow's own gradients of these layers are the ops ``ReluGrad`` and ``MaxPoolGrad``,
    which the LiteRT built-in op set lacks. Here ReLU's gradient is ``dy * (relu(x) > 0)`` (what
    ``ReluGrad`` computes, from the same output tensor the forward pass uses) and max pooling's
    passes ``dy`` to the first maximum of each window in row-major order (what ``MaxPoolGrad``
    does), found by comparisons within the window. Only while tracing: ``tf.nn`` is restored.
    """
    import tensorflow as tf

    relu0, max_pool0 = tf.nn.relu, tf.nn.max_pool

    def relu(features, name=None):
        @tf.custom_gradient
        def forward(x):
            y = relu0(x)

            def gradient(dy):
                return dy * tf.cast(y > 0, dy.dtype)
            return y, gradient
        return forward(features)

    def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
        square = {ksize} == {2} if isinstance(ksize, int) else set(ksize) == {2}
        if not square or strides != ksize or padding != "VALID" or data_format not in (None, "NHWC"):
            raise ModelFileError(
                f"Only 2 x 2 max pooling with stride 2, valid padding, channels last has a "
                f"built-in gradient here; got pool {ksize}, strides {strides}, padding "
                f"{padding}, {data_format}.")

        @tf.custom_gradient
        def forward(x):
            y = max_pool0(x, 2, 2, "VALID", "NHWC")

            def gradient(dy):
                b, h, w, c = x.shape
                cells = tf.reshape(x, [b, h // 2, 2, w // 2, 2, c])
                v = [cells[:, :, i, :, j, :] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))]

                def at_least(p, q):
                    return tf.cast(tf.greater_equal(p, q), dy.dtype)
                first = [at_least(v[0], v[1]) * at_least(v[0], v[2]) * at_least(v[0], v[3])]
                first.append((1.0 - first[0]) * at_least(v[1], v[2]) * at_least(v[1], v[3]))
                first.append((1.0 - first[0]) * (1.0 - first[1]) * at_least(v[2], v[3]))
                first.append((1.0 - first[0]) * (1.0 - first[1]) * (1.0 - first[2]))
                mask = tf.stack([tf.stack(first[:2], axis=3), tf.stack(first[2:], axis=3)],
                                axis=2)
                spread = mask * tf.reshape(dy, [b, h // 2, 1, w // 2, 1, c])
                return tf.reshape(spread, [b, h, w, c])
            return y, gradient
        return forward(input)

    tf.nn.relu, tf.nn.max_pool = relu, max_pool
    try:
        yield
    finally:
        tf.nn.relu, tf.nn.max_pool = relu0, max_pool0


def convert_gradient_map(model: Any, reference: Any) -> bytes:
    """The gradient x difference map of an image model (:mod:`medcore.explain.gradient_input`:
    ``d output / d x * (x - reference)`` summed over channels, for the model's first output
    column) as a ``.tflite`` of built-in ops: one image ``(1, rows, columns, channels)`` in,
    its map ``(1, rows, columns)`` out, the reference and weights frozen in.

    Raises
    ------
    ModelFileError
        A layer whose gradient has no built-in form here, or a failed conversion.
    """
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    shape = [1, *[int(d) for d in model.input_shape[1:]]]
    reference = tf.constant(np.asarray(reference, np.float32)[None])

    from medcore.explain.gradient_input import map_tensor

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32, name="image")])
    def gradient_map(image):
        return {"map": map_tensor(model, image, reference)}

    with _builtin_gradients():
        frozen = convert_variables_to_constants_v2(gradient_map.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return converter.convert()
    except Exception as exc:  # ConverterError and others, for one cause
        raise ModelFileError(
            f"TensorFlow could not convert the gradient map of {model.name!r} to LiteRT with the "
            f"built-in op set ({type(exc).__name__}: {str(exc)[:500]}).") from exc


def write_gradient_map(model: Any, reference: Any, path: Path, *,
                       keras_sha256: str | None) -> dict[str, Any]:
    """Convert (:func:`convert_gradient_map`) and write ``path`` (temporary name, then rename);
    return the record kept in the card's ``serving.details["gradient_map"]``:
    ``{"file", "sha256", "source_sha256", "output"}``."""
    content = convert_gradient_map(model, reference)
    path = _write_whole(Path(path), content)
    return {"file": path.name, "sha256": hashlib.sha256(content).hexdigest(),
            "source_sha256": keras_sha256,
            "output": "gradient x difference from the mean training image, of the first output"}
