"""Run the shipped models with LiteRT: predictions without TensorFlow or Keras.

:func:`medcore.registry.load_serving` opens ``assets/models/NAME.tflite`` (written by
``python -m medcore export NAME`` or by training, see :mod:`medcore.export`) after
:func:`open_tflite` has checked it against the model card's ``serving`` section, and returns a
:class:`LiteRTServing`: a callable from a float32 array to ``{output name: ndarray}``::

    model = registry.load_serving("pneumonia_cnn")
    outputs = model(images)            # images (n, 28, 28, 1), raw uint8-range pixels
    outputs["probability"]             # (n, 1); outputs["member_probabilities"] (n, 4)

The inputs are those of the ``.keras`` model (raw clinical units; the preprocessing is inside).
A recurrent model's export reads a fixed number of visits (the card's
``serving.details["max_visits"]``): shorter histories are padded here with the zero rows the model
masks, longer ones are refused (cutting them would change the answer).

This module imports numpy and the LiteRT interpreter only: neither TensorFlow nor Keras (a test
checks ``sys.modules`` after a prediction), nor the registry. One interpreter is not re-entrant:
a :class:`LiteRTServing` serialises its calls with a lock, so one object can be shared by every
Streamlit session (``st.cache_resource``).
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from medcore.cards import Serving
from medcore.errors import DataValidationError, ModelFileError

#: The runtime recorded in a card's ``serving.runtime``.
RUNTIME = "ai-edge-litert"
#: Interpreter threads per model by default: one call of every model is about a millisecond or
#: less on one thread, and several sessions share two cores.
DEFAULT_THREADS = 1
#: Input values per interpreter call: larger batches run in chunks of this many values' rows
#: (41 images, 1,092 WDBC records, 60 padded PBC histories). Memory stays bounded, and a CNN
#: chunk's activations stay in cache: 256 images per call took ~1.5 ms per image, 32 per call
#: ~1.2 ms (one loaded 2-core machine).
CHUNK_VALUES = 1 << 15


class LiteRTServing:
    """A converted model run by LiteRT; ``model(x) -> {output name: ndarray}``.

    Parameters
    ----------
    content : bytes
        The ``.tflite`` flatbuffer (one signature, one input).
    name : str
        Model name, used in messages.
    card : optional
        The model card the file was checked against (carried for the predictor; unused here).
    num_threads : int
        Interpreter threads (default :data:`DEFAULT_THREADS`).
    max_steps : int, optional
        For a sequence model exported over a fixed number of steps: inputs with fewer steps
        (axis 1) are padded with zero rows (masked by the model), more are refused.

    Attributes
    ----------
    input_name : str
    input_shape : tuple, ``None`` for the batch (and free) dimensions
    output_names : tuple of str, sorted

    Raises
    ------
    ModelFileError
        LiteRT cannot read ``content``, or it has not exactly one input.
    """

    def __init__(self, content: bytes, *, name: str = "model", card: Any = None,
                 num_threads: int = DEFAULT_THREADS, max_steps: int | None = None):
        self.name = name
        self.card = card
        self.num_threads = int(num_threads)
        self.max_steps = None if max_steps is None else int(max_steps)
        try:
            self._interpreter = Interpreter(model_content=content, num_threads=self.num_threads)
            runner = self._interpreter.get_signature_runner()
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"LiteRT could not read the serving model of {name} ({exc}). Restore it from git "
                f"or run `python -m medcore export {name}`.") from exc
        inputs = runner.get_input_details()
        if len(inputs) != 1:
            raise ModelFileError(f"The serving model of {name} has inputs {sorted(inputs)}; "
                                 f"expected one. Run `python -m medcore export {name}`.")
        (self.input_name, detail), = inputs.items()
        self._input_index = detail["index"]
        self.input_shape = tuple(None if d < 0 else int(d) for d in detail["shape_signature"])
        outputs = runner.get_output_details()
        self.output_names = tuple(sorted(outputs))
        self._output_index = {n: outputs[n]["index"] for n in self.output_names}
        self._output_tail = {n: tuple(int(d) for d in outputs[n]["shape_signature"][1:])
                             for n in self.output_names}
        self._lock = threading.Lock()
        self._allocated: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return (f"LiteRTServing({self.name!r}, input {self.input_name} {self.input_shape}, "
                f"outputs {list(self.output_names)}, threads={self.num_threads})")

    def _expected(self) -> str:
        dims = ["T" if d is None else str(d) for d in self.input_shape[1:]]
        if self.max_steps is not None:
            dims[0] = "T"
        steps = "" if self.max_steps is None else f" with T <= {self.max_steps} visits"
        return f"(n, {', '.join(dims)}){steps}"

    def _checked(self, inputs: Any) -> np.ndarray:
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        fixed = list(self.input_shape[1:])
        if self.max_steps is not None:
            fixed[0] = None
        if x.ndim != len(self.input_shape) or any(
                want is not None and got != want for got, want in zip(x.shape[1:], fixed)):
            raise DataValidationError(
                f"{self.name} received an input of shape {x.shape}; expected {self._expected()}"
                f" float32 in raw units. Build it with the model's own conversion "
                f"(medcore.models.{self.name}).")
        if self.max_steps is not None:
            steps = x.shape[1]
            if steps > self.max_steps:
                raise DataValidationError(
                    f"{self.name} received a history of {steps} visits; its serving model reads "
                    f"at most {self.max_steps} (the card's serving.details.max_visits). Cutting "
                    "the history would change the answer, so none is given: re-export with "
                    f"`python -m medcore export {self.name} --max-visits {steps}`.")
            if steps < self.max_steps:
                padded = np.zeros((x.shape[0], self.max_steps, *x.shape[2:]), dtype=np.float32)
                padded[:, :steps] = x
                x = padded
        return x

    def __call__(self, inputs: Any) -> dict[str, np.ndarray]:
        """Run the model.

        Parameters
        ----------
        inputs : array-like, shape ``input_shape`` with any batch size
            Converted to float32.

        Returns
        -------
        dict of str -> ndarray
            One float32 array per output name, batch first.

        Raises
        ------
        DataValidationError
            The input has the wrong shape, or a sequence is longer than ``max_steps``.
        """
        x = self._checked(inputs)
        if x.shape[0] == 0:
            return {n: np.zeros((0, *self._output_tail[n]), dtype=np.float32)
                    for n in self.output_names}
        rows = max(1, CHUNK_VALUES // max(1, x[0].size))
        chunks = [self._invoke(x[start:start + rows]) for start in range(0, x.shape[0], rows)]
        if len(chunks) == 1:
            return chunks[0]
        return {n: np.concatenate([c[n] for c in chunks]) for n in self.output_names}

    def _invoke(self, x: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            if self._allocated != x.shape:
                self._interpreter.resize_tensor_input(self._input_index, x.shape, strict=False)
                self._interpreter.allocate_tensors()
                self._allocated = x.shape
            self._interpreter.set_tensor(self._input_index, x)
            self._interpreter.invoke()
            # get_tensor copies: the arrays stay valid after the next call
            return {n: self._interpreter.get_tensor(i) for n, i in self._output_index.items()}


def open_tflite(folder: Path, serving: Serving | None, *, name: str,
                keras_sha256: str | None, card: Any = None,
                num_threads: int = DEFAULT_THREADS) -> LiteRTServing:
    """Open the file a card's ``serving`` section names, after checking it against the card.

    Refuses a file whose sha256 differs from ``serving.sha256``, and a file exported from
    another ``.keras`` than the card's (``serving.details["source_sha256"]`` against
    ``keras_sha256``): either would answer differently from the model the card describes.

    Parameters
    ----------
    folder : Path
        The models folder (the card's folder).
    serving : Serving or None
        The card's ``serving`` section (:class:`medcore.cards.Serving`).
    name : str
        Model name, for messages.
    keras_sha256 : str or None
        The sha256 of ``NAME.keras`` the card describes.

    Raises
    ------
    ModelFileError
        No serving section, the file is missing, damaged or stale.
    """
    if serving is None or not serving.sha256 or not serving.file:
        raise ModelFileError(
            f"The model card {name}.json has no 'serving' section with a file and its sha256; "
            f"expected the record that `python -m medcore export {name}` writes. Run that "
            "command (or restore the card from git).")
    content = _checked_file(Path(folder) / serving.file, serving.sha256,
                            serving.details.get("source_sha256"), what="serving model",
                            name=name, keras_sha256=keras_sha256)
    return LiteRTServing(content, name=name, card=card, num_threads=num_threads,
                         max_steps=serving.details.get("max_visits"))


class GradientMap:
    """An image model's gradient x difference map run by LiteRT (``NAME.map.tflite``, see
    :func:`medcore.export.convert_gradient_map`): ``gradient_map(images) -> (n, rows, columns)``,
    the map :func:`medcore.explain.gradient_input.gradient_times_difference` computes with
    TensorFlow, without TensorFlow. The export reads one image per call; calls are serialised.
    """

    def __init__(self, content: bytes, *, name: str = "model", num_threads: int = DEFAULT_THREADS):
        self.name = name
        self._interpreter = Interpreter(model_content=content, num_threads=num_threads)
        self._interpreter.allocate_tensors()
        (source,) = self._interpreter.get_input_details()
        (target,) = self._interpreter.get_output_details()
        self._input, self._output = source["index"], target["index"]
        self.input_shape = tuple(int(d) for d in source["shape"][1:])
        self._lock = threading.Lock()

    def __call__(self, images: Any) -> np.ndarray:
        x = np.asarray(images, dtype=np.float32)
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise DataValidationError(
                f"The {self.name} map takes images of shape (n, {', '.join(map(str, self.input_shape))}); "
                f"got {x.shape}.")
        maps = []
        with self._lock:
            for image in x:
                self._interpreter.set_tensor(self._input, image[None])
                self._interpreter.invoke()
                maps.append(self._interpreter.get_tensor(self._output)[0])
        return np.stack(maps).astype(np.float32) if maps else np.zeros((0, *x.shape[1:3]),
                                                                       np.float32)


def open_gradient_map(folder: Path, serving: Serving | None, *, name: str,
                      keras_sha256: str | None) -> GradientMap:
    """Open the map file recorded in ``serving.details["gradient_map"]`` after checking its
    sha256 and the ``.keras`` it was exported from (as :func:`open_tflite` does).

    Raises
    ------
    ModelFileError
        No map recorded, or the file is missing, damaged or stale.
    """
    record = (serving.details.get("gradient_map") if serving is not None else None) or {}
    if not record.get("file") or not record.get("sha256"):
        raise ModelFileError(
            f"The model card {name}.json records no gradient map (serving.details.gradient_map);"
            f" expected the record that `python -m medcore export {name}` writes for an image "
            "model. Run that command (or restore the card from git).")
    content = _checked_file(Path(folder) / record["file"], record["sha256"],
                            record.get("source_sha256"), what="map model", name=name,
                            keras_sha256=keras_sha256)
    return GradientMap(content, name=name)


def _checked_file(path: Path, sha256: str, source_sha256: str | None, *, what: str, name: str,
                  keras_sha256: str | None) -> bytes:
    """The bytes of an exported file after the card's checks: present, the sha256 the card
    records, and exported from the ``.keras`` the card describes (``source_sha256``).

    Raises
    ------
    ModelFileError
        Missing, damaged (other sha256) or stale (exported from another ``.keras``).
    """
    fix = f"restore it from git or run `python -m medcore export {name}`"
    if not path.is_file():
        raise ModelFileError(
            f"The {what} {path.name} was not found in {path.parent}. Expected the file "
            f"that `python -m medcore export {name}` writes: {fix}.")
    content = path.read_bytes()
    actual = hashlib.sha256(content).hexdigest()
    if actual != sha256:
        raise ModelFileError(
            f"The {what} {path.name} has sha256 {actual[:12]}..., but its card expects "
            f"{sha256[:12]}.... The file was changed or only partly copied: {fix}.")
    if source_sha256 is not None and source_sha256 != keras_sha256:
        raise ModelFileError(
            f"The {what} {path.name} was exported from a {name}.keras with sha256 "
            f"{str(source_sha256)[:12]}..., but the card now describes "
            f"{str(keras_sha256)[:12]}.... It would answer for the old model: run "
            f"`python -m medcore export {name}`.")
    return content
